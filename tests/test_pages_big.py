"""Huge and hostile pages: extraction stays linear in the page's size and every field stays bounded.

Work is counted, never timed: :func:`line_events` counts the Python lines executed inside the package while a
function runs (a loop over every link for every link shows up as a hundredfold growth for a tenfold page).
The seconds and megabytes of a 100,000-link page are measured by ``bench/big_page.py``.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable
from pathlib import Path
from types import FrameType
from typing import Any

import pytest
from scrapy.http import HtmlResponse

from arabpress_crawler.pages import dating, generic, regions, structure
from arabpress_crawler.pages.article import ArticlePage
from arabpress_crawler.pages.header import byline_elements
from arabpress_crawler.pages.limits import MAX_FIELD_CHARS, MAX_RELATED_LINKS
from arabpress_crawler.pages.related import RelatedFinder
from bench.big_page import GENERIC_URL, URL, generic_page, json_ld_article_body, site_page

PACKAGE = str(Path(regions.__file__).resolve().parent.parent)
#: A tenfold page may cost at most this many times the work (linear: about 10; quadratic: about 100).
MAX_GROWTH = 15


def line_events(function: Callable[[], Any]) -> int:
    """How many lines of :mod:`arabpress_crawler` code run while ``function`` runs."""
    count = 0

    def local(frame: FrameType, event: str, arg: Any) -> Any:
        nonlocal count
        if event == "line":
            count += 1
        return local

    def global_(frame: FrameType, event: str, arg: Any) -> Any:
        return local if frame.f_code.co_filename.startswith(PACKAGE) else None

    sys.settrace(global_)
    try:
        function()
    finally:
        sys.settrace(None)
    return count


def _page(body: bytes, url: str = GENERIC_URL) -> HtmlResponse:
    return HtmlResponse(url, body=body, encoding="utf-8")


def test_a_100000_link_related_list_is_read_in_page_order_and_cut_at_the_limit() -> None:
    page = ArticlePage(_page(site_page(100_000), URL))
    item = page.to_item()
    assert item is not None
    assert len(item.related) == MAX_RELATED_LINKS
    # The template's list: the 100,000 added links come first, in page order.
    assert [h.position for h in item.related] == list(range(1, MAX_RELATED_LINKS + 1))
    assert item.related[0].url == "https://arab.press/2024/01/01/s-0/"
    assert item.related[-1].title == f"Story {MAX_RELATED_LINKS - 1}"
    assert item.related[-1].url == f"https://arab.press/2024/01/01/s-{MAX_RELATED_LINKS - 1}/"
    assert page.cuts.entries.get("related", 0) >= 1
    assert "related" in page.cuts.fields
    assert item.body and item.title  # the rest of the page is read as before


def test_the_generic_related_list_finder_does_linear_work() -> None:
    def finder_work(links: int) -> int:
        response = _page(generic_page(links))
        page = ArticlePage(response)
        finder = RelatedFinder(page.root, page.url, page.regions)
        found: list[Any] = []
        work = line_events(lambda: found.extend(finder.headlines()))
        assert [h.url for h in found[:2]] == [
            "https://news.example/2024/01/01/story-0/",
            "https://news.example/2024/01/01/story-1/",
        ]
        assert len(found) == links
        return work

    small, large = finder_work(90), finder_work(900)  # under the related-list limit: every link is read
    assert large <= MAX_GROWTH * small, (small, large)


def test_byline_finding_does_linear_work() -> None:
    def byline_work(count: int) -> int:
        bylines = "".join(
            f'<span class="byline"><span class="author">Writer {i}</span></span>' for i in range(count)
        )
        body = (
            f"<html><body><article><h1>A headline long enough</h1><div>{bylines}</div>"
            + "<p>"
            + "Running text of the article body, long enough to be a paragraph. " * 2
            + "</p>" * 1
            + "<p>"
            + "Another paragraph of running text, long enough to be a paragraph. " * 2
            + "</p>"
            + "</article></body></html>"
        ).encode()
        page = ArticlePage(_page(body))
        page_regions = page.regions
        assert page_regions.header  # computed before counting: the header is shared with other fields
        found: list[Any] = []
        work = line_events(lambda: found.extend(byline_elements(page_regions)))
        assert len(found) == count  # the outer spans only, not the author spans inside them
        return work

    small, large = byline_work(300), byline_work(3_000)
    assert large <= MAX_GROWTH * small, (small, large)


def test_text_fields_over_their_limit_are_cut_and_reported() -> None:
    title = "Headline " * 400
    paragraphs = "".join(
        f"<p>Paragraph {i}: " + "a sentence of running text that goes on and on. " * 20 + "</p>"
        for i in range(2_200)
    )
    body = (
        f'<html lang="en"><head><title>{title}</title><meta property="og:type" content="article">'
        f'<meta property="og:title" content="{title}"></head><body><article><h1>{title}</h1>'
        + paragraphs
        + "</article></body></html>"
    ).encode()
    page = ArticlePage(_page(body))
    item = page.to_item()
    assert item is not None
    assert item.title and len(item.title) <= MAX_FIELD_CHARS["title"]
    assert item.title.startswith("Headline Headline")
    assert item.body and len(item.body) <= MAX_FIELD_CHARS["body"]
    assert {"title", "body"} <= set(page.cuts.chars)
    assert page.cuts.chars["title"] == len(title.strip()) - len(item.title)


def test_a_huge_json_ld_article_body_does_not_replace_the_visible_text() -> None:
    body = generic_page(5, article_body_bytes=3_000_000)
    item = ArticlePage(_page(body)).to_item()
    assert item is not None and item.body
    assert item.body.startswith("Running text of the article body")
    assert "word word word" not in item.body
    assert len(item.body) < 5_000


def test_a_page_whose_only_date_is_the_masthead_gets_none_and_a_warning(
    caplog: pytest.LogCaptureFixture,
) -> None:
    body = (
        '<html lang="ar" dir="rtl"><head><title>خبر عن مهرجان الشعر في المدينة</title></head><body>'
        '<div><span>السبت ٨ تشرين الثاني ٢٠٢٥</span><a href="https://news.example/">الموقع</a></div>'
        "<div><h1>خبر عن مهرجان الشعر في المدينة</h1>"
        + "<p>"
        + "يعود مهرجان الشعر الشعبي إلى المدينة بعد غياب طويل بمشاركة شعراء من بلدان عدة. " * 2
        + "</p>"
        + "<p>"
        + "وتقام الأمسيات في المدرج القديم والدخول مجاني للجمهور طوال أيام المهرجان كلها. " * 2
        + "</p>"
        + "<p>"
        + "ويتضمن البرنامج ندوة عن الزجل والعتابا ومعرضاً لدواوين الشعراء الراحلين. " * 2
        + "</p>"
        + "</div></body></html>"
    ).encode()
    with caplog.at_level(logging.WARNING, logger="arabpress_crawler.pages.dating"):
        item = ArticlePage(_page(body, "https://news.example/culture/poetry-festival/")).to_item()
    assert item is not None
    assert item.published_at is None
    warnings = [r.getMessage() for r in caplog.records if r.name == "arabpress_crawler.pages.dating"]
    assert warnings and "masthead" in warnings[0] and "poetry-festival" in warnings[0]


def test_a_json_ld_article_body_script_is_built_as_the_bench_builds_it() -> None:
    assert json_ld_article_body(100).startswith(b'<script type="application/ld+json">')


def test_chrome_and_running_text_are_defined_once() -> None:
    assert regions.CHROME is structure.CHROME is dating.CHROME
    assert regions.RUNNING_TEXT_CHARS == structure.RUNNING_TEXT_CHARS == generic.RUNNING_TEXT_CHARS
    assert "RUNNING_TEXT_CHARS = " not in Path(regions.__file__).read_text(encoding="utf-8")
    assert "RUNNING_TEXT_CHARS = " not in Path(generic.__file__).read_text(encoding="utf-8")


def test_the_spider_counts_each_cut_field_in_its_stats(tmp_path: Path) -> None:
    from scrapy import Request
    from scrapy.utils.test import get_crawler

    from arabpress_crawler.spiders.articles import ArticleLink, ArticlesSpider, Source

    crawler = get_crawler(ArticlesSpider, {"ARABPRESS_DB": str(tmp_path / "a.db")})
    spider = ArticlesSpider.from_crawler(crawler, base_url="https://arab.press")
    crawler.stats.open_spider()
    link = ArticleLink(URL, Source.LISTING, depth=1)
    request = Request(URL, meta={"article_link": link, "canonical_url": URL})
    response = HtmlResponse(URL, body=site_page(2_000), encoding="utf-8", request=request)
    items = [output for output in spider.parse_article(response) if not isinstance(output, Request)]
    assert len(items) == 1 and len(items[0].related) == MAX_RELATED_LINKS
    assert crawler.stats.get_value("arabpress/cut/related") == 1
