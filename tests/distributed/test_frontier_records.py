"""The frontier records of several workers reach one writer in any order: the table ends as a single crawl's.

The known bug of issue 13 (a dead related link asked for again by the next distributed run, 1 run in 3): in a
single process the spider that keeps a link is the one that later drops it (404, not an article), and its
records reach the writer in that order. With several workers, worker A keeps the link it found on a page and
worker B fetches it: B never kept it, and B's batch may be committed before A's. These tests play both
workers' spiders (:class:`FrontierTracker`, as the spider uses it) into one
:class:`~arabpress_crawler.writer.server.Writer`, the writer of the process and the distributed modes, in both
orders, without Redis or timing. Last, the same for the sitemap lastmods the workers' stats carry to the run
record: the newest any worker saw is kept, whichever worker reports first.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest

from arabpress_crawler import db as db_api
from arabpress_crawler.frontier import FrontierPolicy
from arabpress_crawler.spiders.frontier_links import FrontierTracker
from arabpress_crawler.writer.protocol import Batch, FrontierRecords
from arabpress_crawler.writer.server import Writer

DEAD = "https://example.test/2011/01/01/removed-story-100/"
SOURCE = "https://example.test/2011/01/02/story-1/"


class Signals:
    def __init__(self) -> None:
        self.sent: list[Any] = []

    def send_catch_log(self, signal: object, records: list[Any]) -> None:
        self.sent.extend(records)


class Worker:
    """A worker's spider as far as the frontier goes: its tracker, and what it sent."""

    def __init__(self) -> None:
        self.crawler: Any = type("Crawler", (), {})()
        self.crawler.signals = Signals()
        self.tracker = FrontierTracker(self.crawler)

    def batch(self, seq: int, run_id: int) -> Batch:
        self.tracker.flush()
        records, self.crawler.signals.sent = self.crawler.signals.sent, []
        return Batch(seq=seq, run_id=run_id, records=[FrontierRecords(records, FrontierPolicy())])


def frontier_rows(db: Path) -> list[tuple]:
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
        return conn.execute("SELECT url, reason FROM frontier ORDER BY url").fetchall()


@pytest.fixture
def run(tmp_path: Path) -> tuple[Path, int]:
    db = tmp_path / "crawl.db"
    database = db_api.open_db(db)
    try:
        return db, db_api.start_run(database, base_url="https://example.test/")
    finally:
        database.close()


@pytest.mark.parametrize("order", ["finder first", "fetcher first"])
def test_a_dead_link_kept_by_one_worker_and_fetched_by_another_is_not_left_for_the_next_run(
    run: tuple[Path, int], order: str
) -> None:
    db, run_id = run
    finder, fetcher = Worker(), Worker()
    finder.tracker.keep(DEAD, DEAD, "related", 2)  # found on SOURCE's page, not stored: kept
    fetcher.tracker.drop(DEAD, "http_404")  # the other worker fetched it: 404, never an article
    batches = [finder.batch(1, run_id), fetcher.batch(2, run_id)]
    if order == "fetcher first":
        batches.reverse()
    writer = Writer(str(db))
    writer.open()
    try:
        for batch in batches:
            assert writer.handle(batch).error is None
    finally:
        writer.close()
    assert frontier_rows(db) == []  # as a single-process crawl leaves it: nothing for the next run to ask


def test_a_retryable_failure_committed_before_the_finders_link_stays_a_failure(run: tuple[Path, int]) -> None:
    db, run_id = run
    finder, fetcher = Worker(), Worker()
    finder.tracker.keep(DEAD, DEAD, "related", 2)
    fetcher.tracker.failed(DEAD, DEAD, "related", 2, "http_503")
    writer = Writer(str(db))
    writer.open()
    try:
        for batch in (fetcher.batch(1, run_id), finder.batch(2, run_id)):
            assert writer.handle(batch).error is None
    finally:
        writer.close()
    assert frontier_rows(db) == [(DEAD, "failed")]


@pytest.mark.parametrize("order", [1, -1])
def test_the_run_record_keeps_the_newest_sitemap_lastmod_any_worker_saw(order: int) -> None:
    from arabpress_crawler.distributed.coordinator import merge_stats
    from arabpress_crawler.spiders import SITEMAP_LASTMOD_STAT

    key = f"{SITEMAP_LASTMOD_STAT}https://example.test/post-sitemap.xml"
    carried = {key: "2025-11-07T23:59:00+00:00", "response_received_count": 10}  # the last run's, carried forward
    read = {key: "2026-12-05T10:45:07+00:00", "response_received_count": 5}  # the worker that read the index
    merged = merge_stats([carried, read][::order])
    assert merged[key] == "2026-12-05T10:45:07+00:00"
    assert merged["response_received_count"] == 15
