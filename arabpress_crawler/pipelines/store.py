"""Store pipeline: writes every record into the crawl's shared store and commits in batches.

Records are written as they arrive, in the store's open transaction (see :mod:`arabpress_crawler.db.session`),
and committed when ``ARABPRESS_STORE_BATCH_SIZE`` records are uncommitted, when
``ARABPRESS_STORE_FLUSH_SECONDS`` have passed since the last commit (checked on every item and by a timer),
and when the spider closes. A process killed at any moment loses at most the uncommitted records, which the
next (incremental) run fetches again.

Items of any type are read through ``itemadapter`` (:func:`arabpress_crawler.items.as_article`). The run record
(``crawl_runs``: counts, errors, finish reason) is kept by the :class:`arabpress_crawler.run_record.RunRecord`
extension, which also stops the crawl when the store cannot write; this pipeline only stores.
"""

from __future__ import annotations

import logging
import time
from dataclasses import fields
from pathlib import Path
from typing import TYPE_CHECKING, Any

from scrapy.utils.reactor import is_reactor_installed

from arabpress_crawler.db import session
from arabpress_crawler.db.records import OUTCOME_NEW, ArticleAlias, DedupedArticle
from arabpress_crawler.items import ArticleItem, UnchangedArticle, as_article

if TYPE_CHECKING:
    import sqlite_utils
    from scrapy.crawler import Crawler
    from scrapy.statscollectors import StatsCollector

logger = logging.getLogger(__name__)

DEFAULT_BATCH_SIZE = 100
DEFAULT_FLUSH_SECONDS = 2.0
STATS_PREFIX = "arabpress/store/"
#: Records the store could not write (the database failed): counted among the run's errors.
LOST_STAT = f"{STATS_PREFIX}lost"


def plain_article(item: ArticleItem) -> ArticleItem:
    """The :class:`ArticleItem` itself, for feed exports (the dedupe envelope is dropped)."""
    return ArticleItem(**{f.name: getattr(item, f.name) for f in fields(ArticleItem)})


class StorePipeline:
    """Last pipeline: writes articles, aliases and 304s into the shared store, committing in batches."""

    def __init__(
        self,
        db_path: str | Path,
        *,
        batch_size: int = DEFAULT_BATCH_SIZE,
        flush_seconds: float = DEFAULT_FLUSH_SECONDS,
        stats: StatsCollector | None = None,
        timer: bool = False,
    ) -> None:
        self.db_path = Path(db_path)
        self.batch_size = max(1, batch_size)
        self.flush_seconds = flush_seconds
        self.stats = stats
        self.store: session.CrawlStore | None = None
        self.last_flush = time.monotonic()
        self._use_timer = timer
        self._timer: Any = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> StorePipeline:
        settings = crawler.settings
        return cls(
            settings.get("ARABPRESS_DB"),
            batch_size=settings.getint("ARABPRESS_STORE_BATCH_SIZE", DEFAULT_BATCH_SIZE),
            flush_seconds=settings.getfloat("ARABPRESS_STORE_FLUSH_SECONDS", DEFAULT_FLUSH_SECONDS),
            stats=crawler.stats,
            timer=True,
        )

    @property
    def db(self) -> sqlite_utils.Database | None:
        """The crawl's database connection while the spider is open."""
        return self.store.db if self.store is not None else None

    @property
    def store_error(self) -> str | None:
        """Why the store could not write (names the file), or ``None``."""
        return self.store.error if self.store is not None else None

    # -- lifecycle

    def open_spider(self) -> None:
        self.store = session.acquire(self.db_path)
        self.store.on_commit(self._count_written)
        self.last_flush = time.monotonic()
        if self._use_timer and is_reactor_installed():
            from twisted.internet import task

            self._timer = task.LoopingCall(self.flush_if_due)
            self._timer.start(self.flush_seconds, now=False)

    def close_spider(self) -> None:
        if self._timer is not None and self._timer.running:
            self._timer.stop()
        self._timer = None
        self.flush()
        store, self.store = self.store, None
        if store is not None:
            store.unsubscribe(self._count_written)
            session.release(store)

    # -- items

    def process_item(self, item: Any) -> Any:
        record = self._record(item)
        if record is None:
            return item
        if self.store is None:
            raise RuntimeError("StorePipeline used before open_spider()")
        self._write(record)
        if self.store.uncommitted >= self.batch_size:
            self.flush()
        else:
            self.flush_if_due()
        if isinstance(item, DedupedArticle):
            return plain_article(item.article)
        return item

    @staticmethod
    def _record(item: Any) -> Any:
        if isinstance(item, DedupedArticle | ArticleAlias | UnchangedArticle):
            return item
        return as_article(item)

    def _write(self, record: Any) -> None:
        assert self.store is not None
        if self.store.error is not None:
            self._count(LOST_STAT, 1)  # the database cannot be written; the crawl is stopping
            return
        try:
            self.store.write(record)
        except session.StoreFailed:
            self._count(LOST_STAT, self.store.lost)

    def _count_written(self, written: session.Written) -> None:
        """Stats of what a commit stored (``arabpress/store/new``…), read by the progress line."""
        for _, result in written:
            self._count(f"{STATS_PREFIX}{result.outcome}", 1)
            if result.retracted_new:  # stored as new earlier in this run, now an alias: not new after all
                self._count(f"{STATS_PREFIX}{OUTCOME_NEW}", -result.retracted_new)

    def flush_if_due(self) -> None:
        if time.monotonic() - self.last_flush >= self.flush_seconds:
            self.flush()

    def flush(self) -> None:
        """Commit what the store holds uncommitted."""
        self.last_flush = time.monotonic()
        if self.store is None or self.store.error is not None:
            return
        try:
            written = self.store.commit()
        except session.StoreFailed:
            self._count(LOST_STAT, self.store.lost)
            return
        if written:
            logger.debug("Committed a batch of %d records", len(written))

    def _count(self, key: str, count: int) -> None:
        if self.stats is not None and count:
            self.stats.inc_value(key, count)

