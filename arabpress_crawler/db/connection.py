"""Opening the database: the pragmas of a writer, read-only opening for readers, and transactions.

A writer's connection (:func:`open_db`) is in autocommit mode (writes go through :func:`transaction`), WAL
journal, foreign keys on and a 30 s busy timeout; it creates or migrates the schema unless told not to. A
reader's connection (:func:`open_readonly`, :func:`read_only_query`) is opened with SQLite's ``mode=ro``: it
never creates, migrates or changes the file, and sees what another process commits meanwhile.
"""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlite_utils

from arabpress_crawler.db import safety

BUSY_TIMEOUT_MS = 30_000
#: Pages the write-ahead log may hold before a batch's commit copies them into the database (SQLite's
#: default is 1,000). In a large database each batch dirties pages all over its indexes; checkpointing
#: less often writes a page changed by several batches once (about 40 MB of log at most; every commit is
#: as durable as before, and closing the last connection still empties the log).
WAL_AUTOCHECKPOINT_PAGES = 10_000


def writer_pragmas() -> tuple[tuple[str, object], ...]:
    """The pragmas of a writing connection, in the order they are set (read when a connection opens)."""
    return (
        ("busy_timeout", BUSY_TIMEOUT_MS),
        ("journal_mode", "WAL"),
        ("synchronous", "NORMAL"),
        ("wal_autocheckpoint", WAL_AUTOCHECKPOINT_PAGES),
        ("foreign_keys", "ON"),
    )


class UnusableDatabase(sqlite3.DatabaseError):
    """The database file cannot be used: damaged, not SQLite, locked, or its disk is full. Names the file."""


class NotADatabase(ValueError):
    """A reader was pointed at a path that holds no arabpress database; the message says how to fix it."""


class DamagedDatabase(NotADatabase):
    """``PRAGMA quick_check`` finds the file damaged: it is named as such and never written to."""


def utc_now() -> str:
    """The current time as ``YYYY-MM-DDTHH:MM:SSZ``."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def to_json(value: Any) -> str:
    """JSON text as the database keeps it: UTF-8 (Arabic readable), object keys sorted."""
    return json.dumps(value, ensure_ascii=False, sort_keys=isinstance(value, dict), default=str)


def describe_error(path: str | Path, error: sqlite3.Error) -> str:
    """A one-line explanation of ``error`` on the database ``path``, saying what to do about it."""
    message = str(error)
    if isinstance(error, sqlite3.OperationalError):
        if "full" in message or ("disk I/O error" in message and disk_nearly_full(path)):
            return f"{path}: {message}; free some disk space, then run again (what was stored is intact)"
        if "locked" in message or "busy" in message:
            return f"{path}: {message}; another process is writing to it, try again when it is done"
        return f"{path}: {message}"
    return f"{path} is damaged or not an SQLite database ({message}); move it aside or restore a backup"


#: Free space below which an I/O error is taken for a full disk (SQLite reports ENOSPC on the WAL or a temp
#: file as "disk I/O error").
NEARLY_FULL_BYTES = 4 * 1024 * 1024


def disk_nearly_full(path: str | Path) -> bool:
    """Whether the file system holding ``path`` has (almost) no space left for an unprivileged write."""
    try:
        stats = os.statvfs(Path(path).absolute().parent)
    except OSError:
        return False
    return stats.f_bavail * stats.f_frsize < NEARLY_FULL_BYTES


def database_path(db: sqlite_utils.Database) -> str:
    """The file behind ``db`` (``:memory:`` for an in-memory database)."""
    for _, name, file in db.execute("PRAGMA database_list"):
        if name == "main":
            return file or ":memory:"
    return ":memory:"


def set_pragma(conn: sqlite3.Connection, name: str, value: object) -> Any:
    """Set the pragma ``name`` (a name and value of this module's, never user input); returns SQLite's answer."""
    row = conn.execute(f"PRAGMA {name} = {value}").fetchone()
    return row[0] if row else None


def pragma(db: sqlite_utils.Database | sqlite3.Connection, name: str) -> Any:
    """The value of the pragma ``name`` (``page_count``, ``journal_mode``…)."""
    return db.execute(f"PRAGMA {name}").fetchone()[0]


def open_db(path: str | Path, *, create: bool = True) -> sqlite_utils.Database:
    """Open (and create or migrate, unless ``create`` is false) the database at ``path`` for writing.

    The connection is in autocommit mode (writes use :func:`transaction`), with :func:`writer_pragmas`. A
    file that cannot be used raises :class:`UnusableDatabase` naming it.
    """
    from arabpress_crawler.db.schema import ensure_schema

    path = Path(path)
    if str(path) != ":memory:":
        path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False)
    try:
        for name, value in writer_pragmas():
            set_pragma(conn, name, value)
        db = sqlite_utils.Database(conn)
        if create:
            ensure_schema(db)
    except sqlite3.DatabaseError as error:
        conn.close()
        raise UnusableDatabase(describe_error(path, error)) from error
    return db


def connect_readonly(path: str | Path) -> sqlite3.Connection:
    """A read-only connection (``mode=ro``) to the existing file ``path``: never creates or changes it. On a
    read-only mount it is opened ``immutable`` (see :func:`arabpress_crawler.db.safety.connect_readonly`)."""
    return safety.connect_readonly(path)


def check_file(path: str | Path) -> None:
    """Refuse, without changing it, a file that is damaged or an SQLite database of something else.

    Raises :class:`DamagedDatabase` when ``PRAGMA quick_check`` finds damage, :class:`NotADatabase` for a
    foreign database; a missing or empty file (a new database) passes.
    """
    path = Path(path)
    if not path.is_file() or path.stat().st_size == 0:
        return
    with path.open("rb") as handle:
        if handle.read(len(safety.SQLITE_HEADER)) != safety.SQLITE_HEADER:
            raise NotADatabase(f"{path} is not a readable SQLite database (no SQLite header); it was not changed")
    problem = safety.damage(path)
    if problem is not None:
        raise DamagedDatabase(
            f"{path} is damaged (PRAGMA quick_check: {problem}); it was not changed: restore it from a backup,"
            " or move it aside to start a new database"
        )
    foreign = safety.foreign_tables(path)
    if foreign:
        shown = ", ".join(foreign[:5]) + (", …" if len(foreign) > 5 else "")
        raise NotADatabase(
            f"{path} is not an arabpress database (an SQLite database of something else, tables: {shown});"
            " it was not changed: give another --db"
        )


def open_readonly(path: str | Path) -> sqlite_utils.Database:
    """Open an existing arabpress database read-only; :class:`NotADatabase` if it is missing or foreign."""
    db_path = Path(path)
    if not db_path.is_file():
        raise NotADatabase(f"no database at {db_path}: run `arabpress crawl --db {db_path}` first or pass --db")
    check_file(db_path)
    conn = connect_readonly(db_path.resolve())
    db = sqlite_utils.Database(conn)
    try:
        has_articles = db["articles"].exists()
    except sqlite3.DatabaseError as exc:
        conn.close()
        raise NotADatabase(f"{db_path} is not a readable SQLite database ({exc})") from exc
    if not has_articles:
        conn.close()
        raise NotADatabase(f"{db_path} is not an arabpress database (no articles table): check --db")
    return db


def read_only_query(path: str | Path, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Rows of one query of this package on the file ``path``, opened read-only."""
    connection = connect_readonly(path)
    try:
        return connection.execute(sql, params).fetchall()
    finally:
        connection.close()


@contextmanager
def transaction(db: sqlite_utils.Database) -> Iterator[sqlite3.Connection]:
    """``BEGIN IMMEDIATE`` … ``COMMIT`` (``ROLLBACK`` on any error) on the database's connection."""
    conn = db.conn
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield conn
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")
