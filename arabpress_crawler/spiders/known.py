"""Loading what the store already holds, for the spider's incremental decisions."""

from __future__ import annotations

import logging
import sqlite3
from pathlib import Path

from arabpress_crawler import store
from arabpress_crawler.store import ArticleState

logger = logging.getLogger(__name__)


def load_known_articles(db_path: Path) -> dict[str, ArticleState]:
    """Stored article and alias URLs → their article's state; empty when there is no database yet.

    One query (:func:`arabpress_crawler.store.known_articles`). The database is only read here: the store
    pipeline owns every write and creates the schema.
    """
    if not db_path.is_file():
        logger.info("no database at %s yet: every article is new", db_path)
        return {}
    db = store.open_db(db_path, create=False)
    try:
        return store.known_articles(db)
    except sqlite3.OperationalError as error:  # a database without the articles table yet
        logger.info("no stored articles in %s (%s): every article is new", db_path, error)
        return {}
    finally:
        db.close()


def load_sitemap_lastmods(db_path: Path) -> dict[str, str]:
    """Sub-sitemap URL → ``<lastmod>`` as the last finished run recorded them; empty without a database."""
    if not db_path.is_file():
        return {}
    db = store.open_db(db_path, create=False)
    try:
        return store.sitemap_lastmods(db)
    except sqlite3.OperationalError as error:  # a database without the crawl_runs table yet
        logger.info("no crawl runs in %s (%s): only the newest post sitemap is read", db_path, error)
        return {}
    finally:
        db.close()
