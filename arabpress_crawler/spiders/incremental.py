"""Incremental crawling: which known articles to fetch again, and how.

The spider loads what the store knows (:func:`arabpress_crawler.db.known_articles`, one query, at start)
and asks :class:`RefetchPolicy` about every article link before requesting it. A stored article (looked up by
canonical URL or alias) is fetched again only when

* its sitemap ``lastmod`` is newer than what is stored (the ``lastmod`` seen when it was last fetched, else
  its ``modified_at``, else its ``published_at``);
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

    from scrapy.http import Response

    from arabpress_crawler.db import ArticleState

logger = logging.getLogger(__name__)

DEFAULT_REFRESH_DAYS = 3


class Verdict(enum.Enum):
    NEW = "new"  # not stored: fetch
    REFETCH = "refetch"  # stored, but may have changed: conditional GET
    KNOWN = "known"  # stored and not due: skip


@dataclass(frozen=True)
class Decision:
    verdict: Verdict
    stored: ArticleState | None = None
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
        known: Mapping[str, ArticleState],
        *,
        refresh: bool = False,
        refresh_days: int = DEFAULT_REFRESH_DAYS,
        now: datetime | None = None,
    ) -> None:
        self.known = known
        self.refresh = refresh
        now = now or datetime.now(UTC)
        self.recent_since = now - timedelta(days=refresh_days)

    def lookup(self, url: str) -> ArticleState | None:
        """The stored article for a canonical URL or one of its aliases."""
        return self.known.get(url)

    def decide(self, url: str, lastmod: str | None = None) -> Decision:
        stored = self.lookup(url)
        if stored is None:
            return Decision(Verdict.NEW)
        if self.refresh:
            return Decision(Verdict.REFETCH, stored, "refresh")
        # An alias's own lastmod says nothing about the stored article: its canonical URL has its own entry.
        if not stored.is_alias and self._newer_in_sitemap(stored, lastmod):
            return Decision(Verdict.REFETCH, stored, "lastmod")
        published = as_datetime(stored.published_at)
        if published is not None and published >= self.recent_since:
            return Decision(Verdict.REFETCH, stored, "recent")
        return Decision(Verdict.KNOWN, stored)

    @staticmethod
    def _newer_in_sitemap(stored: ArticleState, lastmod: str | None) -> bool:
        listed = as_datetime(lastmod)
        if listed is None:
            return False
        known = (
            as_datetime(stored.sitemap_lastmod)
            or as_datetime(stored.modified_at)
            or as_datetime(stored.published_at)
        )
        return known is None or listed > known


def validator(response: Response, name: bytes) -> str | None:
    """A cache validator of the response (``ETag``, ``Last-Modified``) as text, or None."""
    value = response.headers.get(name)
    return value.decode("latin-1") if value else None
