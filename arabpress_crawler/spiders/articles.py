"""The ``articles`` spider: routing only. Extraction lives in :mod:`arabpress_crawler.pages`.

Where it starts (every run reads these, so new articles are always found):

* the homepage and the section pages it links to (``/category/<section>/``);
* the RSS feed (``/feed/``);
* ``robots.txt`` → the sitemap index → the post and news sitemaps.

First of all, the links earlier runs found but did not finish (the persistent frontier, see
:mod:`arabpress_crawler.frontier`), and with ``refresh`` every stored article.

What it follows: article links found there, and each article page's "Related Articles" links. It stays on the
site of the base URL (host and port), never follows ``javascript:``/``data:`` links or listing pages.

Arguments (``-a name=value``; see :mod:`arabpress_crawler.spiders.arguments`):

``base_url``
    the site; default the ``ARABPRESS_BASE_URL`` setting (environment variable of the same name).
``max_pages``
    fetch at most this many article pages (listing pages, feeds and sitemaps are read as needed); default
    the ``ARABPRESS_MAX_PAGES`` cap. Every run is bounded by the caps of
    :mod:`arabpress_crawler.spiders.limits` (pages, time, URL length, query variants, sitemaps, related links).
``max_depth``
    how many "Related Articles" hops to follow: articles listed on the homepage, sections, feed and
    sitemaps are depth 1, their related articles depth 2, and so on.
``since``
    ``YYYY-MM-DD``: skip articles published before that day, judged before fetching from the sitemap
    ``lastmod``, the feed date or the date in the URL, and after fetching from the page itself.
``backfill``
    also walk every section's pagination and every post sitemap (the site's history).
``refresh``, ``refresh_days``
    see :mod:`arabpress_crawler.spiders.incremental`: which stored articles are fetched again.

Stats it keeps (``arabpress/...``): ``articles/requested``, ``articles/refetched``, ``articles/not_modified``,
``pages/not_article``, ``skipped/known`` (distinct stored articles not fetched again), ``skipped/old``,
``skipped/seen``, ``skipped/offsite``, ``skipped/unsafe``, ``skipped/listing``, ``skipped/robots``,
``skipped/max_pages``, ``skipped/max_depth``, ``skipped/too_long``, ``skipped/query_variant``, ``cut/<field>``
(a field cut to its size limit), ``articles/refused/<reason>``, ``sitemaps/entries``, ``known_urls``, and ``errors/<kind>`` for pages
that could not be fetched (``http_404``, ``timeout_error``…), each also logged with its URL.
"""

from __future__ import annotations

import logging
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import scrapy
from lxml.etree import XMLSyntaxError
from scrapy.http import TextResponse
from scrapy.linkextractors import LinkExtractor
from scrapy.utils.sitemap import Sitemap, sitemap_urls_from_robots

from arabpress_crawler import site
from arabpress_crawler.dates import date_from_url, normalize_date
from arabpress_crawler.db import utc_now
from arabpress_crawler.items import UnchangedArticle
from arabpress_crawler.pages.article import ArticlePage
from arabpress_crawler.pages.listing import FeedPage, ListingPage
from arabpress_crawler.policy import DTD_STAT, without_dtd
from arabpress_crawler.spiders import ARTICLES_SPIDER, SITEMAP_LASTMOD_STAT, STAT_PREFIX, known
from arabpress_crawler.spiders.arguments import SpiderArguments, parse_arguments
from arabpress_crawler.spiders.failures import FailureHandling
from arabpress_crawler.spiders.frontier_links import FrontierTracker
from arabpress_crawler.spiders.incremental import DEFAULT_REFRESH_DAYS, RefetchPolicy, Verdict, validator
from arabpress_crawler.spiders.known import load_frontier, load_known_articles, load_sitemap_lastmods
from arabpress_crawler.spiders.limits import CrawlLimits, Limiter, PageBudget
from arabpress_crawler.spiders.links import ArticleLink, RelatedLinks, Source
from arabpress_crawler.spiders.sitemaps import POST_SITEMAP, post_sitemap_number, sitemap_body
from arabpress_crawler.urls import canonicalize_url, is_listing_url, is_same_site

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Iterator
    from typing import Self

    from scrapy.crawler import Crawler
    from scrapy.http import Response

logger = logging.getLogger(__name__)

#: Article pages are fetched before more listing pages, so a bounded crawl spends its budget on articles.
ARTICLE_PRIORITY = 10
#: What earlier runs left to do goes first (see arabpress_crawler.frontier).
FRONTIER_PRIORITY = 20
SITEMAP_PRIORITY = 5
SECTION_LINKS = LinkExtractor(allow=(site.SECTION_PATH,), deny=(site.PAGINATION_PATH,))
SITEMAP_TYPES = frozenset({"sitemapindex", "urlset"})
NOT_MODIFIED = 304


class ArticlesSpider(FailureHandling, RelatedLinks, scrapy.Spider):
    """Crawl Arab Press articles and their related headlines (see the module docstring)."""

    name = ARTICLES_SPIDER

    def __init__(
        self,
        base_url: str | None = None,
        max_pages: str | int | None = None,
        max_depth: str | int | None = None,
        since: str | date | None = None,
        backfill: str | bool = False,
        refresh: str | bool = False,
        refresh_days: str | int = DEFAULT_REFRESH_DAYS,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self._given = {
            "base_url": base_url,
            "max_pages": max_pages,
            "max_depth": max_depth,
            "since": since,
            "backfill": backfill,
            "refresh": refresh,
            "refresh_days": refresh_days,
        }
        self.args: SpiderArguments | None = None
        self.base_url = ""
        self.allowed_domains: list[str] = []
        self.policy = RefetchPolicy({})
        self.requested: set[str] = set()  # canonical URLs of article pages requested in this run
        self.requested_links: set[str] = set()  # links as written that led to those requests (or to one of them)
        self.skipped_known: set[str] = set()  # canonical URLs of stored articles not fetched again
        self.sitemap_lastmods: dict[str, str] = {}  # canonical URL -> lastmod, as the sitemaps list them
        #: Lastmods of articles requested before their sitemap was read: the run record writes them at the end.
        self.late_sitemap_lastmods: dict[str, str] = {}
        self.previous_sitemaps: dict[str, str] = {}  # sub-sitemap URL -> lastmod, as the last finished run saw
        self.page_budget = PageBudget(CrawlLimits.max_pages)  # article pages; a distributed worker's is the run's
        self.listing_budget = PageBudget(CrawlLimits.max_pages)  # pagination pages (backfill); likewise
        self.limiter: Limiter | None = None  # the run's caps, made when the crawler is known
        self.frontier: FrontierTracker | None = None  # what this run keeps for the next one
        self.max_pages = CrawlLimits.max_pages
        # One callback object for every request of a kind: Scrapy remembers its source check of a callback (is it a
        # generator returning a value? the callback's source read and parsed, ~1 ms) only while a callback equal to
        # it lives, so a bound method made per request read it again whenever none of its kind was in flight.
        self._article_callback = self.parse_article
        self._listing_callback = self.parse_listing
        self._sitemap_callback = self.parse_sitemap
        self._errback = self.on_error

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> Self:
        spider = super().from_crawler(crawler, *args, **kwargs)
        given = dict(spider._given)
        given["base_url"] = given["base_url"] or crawler.settings.get("ARABPRESS_BASE_URL")
        spider.args = parse_arguments(given.pop("base_url"), **given)
        spider.base_url = spider.args.base_url
        spider.allowed_domains = [urlsplit(spider.base_url).hostname or ""]
        limits = CrawlLimits.from_settings(crawler.settings)
        spider.limiter = Limiter(limits, crawler)
        spider.frontier = FrontierTracker(crawler)
        spider.max_pages = spider.args.max_pages or limits.max_pages
        spider.page_budget = PageBudget(spider.max_pages)
        spider.listing_budget = PageBudget(spider.max_pages)
        return spider

    # -- start ---------------------------------------------------------------------------------------------

    async def start(self) -> AsyncIterator[Any]:
        self.policy = self._load_policy()
        self._limits.record_time_budget(self.settings.getint("CLOSESPIDER_TIMEOUT"))
        for request in self._earlier_work():
            yield request
        self._kept.flush()
        home = self._site_url(site.HOME_PATH)
        yield scrapy.Request(home, callback=self.parse_home, errback=self.on_error)
        yield scrapy.Request(self._site_url(site.FEED_PATH), callback=self.parse_feed, errback=self.on_error)
        yield scrapy.Request(
            self._site_url(site.ROBOTS_PATH), callback=self.parse_robots, errback=self.on_error
        )

    def _site_url(self, path: str) -> str:
        return self.base_url + path

    def _earlier_work(self) -> Iterator[scrapy.Request]:
        """Requests first: the links earlier runs kept (the frontier), and with ``--refresh`` every stored article."""
        assert self.args is not None
        due = load_frontier(Path(self.settings.get("ARABPRESS_DB") or ""))
        self.crawler.stats.set_value(f"{STAT_PREFIX}/frontier/due", len(due))
        for entry in due:
            self._kept.loaded(entry.url)
            yield from self._follow_article(ArticleLink(entry.link, Source.FRONTIER, entry.depth), FRONTIER_PRIORITY)
        if self.args.refresh:
            for url, state in sorted(self.policy.known.items()):
                if not state.is_alias:
                    yield from self._follow_article(ArticleLink(url, Source.STORED, depth=1), FRONTIER_PRIORITY)

    def _load_policy(self) -> RefetchPolicy:
        assert self.args is not None
        db_path = Path(self.settings.get("ARABPRESS_DB") or "")
        known = load_known_articles(db_path)
        self.crawler.stats.set_value(f"{STAT_PREFIX}/known_urls", len(known))
        self.previous_sitemaps = load_sitemap_lastmods(db_path)
        for url, lastmod in self.previous_sitemaps.items():  # carried forward until a sitemap is read again
            self._record_sitemap(url, lastmod)
        logger.info("%d article URLs (aliases included) already stored in %s", len(known), db_path)
        return RefetchPolicy(known, refresh=self.args.refresh, refresh_days=self.args.refresh_days)

    # -- listing pages, feed, sitemaps (always read) --------------------------------------------------------

    def parse_home(self, response: Response) -> Iterator[scrapy.Request]:
        for link in SECTION_LINKS.extract_links(response):
            if self._on_site(link.url):
                yield response.follow(link.url, callback=self._listing_callback, errback=self._errback)
        yield from self.parse_listing(response)

    def parse_listing(self, response: Response) -> Iterator[scrapy.Request]:
        page = ListingPage(response)
        for url in page.article_urls():
            yield from self._follow_article(ArticleLink(url, Source.LISTING, depth=1))
        self._kept.flush()
        assert self.args is not None
        next_url = page.next_page_url()
        if next_url and self.args.backfill and not self._budget_spent() and self._on_site(next_url):
            if not self.listing_budget.take(next_url):  # pages of known articles only: still bounded
                self._limits.page_cap(self.max_pages)
                return
            yield response.follow(next_url, callback=self._listing_callback, errback=self._errback)

    def parse_feed(self, response: Response) -> Iterator[scrapy.Request]:
        body = self._without_dtd(response.body, response.url)
        feed = FeedPage(response if body is response.body else response.replace(body=body))
        for entry in feed.entries():
            yield from self._follow_article(
                ArticleLink(entry.url, Source.FEED, depth=1, listed_date=entry.published_at)
            )
        self._kept.flush()

    def parse_robots(self, response: Response) -> Iterator[scrapy.Request]:
        for url in sitemap_urls_from_robots(response.body, base_url=response.url):
            if self._on_site(url) and self._limits.sitemap_allowed(url, 1):
                yield scrapy.Request(
                    url, callback=self._sitemap_callback, errback=self._errback, priority=SITEMAP_PRIORITY,
                    meta={"sitemap_depth": 1},
                )

    def parse_sitemap(self, response: Response) -> Iterator[scrapy.Request]:
        body = sitemap_body(response, self.crawler.settings.getint("DOWNLOAD_MAXSIZE"))
        if body is None:
            return
        try:
            sitemap = Sitemap(self._without_dtd(body, response.url))
        except (XMLSyntaxError, StopIteration) as error:  # empty body / no element at all
            logger.warning("not a sitemap, ignored: %s (%r)", response.url, error)
            return
        if sitemap.type not in SITEMAP_TYPES:
            logger.warning("not a sitemap (<%s>), ignored: %s", sitemap.type, response.url)
            return
        entries = self._limits.sitemap_entries(list(sitemap), response.url)
        if sitemap.type == "sitemapindex":
            yield from self._follow_sitemaps(response, entries)
            return
        self.crawler.stats.inc_value(f"{STAT_PREFIX}/sitemaps/entries", len(entries))  # article URLs listed
        index_lastmod = response.meta.get("index_lastmod")
        if index_lastmod:
            self._record_sitemap(response.url, index_lastmod)
        for entry in entries:
            lastmod = entry.get("lastmod") or None
            canonical = canonicalize_url(entry["loc"])
            if lastmod and canonical:
                self.sitemap_lastmods[canonical] = lastmod
                if canonical in self.requested:  # its item may be built already, without this lastmod
                    self.late_sitemap_lastmods[canonical] = lastmod
            yield from self._follow_article(
                ArticleLink(entry["loc"], Source.SITEMAP, depth=1, listed_date=lastmod, lastmod=lastmod)
            )
        self._kept.flush()

    def _without_dtd(self, body: bytes, url: str) -> bytes:
        """A feed or sitemap without its DTD (entities are never expanded); a DTD is counted as a failure."""
        cleaned, had_dtd = without_dtd(body)
        if not had_dtd:
            return body
        self.crawler.stats.inc_value(DTD_STAT)
        logger.warning("%s declares a DTD (entities): ignored, read without it", url)
        return cleaned

    def _follow_sitemaps(self, response: Response, entries: list[dict[str, Any]]) -> Iterator[scrapy.Request]:
        """Sub-sitemaps of an index to read: the news sitemaps, the newest post sitemap, and every older post
        sitemap whose ``<lastmod>`` in the index changed since the last finished run (an edited old post moves
        its sitemap's lastmod, as WordPress/Yoast do) — all post sitemaps in backfill."""
        assert self.args is not None
        lastmods = {
            response.urljoin(entry["loc"]): entry.get("lastmod") or None
            for entry in entries
            if self._on_site(response.urljoin(entry["loc"]))
        }
        post = [url for url in lastmods if POST_SITEMAP.search(url)]
        chosen = [url for url in lastmods if url not in post]
        if post:
            newest = max(post, key=post_sitemap_number)
            for url in post:
                if self.args.backfill or url == newest or self._sitemap_changed(url, lastmods[url]):
                    chosen.append(url)
                elif url not in self.previous_sitemaps and lastmods[url]:
                    self._record_sitemap(url, lastmods[url])  # not read: its lastmod is the baseline
        depth = int(response.meta.get("sitemap_depth", 1)) + 1
        for url in chosen:
            if not self._limits.sitemap_allowed(url, depth):
                continue
            yield scrapy.Request(
                url,
                callback=self._sitemap_callback,
                errback=self._errback,
                priority=SITEMAP_PRIORITY,
                meta={"index_lastmod": lastmods[url], "sitemap_depth": depth},
            )

    def _sitemap_changed(self, url: str, lastmod: str | None) -> bool:
        """Whether a post sitemap changed since the last finished run (unknown ones count as changed only
        when an earlier run recorded others: they are new since then)."""
        if not self.previous_sitemaps:
            return False
        previous = self.previous_sitemaps.get(url)
        return previous is None or lastmod is None or lastmod != previous

    def _record_sitemap(self, url: str, lastmod: str) -> None:
        """Keep a sub-sitemap's index ``<lastmod>`` in this run's stats (the run record), for the next run."""
        self.crawler.stats.set_value(f"{SITEMAP_LASTMOD_STAT}{url}", lastmod)

    # -- articles --------------------------------------------------------------------------------------------

    def _refuse_page(self, canonical: str, reason: str = "not_text") -> None:
        """Count a page fetched as an article that is none: in the stats (by reason) and in the run record."""
        self._inc("pages/not_article")
        self._inc(f"articles/refused/{reason}")
        self._inc("dropped/not_article_page")
        self._kept.drop(canonical, "not an article")
        self._kept.flush()

    def parse_article(self, response: Response) -> Iterator[Any]:
        if self._answered_after_stop(response):
            return
        link: ArticleLink = response.meta["article_link"]
        link_canonical: str = response.meta["canonical_url"]
        if response.status == NOT_MODIFIED:  # its stored related links are followed as if read again
            self._inc("articles/not_modified")
            stored = self.policy.lookup(link_canonical)
            stored_url = stored.url if stored else link_canonical
            logger.debug("not modified since the last fetch: %s", response.url)
            stored_related = known.load_related(Path(self.settings.get("ARABPRESS_DB") or ""), stored_url)
            related = self._follow_related(self._limits.related_links(stored_related, response.url), link.depth + 1)
            self._kept.flush()
            yield UnchangedArticle(url=stored_url, fetched_at=utc_now())
            yield from related
            return
        if not isinstance(response, TextResponse):
            self._refuse_page(link_canonical)
            logger.info("not a text page, nothing stored: %s", response.url)
            return
        page = ArticlePage(response)
        item = page.to_item()
        if item is None:
            self._refuse_page(link_canonical, str(page.refusal))
            logger.info("not an article page (%s), nothing stored: %s", page.not_article_reason, response.url)
            return
        for name in page.cuts.fields:  # a field over its size limit was cut (pages/limits.py)
            self._inc(f"cut/{name}")
        if self._older_than_since(item.published_at):
            self._inc("skipped/old")
            self._kept.drop(link_canonical, "old")
            self._kept.flush()
            logger.debug("published before --since, not stored: %s", response.url)
            return
        item.fetched_url = response.meta.get("redirect_urls", [response.url])[0]
        item.fetched_at = utc_now()
        item.etag = validator(response, b"ETag")
        item.last_modified = validator(response, b"Last-Modified")
        # Not an ArticleItem field (yet): the store keeps it to compare with the next run's sitemap.
        item.sitemap_lastmod = self.sitemap_lastmods.get(item.url) or self.sitemap_lastmods.get(
            link_canonical
        )
        related = self._follow_related(self._limits.related_links(page.related_urls(), response.url), link.depth + 1)
        self._kept.flush()  # the links this page leads to are kept before its article is written
        yield item
        yield from related

    def _follow_article(self, link: ArticleLink, priority: int = ARTICLE_PRIORITY) -> Iterator[scrapy.Request]:
        """A request for ``link`` unless a rule says to skip it (each skip is counted in the stats)."""
        if link.url in self.requested_links:  # the same link again (related lists repeat): decided already
            self._inc("skipped/seen")
            return
        canonical = self._article_canonical(link.url)
        if canonical is None:
            return
        if canonical in self.requested:
            self.requested_links.add(link.url)  # decided for good: next time, the first test answers
            self._inc("skipped/seen")
            return
        if not self._limits.variant_allowed(canonical):
            self._inc("skipped/query_variant")
            return
        if self._older_than_since(link.listed_date or date_from_url(canonical)):
            self._inc("skipped/old")
            return
        decision = self.policy.decide(canonical, link.lastmod)
        if not decision.fetch:
            # Not marked as seen: a later link (a sitemap entry with a newer lastmod) may still fetch it.
            if canonical not in self.skipped_known:
                self.skipped_known.add(canonical)
                self._inc("skipped/known")
            return
        if not self._within_bounds(link, canonical):
            if self._budget_spent():  # cut by the page cap: the next run starts with it
                self._kept.keep(canonical, link.url, link.source.value, link.depth)
            return
        if decision.verdict is Verdict.NEW and link.source is Source.RELATED:  # not found again by listings
            self._kept.keep(canonical, link.url, link.source.value, link.depth)
        self.requested.add(canonical)
        self.requested_links.add(link.url)
        self._inc("articles/requested")
        meta: dict[str, Any] = {"article_link": link, "canonical_url": canonical}
        if decision.verdict is Verdict.REFETCH:
            self._inc("articles/refetched")
            meta["handle_httpstatus_list"] = [NOT_MODIFIED]
        yield scrapy.Request(
            link.url,
            callback=self._article_callback,
            errback=self._errback,
            headers=decision.conditional_headers(),
            meta=meta,
            priority=priority,
        )

    def _article_canonical(self, url: str) -> str | None:
        """The canonical URL of an on-site article link, or ``None`` (counted) for links not to follow."""
        if self._limits.url_too_long(url):
            self._inc("skipped/too_long")
            return None
        canonical = canonicalize_url(url)
        if canonical is None:
            self._inc("skipped/unsafe")
            logger.debug("not a web page link, not followed: %.200s", url)
            return None
        if not self._on_site(canonical):
            self._inc("skipped/offsite")
            return None
        if is_listing_url(canonical):
            self._inc("skipped/listing")
            return None
        return canonical

    def _within_bounds(self, link: ArticleLink, canonical: str) -> bool:
        assert self.args is not None
        if self.args.max_depth is not None and link.depth > self.args.max_depth:
            self._inc("skipped/max_depth")
            return False
        if not self.page_budget.take(canonical):
            self._inc("skipped/max_pages")
            self._limits.page_cap(self.max_pages)
            return False
        return True

    def _budget_spent(self) -> bool:
        assert self.args is not None
        return self.page_budget.spent()

    def _older_than_since(self, value: str | None) -> bool:
        assert self.args is not None
        if self.args.since is None:
            return False
        day = normalize_date(value) if value else None
        return day is not None and date.fromisoformat(day[:10]) < self.args.since

    @property
    def _kept(self) -> FrontierTracker:
        assert self.frontier is not None, "the spider was not made by from_crawler"
        return self.frontier

    def closed(self, reason: str) -> None:
        self._kept.flush()

    @property
    def _limits(self) -> Limiter:
        assert self.limiter is not None, "the spider was not made by from_crawler"
        return self.limiter

    def _on_site(self, url: str) -> bool:
        return is_same_site(url, self.base_url)

    def _inc(self, key: str) -> None:
        self.crawler.stats.inc_value(f"{STAT_PREFIX}/{key}")
