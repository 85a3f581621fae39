"""Extracting a page leaves no reference cycle behind: the page's lxml tree goes when the page object goes.

A cycle (Scrapy caches ``response.selector`` on the response, and the selector keeps the response) would keep
every page's tree alive until a full garbage collection: over a crawl, the trees pile up and the collector's
full passes over them dominated the crawl's CPU (see docs/benchmarks.md).
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from pathlib import Path

import pytest
from lxml import etree
from scrapy.http import HtmlResponse, TextResponse, XmlResponse

from arabpress_crawler.extensions import FewerYoungCollections, FreezeStartupObjects
from arabpress_crawler.pages.article import ArticlePage
from arabpress_crawler.pages.common import parsed_root
from arabpress_crawler.pages.snapshot import load_case

FIXTURES = Path(__file__).parent / "fixtures"
CASES = sorted(path.parent.name for path in FIXTURES.glob("*/meta.json"))


@pytest.fixture
def saving_garbage() -> Iterator[list[object]]:
    """``gc.garbage`` collecting every unreachable object of the test (collector otherwise off)."""
    gc.collect()
    gc.disable()
    gc.set_debug(gc.DEBUG_SAVEALL)
    try:
        yield gc.garbage
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
        gc.enable()


def _extract(case: str) -> None:
    _meta, response = load_case(FIXTURES / case)
    page = ArticlePage(response)
    page.to_item()
    page.related_urls()


@pytest.mark.parametrize("case", CASES)
def test_extraction_leaves_no_cycle_holding_the_page(case: str, saving_garbage: list[object]) -> None:
    _extract(case)
    gc.collect()
    kinds = {type(thing) for thing in saving_garbage}
    assert HtmlResponse not in kinds and etree._Document not in kinds, (
        f"{case}: the response or its parsed tree was left in a reference cycle"
    )


def test_the_selector_cycle_is_what_the_test_would_catch(saving_garbage: list[object]) -> None:
    """The check above can fail: Scrapy's own cached selector makes exactly such a cycle."""
    _meta, response = load_case(FIXTURES / CASES[0])
    response.selector.root  # noqa: B018 — caches the selector on the response
    del response
    gc.collect()
    assert HtmlResponse in {type(thing) for thing in saving_garbage}


@pytest.mark.parametrize("case", CASES)
def test_parsed_root_is_the_document_scrapy_would_parse(case: str) -> None:
    _meta, response = load_case(FIXTURES / case)
    ours = parsed_root(response)
    theirs = response.selector.root
    assert etree.tostring(ours) == etree.tostring(theirs)
    assert ours.getroottree().docinfo.URL == theirs.getroottree().docinfo.URL


def test_parsed_root_keeps_the_document_type_of_the_response() -> None:
    xml = XmlResponse("https://example.com/feed/", body=b"<rss><channel><title>t</title></channel></rss>")
    assert parsed_root(xml).tag == "rss"
    text = TextResponse("https://example.com/x", body=b"<p>hello</p>", encoding="utf-8")
    assert etree.tostring(parsed_root(text)) == etree.tostring(text.selector.root)


def test_freeze_extension_freezes_at_open_and_unfreezes_at_close() -> None:
    extension = FreezeStartupObjects()
    try:
        extension.spider_opened()
        # Frozen objects can still be freed (their count then drops), so compare loosely.
        assert extension.frozen > 0 and 0 < gc.get_freeze_count() <= extension.frozen
    finally:
        extension.spider_closed()
    assert gc.get_freeze_count() == 0


def test_freeze_extension_is_on_by_default_and_can_be_turned_off() -> None:
    from scrapy.exceptions import NotConfigured
    from scrapy.utils.test import get_crawler

    from arabpress_crawler.spiders.articles import ArticlesSpider

    assert isinstance(FreezeStartupObjects.from_crawler(get_crawler(ArticlesSpider)), FreezeStartupObjects)
    with pytest.raises(NotConfigured):
        FreezeStartupObjects.from_crawler(get_crawler(ArticlesSpider, {"ARABPRESS_GC_FREEZE": False}))


def test_young_collections_are_rarer_while_the_spider_runs_and_as_before_after() -> None:
    from scrapy.exceptions import NotConfigured
    from scrapy.utils.test import get_crawler

    from arabpress_crawler.spiders.articles import ArticlesSpider

    before = gc.get_threshold()
    extension = FewerYoungCollections.from_crawler(get_crawler(ArticlesSpider))
    try:
        extension.spider_opened()
        assert gc.get_threshold() == (max(10_000, before[0]), *before[1:])
    finally:
        extension.spider_closed()
    assert gc.get_threshold() == before
    with pytest.raises(NotConfigured):
        FewerYoungCollections.from_crawler(get_crawler(ArticlesSpider, {"ARABPRESS_GC_YOUNG_THRESHOLD": 0}))
