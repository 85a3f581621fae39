"""Store pipeline: batched, crash-safe writes through :mod:`arabpress_crawler.db`, and the run record.

Records are buffered and written one transaction per batch: when ``ARABPRESS_STORE_BATCH_SIZE`` records
are waiting, when ``ARABPRESS_STORE_FLUSH_SECONDS`` have passed since the last write (checked on every item
and by a timer), and when the spider closes. A process killed at any moment loses at most the uncommitted
batch, which the next (incremental) run fetches again.

The run record (``crawl_runs``) is opened in ``open_spider`` (earlier ``running`` rows become
``interrupted``) and closed in ``close_spider`` with the counts this pipeline kept; when the crawl's
``spider_closed`` signal arrives, the finish reason and the final Scrapy stats are written over it.
"""

from __future__ import annotations

import logging
import sqlite3
import time
from collections import Counter
from dataclasses import fields
from pathlib import Path
from typing import TYPE_CHECKING, Any

from scrapy import signals
from scrapy.utils.defer import deferred_from_coro
from scrapy.utils.reactor import is_reactor_installed

from arabpress_crawler import db as database
from arabpress_crawler.db import ArticleAlias, DedupedArticle, RunSummary, WriteResult
from arabpress_crawler.items import ArticleItem, UnchangedArticle
from arabpress_crawler.pipelines.validate import DROPPED_STATS_PREFIX
from arabpress_crawler.spiders import SITEMAP_LASTMOD_STAT

if TYPE_CHECKING:
    import sqlite_utils
    from scrapy import Spider
    from scrapy.crawler import Crawler
    from scrapy.statscollectors import StatsCollector

logger = logging.getLogger(__name__)

DEFAULT_BATCH_SIZE = 100
#: Finish reason (prefix) of a crawl stopped because the database could not be written.
STORE_ERROR_REASON = "store_error"
LOST_OUTCOME = "lost"
DEFAULT_FLUSH_SECONDS = 2.0
STATS_PREFIX = "arabpress/store/"
#: Fields whose coverage (share of stored articles with a non-empty value) the run record keeps.
COVERAGE_FIELDS = (
    "title",
    "subtitle",
    "body",
    "authors",
    "published_at",
    "modified_at",
    "section",
    "tags",
    "image_url",
    "language",
    "related",
)
#: Scrapy finish reasons that end a run normally (the spider ran out of work, or reached a limit it was given).
FINISHED_REASONS = frozenset(
    {
        "finished",
        "closespider_itemcount",
        "closespider_pagecount",
        "closespider_timeout",
        "closespider_pagecount_no_item",
    }
)
INTERRUPTED_REASONS = frozenset({"shutdown"})
#: Pages the spider could not fetch, after retries (``arabpress/errors/http_404``, ``…/timeout_error``).
SPIDER_ERRORS_PREFIX = "arabpress/errors/"
ERROR_STATS_PREFIXES = (
    "downloader/exception_type_count/",
    "spider_exceptions/",
    SPIDER_ERRORS_PREFIX,
)
ERROR_STATS_KEYS = ("log_count/ERROR", "log_count/CRITICAL", "retry/max_reached", "arabpress/store/lost")
#: Counted in the total whichever other counters are present: failures no other counter covers.
TOTAL_ALWAYS_PREFIXES = ("spider_exceptions/", "log_count/CRITICAL", "arabpress/store/lost")
RESPONSE_STATUS_PREFIX = "downloader/response_status_count/"
MIN_ERROR_STATUS = 400


def run_status(reason: str | None) -> str:
    """``finished``, ``interrupted`` or ``failed`` for a Scrapy finish reason."""
    if reason is None or reason in FINISHED_REASONS:
        return database.RUN_FINISHED
    if reason in INTERRUPTED_REASONS:
        return database.RUN_INTERRUPTED
    return database.RUN_FAILED


def errors_by_kind(stats: dict[str, Any]) -> dict[str, int]:
    """Error counts from Scrapy stats: download exceptions, spider exceptions, ERROR logs, 4xx/5xx responses."""
    errors: dict[str, int] = {}
    for key, value in stats.items():
        if not isinstance(value, int):
            continue
        if key.startswith(ERROR_STATS_PREFIXES) or key in ERROR_STATS_KEYS:
            errors[key] = value
        elif key.startswith(RESPONSE_STATUS_PREFIX):
            status = key.rsplit("/", 1)[-1]
            if status.isdigit() and int(status) >= MIN_ERROR_STATUS:
                errors[key] = value
    return errors


def error_total(errors: dict[str, int]) -> int:
    """How many things went wrong, each counted once.

    Scrapy counts one failure several ways (a timeout is a downloader exception, a retry, an ERROR log line,
    and the spider's ``arabpress/errors/…``). With the spider's counters present, they are the total (plus
    spider exceptions and lost writes); without them, download exceptions and 4xx/5xx responses are.
    """
    always = sum(value for key, value in errors.items() if key.startswith(TOTAL_ALWAYS_PREFIXES))
    spider = [value for key, value in errors.items() if key.startswith(SPIDER_ERRORS_PREFIX)]
    if spider:
        return always + sum(spider)
    downloads = ("downloader/exception_type_count/", RESPONSE_STATUS_PREFIX)
    return always + sum(value for key, value in errors.items() if key.startswith(downloads))


def dropped_by_reason(stats: dict[str, Any]) -> dict[str, int]:
    """``{reason: count}`` from the validate pipeline's ``arabpress/dropped/<reason>`` stats."""
    return {
        key[len(DROPPED_STATS_PREFIX) :]: value
        for key, value in stats.items()
        if key.startswith(DROPPED_STATS_PREFIX) and isinstance(value, int)
    }


def sitemap_lastmods(stats: dict[str, Any]) -> dict[str, str]:
    """Sub-sitemap URL → ``<lastmod>`` from the spider's ``arabpress/sitemap_lastmod/<URL>`` stats."""
    return {
        key[len(SITEMAP_LASTMOD_STAT) :]: value
        for key, value in stats.items()
        if key.startswith(SITEMAP_LASTMOD_STAT) and isinstance(value, str)
    }


def plain_article(item: ArticleItem) -> ArticleItem:
    """The :class:`ArticleItem` itself, for feed exports (the dedupe envelope is dropped)."""
    return ArticleItem(**{f.name: getattr(item, f.name) for f in fields(ArticleItem)})


class RunCounters:
    """Counts of one run, kept by the store pipeline (never in spider state)."""

    def __init__(self) -> None:
        self.outcomes: Counter[str] = Counter()
        self.duplicates_alias = 0
        self.duplicates_near = 0
        self.url_aliases = 0
        self.articles = 0
        self.filled: Counter[str] = Counter()
        self.layers: dict[str, Counter[str]] = {}

    def add(self, result: WriteResult, article: ArticleItem | None) -> None:
        self.outcomes[result.outcome] += 1
        self.outcomes[database.OUTCOME_NEW] -= result.retracted_new
        self.duplicates_alias += result.demoted + (result.outcome == database.OUTCOME_ALIAS)
        self.duplicates_near += result.near_duplicate
        self.url_aliases += result.url_alias
        if article is not None and result.outcome in (
            database.OUTCOME_NEW,
            database.OUTCOME_UPDATED,
            database.OUTCOME_UNCHANGED,
        ):
            self.articles += 1
            for name in COVERAGE_FIELDS:
                self.filled[name] += bool(getattr(article, name))
            for name, layer in article.extraction.items():
                self.layers.setdefault(name, Counter())[layer] += 1

    def coverage(self) -> dict[str, float]:
        if not self.articles:
            return {}
        return {name: round(self.filled[name] / self.articles, 4) for name in COVERAGE_FIELDS}

    def layer_shares(self) -> dict[str, dict[str, float]]:
        return {
            name: {layer: round(count / sum(layers.values()), 4) for layer, count in sorted(layers.items())}
            for name, layers in sorted(self.layers.items())
        }


class StorePipeline:
    """Last pipeline: writes articles, aliases and 304s in batches, and keeps the run record."""

    def __init__(
        self,
        db_path: str | Path,
        *,
        base_url: str | None = None,
        batch_size: int = DEFAULT_BATCH_SIZE,
        flush_seconds: float = DEFAULT_FLUSH_SECONDS,
        stats: StatsCollector | None = None,
    ) -> None:
        self.db_path = Path(db_path)
        self.base_url = base_url
        self.batch_size = max(1, batch_size)
        self.flush_seconds = flush_seconds
        self.stats = stats
        self.db: sqlite_utils.Database | None = None
        self.writer: database.ArticleWriter | None = None
        self.run_id: int | None = None
        self.pending: list[Any] = []
        self.last_flush = time.monotonic()
        self.counters = RunCounters()
        self._timer: Any = None
        self._awaiting_signal = False
        self.crawler: Crawler | None = None
        self.store_error: str | None = None  # set when a write failed: nothing more is written this run
        self._closing: Any = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> StorePipeline:
        settings = crawler.settings
        pipeline = cls(
            settings.get("ARABPRESS_DB"),
            base_url=settings.get("ARABPRESS_BASE_URL"),
            batch_size=settings.getint("ARABPRESS_STORE_BATCH_SIZE", DEFAULT_BATCH_SIZE),
            flush_seconds=settings.getfloat("ARABPRESS_STORE_FLUSH_SECONDS", DEFAULT_FLUSH_SECONDS),
            stats=crawler.stats,
        )
        pipeline.crawler = crawler
        crawler.signals.connect(pipeline.spider_closed, signal=signals.spider_closed)
        pipeline._awaiting_signal = True
        return pipeline

    # -- lifecycle

    def open_spider(self) -> None:
        self.db = database.open_db(self.db_path)
        self.run_id = database.start_run(self.db, base_url=self.base_url)
        self.writer = database.ArticleWriter(self.db, run_id=self.run_id)
        self.counters = RunCounters()
        self.pending = []
        self.last_flush = time.monotonic()
        if self._awaiting_signal and is_reactor_installed():
            self._start_timer()
        logger.info("Run %d opened in %s", self.run_id, self.db_path)

    def close_spider(self) -> None:
        self._stop_timer()
        self.flush()
        self.finish_run(reason=None)
        if not self._awaiting_signal:
            self._close_db()

    def spider_closed(self, spider: Spider, reason: str) -> None:
        """Write the finish reason and the final stats (Scrapy knows them only after the pipelines closed)."""
        if self.db is None or self.run_id is None:
            return
        self.finish_run(reason=reason)
        self._close_db()

    def finish_run(self, *, reason: str | None) -> None:
        if self.db is None or self.run_id is None:
            return
        stats = dict(self.stats.get_stats()) if self.stats is not None else {}
        reason = reason or stats.get("finish_reason")
        errors = errors_by_kind(stats)
        if self.store_error is not None and not (reason or "").startswith(STORE_ERROR_REASON):
            reason = f"{STORE_ERROR_REASON}: {self.store_error}"
        counters = self.counters
        summary = RunSummary(
            status=run_status(reason),
            finish_reason=reason or database.RUN_FINISHED,
            pages=int(stats.get("response_received_count", 0)),
            articles_new=counters.outcomes[database.OUTCOME_NEW],
            articles_updated=counters.outcomes[database.OUTCOME_UPDATED],
            articles_unchanged=counters.outcomes[database.OUTCOME_UNCHANGED],
            duplicates_alias=counters.duplicates_alias,
            duplicates_near=counters.duplicates_near,
            url_aliases=counters.url_aliases,
            dropped_by_reason=dropped_by_reason(stats),
            errors_by_kind=errors,
            errors=error_total(errors),
            coverage=counters.coverage(),
            extraction_layers=counters.layer_shares(),
            stats=stats,
            sitemap_lastmods=sitemap_lastmods(stats),
        )
        try:
            database.finish_run(self.db, self.run_id, summary)
        except sqlite3.Error as error:
            logger.error(
                "Could not close run %d: %s; the next run marks it interrupted",
                self.run_id,
                database.describe_error(self.db_path, error),
            )
            return
        logger.info("Run %d closed: %s (%s)", self.run_id, summary.status, summary.finish_reason)

    def _close_db(self) -> None:
        if self.db is not None:
            self.db.close()
            self.db = None

    def _start_timer(self) -> None:
        from twisted.internet import task

        self._timer = task.LoopingCall(self.flush_if_due)
        self._timer.start(self.flush_seconds, now=False)

    def _stop_timer(self) -> None:
        if self._timer is not None and self._timer.running:
            self._timer.stop()
        self._timer = None

    # -- items

    def process_item(self, item: Any) -> Any:
        if not isinstance(item, ArticleItem | DedupedArticle | ArticleAlias | UnchangedArticle):
            return item
        if self.store_error is not None:
            self._count_lost(1)  # the database cannot be written; the crawl is stopping
        else:
            self.pending.append(item)
        if len(self.pending) >= self.batch_size:
            self.flush()
        else:
            self.flush_if_due()
        if isinstance(item, DedupedArticle):
            return plain_article(item.article)
        return item

    def flush_if_due(self) -> None:
        if self.pending and time.monotonic() - self.last_flush >= self.flush_seconds:
            self.flush()

    def flush(self) -> None:
        """Write every pending record in one transaction."""
        self.last_flush = time.monotonic()
        if not self.pending or self.writer is None:
            return
        if self.store_error is not None:
            self._count_lost(len(self.pending))
            self.pending = []
            return
        batch, self.pending = self.pending, []
        try:
            results = self.writer.write_batch(batch)
        except sqlite3.Error as error:  # disk full, I/O error, damaged file: the batch was rolled back
            self._fail(error, lost=len(batch))
            return
        for record, result in zip(batch, results, strict=True):
            article = record.article if isinstance(record, DedupedArticle) else record
            self.counters.add(result, article if isinstance(article, ArticleItem) else None)
            if self.stats is not None:
                self.stats.inc_value(f"{STATS_PREFIX}{result.outcome}")
                if result.retracted_new:  # stored as new earlier in this run, now an alias: not new after all
                    self.stats.inc_value(f"{STATS_PREFIX}{database.OUTCOME_NEW}", -result.retracted_new)
        logger.debug("Stored a batch of %d records", len(batch))

    def _fail(self, error: sqlite3.Error, *, lost: int) -> None:
        """The store cannot write: say why once, count what is lost, and stop the crawl."""
        self.store_error = database.describe_error(self.db_path, error)
        logger.error("Could not store %d records: %s; stopping the crawl", lost, self.store_error)
        self._count_lost(lost)
        engine = getattr(self.crawler, "engine", None)
        if engine is not None and self._closing is None:
            self._closing = deferred_from_coro(
                engine.close_spider_async(reason=f"{STORE_ERROR_REASON}: {self.store_error}")
            )
            self._closing.addErrback(
                lambda failure: logger.error("Could not stop the crawl: %s", failure.getErrorMessage())
            )

    def _count_lost(self, count: int) -> None:
        if self.stats is not None:
            self.stats.inc_value(f"{STATS_PREFIX}{LOST_OUTCOME}", count)
