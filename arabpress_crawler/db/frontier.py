"""The ``frontier`` table: article links a run found but did not finish (see :mod:`arabpress_crawler.frontier`).

One row per canonical URL. ``attempts`` counts the runs whose fetch of it failed with an error worth
retrying; ``next_try_at`` is its back-off; ``given_up_at`` is set after too many failed runs (reported by
``arabpress check``, never requested again unless the article turns up stored).
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import sqlite_utils

from arabpress_crawler.db.connection import utc_now

logger = logging.getLogger(__name__)

DEFAULT_MAX_ATTEMPTS = 3
DEFAULT_BACKOFF_SECONDS = 600.0
MAX_BACKOFF_SECONDS = 7 * 24 * 3600.0
#: Why a link is in the frontier.
PENDING = "pending"  # found, not fetched yet (cut by a cap, a stop, or not reached before a kill)
FAILED = "failed"  # fetched and failed with an error worth retrying


@dataclass(frozen=True)
class FrontierLink:
    """An article link to keep for a later run (``reason``: :data:`PENDING`)."""

    url: str  # canonical URL: the key
    link: str  # the link as found: what is requested
    source: str
    depth: int


@dataclass(frozen=True)
class FrontierFailure:
    """A fetch of ``url`` failed with an error worth retrying in a later run."""

    url: str
    link: str
    source: str
    depth: int
    error: str


@dataclass(frozen=True)
class FrontierDrop:
    """``url`` will never give an article (404, not an article…): out of the frontier."""

    url: str
    reason: str


FrontierRecord = FrontierLink | FrontierFailure | FrontierDrop


@dataclass(frozen=True)
class DueLink:
    """A frontier link a run requests first."""

    url: str
    link: str
    source: str
    depth: int
    attempts: int


@dataclass(frozen=True)
class FrontierPolicy:
    """When a failed link is tried again, and when it is given up."""

    max_attempts: int = DEFAULT_MAX_ATTEMPTS
    backoff_seconds: float = DEFAULT_BACKOFF_SECONDS

    def next_try(self, attempts: int, now: datetime | None = None) -> str:
        """The earliest time (``YYYY-MM-DDTHH:MM:SSZ``) to try again after ``attempts`` failed runs."""
        wait = min(self.backoff_seconds * 2 ** max(attempts - 1, 0), MAX_BACKOFF_SECONDS)
        when = (now or datetime.now(UTC)) + timedelta(seconds=wait)
        return when.strftime("%Y-%m-%dT%H:%M:%SZ")

    def gives_up(self, attempts: int) -> bool:
        return attempts >= self.max_attempts



FRONTIER_TABLE = """
CREATE TABLE frontier (
    url TEXT PRIMARY KEY,
    link TEXT NOT NULL,
    source TEXT NOT NULL,
    depth INTEGER NOT NULL DEFAULT 1,
    reason TEXT NOT NULL DEFAULT 'pending',
    attempts INTEGER NOT NULL DEFAULT 0,
    first_seen_at TEXT NOT NULL,
    last_tried_at TEXT,
    next_try_at TEXT,
    last_error TEXT,
    given_up_at TEXT,
    run_id INTEGER REFERENCES crawl_runs(id),
    failed_run_id INTEGER REFERENCES crawl_runs(id)
);
CREATE INDEX frontier_due ON frontier(given_up_at, next_try_at);
"""


@dataclass(frozen=True)
class GivenUp:
    """A link given up after too many failed runs."""

    url: str
    attempts: int
    last_error: str | None
    given_up_at: str


def create_table(db: sqlite_utils.Database) -> None:
    """The schema step that creates the table (called by :mod:`arabpress_crawler.db.schema`)."""
    for statement in FRONTIER_TABLE.strip().split(";"):
        if statement.strip():
            db.execute(statement)


def write(
    conn: sqlite3.Connection, records: Sequence[FrontierRecord], *, run_id: int | None, policy: FrontierPolicy
) -> int:
    """Write frontier records on ``conn`` (in the caller's transaction); returns how many links were given up."""
    now = utc_now()
    given_up = 0
    for record in records:
        if isinstance(record, FrontierLink):
            conn.execute(
                "INSERT INTO frontier(url, link, source, depth, reason, first_seen_at, run_id)"
                " VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT(url) DO UPDATE SET run_id = excluded.run_id",
                (record.url, record.link, record.source, record.depth, PENDING, now, run_id),
            )
        elif isinstance(record, FrontierDrop):
            conn.execute("DELETE FROM frontier WHERE url = ?", (record.url,))
        elif isinstance(record, FrontierFailure):
            given_up += _write_failure(conn, record, run_id=run_id, policy=policy, now=now)
    return given_up


def _write_failure(conn: sqlite3.Connection, record: FrontierFailure, *, run_id: int | None, policy: FrontierPolicy, now: str) -> int:
    row = conn.execute(
        "SELECT attempts, failed_run_id FROM frontier WHERE url = ?", (record.url,)
    ).fetchone()
    attempts = int(row[0]) if row else 0
    if not (row and run_id is not None and row[1] == run_id):  # one attempt per run, however often it failed
        attempts += 1
    gives_up = policy.gives_up(attempts)
    conn.execute(
        "INSERT INTO frontier(url, link, source, depth, reason, attempts, first_seen_at, last_tried_at,"
        " next_try_at, last_error, given_up_at, run_id, failed_run_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
        " ON CONFLICT(url) DO UPDATE SET reason = excluded.reason, attempts = excluded.attempts,"
        " last_tried_at = excluded.last_tried_at, next_try_at = excluded.next_try_at,"
        " last_error = excluded.last_error, given_up_at = excluded.given_up_at, run_id = excluded.run_id,"
        " failed_run_id = excluded.failed_run_id",
        (record.url, record.link, record.source, record.depth, FAILED, attempts, now, now,
         policy.next_try(attempts), record.error, now if gives_up else None, run_id, run_id),
    )  # fmt: skip
    if gives_up:
        logger.warning("gave up on %s after %d failed runs (last error: %s)", record.url, attempts, record.error)
    return int(gives_up)


def prune(conn: sqlite3.Connection) -> int:
    """Remove the links that are now stored (as an article or an alias); returns how many."""
    cursor = conn.execute(
        "DELETE FROM frontier WHERE url IN (SELECT url FROM articles) OR url IN (SELECT alias_url FROM url_aliases)"
    )
    return cursor.rowcount


def due_links(db: sqlite_utils.Database, *, now: str | None = None) -> list[DueLink]:
    """Links to request first: not given up and past their back-off, oldest first."""
    rows = db.execute(
        "SELECT url, link, source, depth, attempts FROM frontier WHERE given_up_at IS NULL"
        " AND (next_try_at IS NULL OR next_try_at <= ?) ORDER BY first_seen_at, url",
        (now or utc_now(),),
    ).fetchall()
    return [DueLink(url, link, source, int(depth), int(attempts)) for url, link, source, depth, attempts in rows]


def pending_count(db: sqlite_utils.Database | sqlite3.Connection) -> int:
    """Links still to visit (not given up), whatever their back-off."""
    return int(db.execute("SELECT count(*) FROM frontier WHERE given_up_at IS NULL").fetchone()[0])


def given_up(db: sqlite_utils.Database) -> list[GivenUp]:
    """Every link given up, newest first."""
    rows = db.execute(
        "SELECT url, attempts, last_error, given_up_at FROM frontier WHERE given_up_at IS NOT NULL"
        " ORDER BY given_up_at DESC, url"
    ).fetchall()
    return [GivenUp(url, int(attempts), error, when) for url, attempts, error, when in rows]
