"""Loading what the store already holds, for the spider's incremental decisions."""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from arabpress_crawler import db
from arabpress_crawler.db import ArticleState, connection, frontier, queries
from arabpress_crawler.frontier import DueLink

if TYPE_CHECKING:
    import sqlite_utils

logger = logging.getLogger(__name__)
T = TypeVar("T")


def load_known_articles(db_path: Path) -> dict[str, ArticleState]:
    """Stored article and alias URLs → their article's state; empty when there is no database yet.

    One query (:func:`arabpress_crawler.db.known_articles`). The database is only read here: the store
    pipeline owns every write and creates the schema.
    """
    return _read_if_stored(db_path, db.known_articles, "no stored articles", "every article is new")


def load_sitemap_lastmods(db_path: Path) -> dict[str, str]:
    """Sub-sitemap URL → ``<lastmod>`` as the last finished run recorded them; empty without a database."""
    return _read_if_stored(
        db_path, db.sitemap_lastmods, "no crawl runs", "only the newest post sitemap is read"
    )


def load_frontier(db_path: Path) -> list[DueLink]:
    """The links earlier runs kept that are due now (see :mod:`arabpress_crawler.frontier`); empty without one."""
    due = _read_if_stored(
        db_path, lambda database: {entry.url: entry for entry in frontier.due_links(database)}, "no frontier",
        "nothing kept by earlier runs",
    )  # fmt: skip
    return list(due.values())


def load_related(db_path: Path, url: str) -> list[str]:
    """The related headline URLs stored for the article ``url`` (read-only; empty when unreadable)."""
    if not db_path.is_file():
        return []
    try:
        conn = connection.connect_readonly(db_path)
        try:
            return queries.related_urls(conn, url)
        finally:
            conn.close()
    except sqlite3.Error as error:
        logger.warning("could not read the related links of %s from %s: %s", url, db_path, error)
        return []


def _read_if_stored(
    db_path: Path, read: Callable[[sqlite_utils.Database], dict[str, T]], missing: str, consequence: str
) -> dict[str, T]:
    """``read`` of the database at ``db_path``, or ``{}`` when there is no database or no such table yet."""
    if not db_path.is_file():
        logger.info("no database at %s yet: %s", db_path, consequence)
        return {}
    database = db.open_db(db_path, create=False)
    try:
        return read(database)
    except sqlite3.OperationalError as error:  # a database without the table yet
        logger.info("%s in %s (%s): %s", missing, db_path, error, consequence)
        return {}
    finally:
        database.close()
