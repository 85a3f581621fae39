"""Consistency checks of a stored database, and the rebuild of its search indexes.

``arabpress db check`` runs :func:`check_consistency`; ``arabpress db rebuild-search`` runs
:func:`rebuild_search`. **Adding a check**: one labelled ``SELECT count(*)`` in :data:`CONSISTENCY_QUERIES`
(counting rows that break an invariant) is enough.
"""

from __future__ import annotations

import sqlite3

import sqlite_utils

from arabpress_crawler.db.connection import transaction
from arabpress_crawler.db.runs import RUN_STATUSES
from arabpress_crawler.db.schema import SEARCH_INDEXES, recompute_search
from arabpress_crawler.search import search_text

#: How many stale search copies a deep check names before it only counts them.
MAX_LISTED_STALE = 20

_KNOWN_STATUSES = ", ".join(f"'{status}'" for status in RUN_STATUSES)
#: Invariant → a query counting the rows that break it.
CONSISTENCY_QUERIES = {
    "articles without a search row": "SELECT count(*) FROM articles a LEFT JOIN articles_search s ON s.url = a.url"
    " WHERE s.url IS NULL OR s.article_rowid != a.rowid",
    "search rows without an article": "SELECT count(*) FROM articles_search s LEFT JOIN articles a ON a.url = s.url"
    " WHERE a.url IS NULL",
    "headlines without a search row": "SELECT count(*) FROM headlines h LEFT JOIN headlines_search s ON s.url = h.url"
    " WHERE s.url IS NULL OR s.headline_rowid != h.rowid",
    "URLs that are both an article and an alias": "SELECT count(*) FROM url_aliases u JOIN articles a ON a.url = u.alias_url",
    "near-duplicates pointing to a near-duplicate": "SELECT count(*) FROM articles a JOIN articles o ON o.url = a.duplicate_of"
    " WHERE o.duplicate_of IS NOT NULL",
    "articles sharing one content hash": "SELECT count(*) FROM (SELECT content_hash FROM articles"
    " WHERE content_hash IS NOT NULL GROUP BY content_hash HAVING count(*) > 1)",
    "runs with an unknown status": f"SELECT count(*) FROM crawl_runs WHERE status NOT IN ({_KNOWN_STATUSES})",
}


def _fts_problems(db: sqlite_utils.Database, fts: str) -> list[str]:
    try:
        db.execute(f"INSERT INTO {fts}({fts}, rank) VALUES ('integrity-check', 1)")
    except sqlite3.DatabaseError as error:
        return [f"{fts}: full-text index out of sync with its content ({error}); rebuild it"]
    return []


def check_consistency(db: sqlite_utils.Database, *, deep: bool = False) -> list[str]:
    """Problems found in ``db`` (empty when all is well): SQLite integrity, foreign keys, FTS sync, invariants.

    ``deep`` also recomputes every search copy (one pass over the text).
    """
    problems = [
        f"integrity_check: {row[0]}" for row in db.execute("PRAGMA integrity_check") if row[0] != "ok"
    ]
    problems += [
        f"foreign key violation: {row[0]} rowid {row[1]} → {row[2]}"
        for row in db.execute("PRAGMA foreign_key_check")
    ]
    for index in SEARCH_INDEXES:
        problems += _fts_problems(db, index.fts_table)
    for label, sql in CONSISTENCY_QUERIES.items():
        count = db.execute(sql).fetchone()[0]
        if count:
            problems.append(f"{label}: {count}")
    if deep:
        problems += _stale_search_rows(db)
    return problems


def _stale_search_rows(db: sqlite_utils.Database) -> list[str]:
    stale = [
        row[0]
        for row in db.execute(
            "SELECT a.url, a.title, a.subtitle, a.body, s.title, s.subtitle, s.body FROM articles a"
            " JOIN articles_search s ON s.url = a.url"
        )
        if tuple(search_text(v) for v in row[1:4]) != tuple(v or "" for v in row[4:7])
    ]
    return [f"stale search copy for {url}" for url in stale[:MAX_LISTED_STALE]] + (
        [f"… and {len(stale) - MAX_LISTED_STALE} more stale search copies"] if len(stale) > MAX_LISTED_STALE else []
    )


def rebuild_search(db: sqlite_utils.Database) -> None:
    """Recompute every search copy and rebuild both FTS indexes (after hand edits to the text), in one
    transaction (:func:`arabpress_crawler.db.schema.recompute_search`)."""
    with transaction(db):
        recompute_search(db)
