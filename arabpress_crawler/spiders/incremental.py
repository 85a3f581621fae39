"""Incremental crawling: which known articles to fetch again, and how.

The spider loads what the store knows (one query, at start) and asks :class:`RefetchPolicy` about every
article link before requesting it. A stored article is fetched again only when

* its sitemap ``lastmod`` is newer than what is stored (``modified_at``, else ``published_at``);
* it was published in the last ``refresh_days`` days (when edits happen);
* or ``refresh`` was asked for.

A re-fetch is a conditional GET: ``If-None-Match`` / ``If-Modified-Since`` from the stored ``etag`` and
``last_modified``, so an unchanged page costs the server a 304.
"""

from __future__ import annotations

import enum
import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from arabpress_crawler.dates import normalize_date

if TYPE_CHECKING:
    from collections.abc import Mapping

logger = logging.getLogger(__name__)

DEFAULT_REFRESH_DAYS = 3


@dataclass(frozen=True)
class StoredArticle:
    """What the spider needs to know about an article already in the database."""

    url: str
    published_at: str | None = None
    modified_at: str | None = None
    etag: str | None = None
    last_modified: str | None = None


class Verdict(enum.Enum):
    NEW = "new"  # not stored: fetch
    REFETCH = "refetch"  # stored, but may have changed: conditional GET
    KNOWN = "known"  # stored and not due: skip


@dataclass(frozen=True)
class Decision:
    verdict: Verdict
    stored: StoredArticle | None = None
    reason: str = ""

    @property
    def fetch(self) -> bool:
        return self.verdict is not Verdict.KNOWN

    def conditional_headers(self) -> dict[str, str]:
        """``If-None-Match`` / ``If-Modified-Since`` for a re-fetch (empty for a new article)."""
        if self.verdict is not Verdict.REFETCH or self.stored is None:
            return {}
        headers = {}
        if self.stored.etag:
            headers["If-None-Match"] = self.stored.etag
        if self.stored.last_modified:
            headers["If-Modified-Since"] = self.stored.last_modified
        return headers


def as_datetime(value: str | None) -> datetime | None:
    """An aware UTC datetime for a date or date-time string in any form :func:`normalize_date` reads."""
    iso = normalize_date(value) if value else None
    if iso is None:
        return None
    parsed = datetime.fromisoformat(iso.replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


class RefetchPolicy:
    """Decides, per canonical article URL, whether to fetch it (see the module docstring)."""

    def __init__(
        self,
        articles: Mapping[str, StoredArticle],
        aliases: Mapping[str, str] | None = None,
        *,
        refresh: bool = False,
        refresh_days: int = DEFAULT_REFRESH_DAYS,
        now: datetime | None = None,
    ) -> None:
        self.articles = articles
        self.aliases = aliases or {}
        self.refresh = refresh
        now = now or datetime.now(UTC)
        self.recent_since = now - timedelta(days=refresh_days)

    def __len__(self) -> int:
        return len(self.articles)

    def lookup(self, url: str) -> StoredArticle | None:
        """The stored article for a canonical URL or one of its aliases."""
        stored = self.articles.get(url)
        if stored is None and url in self.aliases:
            stored = self.articles.get(self.aliases[url])
        return stored

    def decide(self, url: str, lastmod: str | None = None) -> Decision:
        stored = self.lookup(url)
        if stored is None:
            return Decision(Verdict.NEW)
        if self.refresh:
            return Decision(Verdict.REFETCH, stored, "refresh")
        if self._newer_in_sitemap(stored, lastmod):
            return Decision(Verdict.REFETCH, stored, "lastmod")
        published = as_datetime(stored.published_at)
        if published is not None and published >= self.recent_since:
            return Decision(Verdict.REFETCH, stored, "recent")
        return Decision(Verdict.KNOWN, stored)

    @staticmethod
    def _newer_in_sitemap(stored: StoredArticle, lastmod: str | None) -> bool:
        listed = as_datetime(lastmod)
        if listed is None:
            return False
        known = as_datetime(stored.modified_at) or as_datetime(stored.published_at)
        return known is None or listed > known
