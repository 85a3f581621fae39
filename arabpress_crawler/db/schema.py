"""The schema: ordered migration steps recorded in ``schema_version``, and the full-text search indexes.

Every table and column is described in ``docs/schema.md``. A step is a function registered with
:func:`migration` (its number, its name); :func:`ensure_schema` applies the missing ones in order, each in its
own ``BEGIN IMMEDIATE`` transaction, re-checking under the write lock that no other process applied it since.
A database of any earlier release (versions 1-3: release 0.1.0) is migrated by the same steps.

**Adding a migration**: write ``@migration(N, "what it adds")`` over a function of the database (prefer
sqlite-utils' table API: ``db[name].create(...)``, ``db[name].add_column(...)``, ``db[name].create_index(...)``),
describe the change in ``docs/schema.md``, and add a case to ``tests/test_db_migrations.py``.

Why not sqlite-utils' ``Migrations`` class: released databases record their steps by number in
``schema_version`` (this project's table, read by ``arabpress``'s own "newer than this arabpress" refusal),
while ``Migrations`` keeps names in ``_sqlite_migrations``, decides what is pending *before* taking the write
lock (two processes opening one file could both run a step), and has no refusal of a newer schema. The
runner here is twenty lines that keep those guarantees; the steps themselves use sqlite-utils where it fits.

Why the full-text indexes are not made by ``Table.enable_fts(create_triggers=True)``: the index holds a
*search copy* of the text (normalised, folded and stemmed by :func:`arabpress_crawler.search.search_text`:
diacritics, tatweel, alef forms, digits, ة/ى, attached Arabic prefixes and common endings), kept in the side tables ``articles_search`` and
``headlines_search`` that the writer fills in the same transaction as the row, so datasette and the
``sqlite3`` shell search without a custom SQL function. ``enable_fts`` would name the indexes
``articles_search_fts``/``headlines_search_fts`` (every reader, datasette's metadata and users' saved queries
know ``articles_fts``/``headlines_fts``), and ``detect_fts`` does not see an index declared with
``content='…'`` quotes as released databases have. The triggers are the ones ``enable_fts`` writes (same names,
``<table>_ai/_ad/_au``, same statements); rebuilding uses sqlite-utils' ``rebuild_fts``.
"""

from __future__ import annotations

import json
import logging
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass

import sqlite_utils

from arabpress_crawler.db import archive as archive_db
from arabpress_crawler.db.connection import transaction, utc_now
from arabpress_crawler.search import search_text

logger = logging.getLogger(__name__)

FTS_TOKENIZER = "unicode61 remove_diacritics 2"
ARTICLES_FTS = "articles_fts"
HEADLINES_FTS = "headlines_fts"
#: Stats key prefix under which release 0.1.0 kept sub-sitemap lastmods (read once, by migration 4).
LEGACY_SITEMAP_LASTMOD_STAT = "arabpress/sitemap_lastmod/"

_CORE_TABLES = """
CREATE TABLE crawl_runs (
    id INTEGER PRIMARY KEY,
    started_at TEXT NOT NULL,
    finished_at TEXT,
    status TEXT NOT NULL DEFAULT 'running',
    finish_reason TEXT,
    base_url TEXT,
    pages INTEGER NOT NULL DEFAULT 0,
    articles_new INTEGER NOT NULL DEFAULT 0,
    articles_updated INTEGER NOT NULL DEFAULT 0,
    articles_unchanged INTEGER NOT NULL DEFAULT 0,
    duplicates INTEGER NOT NULL DEFAULT 0,
    duplicates_alias INTEGER NOT NULL DEFAULT 0,
    duplicates_near INTEGER NOT NULL DEFAULT 0,
    url_aliases INTEGER NOT NULL DEFAULT 0,
    dropped INTEGER NOT NULL DEFAULT 0,
    dropped_by_reason TEXT NOT NULL DEFAULT '{}',
    errors INTEGER NOT NULL DEFAULT 0,
    errors_by_kind TEXT NOT NULL DEFAULT '{}',
    coverage TEXT NOT NULL DEFAULT '{}',
    extraction_layers TEXT NOT NULL DEFAULT '{}',
    stats TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX crawl_runs_status ON crawl_runs(status);

CREATE TABLE articles (
    url TEXT PRIMARY KEY,
    title TEXT,
    subtitle TEXT,
    body TEXT,
    authors TEXT NOT NULL DEFAULT '[]',
    published_at TEXT,
    modified_at TEXT,
    section TEXT,
    tags TEXT NOT NULL DEFAULT '[]',
    image_url TEXT,
    language TEXT,
    word_count INTEGER,
    content_hash TEXT,
    duplicate_of TEXT REFERENCES articles(url) ON DELETE SET NULL DEFERRABLE INITIALLY DEFERRED,
    extraction TEXT NOT NULL DEFAULT '{}',
    first_seen_at TEXT NOT NULL,
    last_seen_at TEXT NOT NULL,
    fetched_at TEXT,
    fetched_url TEXT,
    etag TEXT,
    last_modified TEXT,
    run_id INTEGER REFERENCES crawl_runs(id),
    first_run_id INTEGER REFERENCES crawl_runs(id)
);
CREATE INDEX articles_content_hash ON articles(content_hash);
CREATE INDEX articles_duplicate_of ON articles(duplicate_of);
CREATE INDEX articles_published_at ON articles(published_at);
CREATE INDEX articles_section ON articles(section);
CREATE INDEX articles_run_id ON articles(run_id);

CREATE TABLE headlines (
    url TEXT PRIMARY KEY,
    title TEXT,
    first_seen_at TEXT NOT NULL,
    last_seen_at TEXT NOT NULL
);

CREATE TABLE related_headlines (
    article_url TEXT NOT NULL REFERENCES articles(url) ON DELETE CASCADE,
    headline_url TEXT NOT NULL REFERENCES headlines(url) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    title TEXT,
    PRIMARY KEY (article_url, headline_url)
);
CREATE INDEX related_headlines_headline_url ON related_headlines(headline_url);

CREATE TABLE url_aliases (
    alias_url TEXT PRIMARY KEY,
    url TEXT NOT NULL REFERENCES articles(url) ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED,
    kind TEXT NOT NULL DEFAULT 'url',
    first_seen_at TEXT NOT NULL,
    last_seen_at TEXT NOT NULL
);
CREATE INDEX url_aliases_url ON url_aliases(url);

CREATE TABLE article_revisions (
    id INTEGER PRIMARY KEY,
    url TEXT NOT NULL,
    content_hash TEXT,
    title TEXT,
    subtitle TEXT,
    body TEXT,
    published_at TEXT,
    modified_at TEXT,
    fetched_at TEXT,
    replaced_at TEXT NOT NULL,
    run_id INTEGER REFERENCES crawl_runs(id),
    UNIQUE (url, content_hash, fetched_at)
);
CREATE INDEX article_revisions_url ON article_revisions(url);
"""

_SEARCH_TABLES = f"""
CREATE TABLE articles_search (
    article_rowid INTEGER PRIMARY KEY,
    url TEXT NOT NULL UNIQUE REFERENCES articles(url) ON DELETE CASCADE,
    title TEXT,
    subtitle TEXT,
    body TEXT
);
CREATE VIRTUAL TABLE articles_fts USING fts5(
    title, subtitle, body, content='articles_search', content_rowid='article_rowid', tokenize='{FTS_TOKENIZER}'
);
CREATE TABLE headlines_search (
    headline_rowid INTEGER PRIMARY KEY,
    url TEXT NOT NULL UNIQUE REFERENCES headlines(url) ON DELETE CASCADE,
    title TEXT
);
CREATE VIRTUAL TABLE headlines_fts USING fts5(
    title, content='headlines_search', content_rowid='headline_rowid', tokenize='{FTS_TOKENIZER}'
);
"""


@dataclass(frozen=True)
class SearchIndex:
    """An FTS5 index over a side table of normalised text: what the triggers and a rebuild need."""

    side_table: str
    fts_table: str
    rowid: str
    columns: tuple[str, ...]

    def triggers(self) -> dict[str, str]:
        """The sync triggers by name, as ``Table.enable_fts(create_triggers=True)`` writes them."""
        cols = ", ".join(self.columns)
        new = ", ".join(f"new.{c}" for c in self.columns)
        old = ", ".join(f"old.{c}" for c in self.columns)
        fts, side, rowid = self.fts_table, self.side_table, self.rowid
        insert = f"INSERT INTO {fts}(rowid, {cols}) VALUES (new.{rowid}, {new});"
        delete = f"INSERT INTO {fts}({fts}, rowid, {cols}) VALUES ('delete', old.{rowid}, {old});"
        return {
            f"{side}_ai": f"CREATE TRIGGER {side}_ai AFTER INSERT ON {side} BEGIN\n    {insert}\nEND;",
            f"{side}_ad": f"CREATE TRIGGER {side}_ad AFTER DELETE ON {side} BEGIN\n    {delete}\nEND;",
            f"{side}_au": f"CREATE TRIGGER {side}_au AFTER UPDATE ON {side} BEGIN\n    {delete}\n    {insert}\nEND;",
        }


SEARCH_INDEXES = (
    SearchIndex("articles_search", ARTICLES_FTS, "article_rowid", ("title", "subtitle", "body")),
    SearchIndex("headlines_search", HEADLINES_FTS, "headline_rowid", ("title",)),
)
#: Every sync trigger by name.
SEARCH_TRIGGERS = {name: sql for index in SEARCH_INDEXES for name, sql in index.triggers().items()}

_FINGERPRINTS = """
CREATE TABLE article_fingerprints (
    id INTEGER PRIMARY KEY,
    url TEXT NOT NULL UNIQUE REFERENCES articles(url) ON DELETE CASCADE,
    scheme TEXT NOT NULL,
    num_perm INTEGER NOT NULL,
    minhash BLOB NOT NULL
);
CREATE TABLE article_lsh_bands (
    band INTEGER NOT NULL,
    bucket INTEGER NOT NULL,
    fingerprint_id INTEGER NOT NULL REFERENCES article_fingerprints(id) ON DELETE CASCADE,
    PRIMARY KEY (band, bucket, fingerprint_id)
) WITHOUT ROWID;
CREATE INDEX article_lsh_bands_fingerprint ON article_lsh_bands(fingerprint_id);
ALTER TABLE articles ADD COLUMN sitemap_lastmod TEXT;
"""


def run_script(conn: sqlite3.Connection, script: str) -> None:
    """Run the statements of ``script`` inside the open transaction (``executescript`` would commit it)."""
    statement = ""
    for line in script.splitlines(keepends=True):
        statement += line
        if sqlite3.complete_statement(statement):
            conn.execute(statement)
            statement = ""


def backfill_search(conn: sqlite3.Connection) -> None:
    """Fill the search copies (:func:`arabpress_crawler.search.search_text`) of every article and headline
    (the side tables must be empty)."""
    rows = conn.execute("SELECT rowid, url, title, subtitle, body FROM articles").fetchall()
    conn.executemany(
        "INSERT INTO articles_search(article_rowid, url, title, subtitle, body) VALUES (?, ?, ?, ?, ?)",
        [(r[0], r[1], *(search_text(v) for v in r[2:])) for r in rows],
    )
    rows = conn.execute("SELECT rowid, url, title FROM headlines").fetchall()
    conn.executemany(
        "INSERT INTO headlines_search(headline_rowid, url, title) VALUES (?, ?, ?)",
        [(r[0], r[1], search_text(r[2])) for r in rows],
    )


@dataclass(frozen=True)
class Migration:
    """One ordered step of the schema: ``apply`` runs inside the step's transaction."""

    version: int
    name: str
    apply: Callable[[sqlite_utils.Database], None]


MIGRATIONS: list[Migration] = []


def migration(version: int, name: str) -> Callable[[Callable[[sqlite_utils.Database], None]], Callable]:
    """Register the decorated function as schema step ``version`` (the next number) called ``name``."""

    def register(apply: Callable[[sqlite_utils.Database], None]) -> Callable[[sqlite_utils.Database], None]:
        expected = len(MIGRATIONS) + 1
        if version != expected:
            raise ValueError(f"migration {name!r} is number {version}; the next one is {expected}")
        MIGRATIONS.append(Migration(version, name, apply))
        return apply

    return register


@migration(1, "core tables")
def _core_tables(db: sqlite_utils.Database) -> None:
    run_script(db.conn, _CORE_TABLES)


@migration(2, "normalised full-text search")
def _search(db: sqlite_utils.Database) -> None:
    run_script(db.conn, _SEARCH_TABLES + "\n".join(SEARCH_TRIGGERS.values()) + "\n")
    backfill_search(db.conn)


@migration(3, "near-duplicate fingerprints, sitemap lastmod")
def _fingerprints(db: sqlite_utils.Database) -> None:
    run_script(db.conn, _FINGERPRINTS)


@migration(4, "sitemap lastmods of each run in a table")
def _sitemap_lastmods(db: sqlite_utils.Database) -> None:
    db["sitemap_lastmods"].create(
        {"run_id": int, "sitemap_url": str, "lastmod": str},
        pk=("run_id", "sitemap_url"),
        not_null={"run_id", "sitemap_url", "lastmod"},
        foreign_keys=[("run_id", "crawl_runs", "id")],
    )
    # Release 0.1.0 kept them as stats keys of the run: carried over once, then read from the table only.
    for run_id, stats in db.execute("SELECT id, stats FROM crawl_runs").fetchall():
        try:
            decoded = json.loads(stats or "{}")
        except ValueError:
            continue
        if isinstance(decoded, dict):
            db["sitemap_lastmods"].insert_all(
                {"run_id": run_id, "sitemap_url": key[len(LEGACY_SITEMAP_LASTMOD_STAT) :], "lastmod": value}
                for key, value in decoded.items()
                if key.startswith(LEGACY_SITEMAP_LASTMOD_STAT) and isinstance(value, str)
            )


def recompute_search(db: sqlite_utils.Database) -> None:
    """Recompute every search copy and rebuild both FTS indexes, inside the caller's transaction.

    The sync triggers are dropped for the rewrite (they would ask the index to delete entries it may not
    have) and created again; the indexes are then rebuilt from their side tables with sqlite-utils'
    ``rebuild_fts``.
    """
    conn = db.conn
    for name in SEARCH_TRIGGERS:
        conn.execute(f"DROP TRIGGER IF EXISTS {name}")
    for index in SEARCH_INDEXES:
        conn.execute(f"DELETE FROM {index.side_table}")
    backfill_search(conn)
    for sql in SEARCH_TRIGGERS.values():
        conn.execute(sql)
    for index in SEARCH_INDEXES:
        db[index.fts_table].rebuild_fts()


@migration(5, "the frontier: links a run found but did not finish")
def _frontier(db: sqlite_utils.Database) -> None:
    from arabpress_crawler.db.frontier import create_table

    create_table(db)


@migration(6, archive_db.MIGRATION_NAME)
def _web_archive(db: sqlite_utils.Database) -> None:
    # A rebuild of article_revisions (see db/archive.py) is SQL sqlite-utils' transform cannot express: its
    # table-level UNIQUE becomes a partial unique index.
    run_script(db.conn, archive_db.MIGRATION_SCRIPT)


@migration(7, "stemmed search copies: Arabic words found without their attached prefixes")
def _stemmed_search(db: sqlite_utils.Database) -> None:
    recompute_search(db)  # the search copies change form (docs/search.md)


SCHEMA_VERSION = MIGRATIONS[-1].version


def schema_version(db: sqlite_utils.Database) -> int:
    """The highest migration applied to ``db`` (0 for an empty database)."""
    if "schema_version" not in db.table_names():
        return 0
    row = db.execute("SELECT max(version) FROM schema_version").fetchone()
    return int(row[0] or 0)


def migrate(db: sqlite_utils.Database, *, target: int | None = None) -> int:
    """Apply the missing migration steps up to ``target`` (default: all); returns the new version."""
    target = SCHEMA_VERSION if target is None else target
    db.execute(
        "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)"
    )
    current = schema_version(db)
    for step in MIGRATIONS:
        if current < step.version <= target:
            with transaction(db) as conn:
                # Another process may have applied this step since we looked: check again under the lock.
                if conn.execute("SELECT 1 FROM schema_version WHERE version = ?", (step.version,)).fetchone():
                    current = step.version
                    continue
                step.apply(db)
                conn.execute(
                    "INSERT INTO schema_version(version, name, applied_at) VALUES (?, ?, ?)",
                    (step.version, step.name, utc_now()),
                )
            logger.info("Database schema migrated to version %d (%s)", step.version, step.name)
            current = step.version
    return current


def ensure_schema(db: sqlite_utils.Database) -> int:
    """Create or migrate the schema to the current version; returns it. Safe to call on every open."""
    if schema_version(db) > SCHEMA_VERSION:
        raise RuntimeError(
            f"database schema version {schema_version(db)} is newer than this arabpress ({SCHEMA_VERSION}); upgrade arabpress"
        )
    return migrate(db)
