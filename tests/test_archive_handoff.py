"""The web archive written by the writer process: the crawler hands over captures, the writer writes them before
the rows that point at them (``arabpress_crawler.archive.handoff``)."""

from __future__ import annotations

import pickle
import sqlite3
from pathlib import Path

from scrapy.http import HtmlResponse, Request
from scrapy.settings import Settings
from scrapy.utils.test import get_crawler
from test_archive_capture import ARTICLE, PAGE, article_request, response
from warcio.archiveiterator import ArchiveIterator

from arabpress_crawler.archive import handoff
from arabpress_crawler.archive.capture import (
    RECORD_META_KEY,
    ArchiveMiddleware,
    ArchiveRecordMiddleware,
    exchange_of,
)
from arabpress_crawler.archive.reader import read_response
from arabpress_crawler.db.archive import record_of
from arabpress_crawler.items import ArticleItem, PendingArchiveRecord
from arabpress_crawler.writer import ARCHIVE_IN_WRITER_SETTING, WRITER_SETTING
from arabpress_crawler.writer.addon import WriterAddon
from arabpress_crawler.writer.protocol import Batch
from arabpress_crawler.writer.server import Writer

BODY = " ".join(f"The council met on day {n} to discuss the harbour, the budget and the new rail link." for n in range(12))


class Sink:
    """What the writer's pipeline offers the archive middleware."""

    def __init__(self) -> None:
        self.captures: list[handoff.Capture] = []
        self.archive_config: handoff.ArchiveConfig | None = None

    def hand(self, capture: handoff.Capture) -> None:
        self.captures.append(capture)


def handing_middleware(tmp_path: Path, sink: Sink, **settings: object) -> ArchiveMiddleware:
    values = {"ARABPRESS_DB": str(tmp_path / "news.db"), ARCHIVE_IN_WRITER_SETTING: True, **settings}
    crawler = get_crawler(settings_dict=values)
    archive = ArchiveMiddleware.from_crawler(crawler)
    crawler.signals.send_catch_log(signal=handoff.ARCHIVE_SINK, sink=sink)
    archive.spider_opened()
    return archive


def article(request: Request) -> ArticleItem:
    page = HtmlResponse(ARTICLE, body=PAGE, request=request, encoding="utf-8")
    item = ArticleItem(url=ARTICLE, title="The council meets", body=BODY, language="en", fetched_url=ARTICLE)
    [output] = ArchiveRecordMiddleware().process_spider_output(page, [item])
    return output


def stored_rows(db: Path) -> list[dict]:
    conn = sqlite3.connect(db)
    conn.row_factory = sqlite3.Row
    try:
        return [dict(row) for row in conn.execute("SELECT * FROM articles")]
    finally:
        conn.close()


def test_with_a_writer_the_middleware_hands_over_captures_and_writes_nothing(tmp_path: Path) -> None:
    sink = Sink()
    archive = handing_middleware(tmp_path, sink)
    request = article_request()
    archive.process_response(request, response(ARTICLE, request))
    listing = Request("https://arab.press/category/news/")
    archive.process_response(listing, response(listing.url, listing))
    archive.spider_closed()
    [capture] = sink.captures  # the listing is not archived (articles only)
    assert isinstance(request.meta[RECORD_META_KEY], PendingArchiveRecord)
    assert request.meta[RECORD_META_KEY].token == capture.token
    assert article(request).archive == request.meta[RECORD_META_KEY]
    assert sink.archive_config == archive.config
    assert not (tmp_path / "archive").exists(), "the crawler wrote no file"
    assert pickle.loads(pickle.dumps(capture)) == capture


def test_a_capture_gives_the_records_the_crawler_would_write(tmp_path: Path) -> None:
    request = article_request()
    served = response(ARTICLE, request)
    capture = handoff.capture_of(request, served, token=7)
    in_crawler = exchange_of(request, served)
    handed = handoff.exchange_from(pickle.loads(pickle.dumps(capture)))
    assert handed == in_crawler.__class__(**{**in_crawler.__dict__, "warc_date": handed.warc_date})


def test_the_writer_writes_each_capture_before_the_row_that_points_at_it(tmp_path: Path) -> None:
    sink = Sink()
    archive = handing_middleware(tmp_path, sink, ARABPRESS_ARCHIVE_PAGES="all")
    request, listing = article_request(), Request("https://arab.press/category/news/")
    archive.process_response(request, response(ARTICLE, request))
    archive.process_response(listing, response(listing.url, listing))
    item = article(request)
    db = tmp_path / "news.db"
    writer = Writer(str(db))
    writer.open()
    try:
        # The article's capture in one batch, the item (and a capture no item claims) in the next.
        first = writer.handle(Batch(1, None, [sink.captures[0]], raw=True, archive=sink.archive_config))
        second = writer.handle(Batch(2, None, [sink.captures[1], item], raw=True, archive=sink.archive_config))
    finally:
        writer.close()
    assert first.error is None and second.error is None
    assert first.stats["arabpress/archive/records"] == 1 and first.stats["arabpress/archive/files"] == 1
    assert second.stats["arabpress/archive/records"] == 1, "a capture no item claims is archived all the same"
    [row] = stored_rows(db)
    record = record_of(row)
    assert record is not None and record.file.startswith("archive/news-")
    archived = read_response(record, tmp_path)
    assert archived.url == ARTICLE and archived.body == PAGE and archived.header("Content-Encoding") == "gzip"
    [path] = (tmp_path / "archive").glob("*.warc.gz")
    with path.open("rb") as handle:
        records = list(ArchiveIterator(handle, check_digests=True))
        types = [(entry.rec_type, entry.rec_headers.get_header("WARC-Target-URI")) for entry in records]
    assert types[1:] == [("request", ARTICLE), ("response", ARTICLE), ("request", listing.url), ("response", listing.url)]


def test_the_writer_archives_in_the_writer_process_unless_exports_need_the_records() -> None:
    def configured(**values: object) -> Settings:
        settings = Settings({"ARABPRESS_DB": "x.db", **values})
        WriterAddon().update_settings(settings)
        return settings

    pipelines = {
        "arabpress_crawler.pipelines.clean.CleanPipeline": 100,
        "arabpress_crawler.pipelines.validate.ValidatePipeline": 200,
        "arabpress_crawler.pipelines.dedupe.DedupePipeline": 300,
        "arabpress_crawler.pipelines.store.StorePipeline": 400,
    }
    assert configured(ITEM_PIPELINES=pipelines).getbool(ARCHIVE_IN_WRITER_SETTING)
    assert not configured(ITEM_PIPELINES=pipelines, FEEDS={"items.jsonl": {"format": "jsonlines"}}).getbool(
        ARCHIVE_IN_WRITER_SETTING
    )
    assert not configured(ITEM_PIPELINES=pipelines, **{WRITER_SETTING: "inline"}).getbool(ARCHIVE_IN_WRITER_SETTING)
