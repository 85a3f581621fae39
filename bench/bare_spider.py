"""The bare Scrapy spider the full crawl is compared with: same pages, same links, no extraction, no storage.

It starts where the ``articles`` spider starts (homepage, section pages, feed, ``robots.txt`` → sitemap
index → the news sitemap and the newest post sitemap), follows the same article links (listing pages, feed
entries, sitemap entries, each article's "Related Articles" links), deduplicates them on the canonical URL
as the full spider does, and does nothing with an article page beyond finding those links: no page object,
no items, no pipelines. Links are found with Scrapy's own ``LinkExtractor`` and ``Sitemap``.

It runs with the project's settings and the mirror profile, as ``arabpress crawl --mirror-profile`` does,
with the item pipelines off (it yields no items anyway). Run it in its own process::

    python -m bench.bare_spider --base-url http://127.0.0.1:8765 --stats-out bench/out/bare.json
"""

from __future__ import annotations

import argparse
import json
import logging
import re
from collections.abc import AsyncIterator, Iterator
from logging.handlers import RotatingFileHandler
from pathlib import Path
from typing import Any

import scrapy
from scrapy.crawler import CrawlerProcess
from scrapy.http import Response
from scrapy.linkextractors import LinkExtractor
from scrapy.settings import Settings
from scrapy.utils.sitemap import Sitemap, sitemap_urls_from_robots

from arabpress_crawler.profiles import PROFILE_SETTING
from arabpress_crawler.urls import canonicalize_url

logger = logging.getLogger(__name__)

BARE_SPIDER = "bare"
MIRROR_PROFILE = "mirror"
#: Date permalinks of articles (and their AMP copies, which canonicalise to the article).
ARTICLE_LINKS = LinkExtractor(allow=(r"/\d{4}/\d{2}/\d{2}/[^/]+/(?:amp/)?$",))
RELATED_LINKS = LinkExtractor(
    allow=(r"/\d{4}/\d{2}/\d{2}/[^/]+/(?:amp/)?$",), restrict_css=("section.related-articles",)
)
SECTION_LINKS = LinkExtractor(allow=(r"/category/[^/]+/$",), deny=(r"/page/\d+/",))
POST_SITEMAP = re.compile(r"/post-sitemap(?P<number>\d*)\.xml$")
#: The full spider puts articles before more listing pages; the bare one does the same.
ARTICLE_PRIORITY = 10
SITEMAP_PRIORITY = 5
LOG_FORMAT = "%(asctime)s [%(name)s] %(levelname)s: %(message)s"
LOG_MAX_BYTES = 5 * 1024 * 1024


class BareSpider(scrapy.Spider):
    """Fetch the site's article pages by following links only (see the module docstring)."""

    name = BARE_SPIDER

    def __init__(self, base_url: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.base_url = base_url.rstrip("/")
        self.requested: set[str] = set()

    async def start(self) -> AsyncIterator[scrapy.Request]:
        yield scrapy.Request(self.base_url + "/", callback=self.parse_home)
        yield scrapy.Request(self.base_url + "/feed/", callback=self.parse_feed)
        yield scrapy.Request(self.base_url + "/robots.txt", callback=self.parse_robots)

    def parse_home(self, response: Response) -> Iterator[scrapy.Request]:
        for link in SECTION_LINKS.extract_links(response):
            yield response.follow(link.url, callback=self.parse_listing)
        yield from self.parse_listing(response)

    def parse_listing(self, response: Response) -> Iterator[scrapy.Request]:
        for link in ARTICLE_LINKS.extract_links(response):
            yield from self.follow_article(link.url)

    def parse_feed(self, response: Response) -> Iterator[scrapy.Request]:
        for url in response.xpath("//item/link/text()").getall():
            yield from self.follow_article(url.strip())

    def parse_robots(self, response: Response) -> Iterator[scrapy.Request]:
        for url in sitemap_urls_from_robots(response.body, base_url=response.url):
            yield scrapy.Request(url, callback=self.parse_sitemap, priority=SITEMAP_PRIORITY)

    def parse_sitemap(self, response: Response) -> Iterator[scrapy.Request]:
        sitemap = Sitemap(response.body)
        if sitemap.type == "sitemapindex":
            urls = [entry["loc"] for entry in sitemap]
            posts = [url for url in urls if POST_SITEMAP.search(url)]
            chosen = [url for url in urls if url not in posts]
            if posts:
                chosen.append(max(posts, key=_post_sitemap_number))
            for url in chosen:
                yield response.follow(url, callback=self.parse_sitemap, priority=SITEMAP_PRIORITY)
            return
        for entry in sitemap:
            yield from self.follow_article(entry["loc"])

    def parse_article(self, response: Response) -> Iterator[scrapy.Request]:
        for link in RELATED_LINKS.extract_links(response):
            yield from self.follow_article(link.url)

    def follow_article(self, url: str) -> Iterator[scrapy.Request]:
        canonical = canonicalize_url(url)
        if canonical is None or canonical in self.requested:
            return
        self.requested.add(canonical)
        self.crawler.stats.inc_value("bare/articles/requested")
        yield scrapy.Request(url, callback=self.parse_article, priority=ARTICLE_PRIORITY)


def _post_sitemap_number(url: str) -> int:
    match = POST_SITEMAP.search(url)
    return int(match["number"] or 1) if match else 0


def bare_settings(extra: dict[str, Any] | None = None) -> Settings:
    """The project's settings with the mirror profile, as ``arabpress crawl --mirror-profile`` builds them."""
    settings = Settings()
    settings.setmodule("arabpress_crawler.settings", priority="project")
    settings.set(PROFILE_SETTING, MIRROR_PROFILE, priority="cmdline")
    settings.set("ITEM_PIPELINES", {}, priority="cmdline")
    settings.set("LOG_INSTALL_ROOT_HANDLER", False, priority="cmdline")
    settings.setdict(extra or {}, priority="cmdline")
    return settings


def run(base_url: str, log_file: Path | None = None, extra: dict[str, Any] | None = None) -> dict[str, Any]:
    """Crawl ``base_url`` with the bare spider; the crawl's stats. Once per process (Twisted's reactor)."""
    settings = bare_settings(extra)
    root = logging.getLogger()
    handler: logging.Handler = logging.NullHandler()
    if log_file is not None:  # a rotated log file, as `arabpress crawl` keeps
        log_file.parent.mkdir(parents=True, exist_ok=True)
        handler = RotatingFileHandler(log_file, maxBytes=LOG_MAX_BYTES, backupCount=1, encoding="utf-8")
        handler.setLevel(settings.get("LOG_LEVEL"))
        handler.setFormatter(logging.Formatter(LOG_FORMAT))
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    try:
        process = CrawlerProcess(settings)
        crawler = process.create_crawler(BareSpider)
        process.crawl(crawler, base_url=base_url)
        process.start()
    finally:
        root.removeHandler(handler)
        handler.close()
    return dict(crawler.stats.get_stats())


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="The bare Scrapy spider of the benchmark (see bench/bare_spider.py).")
    parser.add_argument("--base-url", required=True, help="site to crawl, e.g. http://127.0.0.1:8765")
    parser.add_argument("--stats-out", type=Path, required=True, help="JSON file for the crawl's stats")
    parser.add_argument("--log-file", type=Path, help="Scrapy's log (default: none)")
    args = parser.parse_args(argv)
    stats = run(args.base_url, args.log_file)
    args.stats_out.parent.mkdir(parents=True, exist_ok=True)
    args.stats_out.write_text(json.dumps(stats, default=str, indent=1), encoding="utf-8")
    logger.info("bare crawl of %s: %s pages", args.base_url, stats.get("response_received_count"))


if __name__ == "__main__":
    main()
