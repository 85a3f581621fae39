"""One crawl's database: a single connection shared by everything that reads or writes during the crawl.

:class:`CrawlStore` holds the connection, the :class:`~arabpress_crawler.db.writers.ArticleWriter` and the run
id. Records are written as they arrive, inside an open ``BEGIN IMMEDIATE`` transaction that
:meth:`CrawlStore.commit` ends (the store pipeline commits every N records or every few seconds): a process
killed at any moment loses at most the uncommitted records, which the next (incremental) run fetches again.
Because every reader of the crawl (the dedupe pipeline) uses the same connection, it sees the records written
in the open transaction: no second connection, no copy of the uncommitted batch in memory.

What was written is reported once it is committed, to the callbacks given to :meth:`CrawlStore.on_commit`
(the run record counts it); a write or commit that fails rolls the open transaction back, sets
:attr:`CrawlStore.error` and calls the :meth:`CrawlStore.on_failure` callbacks (the run record stops the
crawl). Nothing more is written after a failure.

:func:`acquire` and :func:`release` share one store per database file within the process: the dedupe and
store pipelines and the run-record extension each acquire it when the crawl opens and release it when they
are done; the last release closes the connection.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import sqlite_utils

from arabpress_crawler.db import connection
from arabpress_crawler.db.connection import describe_error
from arabpress_crawler.db.records import StoreRecord, WriteResult
from arabpress_crawler.db.writers import ArticleWriter

logger = logging.getLogger(__name__)

Written = list[tuple[StoreRecord, WriteResult]]
T = TypeVar("T")


class StoreFailed(RuntimeError):
    """A write was asked of a store that could not write earlier (see :attr:`CrawlStore.error`)."""


class CrawlStore:
    """The database of one crawl: one connection, one writer, one open transaction at a time."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.db: sqlite_utils.Database = connection.open_db(self.path)
        self.writer = ArticleWriter(self.db)
        self.error: str | None = None  # set when a write failed: nothing more is written
        self.lost = 0  # records of the failed transaction (rolled back)
        self.users = 0
        self._written: Written = []  # records of the open transaction and what writing them did
        self._commit_callbacks: list[Callable[[Written], None]] = []
        self._failure_callbacks: list[Callable[[str], None]] = []

    @property
    def run_id(self) -> int | None:
        return self.writer.run_id

    @run_id.setter
    def run_id(self, value: int | None) -> None:
        self.writer.run_id = value

    @property
    def uncommitted(self) -> int:
        """Records written in the open transaction."""
        return len(self._written)

    def on_commit(self, callback: Callable[[Written], None]) -> None:
        """Call ``callback`` with the records and results of every successful commit."""
        self._commit_callbacks.append(callback)

    def on_failure(self, callback: Callable[[str], None]) -> None:
        """Call ``callback`` with the one-line reason when a write or a commit fails."""
        self._failure_callbacks.append(callback)

    def unsubscribe(self, callback: Callable[..., None]) -> None:
        """Stop calling ``callback`` (given to :meth:`on_commit` or :meth:`on_failure`)."""
        self._commit_callbacks = [c for c in self._commit_callbacks if c != callback]
        self._failure_callbacks = [c for c in self._failure_callbacks if c != callback]

    def write(self, record: StoreRecord) -> WriteResult:
        """Write ``record`` in the open transaction (opened if needed); :class:`StoreFailed` after a failure.

        On a database error the open transaction is rolled back and :class:`StoreFailed` raised.
        """
        result = self.write_with(lambda conn: self.writer.write(conn, record), records=1)
        self._written.append((record, result))
        return result

    def write_with(self, write: Callable[[sqlite3.Connection], T], *, records: int = 0) -> T:
        """Run ``write(connection)`` in the open transaction (opened if needed), as :meth:`write` does for a
        record (``records``: how many records it writes, counted as lost if it fails). The frontier's rows go
        this way: committed with the batch they belong to."""
        if self.error is not None:
            raise StoreFailed(self.error)
        conn = self.db.conn
        try:
            if not conn.in_transaction:
                conn.execute("BEGIN IMMEDIATE")
            return write(conn)
        except sqlite3.Error as error:  # disk full, I/O error, damaged file
            self._fail(error, lost=len(self._written) + records)
            raise StoreFailed(self.error) from error

    def commit(self) -> Written:
        """Commit the open transaction; returns (and reports) what it held. :class:`StoreFailed` on failure."""
        conn = self.db.conn
        if not conn.in_transaction:
            return []
        try:
            conn.execute("COMMIT")
        except sqlite3.Error as error:
            self._fail(error, lost=len(self._written))
            raise StoreFailed(self.error) from error
        written, self._written = self._written, []
        for callback in self._commit_callbacks:
            callback(written)
        return written

    def fail_elsewhere(self, error: str, *, lost: int) -> None:
        """Another process writing for this crawl (the writer process) could not: nothing more is written here.

        Sets :attr:`error` and calls the :meth:`on_failure` callbacks, as a failed write of this store does.
        """
        if self.error is not None:
            return
        self.error = error
        self.lost = lost
        for callback in self._failure_callbacks:
            callback(error)

    def _fail(self, error: sqlite3.Error, *, lost: int) -> None:
        self.error = describe_error(self.path, error)
        self.lost = lost
        if self.db.conn.in_transaction:
            self.db.conn.execute("ROLLBACK")
        self._written = []
        logger.error("Could not store %d records: %s; stopping the crawl", lost, self.error)
        for callback in self._failure_callbacks:
            callback(self.error)

    def close(self) -> None:
        """Commit what is open (unless the store failed) and close the connection."""
        try:
            if self.error is None:
                self.commit()
        finally:
            self.db.close()


_OPEN: dict[str, CrawlStore] = {}


def _key(path: str | Path) -> str:
    return str(path) if str(path) == ":memory:" else str(Path(path).resolve())


def acquire(path: str | Path) -> CrawlStore:
    """The open store of the database ``path`` (opened, created or migrated on first use)."""
    key = _key(path)
    store = _OPEN.get(key)
    if store is None:
        store = _OPEN[key] = CrawlStore(path)
    store.users += 1
    return store


def release(store: CrawlStore) -> None:
    """Give ``store`` back; the last user's release commits and closes it."""
    store.users -= 1
    if store.users > 0:
        return
    key = _key(store.path)
    if _OPEN.get(key) is store:
        del _OPEN[key]
    store.close()
