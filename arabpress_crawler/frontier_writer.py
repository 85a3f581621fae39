"""Writing the persistent frontier (see :mod:`arabpress_crawler.frontier`), wherever the store runs.

:class:`RunFrontier` is the one place that writes a run's frontier: it removes from the ``frontier`` table what
is now stored when the run opens and when it closes, and writes the records the spider sends with the
:data:`~arabpress_crawler.frontier.FRONTIER_RECORDS` signal into the store's open transaction, so the links an
article page leads to are committed together with the article itself: a kill never keeps one without the other.

It lives with the store stage. With the writer process and with a distributed run (the default, and
``--redis``), the records travel with the items through the writer protocol and the
:class:`~arabpress_crawler.writer.server.Writer` owns the run's :class:`RunFrontier`; with ``ARABPRESS_WRITER=inline``
the :class:`FrontierWriter` extension owns it in the crawler's thread. Enabled by ``ARABPRESS_FRONTIER``
(default on) with the store pipeline.

Records of one run may reach the writer out of order when several workers send them (worker A keeps the link
it found on a page, worker B fetches it and finds a 404, and B's batch is committed first): a link dropped in
this run is never kept again in it, so the table ends as a single-process crawl leaves it.

A write that fails (disk full, a damaged file) fails the store, which stops the crawl (see the run record).
"""

from __future__ import annotations

import logging
import sqlite3
from typing import TYPE_CHECKING, Any

from scrapy import signals
from scrapy.exceptions import NotConfigured

from arabpress_crawler.db import frontier as frontier_table
from arabpress_crawler.db import session
from arabpress_crawler.frontier import (
    DEFAULT_BACKOFF_SECONDS,
    DEFAULT_MAX_ATTEMPTS,
    FRONTIER_RECORDS,
    FrontierDrop,
    FrontierLink,
    FrontierPolicy,
    FrontierRecord,
)
from arabpress_crawler.run_record import LOCKED_OUT_SETTING

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from scrapy.crawler import Crawler

logger = logging.getLogger(__name__)

STATS_PREFIX = "arabpress/frontier/"
STORE_PIPELINE = "arabpress_crawler.pipelines.store.StorePipeline"


def frontier_policy(settings: Any) -> FrontierPolicy:
    """The frontier's retry policy from the crawl's settings."""
    return FrontierPolicy(
        max_attempts=max(1, settings.getint("ARABPRESS_FRONTIER_MAX_ATTEMPTS", DEFAULT_MAX_ATTEMPTS)),
        backoff_seconds=max(0.0, settings.getfloat("ARABPRESS_FRONTIER_BACKOFF_SECONDS", DEFAULT_BACKOFF_SECONDS)),
    )


class RunFrontier:
    """The frontier writes of one run on one store (see the module docstring); counts go to ``count(key, n)``."""

    def __init__(self, store: session.CrawlStore, count: Callable[[str, int], None]) -> None:
        self.store = store
        self.count = count
        #: Canonical URLs dropped in this run (never an article): a link to one of them is not kept again.
        self.dropped: set[str] = set()

    def open(self) -> None:
        """Remove what is now stored (an earlier run may have been killed before its close) and commit."""
        pruned = self._write(frontier_table.prune)
        self._commit()
        if pruned:
            self.count(f"{STATS_PREFIX}pruned", pruned)
            logger.info("frontier: %d links now stored, removed", pruned)

    def close(self) -> None:
        """Remove what this run stored (in the open transaction, committed by the store's close)."""
        self._write(frontier_table.prune)
        pending = self._write(frontier_table.pending_count)
        if pending is not None:
            self.count(f"{STATS_PREFIX}pending", pending)

    def write(self, records: Sequence[FrontierRecord], policy: FrontierPolicy) -> None:
        """Write ``records`` in the store's open transaction (committed with the batch they came with)."""
        kept = []
        for record in records:
            if isinstance(record, FrontierDrop):
                self.dropped.add(record.url)
            elif isinstance(record, FrontierLink) and record.url in self.dropped:
                continue  # another worker's page led here after the link was found dead in this run
            kept.append(record)
        run_id = self.store.run_id
        gave_up = self._write(lambda conn: frontier_table.write(conn, kept, run_id=run_id, policy=policy))
        if gave_up is None:
            return
        for record in kept:
            self.count(f"{STATS_PREFIX}{type(record).__name__.removeprefix('Frontier').lower()}", 1)
        if gave_up:
            self.count(f"{STATS_PREFIX}given_up", gave_up)

    def _write(self, write: Callable[[sqlite3.Connection], Any]) -> Any:
        """``write(connection)`` in the store's open transaction; ``None`` once the store has failed."""
        try:
            return self.store.write_with(write)
        except session.StoreFailed:
            self.count(f"{STATS_PREFIX}lost", 1)
            return None

    def _commit(self) -> None:
        if self.store.error is None:
            try:
                self.store.commit()
            except session.StoreFailed:
                self.count(f"{STATS_PREFIX}lost", 1)


class FrontierWriter:
    """The crawl's :class:`RunFrontier` when the store runs in the crawler's thread (``ARABPRESS_WRITER=inline``)."""

    def __init__(self, crawler: Crawler, db_path: str, policy: FrontierPolicy) -> None:
        self.crawler = crawler
        self.db_path = db_path
        self.policy = policy
        self.frontier: RunFrontier | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> FrontierWriter:
        settings = crawler.settings
        if settings.getbool(LOCKED_OUT_SETTING):
            raise NotConfigured  # another crawl holds the database (arabpress_crawler.lock said so in one line)
        if not settings.getbool("ARABPRESS_FRONTIER", True):
            raise NotConfigured("the frontier is off (ARABPRESS_FRONTIER)")
        if settings.getdict("ITEM_PIPELINES").get(STORE_PIPELINE) is None:
            raise NotConfigured("the store does not run here: the writer (process or distributed) keeps the frontier")
        writer = cls(crawler, settings.get("ARABPRESS_DB"), frontier_policy(settings))
        crawler.signals.connect(writer.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(writer.spider_closed, signal=signals.spider_closed)
        crawler.signals.connect(writer.records, signal=FRONTIER_RECORDS)
        return writer

    def spider_opened(self) -> None:
        self.frontier = RunFrontier(session.acquire(self.db_path), self._count)
        self.frontier.open()

    def spider_closed(self) -> None:
        if self.frontier is None:
            return
        self.frontier.close()
        session.release(self.frontier.store)
        self.frontier = None

    def records(self, records: Sequence[FrontierRecord]) -> None:
        if self.frontier is not None and records:
            self.frontier.write(records, self.policy)

    def _count(self, key: str, count: int) -> None:
        stats = self.crawler.stats
        assert stats is not None
        if key.endswith(("pruned", "pending")):
            stats.set_value(key, count)
        else:
            stats.inc_value(key, count)
