"""The Scrapy extension that keeps the persistent frontier (see :mod:`arabpress_crawler.frontier`).

When the spider opens and closes it removes from the ``frontier`` table what is now stored; during the crawl it writes
the records the spider sends with the :data:`~arabpress_crawler.frontier.FRONTIER_RECORDS` signal into the
crawl's open transaction (the shared :class:`~arabpress_crawler.db.session.CrawlStore`), so the links an
article page leads to are committed together with the article itself: a kill never keeps one without the
other. Enabled by ``ARABPRESS_FRONTIER`` (default on) with the store pipeline.

A write that fails (disk full, a damaged file) fails the store, which stops the crawl (see the run record).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from scrapy import signals
from scrapy.exceptions import NotConfigured

from arabpress_crawler.db import frontier as frontier_table
from arabpress_crawler.db import session
from arabpress_crawler.frontier import (
    DEFAULT_BACKOFF_SECONDS,
    DEFAULT_MAX_ATTEMPTS,
    FRONTIER_RECORDS,
    FrontierPolicy,
    FrontierRecord,
)
from arabpress_crawler.run_record import LOCKED_OUT_SETTING

if TYPE_CHECKING:
    from collections.abc import Sequence

    from scrapy.crawler import Crawler

logger = logging.getLogger(__name__)

STATS_PREFIX = "arabpress/frontier/"
STORE_PIPELINE = "arabpress_crawler.pipelines.store.StorePipeline"
#: With the writer process (``ARABPRESS_WRITER=process``), the records go to the writer with the items.
WRITER_PIPELINE = "arabpress_crawler.writer.client.WriterPipeline"


def frontier_policy(settings: Any) -> FrontierPolicy:
    """The frontier's retry policy from the crawl's settings."""
    return FrontierPolicy(
        max_attempts=max(1, settings.getint("ARABPRESS_FRONTIER_MAX_ATTEMPTS", DEFAULT_MAX_ATTEMPTS)),
        backoff_seconds=max(0.0, settings.getfloat("ARABPRESS_FRONTIER_BACKOFF_SECONDS", DEFAULT_BACKOFF_SECONDS)),
    )


class FrontierWriter:
    """Writes the frontier records the spider sends (see the module docstring)."""

    def __init__(self, crawler: Crawler, db_path: str, policy: FrontierPolicy, *, writer_process: bool = False) -> None:
        self.crawler = crawler
        self.db_path = db_path
        self.policy = policy
        self.store: session.CrawlStore | None = None
        #: The writer process writes the records; here only the prunes, each committed at once (nothing else
        #: writes on this process's connection during the crawl, and an open transaction would block the writer).
        self.writer_process = writer_process

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> FrontierWriter:
        settings = crawler.settings
        if settings.getbool(LOCKED_OUT_SETTING):
            raise NotConfigured  # another crawl holds the database (arabpress_crawler.lock said so in one line)
        pipelines = settings.getdict("ITEM_PIPELINES")
        if not settings.getbool("ARABPRESS_FRONTIER", True) or STORE_PIPELINE not in pipelines:
            raise NotConfigured("the frontier is off (ARABPRESS_FRONTIER) or nothing is stored")
        if settings.get("ARABPRESS_REDIS_RUN"):
            raise NotConfigured("a distributed worker: its records go to the coordinator's writer")
        writer_process = pipelines.get(STORE_PIPELINE) is None and pipelines.get(WRITER_PIPELINE) is not None
        writer = cls(crawler, settings.get("ARABPRESS_DB"), frontier_policy(settings), writer_process=writer_process)
        crawler.signals.connect(writer.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(writer.spider_closed, signal=signals.spider_closed)
        if not writer_process:
            crawler.signals.connect(writer.records, signal=FRONTIER_RECORDS)
        return writer

    def spider_opened(self) -> None:
        self.store = session.acquire(self.db_path)
        pruned = self._write(frontier_table.prune)
        self._commit_if_alone()
        if pruned:
            self._stats().set_value(f"{STATS_PREFIX}pruned", pruned)
            logger.info("frontier: %d links now stored, removed", pruned)

    def spider_closed(self) -> None:
        if self.store is None:
            return
        self._write(frontier_table.prune)  # what this run stored is done
        pending = self._write(frontier_table.pending_count)
        self._commit_if_alone()
        if pending is not None:
            self._stats().set_value(f"{STATS_PREFIX}pending", pending)
        session.release(self.store)
        self.store = None

    def records(self, records: Sequence[FrontierRecord]) -> None:
        if self.store is None or not records:
            return
        run_id = self.store.run_id
        gave_up = self._write(lambda conn: frontier_table.write(conn, records, run_id=run_id, policy=self.policy))
        if gave_up is None:
            return
        stats = self._stats()
        for record in records:
            stats.inc_value(f"{STATS_PREFIX}{type(record).__name__.removeprefix('Frontier').lower()}")
        if gave_up:
            stats.inc_value(f"{STATS_PREFIX}given_up", gave_up)

    def _write(self, write: Any) -> Any:
        """``write(connection)`` in the store's open transaction; ``None`` once the store has failed."""
        assert self.store is not None
        try:
            return self.store.write_with(write)
        except session.StoreFailed:
            self._stats().inc_value(f"{STATS_PREFIX}lost")
            return None

    def _commit_if_alone(self) -> None:
        """With the writer process, commit the prune at once (see :attr:`writer_process`)."""
        if self.writer_process and self.store is not None and self.store.error is None:
            try:
                self.store.commit()
            except session.StoreFailed:
                self._stats().inc_value(f"{STATS_PREFIX}lost")

    def _stats(self) -> Any:
        stats = self.crawler.stats
        assert stats is not None
        return stats
