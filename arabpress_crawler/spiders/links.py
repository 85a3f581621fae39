"""The article links of the ``articles`` spider: where a link was found (:class:`Source`), what is known of it
before fetching (:class:`ArticleLink`, kept in ``Request.meta``), and following a page's related links in one
go (:class:`RelatedLinks`).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import TYPE_CHECKING

from arabpress_crawler.spiders import STAT_PREFIX

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator

    import scrapy
    from scrapy.crawler import Crawler

#: The stat of links not followed again because a link written the same way was decided already.
SEEN_STAT = f"{STAT_PREFIX}/skipped/seen"


class Source(enum.Enum):
    """Where an article link was found (logged, and kept in ``Request.meta``)."""

    LISTING = "listing"
    FEED = "feed"
    SITEMAP = "sitemap"
    RELATED = "related"
    FRONTIER = "frontier"  # kept by an earlier run (see arabpress_crawler.frontier)
    STORED = "stored"  # a stored article re-checked by --refresh


@dataclass(frozen=True)
class ArticleLink:
    url: str
    source: Source
    depth: int
    #: A date known before fetching: sitemap ``lastmod`` or feed publication date.
    listed_date: str | None = None
    lastmod: str | None = None


class RelatedLinks:
    """Following the related links of an article page (a mixin of the spider: it needs ``crawler``,
    ``requested_links`` and ``_follow_article``)."""

    crawler: Crawler
    requested_links: set[str]

    def _follow_article(self, link: ArticleLink, priority: int = 0) -> Iterator[scrapy.Request]:
        raise NotImplementedError

    def _follow_related(self, urls: Iterable[str], depth: int) -> list[scrapy.Request]:
        """The requests for a page's related links, found at ``depth``, in page order.

        Related lists mostly repeat links already decided (the same headlines on page after page): those are
        counted as ``skipped/seen`` as :meth:`_follow_article` would count them, but without making an
        :class:`ArticleLink` and a stats call for each.
        """
        requests: list[scrapy.Request] = []
        seen = 0
        for url in urls:
            if url in self.requested_links:
                seen += 1
                continue
            requests.extend(self._follow_article(ArticleLink(url, Source.RELATED, depth=depth)))
        if seen:
            self.crawler.stats.inc_value(SEEN_STAT, seen)
        return requests
