"""The crawl lock: one crawl at a time per database, whichever way the crawl is started.

``<db>.lock`` sits beside the real database file (symlinks resolved: two paths to one file share one lock) and
is held with ``filelock`` (``flock``: the OS releases it when the process dies, SIGKILL included).

* :class:`DatabaseLock` is a Scrapy extension, first in ``EXTENSIONS``, so ``arabpress crawl``, ``scrapy crawl``
  and Scrapyd jobs all take the lock. It takes it when the extensions are built, which is before the engine
  builds the scheduler (``JOBDIR``), the item pipelines (the database) and the feed exports. A crawl that finds
  the lock held is *locked out*: it logs one line saying so, turns the pipelines, the feeds and ``JOBDIR`` off
  for itself (settings are frozen only after the extensions are built), and closes with the finish reason
  :data:`LOCKED_REASON` before fetching anything. ``scrapy crawl`` then exits 0, as ``arabpress crawl`` does for
  an overlapping cron run: Scrapy's exit status only says whether the crawler could start. With
  ``ARABPRESS_LOCK_WAIT = True`` the crawl waits for the lock instead (SIGINT/SIGTERM end the wait).
  The lock is released when the engine has stopped, after the run record is closed.
* With ``ARABPRESS_RESUMABLE = True`` the extension also gives the crawl a ``JOBDIR`` (see
  :mod:`arabpress_crawler.jobdir`), which only the lock holder may use.
* :func:`crawl_lock` is the same lock as a context manager, for ``arabpress crawl`` (its ``--wait`` waits before
  Scrapy starts) and the ``arabpress db`` commands. Within one process the lock is re-entrant: the extension of
  a crawl that ``arabpress crawl`` started shares the lock the command holds.
* A worker of a distributed run (``ARABPRESS_REDIS_RUN``) takes no lock: its coordinator (``arabpress crawl
  --redis``) holds it and is the only process that writes the database.
"""

from __future__ import annotations

import logging
import os
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from filelock import FileLock, Timeout
from scrapy import signals
from scrapy.exceptions import CloseSpider, NotConfigured

from arabpress_crawler import jobdir
from arabpress_crawler.run_record import LOCKED_OUT_SETTING, stores_items

if TYPE_CHECKING:
    from scrapy.crawler import Crawler
    from scrapy.settings import Settings

logger = logging.getLogger(__name__)

#: Finish reason of a crawl that found another crawl holding the database's lock.
LOCKED_REASON = "database_locked"
#: Finish reason of a crawl stopped (SIGINT/SIGTERM) while it waited for the lock.
SHUTDOWN_REASON = "shutdown"
WAIT_SETTING = "ARABPRESS_LOCK_WAIT"
#: Above ``cmdline`` (40): what a locked-out crawl turns off wins over anything the user set.
LOCKED_OUT_PRIORITY = 50
#: Settings a locked-out crawl turns off, so it writes nothing: the database, feeds, the job directory.
LOCKED_OUT_SETTINGS: dict[str, Any] = {
    LOCKED_OUT_SETTING: True,
    "ITEM_PIPELINES": {},
    "FEEDS": {},
    "JOBDIR": None,
}
WAIT_POLL_SECONDS = 0.5

_LOCKS: dict[Path, FileLock] = {}
_LOCKS_GUARD = threading.Lock()


def lock_path(db: Path | str) -> Path:
    """``<db>.lock`` beside the real file: a symlinked database path shares the lock of the file it names."""
    real = Path(os.path.realpath(db))
    return real.with_name(real.name + ".lock")


def database_lock(db: Path | str) -> FileLock:
    """The process's one lock object for ``db`` (re-entrant: each ``acquire`` needs its ``release``)."""
    path = lock_path(db)
    with _LOCKS_GUARD:
        lock = _LOCKS.get(path)
        if lock is None:
            path.parent.mkdir(parents=True, exist_ok=True)
            lock = _LOCKS[path] = FileLock(str(path), thread_local=False)
        return lock


def try_acquire(lock: FileLock) -> bool:
    """Take ``lock`` if it is free; ``False`` (at once) if another process holds it."""
    try:
        lock.acquire(timeout=0)
    except Timeout:
        return False
    return True


@contextmanager
def crawl_lock(db: Path, *, wait: bool) -> Iterator[bool]:
    """Hold ``<db>.lock`` for the block; yields ``False`` (without waiting) if another crawl holds it."""
    lock = database_lock(db)
    if wait:
        lock.acquire()
    elif not try_acquire(lock):
        yield False
        return
    try:
        yield True
    finally:
        lock.release()


def wait_for(lock: FileLock, message: str) -> bool:
    """Log ``message`` and wait for ``lock``; ``False`` when SIGINT or SIGTERM came first (then passed on).

    The signals are caught before the message is logged: from then on a signal ends the wait (Scrapy's own
    handlers would only queue a shutdown on the event loop this wait blocks).
    """
    if threading.current_thread() is not threading.main_thread():
        logger.warning(message)
        lock.acquire()
        return True
    received: list[int] = []
    previous = {number: signal.getsignal(number) for number in (signal.SIGINT, signal.SIGTERM)}
    for number in previous:
        signal.signal(number, lambda number, frame: received.append(number))
    logger.warning(message)
    try:
        while not received:
            try:
                lock.acquire(timeout=WAIT_POLL_SECONDS)
                return True
            except Timeout:
                continue
        return False
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)
        if received:
            signal.raise_signal(received[0])


class DatabaseLock:
    """Scrapy extension: hold the database's lock for the whole crawl (see the module docstring)."""

    def __init__(self, db: Path, lock: FileLock, *, held: bool, crawler: Crawler | None = None) -> None:
        self.db = db
        self.lock = lock
        self.held = held
        self.crawler = crawler
        self.job_dir: Path | None = None  # the crawl's JOBDIR when it is resumable
        self.close_reason = LOCKED_REASON  # of a crawl that does not hold the lock

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> DatabaseLock:
        settings = crawler.settings
        if not settings.get("ARABPRESS_DB"):
            raise NotConfigured("no ARABPRESS_DB: no database to lock")
        if settings.get("ARABPRESS_REDIS_RUN"):
            raise NotConfigured("a distributed worker: its coordinator holds the lock and does the writing")
        if not stores_items(settings.getwithbase("ITEM_PIPELINES")):
            raise NotConfigured("the store pipeline is off: the crawl writes no database")
        db = Path(settings.get("ARABPRESS_DB")).expanduser().absolute()
        lock = database_lock(db)
        held = try_acquire(lock)
        if not held and settings.getbool(WAIT_SETTING):
            held = wait_for(lock, f"waiting for the crawl that holds {lock_path(db)} to end ({WAIT_SETTING})")
            interrupted = not held
        else:
            interrupted = False
        extension = cls(db, lock, held=held, crawler=crawler)
        if held:
            extension.job_dir = jobdir.configure(settings, db)
            crawler.signals.connect(extension.engine_stopped, signal=signals.engine_stopped)
        else:
            if interrupted:
                extension.close_reason = SHUTDOWN_REASON
            else:
                logger.warning(extension.refusal())
            lock_out(settings)
            crawler.signals.connect(extension.spider_opened, signal=signals.spider_opened)
        return extension

    def spider_opened(self) -> None:
        """A locked-out crawl ends here, before its first request."""
        raise CloseSpider(self.close_reason)

    def engine_stopped(self) -> None:
        """The crawl is over (run record closed): a finished job's directory goes, then the lock."""
        if not self.held:
            return
        try:
            if self.job_dir is not None and self.crawler is not None and self.crawler.stats is not None:
                jobdir.crawl_ended(self.job_dir, self.crawler.stats.get_value("finish_reason"))
        finally:
            self.held = False
            self.lock.release()

    def refusal(self) -> str:
        return (
            f"another crawl holds {lock_path(self.db)}: not crawling into {self.db}"
            f" (set {WAIT_SETTING}=True to wait for it)"
        )


def lock_out(settings: Settings) -> None:
    """Turn off what would write for a crawl that does not hold the lock."""
    for name, value in LOCKED_OUT_SETTINGS.items():
        settings.set(name, value, priority=LOCKED_OUT_PRIORITY)
