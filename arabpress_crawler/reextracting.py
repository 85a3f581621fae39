"""Running ``arabpress reextract`` over a database: the lock, reading records in file order, batched writes.

The database is read through a second, read-only connection (a snapshot, in WAL mode) while the changes are
written in transactions of :data:`BATCH` articles on the main one, so a re-extraction of any size runs in
bounded memory and a killed one leaves every batch either written or not. The writing connection is the
crawl's shared store (:mod:`arabpress_crawler.db.session`), so the dedupe pipeline a changed text goes through
reads this run's uncommitted writes, as in a crawl. Extraction runs in one worker process per usable core by
default (``jobs``), in chunks of consecutive rows; with workers, this process only reads the rows and writes.
It takes the crawl's lock: a crawl and a re-extraction never write the same database at once. See
:mod:`arabpress_crawler.reextract` for what is compared and what is written.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import time
from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from contextlib import ExitStack
from dataclasses import replace
from itertools import chain, islice
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

from arabpress_crawler import crawling, db
from arabpress_crawler.archive import files
from arabpress_crawler.archive.reader import RecordMissing, read_at
from arabpress_crawler.db import archive as archive_db
from arabpress_crawler.db import session
from arabpress_crawler.db.archive import DUPLICATE_OF
from arabpress_crawler.db.records import ArticleAlias, DedupedArticle
from arabpress_crawler.db.related import replace_related, wanted_related
from arabpress_crawler.db.writers import ArticleWriter
from arabpress_crawler.extraction_version import extraction_version
from arabpress_crawler.reextract import (
    ALIAS,
    CHANGED,
    MISSING,
    NO_RECORD,
    UNCHANGED,
    Report,
    Result,
    reextract_one,
)

if TYPE_CHECKING:
    from collections.abc import Callable

    from arabpress_crawler.db.archive import StoredArticle
    from arabpress_crawler.items import ArticleItem

logger = logging.getLogger(__name__)

BATCH = 200
#: Changed fields after which the dedupe decisions are made again: the text, or the date that says which of
#: two copies is the original.
DEDUPE_TRIGGERS = frozenset({"content_hash", "published_at"})
#: Articles a worker process takes at a time, and chunks in flight per worker.
CHUNK = 50
IN_FLIGHT_PER_JOB = 2


class ReextractError(RuntimeError):
    """Re-extraction cannot start; the message says why and what to do."""


class ArchiveFiles:
    """One open archive file at a time (records are read in file order)."""

    def __init__(self, base: Path, stack: ExitStack) -> None:
        self.base = base
        self.stack = stack
        self.name: str | None = None
        self.handle: BinaryIO | None = None

    def open(self, name: str) -> BinaryIO | None:
        if name != self.name:
            if self.handle is not None:
                self.handle.close()
            self.name, self.handle = name, None
            path = files.resolve(name, self.base)
            if path is not None:
                self.handle = path.open("rb")
                self.stack.callback(self.handle.close)
        return self.handle


def reextract_stored(stored: StoredArticle, archive: ArchiveFiles) -> Result:
    record = stored.archive
    if record is None:
        return Result(stored, NO_RECORD)
    handle = archive.open(record.file)
    if handle is None:
        logger.warning("archive file %s of %s not found", record.file, stored.url)
        return Result(stored, MISSING, detail=f"file {record.file} not found")
    try:
        archived = read_at(handle, record.offset, record.length, record_id=record.record_id)
    except RecordMissing as error:
        logger.warning("archived response of %s unreadable: %s", stored.url, error)
        return Result(stored, MISSING, detail=str(error))
    return reextract_one(stored, archived)


def _reextract_chunk(base: Path, chunk: list[StoredArticle]) -> list[Result]:
    """A worker's share: a run of consecutive rows (mostly one archive file)."""
    with ExitStack() as stack:
        archive = ArchiveFiles(base, stack)
        results = [reextract_stored(stored, archive) for stored in chunk]
    for result in results:  # what goes back through the pipe: only what the writer needs
        if result.outcome != CHANGED:
            result.item = None
            result.stored = replace(result.stored, values={})  # the writer needs its URL, not its text
    return results


def _chunks(stored: Iterable[StoredArticle], size: int) -> Iterator[list[StoredArticle]]:
    iterator = iter(stored)
    while chunk := list(islice(iterator, size)):
        yield chunk


def usable_cores() -> int:
    """The cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def results(stored: Iterable[StoredArticle], base: Path, *, jobs: int | None = 1) -> Iterator[Result]:
    """The result of each stored article, in order; with ``jobs`` > 1 from worker processes, a bounded number
    of chunks in flight (memory stays flat whatever the number of articles). ``jobs=None``: one worker per
    usable core, unless there are fewer articles than chunks in flight (starting workers would cost more).
    """
    iterator = iter(stored)
    head: list[StoredArticle] = []
    if jobs is None:
        jobs = usable_cores()
        head = list(islice(iterator, jobs * CHUNK * IN_FLIGHT_PER_JOB))
        if len(head) < jobs * CHUNK * IN_FLIGHT_PER_JOB:
            jobs = 1
    if jobs <= 1:
        with ExitStack() as stack:
            archive = ArchiveFiles(base, stack)
            for article in chain(head, iterator):
                yield reextract_stored(article, archive)
        return
    import arabpress_crawler.pages.article  # noqa: F401  (loaded once, before the workers fork)

    with ProcessPoolExecutor(max_workers=jobs) as pool:
        pending: deque[Future[list[Result]]] = deque()
        for chunk in _chunks(chain(head, iterator), CHUNK):
            pending.append(pool.submit(_reextract_chunk, base, chunk))
            if len(pending) >= jobs * IN_FLIGHT_PER_JOB:
                yield from pending.popleft().result()
        while pending:
            yield from pending.popleft().result()


class Writer:
    """Applies results in batches: revisions, updates and dedupe decisions for changed rows, the version for
    unchanged ones; ``done`` gets every result once its batch is written (outcome and changes as applied)."""

    def __init__(self, store: session.CrawlStore, version: str, done: Callable[[Result], None]) -> None:
        self.db = store.db
        self.version = version
        self.done = done
        self.articles = ArticleWriter(self.db)
        # Imported here: loading datasketch and numpy is for runs that write, not for every `arabpress` command.
        from arabpress_crawler.pipelines.dedupe import DedupePipeline

        self.dedupe = DedupePipeline(store.path)
        self.pending: list[Result] = []

    def open(self) -> None:
        self.dedupe.open_spider()  # the same store (connection) as ours: it sees this batch's writes

    def close(self) -> None:
        self.dedupe.close_spider()

    def add(self, result: Result) -> None:
        self.pending.append(result)
        if len(self.pending) >= BATCH:
            self.flush()

    def flush(self) -> None:
        if not self.pending:
            return
        now = db.utc_now()
        with db.transaction(self.db) as conn:
            for result in self.pending:
                if result.outcome == CHANGED:
                    self._write_changed(conn, result, now)
            archive_db.mark_version(
                conn, [result.stored.url for result in self.pending if result.outcome == UNCHANGED], self.version
            )
        for result in self.pending:
            self.done(result)
        self.pending = []

    def _write_changed(self, conn: sqlite3.Connection, result: Result, now: str) -> None:
        item = result.item
        assert item is not None
        if not archive_db.article_exists(conn, item.url):
            result.outcome = ALIAS  # an earlier decision of this run gave its text to an earlier article
            return
        decision = self._deduplicate(item, result) if DEDUPE_TRIGGERS & set(result.changed) else None
        archive_db.save_reextract_revision(conn, result.stored, result.changed, self.version, now)
        if isinstance(decision, ArticleAlias):
            target = ArticleWriter._resolve(conn, decision.url) or decision.url
            self.articles._demote(conn, decision.alias_url, target, decision.kind, now)
            result.outcome = ALIAS
            logger.info("re-extracted %s: now the text of %s, stored as an alias of it", item.url, target)
            return
        rowid = archive_db.update_reextracted(conn, item.url, result.changed, self.version)
        if archive_db.SEARCHED_FIELDS & set(result.changed):
            ArticleWriter._index_article(conn, rowid, item)
        if "related" in result.changed:
            replace_related(conn, item.url, wanted_related(item.related), now)
        if decision is not None:
            self.articles._apply_dedupe(conn, item.url, decision, now)
        logger.info("re-extracted %s: %s changed (earlier values kept as a revision)", item.url,
                    ", ".join(result.changed))  # fmt: skip

    def _deduplicate(self, item: ArticleItem, result: Result) -> DedupedArticle | ArticleAlias:
        """The crawl's dedupe decision for the re-extracted text (made before the row is updated, as in a crawl);
        a changed ``duplicate_of`` joins the result's changes."""
        before = self.dedupe.live(item.url)
        decision = self.dedupe.deduplicate(item)
        if isinstance(decision, DedupedArticle):
            earlier = before.duplicate_of if before is not None else None
            if item.duplicate_of != earlier:
                result.changed[DUPLICATE_OF] = (earlier, item.duplicate_of)
        return decision


def run(
    db_path: Path,
    *,
    since: str | None = None,
    url: str | None = None,
    dry_run: bool = False,
    jobs: int | None = 1,
    on_result: Callable[[Result], None] | None = None,
) -> Report:
    """Re-extract the stored articles of ``db_path`` (see the module docstring); never fetches anything.

    ``jobs`` > 1 extracts in that many worker processes (this process reads the rows and writes); ``None``:
    one per usable core.
    """
    if not db_path.is_file():
        raise ReextractError(f"no database at {db_path}: crawl first (arabpress crawl --db {db_path})")
    version = extraction_version()
    report = Report(version=version, dry_run=dry_run)
    with crawling.crawl_lock(db_path, wait=False) as locked:
        if not locked:
            raise ReextractError(f"a crawl is running on {db_path}: re-extract when it has finished")

        def done(result: Result) -> None:
            report.add(result)
            if on_result is not None:
                on_result(result)

        started = time.perf_counter()
        with ExitStack() as stack:
            stack.callback(lambda: setattr(report, "seconds", time.perf_counter() - started))
            if dry_run:  # opened without migrating: a dry run writes nothing
                stack.callback(db.open_db(db_path, create=False).conn.close)
                writer = None
            else:  # migrates an older database (adding the archive columns)
                store = session.acquire(db_path)
                stack.callback(session.release, store)
                writer = Writer(store, version, done)
                writer.open()
                stack.callback(writer.close)
            reader = archive_db.open_snapshot(db_path)
            stack.callback(reader.close)
            if not archive_db.has_archive_columns(reader):
                logger.info("%s predates the web archive: nothing to re-extract", db_path)
                return report
            stored = archive_db.stored_articles(reader, since=since, url=url)
            for result in results(stored, db_path.parent, jobs=jobs):
                if writer is None:
                    done(result)
                else:
                    writer.add(result)
            if writer is not None:
                writer.flush()
    return report
