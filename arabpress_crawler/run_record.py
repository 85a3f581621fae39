"""The run record: a Scrapy extension that opens and closes the crawl's ``crawl_runs`` row.

When the spider opens, :class:`RunRecord` opens a run (earlier ``running`` rows become ``interrupted``) on the
crawl's shared :class:`~arabpress_crawler.db.session.CrawlStore` and gives its id to the writer. It counts
what each commit of the store did (new, updated, unchanged, duplicates, field coverage, extraction layers),
and when the spider closes it classifies the crawl's errors and finish reason from Scrapy's stats and closes
the run with them and with the sitemap lastmods the spider recorded. If the store cannot write (disk full,
damaged file), it stops the crawl with a ``store_error: …`` finish reason.

It is an extension, not part of the store pipeline, so that whatever starts the crawl (``arabpress crawl``,
``scrapy crawl``, a Scrapyd job) gets the run record, and the pipeline only stores.
"""

from __future__ import annotations

import logging
import sqlite3
from collections import Counter
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from scrapy import signals
from scrapy.exceptions import NotConfigured
from scrapy.utils.defer import deferred_from_coro
from scrapy.utils.misc import load_object

from arabpress_crawler import db as database
from arabpress_crawler.db import session
from arabpress_crawler.db.records import ARTICLE_OUTCOMES, DedupedArticle, WriteResult
from arabpress_crawler.items import ArticleItem
from arabpress_crawler.pipelines.store import LOST_STAT, StorePipeline
from arabpress_crawler.pipelines.validate import DROPPED_STATS_PREFIX
from arabpress_crawler.spiders import SITEMAP_LASTMOD_STAT

if TYPE_CHECKING:
    from scrapy.crawler import Crawler
    from scrapy.statscollectors import StatsCollector

logger = logging.getLogger(__name__)

#: Finish reason (prefix) of a crawl stopped because the database could not be written.
STORE_ERROR_REASON = "store_error"

#: Fields whose coverage (share of stored articles with a non-empty value) the run record keeps; run health
#: watches a few of them (:data:`arabpress_crawler.health.WATCHED_COVERAGE_FIELDS`).
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
ERROR_STATS_KEYS = ("log_count/ERROR", "log_count/CRITICAL", "retry/max_reached", LOST_STAT)
#: Counted in the total whichever other counters are present: failures no other counter covers.
TOTAL_ALWAYS_PREFIXES = ("spider_exceptions/", "log_count/CRITICAL", LOST_STAT)
RESPONSE_STATUS_PREFIX = "downloader/response_status_count/"
MIN_ERROR_STATUS = 400
#: Set (by :class:`arabpress_crawler.lock.DatabaseLock`) for a crawl that does not hold the database's lock:
#: it records no run, and says nothing more than the lock's one line.
LOCKED_OUT_SETTING = "ARABPRESS_LOCKED_OUT"

#: Signal sent (with ``counters``, a :class:`RunCounters`) when a writer in another process committed a batch:
#: the run record adds what the batch did to the run's counters.
writer_committed = object()


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


class RunCounters:
    """Counts of one run, from what the store committed (never in spider state)."""

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
        self.duplicates_near += result.near_duplicate + result.regrouped
        self.url_aliases += result.url_alias
        if article is not None and result.outcome in ARTICLE_OUTCOMES:
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

    def merge(self, other: RunCounters) -> None:
        """Add the counts of ``other`` (what another process's commits did) to these."""
        self.outcomes.update(other.outcomes)
        self.duplicates_alias += other.duplicates_alias
        self.duplicates_near += other.duplicates_near
        self.url_aliases += other.url_aliases
        self.articles += other.articles
        self.filled.update(other.filled)
        for name, layers in other.layers.items():
            self.layers.setdefault(name, Counter()).update(layers)

    def add_written(self, written: session.Written) -> None:
        """Count what one commit of the store did."""
        for record, result in written:
            article = record.article if isinstance(record, DedupedArticle) else record
            self.add(result, article if isinstance(article, ArticleItem) else None)


def stores_items(pipelines: Mapping[Any, Any]) -> bool:
    """Whether the store pipeline (or a subclass), or the writer process's pipeline, is among the enabled ``ITEM_PIPELINES``."""
    for pipeline, order in pipelines.items():
        if order is None:
            continue
        cls = load_object(pipeline) if isinstance(pipeline, str) else pipeline
        if isinstance(cls, type) and (issubclass(cls, StorePipeline) or getattr(cls, "stores_items", False)):
            return True
    return False


class RunRecord:
    """Scrapy extension: the ``crawl_runs`` row of this crawl (see the module docstring)."""

    def __init__(self, db_path: str | Path, *, base_url: str | None = None, stats: StatsCollector | None = None) -> None:
        self.db_path = Path(db_path)
        self.base_url = base_url
        self.stats = stats
        self.crawler: Crawler | None = None
        self.store: session.CrawlStore | None = None
        self.run_id: int | None = None
        self.counters = RunCounters()
        self._closing: Any = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RunRecord:
        settings = crawler.settings
        if settings.getbool(LOCKED_OUT_SETTING):
            raise NotConfigured  # another crawl holds the database (the lock said so, in one line)
        if not settings.get("ARABPRESS_DB"):
            raise NotConfigured("no ARABPRESS_DB: nothing to record the run in")
        if settings.get("ARABPRESS_REDIS_RUN"):
            raise NotConfigured("a distributed worker: the coordinator keeps the run record")
        if not stores_items(settings.getwithbase("ITEM_PIPELINES")):
            raise NotConfigured("the store pipeline is off: no run to record (e.g. the bare spider of the bench)")
        extension = cls(settings.get("ARABPRESS_DB"), base_url=settings.get("ARABPRESS_BASE_URL"), stats=crawler.stats)
        extension.crawler = crawler
        crawler.signals.connect(extension.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(extension.spider_closed, signal=signals.spider_closed)
        crawler.signals.connect(extension.merge_counters, signal=writer_committed)
        return extension

    def open(self) -> None:
        """Open the run on the crawl's store (opening the store if no pipeline has yet); once."""
        if self.store is not None:
            return
        store = session.acquire(self.db_path)
        try:
            store.commit()
            # The spider's own base URL: ``-a base_url=`` (scrapy crawl, Scrapyd jobs) wins over the setting.
            spider_base_url = getattr(getattr(self.crawler, "spider", None), "base_url", None)
            self.run_id = database.start_run(store.db, base_url=spider_base_url or self.base_url)
        except BaseException:
            session.release(store)
            raise
        self.store = store
        store.run_id = self.run_id
        self.counters = RunCounters()
        store.on_commit(self.counters.add_written)
        store.on_failure(self.stop_crawl)
        logger.info("Run %d opened in %s", self.run_id, self.db_path)

    def spider_opened(self) -> None:
        """Open the run once the pipelines have opened the store; a database that refuses it stops the crawl.

        (Scrapy only logs what a signal handler raises, so the failure is turned into a ``store_error``
        finish reason here: the crawl ends at once and ``arabpress crawl`` says why in one line.)
        """
        try:
            self.open()
        except sqlite3.Error as error:
            message = database.describe_error(self.db_path, error)
            logger.error("Could not open the run record: %s; stopping the crawl", message)
            self.stop_crawl(message)

    def merge_counters(self, counters: RunCounters) -> None:
        """Count what a batch committed by the writer process did (the ``writer_committed`` signal)."""
        self.counters.merge(counters)

    def spider_closed(self, reason: str | None = None) -> None:
        """Close the run with the finish reason and the final stats, then give the store back."""
        store, self.store = self.store, None
        if store is None or self.run_id is None:
            return
        try:
            if store.error is None:
                store.commit()
            self.finish_run(store, reason)
        except (sqlite3.Error, session.StoreFailed) as error:
            logger.error("Could not close run %d: %s; the next run marks it interrupted", self.run_id, error)
        finally:
            store.unsubscribe(self.counters.add_written)
            store.unsubscribe(self.stop_crawl)
            session.release(store)

    def summary(self, reason: str | None, store_error: str | None) -> database.RunSummary:
        """The run's summary from the counters and Scrapy's stats."""
        stats = dict(self.stats.get_stats()) if self.stats is not None else {}
        reason = reason or stats.get("finish_reason")
        errors = errors_by_kind(stats)
        if store_error is not None and not (reason or "").startswith(STORE_ERROR_REASON):
            reason = f"{STORE_ERROR_REASON}: {store_error}"
        counters = self.counters
        return database.RunSummary(
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
            article_lastmods=dict(getattr(getattr(self.crawler, "spider", None), "late_sitemap_lastmods", None) or {}),
        )

    def finish_run(self, store: session.CrawlStore, reason: str | None) -> None:
        assert self.run_id is not None
        summary = self.summary(reason, store.error)
        database.finish_run(store.db, self.run_id, summary)
        logger.info("Run %d closed: %s (%s)", self.run_id, summary.status, summary.finish_reason)

    def stop_crawl(self, error: str) -> None:
        """The store cannot write: stop the crawl, once, with a ``store_error`` finish reason."""
        engine = getattr(self.crawler, "engine", None)
        if engine is None or self._closing is not None:
            return
        self._closing = deferred_from_coro(engine.close_spider_async(reason=f"{STORE_ERROR_REASON}: {error}"))
        self._closing.addErrback(lambda failure: logger.error("Could not stop the crawl: %s", failure.getErrorMessage()))
