"""The archive's Scrapy components on their own: which responses are archived, what the items get."""

from __future__ import annotations

import gzip
from pathlib import Path

import click
import pytest
from scrapy.exceptions import NotConfigured
from scrapy.http import HtmlResponse, Request, Response
from scrapy.utils.test import get_crawler

from arabpress_crawler.archive.capture import (
    RECORD_META_KEY,
    ArchiveMiddleware,
    ArchiveRecordMiddleware,
    exchange_of,
)
from arabpress_crawler.archive.reader import read_response
from arabpress_crawler.cli.crawl import archive_settings
from arabpress_crawler.items import ArticleItem

ARTICLE = "https://arab.press/2025/01/05/story/"
PAGE = b"<html><body><p>story</p></body></html>"


def middleware(tmp_path: Path, **settings: object) -> ArchiveMiddleware:
    crawler = get_crawler(settings_dict={"ARABPRESS_DB": str(tmp_path / "news.db"), **settings})
    result = ArchiveMiddleware.from_crawler(crawler)
    result.spider_opened()
    return result


def response(url: str, request: Request, *, status: int = 200) -> Response:
    body = gzip.compress(PAGE)
    headers = {"Content-Type": "text/html; charset=utf-8", "Content-Encoding": "gzip",
               "Transfer-Encoding": "chunked"}  # fmt: skip
    return Response(url, status=status, headers=headers, body=body, request=request)


def article_request() -> Request:
    return Request(ARTICLE, meta={"article_link": object()}, headers={"Accept-Encoding": "gzip"})


def test_article_responses_are_archived_as_sent(tmp_path: Path) -> None:
    archive = middleware(tmp_path)
    request = article_request()
    archive.process_response(request, response(ARTICLE, request))
    archive.spider_closed()
    record = request.meta[RECORD_META_KEY]
    assert record.file.startswith("archive/news-")
    archived = read_response(record, tmp_path)
    assert archived.body == PAGE
    assert archived.header("Content-Encoding") == "gzip"
    assert archived.header("Transfer-Encoding") is None, "the client already removed the chunked coding"


def test_listings_errors_and_304s_are_not_archived_by_default(tmp_path: Path) -> None:
    archive = middleware(tmp_path)
    listing = Request("https://arab.press/category/news/")
    archive.process_response(listing, response(listing.url, listing))
    for status in (304, 404, 503):
        request = article_request()
        archive.process_response(request, response(ARTICLE, request, status=status))
        assert RECORD_META_KEY not in request.meta
    assert RECORD_META_KEY not in listing.meta
    archive.spider_closed()


def test_archive_all_keeps_listings_too(tmp_path: Path) -> None:
    archive = middleware(tmp_path, ARABPRESS_ARCHIVE_PAGES="all")
    listing = Request("https://arab.press/category/news/")
    archive.process_response(listing, response(listing.url, listing))
    archive.spider_closed()
    assert RECORD_META_KEY in listing.meta


def test_the_archive_can_be_turned_off(tmp_path: Path) -> None:
    crawler = get_crawler(settings_dict={"ARABPRESS_DB": str(tmp_path / "n.db"), "ARABPRESS_ARCHIVE": False})
    with pytest.raises(NotConfigured):
        ArchiveMiddleware.from_crawler(crawler)
    assert archive_settings(no_archive=True, archive_all=False) == {"ARABPRESS_ARCHIVE": False}
    with pytest.raises(click.UsageError):
        archive_settings(no_archive=True, archive_all=True)


def test_items_point_at_the_record_of_their_response(tmp_path: Path) -> None:
    archive = middleware(tmp_path)
    request = article_request()
    archive.process_response(request, response(ARTICLE, request))
    archive.spider_closed()
    page = HtmlResponse(ARTICLE, body=PAGE, request=request, encoding="utf-8")
    item = ArticleItem(url=ARTICLE)
    output = list(ArchiveRecordMiddleware().process_spider_output(page, [item, request]))
    assert output[0].archive == request.meta[RECORD_META_KEY]
    assert output[1] is request


def test_the_request_record_names_the_host(tmp_path: Path) -> None:
    request = Request(ARTICLE + "?page=2")
    exchange = exchange_of(request, response(request.url, request))
    assert exchange.request_target == "/2025/01/05/story/?page=2"
    assert ("Host", "arab.press") in exchange.request_headers
