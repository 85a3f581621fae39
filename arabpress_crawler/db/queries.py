"""Reads of the stored articles: what the spider and the dedupe pipeline need, search, and the figures of
``arabpress stats``, the crawl summary and the charts.

**Adding a query**: a function of an open :class:`sqlite_utils.Database` here (or in a new module of this
package for a new topic), returning plain values or a small frozen dataclass, never a cursor that outlives
the call; callers outside this package never write SQL.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlite_utils

from arabpress_crawler.db.connection import UnusableDatabase, database_path, describe_error, read_only_query
from arabpress_crawler.search import match_expression


@dataclass(frozen=True)
class ArticleState:
    """What the spider needs to decide whether (and how) to re-fetch a known URL."""

    url: str  # the canonical URL of the stored article (differs from the key for an alias)
    etag: str | None
    last_modified: str | None
    published_at: str | None
    modified_at: str | None
    fetched_at: str | None
    sitemap_lastmod: str | None
    is_alias: bool = False


def known_articles(db: sqlite_utils.Database) -> dict[str, ArticleState]:
    """Every stored article and alias URL → the state of its article, in one query."""
    columns = "a.url, a.etag, a.last_modified, a.published_at, a.modified_at, a.fetched_at, a.sitemap_lastmod"
    sql = (
        f"SELECT a.url, {columns}, 0 FROM articles a"
        f" UNION ALL SELECT u.alias_url, {columns}, 1 FROM url_aliases u JOIN articles a ON a.url = u.url"
    )
    try:
        rows = db.execute(sql).fetchall()
    except sqlite3.OperationalError:
        raise  # e.g. no such table yet: the caller decides
    except sqlite3.DatabaseError as error:
        raise UnusableDatabase(describe_error(database_path(db), error)) from error
    return {row[0]: ArticleState(*row[1:8], is_alias=bool(row[8])) for row in rows}


def fts_query(text: str) -> str:
    """The FTS5 MATCH expression of what a person typed (:func:`arabpress_crawler.search.match_expression`:
    words, "phrases", prefix*, OR; Arabic stemmed like the index; other FTS syntax searched as text)."""
    return match_expression(text)


def search_articles(
    db: sqlite_utils.Database, query: str, *, limit: int = 20, include_duplicates: bool = True
) -> list[dict[str, Any]]:
    """Articles matching ``query`` (normalised: diacritics, tatweel, case and digit forms do not matter), best first."""
    match = fts_query(query)
    if not match:
        return []
    where = "" if include_duplicates else " AND a.duplicate_of IS NULL"
    sql = (
        "SELECT a.url, a.title, a.subtitle, a.published_at, a.section, a.language, a.duplicate_of,"
        " bm25(articles_fts) AS rank FROM articles_fts"
        " JOIN articles_search s ON s.article_rowid = articles_fts.rowid JOIN articles a ON a.url = s.url"
        f" WHERE articles_fts MATCH ?{where} ORDER BY rank LIMIT ?"
    )
    return list(db.query(sql, [match, limit]))


def search_headlines(db: sqlite_utils.Database, query: str, *, limit: int = 20) -> list[dict[str, Any]]:
    """Headlines whose title matches ``query`` (normalised like :func:`search_articles`), best first."""
    match = fts_query(query)
    if not match:
        return []
    sql = (
        "SELECT h.url, h.title, bm25(headlines_fts) AS rank FROM headlines_fts"
        " JOIN headlines_search s ON s.headline_rowid = headlines_fts.rowid JOIN headlines h ON h.url = s.url"
        " WHERE headlines_fts MATCH ? ORDER BY rank LIMIT ?"
    )
    return list(db.query(sql, [match, limit]))


@dataclass(frozen=True)
class DedupeState:
    """What the dedupe pipeline needs about one stored article."""

    url: str
    content_hash: str | None
    published_at: str | None
    duplicate_of: str | None
    fingerprint_scheme: str | None
    num_perm: int | None
    minhash: bytes | None


def dedupe_state(db: sqlite_utils.Database, url: str) -> DedupeState | None:
    """The stored state of the article ``url`` (not of an alias), or ``None``."""
    row = db.execute(
        "SELECT a.url, a.content_hash, a.published_at, a.duplicate_of, f.scheme, f.num_perm, f.minhash"
        " FROM articles a LEFT JOIN article_fingerprints f ON f.url = a.url WHERE a.url = ?",
        (url,),
    ).fetchone()
    return DedupeState(*row) if row else None


#: Fingerprint ids per query of :func:`fingerprint_states` (well under SQLite's limit on bound parameters).
DEDUPE_STATES_CHUNK = 500


def fingerprint_states(db: sqlite_utils.Database, fingerprint_ids: Sequence[int]) -> dict[int, DedupeState]:
    """Fingerprint id → stored state of its article, for ``fingerprint_ids``, a query per chunk.

    The same rows as :func:`dedupe_state` for those articles: near-duplicate candidates are read in one go.
    """
    states: dict[int, DedupeState] = {}
    for start in range(0, len(fingerprint_ids), DEDUPE_STATES_CHUNK):
        chunk = list(fingerprint_ids[start : start + DEDUPE_STATES_CHUNK])
        marks = ", ".join("?" for _ in chunk)
        rows = db.execute(
            "SELECT f.id, a.url, a.content_hash, a.published_at, a.duplicate_of, f.scheme, f.num_perm, f.minhash"
            f" FROM article_fingerprints f JOIN articles a ON a.url = f.url WHERE f.id IN ({marks})",
            chunk,
        )
        states.update((row[0], DedupeState(*row[1:])) for row in rows)
    return states


def content_holder(db: sqlite_utils.Database, content_hash: str, *, exclude: str | None = None) -> str | None:
    """The stored article whose text has ``content_hash`` (other than ``exclude``), or ``None``."""
    row = db.execute(
        "SELECT url FROM articles WHERE content_hash = ? AND url != ? ORDER BY url LIMIT 1",
        (content_hash, exclude or ""),
    ).fetchone()
    return row[0] if row else None


def lsh_bucket_members(
    db: sqlite_utils.Database, buckets: Sequence[int], *, limit: int
) -> dict[int, list[int]]:
    """Band → up to ``limit`` fingerprint ids in that band's bucket of ``buckets``, in one query.

    Each band reads at most ``limit`` entries of the bands' primary key (a covering index: no table row is
    read), however full its bucket is, so a lookup costs the same as the table grows; the caller asks for one
    more than it accepts, to tell a full bucket. :func:`fingerprint_states` reads the articles themselves.
    """
    if not buckets:
        return {}
    arm = (
        "SELECT * FROM (SELECT band, fingerprint_id FROM article_lsh_bands"
        " WHERE band = ? AND bucket = ? ORDER BY fingerprint_id LIMIT ?)"
    )
    params = [value for band, bucket in enumerate(buckets) for value in (band, bucket, limit)]
    members: dict[int, list[int]] = {}
    for band, fingerprint_id in db.execute(" UNION ALL ".join(arm for _ in buckets), params):
        members.setdefault(band, []).append(fingerprint_id)
    return members


def related_urls(db: sqlite_utils.Database | sqlite3.Connection, url: str) -> list[str]:
    """The related headline URLs stored for the article ``url``, in the order its page listed them."""
    rows = db.execute(
        "SELECT headline_url FROM related_headlines WHERE article_url = ? ORDER BY position", (url,)
    ).fetchall()
    return [row[0] for row in rows]


def resolve(db: sqlite_utils.Database | sqlite3.Connection, url: str) -> str | None:
    """The stored article ``url`` is, or is an alias of; ``None`` when neither."""
    row = db.execute(
        "SELECT url FROM articles WHERE url = ? UNION ALL SELECT url FROM url_aliases WHERE alias_url = ? LIMIT 1",
        (url, url),
    ).fetchone()
    return row[0] if row else None


# -- figures


#: ``articles`` columns :func:`count_by` may group by.
COUNTABLE_COLUMNS = frozenset({"section", "language"})
#: Tables whose rows :func:`totals` counts (besides articles, split into originals and duplicates).
COUNTED_TABLES = ("headlines", "related_headlines", "url_aliases", "article_revisions", "crawl_runs")


def newest_publication_day(db: sqlite_utils.Database) -> str | None:
    """``YYYY-MM-DD`` of the newest published original article, or ``None``."""
    return db.execute(
        "SELECT max(substr(published_at, 1, 10)) FROM articles WHERE duplicate_of IS NULL"
    ).fetchone()[0]


def articles_by_day(db: sqlite_utils.Database, start: str, before: str) -> dict[str, int]:
    """Publication day → original articles published that day, for days from ``start`` to before ``before``."""
    return dict(
        db.execute(
            "SELECT substr(published_at, 1, 10) AS day, count(*) FROM articles"
            " WHERE duplicate_of IS NULL AND published_at >= ? AND published_at < ? GROUP BY day",
            [start, before],
        ).fetchall()
    )


def count_by(db: sqlite_utils.Database, column: str, *, limit: int = 10) -> list[tuple[str, int]]:
    """The most frequent values of an ``articles`` column (``section`` or ``language``), duplicates left out."""
    if column not in COUNTABLE_COLUMNS:
        raise ValueError(f"cannot count articles by {column!r}")
    sql = (
        f"SELECT coalesce({column}, '(none)'), count(*) AS n FROM articles WHERE duplicate_of IS NULL"
        " GROUP BY 1 ORDER BY n DESC, 1 LIMIT ?"
    )
    return [(str(name), int(n)) for name, n in db.execute(sql, [limit]).fetchall()]


def totals(db: sqlite_utils.Database) -> dict[str, int]:
    """Row counts of the main tables (articles split into originals and duplicates)."""
    out: dict[str, int] = {}
    if db["articles"].exists():
        originals, duplicates = db.execute(
            "SELECT count(*) - count(duplicate_of), count(duplicate_of) FROM articles"
        ).fetchone()
        out["articles"] = int(originals)
        out["duplicates"] = int(duplicates)
    for table in COUNTED_TABLES:
        if db[table].exists():
            out[table] = db[table].count
    return out


SUMMARY_COUNTS = (
    "articles",
    "near_duplicates",
    "content_aliases",
    "headlines",
    "related_headlines",
    "article_revisions",
)
_SUMMARY_COUNTS_SQL = """
SELECT (SELECT count(*) FROM articles WHERE duplicate_of IS NULL),
       (SELECT count(*) FROM articles WHERE duplicate_of IS NOT NULL),
       (SELECT count(*) FROM url_aliases WHERE kind = 'content'),
       (SELECT count(*) FROM headlines),
       (SELECT count(*) FROM related_headlines),
       (SELECT count(*) FROM article_revisions)
"""


def database_counts(path: str | Path) -> dict[str, int]:
    """What the file ``path`` holds (read-only), for summaries: originals, near-duplicates, aliases, headlines…"""
    (row,) = read_only_query(path, _SUMMARY_COUNTS_SQL)
    return dict(zip(SUMMARY_COUNTS, (int(value or 0) for value in row), strict=True))
