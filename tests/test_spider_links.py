"""Following a page's related links in one go: the same requests and the same ``skipped/seen`` count as link by
link."""

from __future__ import annotations

import gc
from pathlib import Path

import pytest
from scrapy.http import HtmlResponse, TextResponse
from scrapy.utils.misc import _generator_callbacks_cache, is_generator_with_return_value
from scrapy.utils.test import get_crawler

from arabpress_crawler.spiders.articles import ArticlesSpider
from arabpress_crawler.spiders.links import ArticleLink, Source

A = "https://arab.press/2025/01/05/a/"
B = "https://arab.press/2025/01/06/b/"
C = "https://arab.press/2025/01/07/c/"


@pytest.fixture
def spider(tmp_path: Path) -> ArticlesSpider:
    crawler = get_crawler(ArticlesSpider, {"ARABPRESS_DB": str(tmp_path / "a.db")})
    spider = ArticlesSpider.from_crawler(crawler, base_url="https://arab.press")
    crawler.stats.open_spider()
    return spider


def test_related_links_decided_already_are_counted_as_seen_and_the_rest_requested_in_page_order(
    spider: ArticlesSpider,
) -> None:
    assert list(spider._follow_article(ArticleLink(A, Source.LISTING, depth=1)))  # requested from a listing

    requests = spider._follow_related([A, B, B, C, f"{C}?utm_source=related", f"{A}#comments"], depth=2)

    assert [request.url for request in requests] == [B, C]
    assert {(request.meta["article_link"].source, request.meta["article_link"].depth) for request in requests} == {
        (Source.RELATED, 2)
    }
    # A and the second B as written before, C's tracking copy and A's fragment by their canonical URL.
    assert spider.crawler.stats.get_value("arabpress/skipped/seen") == 4
    assert spider.crawler.stats.get_value("arabpress/articles/requested") == 3


def test_article_requests_share_one_callback_so_scrapy_checks_its_source_once(spider: ArticlesSpider) -> None:
    [first] = spider._follow_article(ArticleLink(A, Source.LISTING, depth=1))
    assert first.callback is not None and not is_generator_with_return_value(first.callback)
    del first
    gc.collect()  # the first request is done with: Scrapy's cache is weak, keyed by the callback object
    [second] = spider._follow_article(ArticleLink(B, Source.LISTING, depth=1))
    assert second.callback in _generator_callbacks_cache, "the check is not made again for each request"


def test_listing_and_sitemap_requests_share_one_callback_each_so_scrapy_checks_their_source_once(
    spider: ArticlesSpider,
) -> None:
    robots = TextResponse(
        "https://arab.press/robots.txt", body=b"Sitemap: https://arab.press/sitemap_index.xml\n", encoding="utf-8"
    )
    home = HtmlResponse(
        "https://arab.press/", body=b'<html><body><a href="/category/world/">World</a></body></html>', encoding="utf-8"
    )
    for name, requests_of in (
        ("parse_sitemap", lambda: list(spider.parse_robots(robots))),
        ("parse_listing", lambda: list(spider.parse_home(home))),
    ):
        [first] = requests_of()
        assert first.callback == getattr(spider, name)
        assert not is_generator_with_return_value(first.callback)
        del first
        gc.collect()  # no request of this kind left: Scrapy's cache is weak, keyed by the callback object
        [second] = requests_of()
        assert second.callback in _generator_callbacks_cache, f"{name}: the check is made again for each request"
