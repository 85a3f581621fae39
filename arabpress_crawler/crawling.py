"""Running one crawl in-process: checked options, the lock, logging, progress and the outcome.

``arabpress crawl`` and ``arabpress demo`` are thin shells over :func:`run_crawl`:

1. :func:`check_options` refuses bad input (bad date or URL, a DB path that cannot be written) with a
   :class:`CrawlInputError` before anything is opened, so stored data is never touched by a mistake;
2. :func:`~arabpress_crawler.lock.crawl_lock` takes ``<db>.lock`` before Scrapy starts (so ``--wait`` waits
   there); the crawl's :class:`~arabpress_crawler.lock.DatabaseLock` extension shares it (the lock is
   re-entrant within a process), and takes it itself for ``scrapy crawl`` and Scrapyd jobs;
3. :func:`run_crawl` runs Scrapy (``CrawlerProcess``, asyncio reactor) with Scrapy's log in a rotated file,
   reports progress to a callback and returns a :class:`CrawlOutcome` built from the crawl's stats.

A Twisted reactor cannot be restarted, so :func:`run_crawl` can run once per process.
"""

from __future__ import annotations

import errno
import logging
import os
import sqlite3
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from logging.handlers import RotatingFileHandler
from pathlib import Path
from typing import Any

from scrapy import signals
from scrapy.crawler import Crawler, CrawlerProcess
from scrapy.settings import Settings
from scrapy.utils.asyncio import create_looping_call
from scrapy.utils.defer import deferred_from_coro
from scrapy.utils.reactor import is_reactor_installed
from twisted.python.failure import Failure

from arabpress_crawler import DEFAULT_BASE_URL
from arabpress_crawler.db import connection, queries, runs
from arabpress_crawler.db.runs import RUN_FINISHED
from arabpress_crawler.lock import crawl_lock, lock_path  # noqa: F401 (defined in lock.py; named here for callers)
from arabpress_crawler.profiles import PROFILE_SETTING
from arabpress_crawler.spiders import ARTICLES_SPIDER, STAT_PREFIX
from arabpress_crawler.spiders.arguments import ArgumentError, SpiderArguments, parse_arguments
from arabpress_crawler.spiders.incremental import DEFAULT_REFRESH_DAYS
from arabpress_crawler.writer import WRITER_MODES, WRITER_SETTING

logger = logging.getLogger(__name__)

DEFAULT_DB = Path("data/arabpress.db")
DEFAULT_LOG_FILE = Path("data/logs/crawl.log")
LOG_MAX_BYTES = 5 * 1024 * 1024
LOG_BACKUP_COUNT = 5
LOG_FORMAT = "%(asctime)s [%(name)s] %(levelname)s: %(message)s"
#: The parent of Scrapy's loggers, which Scrapy's logging set-up puts at ``DEBUG``.
SCRAPY_LOGGER = "scrapy"
PROGRESS_INTERVAL_SECONDS = 0.5
SQLITE_HEADER = b"SQLite format 3\x00"
#: ``errno`` values of a write refused for lack of space: no space left on the device, quota exceeded.
DISK_FULL_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT})
#: Finish reason (prefix) of a crawl stopped because its log file could not be written.
LOG_ERROR_REASON = "log_error"
#: Finish reasons of a run that did its job (a bound being reached is a job done: the time budget too).
GOOD_FINISH_REASONS = frozenset(
    {"finished", "closespider_pagecount", "closespider_itemcount", "closespider_timeout"}
)
MIRROR_PROFILE = "mirror"
#: Stats kept by the dedupe pipeline, one key per kind (``content``, ``near``).
DUPLICATE_STATS = f"{STAT_PREFIX}/duplicates/"


class CrawlInputError(ValueError):
    """The crawl cannot start because of the user's input; the message says how to fix it."""


@dataclass(frozen=True)
class CrawlOptions:
    base_url: str | None = None
    db: Path = DEFAULT_DB
    max_pages: int | None = None
    max_depth: int | None = None
    since: str | date | None = None
    backfill: bool = False
    refresh: bool = False
    refresh_days: int = DEFAULT_REFRESH_DAYS
    mirror_profile: bool = False
    log_file: Path | None = DEFAULT_LOG_FILE
    #: Extra Scrapy settings (highest priority); tests and benchmarks use it.
    settings: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class CheckedCrawl:
    """Options that passed :func:`check_options`: what the spider and Scrapy get."""

    options: CrawlOptions
    arguments: SpiderArguments
    db: Path


@dataclass(frozen=True)
class Progress:
    """A snapshot of a running crawl, for a progress line."""

    elapsed: float
    pages: int
    article_pages: int
    articles_new: int
    articles_updated: int
    articles_unchanged: int
    duplicates: int
    dropped: int
    errors: int
    max_pages: int | None = None

    @property
    def rate(self) -> float:
        """Pages per second."""
        return self.pages / self.elapsed if self.elapsed > 0 else 0.0

    @property
    def eta(self) -> float | None:
        """Seconds left for a bounded crawl (``--max-pages``), from the article-page rate so far."""
        if not self.max_pages or self.article_pages <= 0 or self.elapsed <= 0:
            return None
        remaining = max(self.max_pages - self.article_pages, 0)
        return remaining / (self.article_pages / self.elapsed)

    @classmethod
    def from_stats(cls, stats: dict[str, Any], elapsed: float, max_pages: int | None = None) -> Progress:
        def count(key: str) -> int:
            return int(stats.get(key) or 0)

        return cls(
            elapsed=elapsed,
            pages=count("response_received_count"),
            article_pages=count(f"{STAT_PREFIX}/articles/requested"),
            articles_new=count(f"{STAT_PREFIX}/store/new"),
            articles_updated=count(f"{STAT_PREFIX}/store/updated"),
            articles_unchanged=count(f"{STAT_PREFIX}/store/unchanged"),
            duplicates=sum(int(value or 0) for key, value in stats.items() if key.startswith(DUPLICATE_STATS)),
            dropped=count("item_dropped_count"),
            errors=count("log_count/ERROR"),
            max_pages=max_pages,
        )


@dataclass(frozen=True)
class CrawlOutcome:
    finish_reason: str | None
    stats: dict[str, Any]
    elapsed: float
    error: str | None = None  # a crawl that could not run at all (e.g. the store failed to open)
    log_error: str | None = None  # the log file could not be written (a full disk): the crawl was stopped
    #: ``status`` and ``finish_reason`` of the run record the store pipeline closed (None: no record).
    run_status: str | None = None
    run_reason: str | None = None
    #: The whole run record (``crawl_runs`` row) the crawl closed: the figures its summary shows.
    run_record: dict[str, Any] | None = None

    @property
    def failed_in_store(self) -> bool:
        """The store recorded the run as not successful (e.g. a write failed: disk full)."""
        return self.run_status is not None and self.run_status != RUN_FINISHED

    @property
    def ok(self) -> bool:
        return (
            self.error is None
            and self.log_error is None
            and self.finish_reason in GOOD_FINISH_REASONS
            and not self.failed_in_store
        )

    def progress(self, max_pages: int | None = None) -> Progress:
        return Progress.from_stats(self.stats, self.elapsed, max_pages)


ProgressCallback = Callable[[Progress], None]


# -- checking input -------------------------------------------------------------------------------------------


def check_options(options: CrawlOptions) -> CheckedCrawl:
    """Check every option before anything is opened; raise :class:`CrawlInputError` with a fix."""
    base_url = options.base_url or os.environ.get("ARABPRESS_BASE_URL") or DEFAULT_BASE_URL
    try:
        arguments = parse_arguments(
            base_url,
            max_pages=options.max_pages,
            max_depth=options.max_depth,
            since=options.since,
            backfill=options.backfill,
            refresh=options.refresh,
            refresh_days=options.refresh_days,
        )
    except ArgumentError as error:
        raise CrawlInputError(str(error)) from None
    db = check_db_path(options.db)
    if options.log_file is not None:
        check_writable_file(options.log_file, "log file", "--log-file")
    check_writer_mode(options.settings.get(WRITER_SETTING) or os.environ.get(WRITER_SETTING))
    return CheckedCrawl(options=options, arguments=arguments, db=db)


def check_writer_mode(mode: str | None) -> None:
    """``ARABPRESS_WRITER`` must name a known mode (``process`` or ``inline``)."""
    if mode and mode.strip().lower() not in WRITER_MODES:
        raise CrawlInputError(f"{WRITER_SETTING}={mode!r} is not a writer mode: use {' or '.join(WRITER_MODES)}")


def check_db_path(path: Path) -> Path:
    """The absolute DB path if it can be opened for writing; else :class:`CrawlInputError`."""
    path = check_writable_file(path, "database", "--db")
    if path.exists() and path.stat().st_size > 0:
        with path.open("rb") as handle:
            header = handle.read(len(SQLITE_HEADER))
        if header != SQLITE_HEADER:
            raise CrawlInputError(f"{path} is not an SQLite database; give another path with --db")
    try:
        connection.check_file(path)  # damaged (quick_check) or another program's database: refused, never written
    except connection.NotADatabase as error:
        raise CrawlInputError(str(error)) from error
    return path


def check_writable_file(path: Path, what: str, option: str) -> Path:
    """The absolute ``path`` once its directory exists and a file there can be written (never truncated)."""
    path = Path(path).expanduser().absolute()
    if path.is_dir():
        raise CrawlInputError(f"{what} path {path} is a directory; give a file path with {option}")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        if path.exists():
            with path.open("ab"):
                pass
        else:
            with tempfile.TemporaryFile(dir=path.parent):
                pass
    except OSError as error:
        reason = error.strerror or str(error)
        raise CrawlInputError(f"cannot write the {what} {path} ({reason}); use another path with {option}") from None
    return path


# -- logging ------------------------------------------------------------------------------------------------------


def disk_error_message(path: Path | str, error: OSError) -> str:
    """One line for a file that could not be written; a full disk (or quota) is called so."""
    reason = error.strerror or str(error)
    if error.errno in DISK_FULL_ERRNOS:
        return f"the disk is full: cannot write {path} ({reason}); free some space, then run again"
    return f"cannot write {path} ({reason})"


class CrawlLogHandler(RotatingFileHandler):
    """The crawl's rotated log file. A write that fails (a full disk) is remembered once as :attr:`failure`
    and passed to :attr:`on_failure`, instead of a traceback on stderr for every record; the file is then
    left alone for the rest of the run."""

    def __init__(self, log_file: Path) -> None:
        super().__init__(log_file, maxBytes=LOG_MAX_BYTES, backupCount=LOG_BACKUP_COUNT, encoding="utf-8")
        self.path = log_file
        self.failure: str | None = None
        self.on_failure: Callable[[str], None] | None = None

    def emit(self, record: logging.LogRecord) -> None:
        if self.failure is None:
            super().emit(record)

    def handleError(self, record: logging.LogRecord) -> None:  # noqa: N802 (logging's name)
        error = sys.exc_info()[1]
        if isinstance(error, OSError):
            self._failed(error)
        else:
            super().handleError(record)

    def flush(self) -> None:
        try:
            super().flush()
        except OSError as error:
            self._failed(error)

    def close(self) -> None:
        try:
            super().close()
        except OSError as error:
            self._failed(error)

    def _failed(self, error: OSError) -> None:
        if self.failure is not None:
            return
        self.failure = disk_error_message(self.path, error)
        if self.on_failure is not None:
            self.on_failure(self.failure)


def log_handler(log_file: Path | None, level: str) -> logging.Handler:
    """A rotated file handler for Scrapy's log and ours (a no-op handler when there is no log file)."""
    if log_file is None:
        return logging.NullHandler()
    log_file.parent.mkdir(parents=True, exist_ok=True)
    handler = CrawlLogHandler(log_file)
    handler.setLevel(level)
    handler.setFormatter(logging.Formatter(LOG_FORMAT))
    return handler


def root_log_level(log_level: str | int, current: int) -> int:
    """The level of the root logger and of Scrapy's during a crawl: the crawl's ``LOG_LEVEL``, or ``current``
    (the root's) if that is lower.

    A record below a logger's level is never made. Scrapy's logging set-up puts its own loggers at ``DEBUG``,
    and the root logger stood at ``DEBUG``: each of the messages Scrapy logs for every page and every item
    ("Crawled (200) …", "Scraped from …") became a record (the caller's frame looked up, the time taken) that
    the log file's handler then threw away, ~0.04 ms of the crawler's CPU a page. A level someone asked for
    below it (a test capturing ``DEBUG``) is kept.
    """
    level = logging.getLevelName(log_level.upper()) if isinstance(log_level, str) else log_level
    if not isinstance(level, int):  # an unknown name: the handler refused it already; keep what was asked
        return current
    return min(level, current)


# -- running ----------------------------------------------------------------------------------------------------


def scrapy_settings(checked: CheckedCrawl) -> Settings:
    """The project settings, the profile and the command's own values (in rising priority)."""
    settings = Settings()
    settings.setmodule("arabpress_crawler.settings", priority="project")
    settings.set("ARABPRESS_DB", str(checked.db), priority="cmdline")
    settings.set("ARABPRESS_BASE_URL", checked.arguments.base_url, priority="cmdline")
    settings.set("LOG_INSTALL_ROOT_HANDLER", False, priority="cmdline")
    if checked.options.mirror_profile:
        settings.set(PROFILE_SETTING, MIRROR_PROFILE, priority="cmdline")
    settings.setdict(checked.options.settings, priority="cmdline")
    return settings


def spider_kwargs(arguments: SpiderArguments) -> dict[str, Any]:
    return {
        "base_url": arguments.base_url,
        "max_pages": arguments.max_pages,
        "max_depth": arguments.max_depth,
        "since": arguments.since,
        "backfill": arguments.backfill,
        "refresh": arguments.refresh,
        "refresh_days": arguments.refresh_days,
    }


class _ProgressPoller:
    """Calls the progress callback every :data:`PROGRESS_INTERVAL_SECONDS` while the spider runs."""

    def __init__(self, crawler: Crawler, callback: ProgressCallback, max_pages: int | None) -> None:
        self.crawler = crawler
        self.callback = callback
        self.max_pages = max_pages
        self.started = time.monotonic()
        self.loop: Any = None  # made when the spider opens: a looping call needs the installed reactor

    def start(self) -> None:
        self.started = time.monotonic()
        self.loop = create_looping_call(self.tick)
        self.loop.start(PROGRESS_INTERVAL_SECONDS, now=True)

    def stop(self) -> None:
        if self.loop is not None and self.loop.running:
            self.loop.stop()
        self.tick()

    def tick(self) -> None:
        stats = self.crawler.stats.get_stats()
        self.callback(Progress.from_stats(stats, time.monotonic() - self.started, self.max_pages))


def run_crawl(checked: CheckedCrawl, on_progress: ProgressCallback | None = None) -> CrawlOutcome:
    """Run the ``articles`` spider with ``checked`` options; blocks until the crawl ends."""
    settings = scrapy_settings(checked)
    handler = log_handler(checked.options.log_file, settings.get("LOG_LEVEL"))
    root = logging.getLogger()
    root.addHandler(handler)
    level = root_log_level(settings.get("LOG_LEVEL"), root.getEffectiveLevel())
    root.setLevel(level)
    started = time.monotonic()
    errors: list[str] = []
    try:
        process = CrawlerProcess(settings)
        logging.getLogger(SCRAPY_LOGGER).setLevel(level)  # Scrapy's logging set-up just put it at DEBUG
        crawler = process.create_crawler(ARTICLES_SPIDER)
        # Held here: signal receivers are weak references.
        poller = _attach_progress(crawler, on_progress, checked.arguments.max_pages) if on_progress else None
        stopper = _StopOnLogFailure(crawler, handler) if isinstance(handler, CrawlLogHandler) else None
        deferred = process.crawl(crawler, **spider_kwargs(checked.arguments))
        deferred.addErrback(_record_failure, errors)
        logger.info("crawling %s into %s", checked.arguments.base_url, checked.db)
        process.start()
        stats = dict(crawler.stats.get_stats()) if not errors else {}  # no stats: the crawl never started
        del poller, stopper
    finally:
        root.removeHandler(handler)
        handler.close()
    log_error = handler.failure if isinstance(handler, CrawlLogHandler) else None
    record = last_run_record(checked.db) if not errors else None
    return CrawlOutcome(
        finish_reason=stats.get("finish_reason"),
        stats=stats,
        elapsed=time.monotonic() - started,
        error=errors[0] if errors else None,
        log_error=log_error,
        run_status=record["status"] if record else None,
        run_reason=record["finish_reason"] if record else None,
        run_record=record,
    )


def last_run_record(db: Path) -> dict[str, Any] | None:
    """The newest ``crawl_runs`` row (the run this crawl closed), or ``None`` if there is none or it is unreadable."""
    if not db.is_file():
        return None
    try:
        return runs.last_run_row(db)
    except sqlite3.Error as error:
        logger.warning("cannot read the run record in %s: %s", db, error)
        return None


class _StopOnLogFailure:
    """Stops the crawl when its log file cannot be written (as soon as the engine runs, if that is later)."""

    RETRY_SECONDS = 0.1

    def __init__(self, crawler: Crawler, handler: CrawlLogHandler) -> None:
        self.crawler = crawler
        self.handler = handler
        self.stopping = False
        handler.on_failure = self.failed
        crawler.signals.connect(self.spider_opened, signal=signals.spider_opened)

    def failed(self, message: str) -> None:
        if is_reactor_installed():  # else the crawl has not started: stopped when the spider opens
            self._later(0)

    def spider_opened(self) -> None:
        if self.handler.failure is not None:
            self._later(0)

    def _later(self, seconds: float) -> None:
        from twisted.internet import reactor

        reactor.callLater(seconds, self.stop)  # never from inside a logging call of the engine

    def stop(self) -> None:
        engine = self.crawler.engine
        if self.stopping or engine is None:
            return
        if not engine.running:  # opened but not started yet
            self._later(self.RETRY_SECONDS)
            return
        self.stopping = True
        reason = f"{LOG_ERROR_REASON}: {self.handler.failure}"
        deferred = deferred_from_coro(engine.close_spider_async(reason=reason))
        deferred.addErrback(lambda failure: sys.stderr.write(f"could not stop the crawl: {failure.getErrorMessage()}\n"))


def _attach_progress(crawler: Crawler, callback: ProgressCallback, max_pages: int | None) -> _ProgressPoller:
    poller = _ProgressPoller(crawler, callback, max_pages)
    crawler.signals.connect(poller.start, signal=signals.spider_opened)
    crawler.signals.connect(poller.stop, signal=signals.spider_closed)
    return poller


def database_counts(db: Path) -> dict[str, int]:
    """What the database holds, for summaries: articles (originals), near-duplicates, aliases, headlines…"""
    return queries.database_counts(db)


def _record_failure(failure: Failure, errors: list[str]) -> None:
    message = failure.getErrorMessage()
    logger.error("the crawl could not run: %s", message, exc_info=failure.value)
    errors.append(message)
