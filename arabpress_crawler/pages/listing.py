"""Listing pages and feeds: the links a crawl follows to find articles.

* :class:`ListingPage` — homepage, section, tag, author and pagination pages: ``article_urls()`` (links that
  look like articles of the site, in page order) and ``next_page_url()``.
* :class:`FeedPage` — RSS 2.0 and Atom feeds: ``entries()`` with each article's URL, title and date.

Sitemaps are read by the spider with Scrapy's own ``Sitemap`` class. Like :class:`.ArticlePage`, these are
pure functions of a response.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from functools import cached_property
from urllib.parse import urlsplit

from lxml import etree
from parsel import Selector
from scrapy.http import TextResponse

from arabpress_crawler import site
from arabpress_crawler.dates import normalize_date
from arabpress_crawler.pages.common import absolute_url, collapse_whitespace, unique
from arabpress_crawler.pages.selectors import SiteProfile, profile_for, xpath
from arabpress_crawler.urls import is_same_site

logger = logging.getLogger(__name__)

LINKS = xpath("//a[@href]/@href")
FEED_ITEMS = "//item"
ATOM_ENTRIES = "//entry"


class ListingPage:
    """Article links and pagination of a listing page of the site.

    The profile is the one whose marker matches the page (:func:`~arabpress_crawler.pages.selectors.profile_for`),
    else the site's current theme's (:data:`arabpress_crawler.site.DEFAULT_PROFILE`): a listing of a template no profile knows
    still has the site's article URLs, and its pagination is looked for with the usual ``rel=next`` selectors.
    """

    def __init__(self, response: TextResponse, profile: SiteProfile | None = None) -> None:
        self.response = response
        self.url = response.url
        self.root: etree._Element = response.selector.root
        self.profile = profile or profile_for(self.root) or site.DEFAULT_PROFILE

    def is_article_url(self, url: str) -> bool:
        """``url`` is an article of this site (same site, date permalink or its AMP copy), as an absolute URL."""
        return is_same_site(url, self.url) and bool(self.profile.article_path.match(urlsplit(url).path))

    def article_urls(self) -> list[str]:
        """Absolute URLs of the article links of the page, without fragments or repeats, in page order."""
        urls = (absolute_url(self.url, str(href)) for href in LINKS(self.root))
        found = unique(url for url in urls if url and self.is_article_url(url))
        logger.debug("%d article links on %s", len(found), self.url)
        return found

    def next_page_url(self) -> str | None:
        """The absolute URL of the next page of the listing, or ``None`` on the last page."""
        for element in self.profile.next_page(self.root):
            url = absolute_url(self.url, element.get("href"))
            if url and url != self.url:
                return url
        return None


@dataclass(frozen=True)
class FeedEntry:
    """One item of a feed: the article's URL, its title and its publication date (normalised, or ``None``)."""

    url: str
    title: str | None
    published_at: str | None


class FeedPage:
    """The entries of an RSS 2.0 or Atom feed, in feed order."""

    def __init__(self, response: TextResponse) -> None:
        self.response = response
        self.url = response.url

    @cached_property
    def selector(self) -> Selector:
        selector = Selector(body=self.response.body, type="xml")
        selector.remove_namespaces()
        return selector

    def entries(self) -> list[FeedEntry]:
        entries = self._rss_entries() or self._atom_entries()
        if not entries:
            logger.warning("No feed entries found on %s", self.url)
        return entries

    def _rss_entries(self) -> list[FeedEntry]:
        entries = []
        for item in self.selector.xpath(FEED_ITEMS):
            href = (
                item.xpath("link/text()").get() or item.xpath("guid[not(@isPermaLink='false')]/text()").get()
            )
            url = absolute_url(self.url, href)
            if url:
                date = item.xpath("pubDate/text()").get() or item.xpath("date/text()").get()
                entries.append(
                    FeedEntry(url, self._text(item.xpath("title/text()").get()), normalize_date(date))
                )
        return entries

    def _atom_entries(self) -> list[FeedEntry]:
        entries = []
        for entry in self.selector.xpath(ATOM_ENTRIES):
            href = entry.xpath("link[not(@rel) or @rel='alternate']/@href").get()
            url = absolute_url(self.url, href)
            if url:
                date = entry.xpath("published/text()").get() or entry.xpath("updated/text()").get()
                entries.append(
                    FeedEntry(url, self._text(entry.xpath("title/text()").get()), normalize_date(date))
                )
        return entries

    @staticmethod
    def _text(value: str | None) -> str | None:
        return collapse_whitespace(value) or None
