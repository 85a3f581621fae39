"""Checks on a database file before anything is written to it or read from it (issue 12, items 4 and 6).

* :func:`damage` runs ``PRAGMA quick_check`` on a read-only connection: a damaged file is named as such (not
  as "is the site down?") and never written to;
* :func:`foreign_tables` tells an SQLite file of something else (tables, but none of ours) from an arabpress
  database or an empty file, so ``--db some-other.db`` is refused unchanged instead of getting our tables;
* :func:`connect_readonly` opens a file for reading even where nothing can be written beside it (a read-only
  mount: SQLite's ``mode=ro`` still wants to create the ``-shm`` file of a WAL database there), falling back
  to ``immutable=1``, which is right for a file nobody can change.
"""

from __future__ import annotations

import logging
import os
import sqlite3
from pathlib import Path

logger = logging.getLogger(__name__)

SQLITE_HEADER = b"SQLite format 3\x00"
#: Tables every arabpress database has (any schema version).
OUR_TABLES = frozenset({"articles", "crawl_runs"})
#: This project's schema table: a file with it is ours, and the schema check says if it is too new.
SCHEMA_TABLE = "schema_version"
#: Problems ``quick_check`` lists at most (the first is what the message shows).
QUICK_CHECK_ROWS = 5


def _uri(path: Path, mode: str) -> str:
    return f"{path.resolve().as_uri()}?{mode}"


def connect_readonly(path: str | Path) -> sqlite3.Connection:
    """A read-only connection to ``path``; ``immutable=1`` when its folder or file cannot be written."""
    path = Path(path)
    writable = os.access(path, os.W_OK) and os.access(path.resolve().parent, os.W_OK)
    conn = sqlite3.connect(_uri(path, "mode=ro"), uri=True)
    try:
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
    except sqlite3.OperationalError as error:
        conn.close()
        if writable and not _on_readonly_mount(path):
            raise
        logger.info("%s cannot be opened read-only beside its files (%s): opened immutable", path, error)
        conn = sqlite3.connect(_uri(path, "immutable=1"), uri=True)
    return conn


def _on_readonly_mount(path: Path) -> bool:
    try:
        return bool(os.statvfs(path.resolve().parent).f_flag & os.ST_RDONLY)
    except OSError:
        return False


def connect_for_check(path: str | Path) -> sqlite3.Connection:
    """A connection that looks at the file without creating anything beside it: ``immutable`` when there is
    no write-ahead log (nothing to miss), ``mode=ro`` when there is one (its frames are part of the data)."""
    path = Path(path)
    if path.with_name(path.name + "-wal").exists():
        return connect_readonly(path)
    return sqlite3.connect(_uri(path, "immutable=1"), uri=True)


def damage(path: str | Path) -> str | None:
    """What ``PRAGMA quick_check`` finds wrong with the file (its first problem), or ``None`` if it is sound."""
    try:
        conn = connect_for_check(path)
    except sqlite3.OperationalError as error:  # cannot be opened now (locked, unreadable): not judged here
        logger.warning("could not check %s: %s", path, error)
        return None
    except sqlite3.DatabaseError as error:  # the first page is already damaged
        return str(error)
    try:
        rows = [row[0] for row in conn.execute(f"PRAGMA quick_check({QUICK_CHECK_ROWS})")]
    except sqlite3.OperationalError as error:
        if "locked" in str(error) or "busy" in str(error):
            logger.warning("could not check %s: %s", path, error)
            return None
        return str(error)
    except sqlite3.DatabaseError as error:
        return str(error)
    finally:
        conn.close()
    return None if rows == ["ok"] else "; ".join(str(row) for row in rows[:2])


def foreign_tables(path: str | Path) -> list[str]:
    """The tables of a file that is not an arabpress database (empty for ours, or for an empty file)."""
    try:
        conn = connect_for_check(path)
        try:
            tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        finally:
            conn.close()
    except sqlite3.DatabaseError as error:  # locked, unreadable or damaged: not judged here
        logger.warning("could not list the tables of %s: %s", path, error)
        return []
    tables = {name for name in tables if not name.startswith("sqlite_")}
    if not tables or OUR_TABLES <= tables or SCHEMA_TABLE in tables:  # ours (perhaps from a newer arabpress)
        return []
    return sorted(tables)
