"""The caps that bound every crawl, so that no site (however hostile or broken) can hold a run forever.

Each cap is a setting with a default sized for a news site (and an environment variable of the same name,
see :mod:`arabpress_crawler.settings`):

=================================  ========  ==============================================================
setting                            default   what it bounds
=================================  ========  ==============================================================
``ARABPRESS_MAX_PAGES``            20,000    article pages fetched per run (``--max-pages`` overrides it)
``ARABPRESS_MAX_RUN_SECONDS``      21,600    the run's time budget (6 hours; Scrapy's ``CLOSESPIDER_TIMEOUT``)
``ARABPRESS_MAX_URL_LENGTH``       2,048     characters of a link that is followed (longer ones are skipped)
``ARABPRESS_MAX_QUERY_VARIANTS``   3         ``?query`` variants of one article path requested per run
``ARABPRESS_SITEMAP_MAX_DEPTH``    3         sitemap levels below robots.txt (index → index → urlset)
``ARABPRESS_MAX_SITEMAPS``         1,000     sitemap files read per run
``ARABPRESS_MAX_SITEMAP_URLS``     50,000    entries read from one sitemap file (the protocol's own limit)
``ARABPRESS_MAX_RELATED_LINKS``    100       "Related Articles" links read from one page
=================================  ========  ==============================================================

A cap that cuts something is counted in the stats (``arabpress/capped/<cap>``: how many things it cut) and
its value kept beside it (``arabpress/caps/<cap>``), so the run record says what was cut and the command's
summary prints one line per cap hit (:func:`cap_notes`).
"""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass, fields
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

if TYPE_CHECKING:
    from collections.abc import Mapping

    from scrapy.crawler import Crawler
    from scrapy.settings import BaseSettings
    from scrapy.statscollectors import StatsCollector

logger = logging.getLogger(__name__)

CAPPED_PREFIX = "arabpress/capped/"
CAPS_PREFIX = "arabpress/caps/"
#: Scrapy's finish reason when ``CLOSESPIDER_TIMEOUT`` (the time budget) ends a run.
TIME_BUDGET_REASON = "closespider_timeout"

PAGES = "pages"
TIME = "run_seconds"
URL_LENGTH = "url_length"
QUERY_VARIANTS = "query_variants"
SITEMAP_DEPTH = "sitemap_depth"
SITEMAPS = "sitemaps"
SITEMAP_URLS = "sitemap_urls"
RELATED_LINKS = "related_links"


class PageBudget:
    """The article pages a run may request (``ARABPRESS_MAX_PAGES``, ``--max-pages``), counted in this process.

    A distributed worker's spider gets one shared by every worker of the run instead
    (:class:`arabpress_crawler.distributed.budget.SharedPageBudget`): the cap is the run's, not each worker's.
    """

    def __init__(self, cap: int) -> None:
        self.cap = cap
        self.taken = 0

    def take(self, url: str) -> bool:
        """Count a request for the article page ``url``; ``False`` (not counted) once the budget is spent."""
        if self.spent():
            return False
        self.taken += 1
        return True

    def spent(self) -> bool:
        return self.taken >= self.cap


@dataclass(frozen=True)
class CrawlLimits:
    """The caps of one run (see the module docstring for their settings and meaning)."""

    max_pages: int = 20_000
    max_run_seconds: int = 6 * 3600
    max_url_length: int = 2_048
    max_query_variants: int = 3
    sitemap_max_depth: int = 3
    max_sitemaps: int = 1_000
    max_sitemap_urls: int = 50_000
    max_related_links: int = 100

    @classmethod
    def from_settings(cls, settings: BaseSettings) -> CrawlLimits:
        """The caps from ``ARABPRESS_<FIELD>`` settings (a value below 1 is refused for the default)."""
        values: dict[str, int] = {}
        for spec in fields(cls):
            name = f"ARABPRESS_{spec.name.upper()}"
            value = settings.getint(name, spec.default)  # type: ignore[arg-type]
            if value < 1:
                logger.warning("ignoring %s=%r: a cap must be at least 1, using %s", name, value, spec.default)
                continue
            values[spec.name] = value
        return cls(**values)


def _number(value: int) -> str:
    return f"{value:,}"


def _duration(seconds: int) -> str:
    hours, rest = divmod(int(seconds), 3600)
    return f"{hours}:{rest // 60:02d}:{rest % 60:02d}"


class Limiter:
    """Applies the caps for the spider and counts what each one cut (never raises, never stops a crawl)."""

    def __init__(self, limits: CrawlLimits, crawler: Crawler) -> None:
        self.limits = limits
        self.crawler = crawler
        self.variants: defaultdict[tuple[str, str], set[str]] = defaultdict(set)
        self.sitemaps_requested = 0

    @property
    def stats(self) -> StatsCollector:
        stats = self.crawler.stats
        assert stats is not None
        return stats

    def cut(self, cap: str, value: int, what: str, count: int = 1) -> None:
        """Count ``count`` things cut by ``cap`` (whose value is ``value``); log the first one."""
        if not self.stats.get_value(f"{CAPPED_PREFIX}{cap}"):
            logger.warning("cap reached: %s (%s); what it cuts is counted in the run record", what, value)
        self.stats.inc_value(f"{CAPPED_PREFIX}{cap}", count)
        self.stats.set_value(f"{CAPS_PREFIX}{cap}", value)

    def url_too_long(self, url: str) -> bool:
        if len(url) <= self.limits.max_url_length:
            return False
        self.cut(URL_LENGTH, self.limits.max_url_length, f"a link longer than {self.limits.max_url_length}")
        return True

    def variant_allowed(self, canonical: str) -> bool:
        """Whether a canonical URL with a query may be requested: at most ``max_query_variants`` per path."""
        parts = urlsplit(canonical)
        if not parts.query:
            return True
        seen = self.variants[(parts.netloc, parts.path)]
        if canonical in seen or len(seen) < self.limits.max_query_variants:
            seen.add(canonical)
            return True
        self.cut(QUERY_VARIANTS, self.limits.max_query_variants, f"query variants of {parts.path}")
        return False

    def sitemap_allowed(self, url: str, depth: int) -> bool:
        """Whether the sitemap ``url``, ``depth`` levels below robots.txt, may be read (and count it if so)."""
        if depth > self.limits.sitemap_max_depth:
            self.cut(SITEMAP_DEPTH, self.limits.sitemap_max_depth, f"sitemap {url} nested {depth} levels deep")
            return False
        if self.sitemaps_requested >= self.limits.max_sitemaps:
            self.cut(SITEMAPS, self.limits.max_sitemaps, f"sitemap {url} beyond the sitemaps read per run")
            return False
        self.sitemaps_requested += 1
        return True

    def sitemap_entries(self, entries: list[dict[str, Any]], url: str) -> list[dict[str, Any]]:
        if len(entries) <= self.limits.max_sitemap_urls:
            return entries
        self.cut(SITEMAP_URLS, self.limits.max_sitemap_urls, f"entries of {url}", len(entries) - self.limits.max_sitemap_urls)
        return entries[: self.limits.max_sitemap_urls]

    def related_links(self, urls: list[str], page_url: str) -> list[str]:
        if len(urls) <= self.limits.max_related_links:
            return urls
        self.cut(RELATED_LINKS, self.limits.max_related_links, f"related links of {page_url}")
        return urls[: self.limits.max_related_links]

    def record_time_budget(self, seconds: int) -> None:
        """Keep the run's time budget in the stats (the summary names it if the run ends on it)."""
        if seconds > 0:
            self.stats.set_value(f"{CAPS_PREFIX}{TIME}", seconds)

    def page_cap(self, value: int) -> None:
        """An article link was not requested because the run's page budget is spent."""
        self.cut(PAGES, value, "the page cap")


def cap_notes(stats: Mapping[str, Any], finish_reason: str | None) -> list[str]:
    """One line per cap a run hit, for the command's summary (empty when none was hit)."""

    def cut(cap: str) -> tuple[int, int]:
        return int(stats.get(f"{CAPPED_PREFIX}{cap}") or 0), int(stats.get(f"{CAPS_PREFIX}{cap}") or 0)

    notes = []
    count, value = cut(PAGES)
    if count:
        notes.append(f"stopped at the page cap: {_number(value)}; the rest is kept for the next run")
    if finish_reason == TIME_BUDGET_REASON:
        seconds = cut(TIME)[1]
        budget = f": {_duration(seconds)}" if seconds else ""
        notes.append(f"stopped at the time budget{budget}; the rest is kept for the next run")
    messages = {
        URL_LENGTH: "{count} links longer than {value} characters skipped",
        QUERY_VARIANTS: "{count} query variants skipped (at most {value} per article path)",
        SITEMAP_DEPTH: "{count} sitemaps nested deeper than {value} levels not read",
        SITEMAPS: "{count} sitemaps not read (at most {value} per run)",
        SITEMAP_URLS: "{count} sitemap entries not read (at most {value} per sitemap)",
        RELATED_LINKS: "{count} pages had more related links than the {value} read",
    }
    for cap, message in messages.items():
        count, value = cut(cap)
        if count:
            notes.append("cap reached: " + message.format(count=_number(count), value=_number(value)))
    return notes
