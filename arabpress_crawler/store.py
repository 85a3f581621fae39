"""The SQLite store: schema and migrations, batched crash-safe writes, the run record, and queries.

Every table and column is described in ``docs/schema.md``. The schema is declared here as an ordered list
of migration steps (:data:`MIGRATIONS`) recorded in ``schema_version``; :func:`ensure_schema` applies the
missing ones, each in its own transaction.

Writes go through :class:`ArticleWriter`, one transaction per batch (``BEGIN IMMEDIATE`` … ``COMMIT``), with
upserts (``INSERT … ON CONFLICT DO UPDATE``; never ``INSERT OR REPLACE``, which orphans full-text rows). The
database runs in WAL mode with foreign keys on, so a process killed at any moment leaves the last committed
batch and nothing half-written.

Full-text search indexes a *normalised copy* of the text (see :func:`arabpress_crawler.text.normalize_for_search`)
kept in ``articles_search``/``headlines_search``, which the writer fills in the same transaction as the row;
plain SQL triggers keep the FTS5 indexes in step with those side tables, so no custom SQL function is needed
by datasette or the ``sqlite3`` shell.
"""

from __future__ import annotations

import json
import logging
import sqlite3
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlite_utils

from arabpress_crawler.db import archive as archive_db
from arabpress_crawler.extraction_version import extraction_version
from arabpress_crawler.items import ArticleItem, RelatedHeadline, UnchangedArticle
from arabpress_crawler.text import content_hash as compute_content_hash
from arabpress_crawler.text import normalize_for_search, word_count, words
from arabpress_crawler.urls import canonicalize_url

logger = logging.getLogger(__name__)

BUSY_TIMEOUT_MS = 30_000
#: Pages the write-ahead log may hold before a batch's commit copies them into the database (SQLite's
#: default is 1,000). In a large database each batch dirties pages all over its indexes; checkpointing
#: less often writes a page changed by several batches once (about 40 MB of log at most; every commit is
#: as durable as before, and closing the last connection still empties the log).
WAL_AUTOCHECKPOINT_PAGES = 10_000
RUN_RUNNING = "running"
RUN_FINISHED = "finished"
RUN_FAILED = "failed"
RUN_INTERRUPTED = "interrupted"
INTERRUPTED_REASON = "interrupted: the process ended before the run was closed"
ALIAS_KIND_URL = "url"
ALIAS_KIND_CONTENT = "content"
OUTCOME_NEW = "new"
OUTCOME_UPDATED = "updated"
OUTCOME_UNCHANGED = "unchanged"
OUTCOME_ALIAS = "alias"
OUTCOME_UNKNOWN = "unknown"
FTS_TOKENIZER = "unicode61 remove_diacritics 2"
#: Descriptive columns refreshed on every fetch even when the text is unchanged.
DESCRIPTIVE_COLUMNS = (
    "subtitle",
    "authors",
    "published_at",
    "modified_at",
    "section",
    "tags",
    "image_url",
    "language",
    "extraction",
    "duplicate_of",
)
CRAWL_COLUMNS = (
    "fetched_at",
    "fetched_url",
    "etag",
    "last_modified",
    "sitemap_lastmod",
    *archive_db.ARCHIVE_COLUMNS,
    archive_db.VERSION_COLUMN,
)


def utc_now() -> str:
    """The current time as ``YYYY-MM-DDTHH:MM:SSZ``."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=isinstance(value, dict))


# --------------------------------------------------------------------------------------------- schema

_V1_CORE = """
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

_V2_SEARCH_TABLES = f"""
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

#: Plain SQL triggers keep each FTS5 index in step with its side table of normalised text.
SEARCH_TRIGGERS = {
    "articles_search_ai": """CREATE TRIGGER articles_search_ai AFTER INSERT ON articles_search BEGIN
    INSERT INTO articles_fts(rowid, title, subtitle, body) VALUES (new.article_rowid, new.title, new.subtitle, new.body);
END;""",
    "articles_search_ad": """CREATE TRIGGER articles_search_ad AFTER DELETE ON articles_search BEGIN
    INSERT INTO articles_fts(articles_fts, rowid, title, subtitle, body)
    VALUES ('delete', old.article_rowid, old.title, old.subtitle, old.body);
END;""",
    "articles_search_au": """CREATE TRIGGER articles_search_au AFTER UPDATE ON articles_search BEGIN
    INSERT INTO articles_fts(articles_fts, rowid, title, subtitle, body)
    VALUES ('delete', old.article_rowid, old.title, old.subtitle, old.body);
    INSERT INTO articles_fts(rowid, title, subtitle, body) VALUES (new.article_rowid, new.title, new.subtitle, new.body);
END;""",
    "headlines_search_ai": """CREATE TRIGGER headlines_search_ai AFTER INSERT ON headlines_search BEGIN
    INSERT INTO headlines_fts(rowid, title) VALUES (new.headline_rowid, new.title);
END;""",
    "headlines_search_ad": """CREATE TRIGGER headlines_search_ad AFTER DELETE ON headlines_search BEGIN
    INSERT INTO headlines_fts(headlines_fts, rowid, title) VALUES ('delete', old.headline_rowid, old.title);
END;""",
    "headlines_search_au": """CREATE TRIGGER headlines_search_au AFTER UPDATE ON headlines_search BEGIN
    INSERT INTO headlines_fts(headlines_fts, rowid, title) VALUES ('delete', old.headline_rowid, old.title);
    INSERT INTO headlines_fts(rowid, title) VALUES (new.headline_rowid, new.title);
END;""",
}
_V2_SEARCH = _V2_SEARCH_TABLES + "\n".join(SEARCH_TRIGGERS.values()) + "\n"

_V3_FINGERPRINTS = """
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


def _run_script(conn: sqlite3.Connection, script: str) -> None:
    # executescript() would COMMIT the surrounding transaction; run statement by statement instead.
    statement = ""
    for line in script.splitlines(keepends=True):
        statement += line
        if sqlite3.complete_statement(statement):
            conn.execute(statement)
            statement = ""


def _backfill_search(conn: sqlite3.Connection) -> None:
    """Fill the normalised search copies for rows written before the search tables existed."""
    rows = conn.execute("SELECT rowid, url, title, subtitle, body FROM articles").fetchall()
    conn.executemany(
        "INSERT INTO articles_search(article_rowid, url, title, subtitle, body) VALUES (?, ?, ?, ?, ?)",
        [(r[0], r[1], *(normalize_for_search(v) for v in r[2:])) for r in rows],
    )
    rows = conn.execute("SELECT rowid, url, title FROM headlines").fetchall()
    conn.executemany(
        "INSERT INTO headlines_search(headline_rowid, url, title) VALUES (?, ?, ?)",
        [(r[0], r[1], normalize_for_search(r[2])) for r in rows],
    )


@dataclass(frozen=True)
class Migration:
    """One ordered step of the schema."""

    version: int
    name: str
    script: str
    after: Callable[[sqlite3.Connection], None] | None = None


MIGRATIONS: tuple[Migration, ...] = (
    Migration(1, "core tables", _V1_CORE),
    Migration(2, "normalised full-text search", _V2_SEARCH, after=_backfill_search),
    Migration(3, "near-duplicate fingerprints, sitemap lastmod", _V3_FINGERPRINTS),
    Migration(4, archive_db.MIGRATION_NAME, archive_db.MIGRATION_SCRIPT),
)
SCHEMA_VERSION = MIGRATIONS[-1].version


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
                _run_script(conn, step.script)
                if step.after is not None:
                    step.after(conn)
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


class UnusableDatabase(sqlite3.DatabaseError):
    """The database file cannot be used: damaged, not SQLite, locked, or its disk is full. Names the file."""


def describe_error(path: str | Path, error: sqlite3.Error) -> str:
    """A one-line explanation of ``error`` on the database ``path``, saying what to do about it."""
    message = str(error)
    if isinstance(error, sqlite3.OperationalError):
        if "full" in message:
            return f"{path}: {message}; free some disk space, then run again (what was stored is intact)"
        if "locked" in message or "busy" in message:
            return f"{path}: {message}; another process is writing to it, try again when it is done"
        return f"{path}: {message}"
    return f"{path} is damaged or not an SQLite database ({message}); move it aside or restore a backup"


def database_path(db: sqlite_utils.Database) -> str:
    """The file behind ``db`` (``:memory:`` for an in-memory database)."""
    for _, name, file in db.execute("PRAGMA database_list"):
        if name == "main":
            return file or ":memory:"
    return ":memory:"


def open_db(path: str | Path, *, create: bool = True) -> sqlite_utils.Database:
    """Open (and create or migrate, unless ``create`` is false) the database at ``path``.

    The connection is in autocommit mode (writes use :func:`transaction`), WAL journal (checkpointed every
    :data:`WAL_AUTOCHECKPOINT_PAGES` pages), foreign keys on, a 30 s busy timeout. A file that cannot be
    used raises :class:`UnusableDatabase` naming it.
    """
    path = Path(path)
    if str(path) != ":memory:":
        path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False)
    try:
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = NORMAL")
        conn.execute(f"PRAGMA wal_autocheckpoint = {WAL_AUTOCHECKPOINT_PAGES}")
        conn.execute("PRAGMA foreign_keys = ON")
        db = sqlite_utils.Database(conn)
        if create:
            ensure_schema(db)
    except sqlite3.DatabaseError as error:
        conn.close()
        raise UnusableDatabase(describe_error(path, error)) from error
    return db


# --------------------------------------------------------------------------------------------- records


@dataclass
class ArticleAlias:
    """An extra URL for a stored article: ``alias_url`` shows the same text as ``url``."""

    alias_url: str
    url: str
    kind: str = ALIAS_KIND_CONTENT
    seen_at: str | None = None
    fetched_url: str | None = None


@dataclass(frozen=True)
class Fingerprint:
    """A MinHash signature (little-endian uint32 values) and its LSH bucket per band."""

    scheme: str
    num_perm: int
    minhash: bytes
    buckets: tuple[int, ...]


@dataclass
class DedupedArticle:
    """An article with the decisions of the dedupe pipeline that touch other stored rows.

    ``supersedes``: stored URLs with the same text that become aliases of this article (it is the original).
    ``regroup``: ``(old_root, new_root)`` pairs: near-duplicate groups whose original changes.
    ``fingerprint``: the MinHash of the text and its LSH buckets, kept for near-duplicate lookups in later runs.
    """

    article: ArticleItem
    fingerprint: Fingerprint | None = None
    supersedes: list[str] = field(default_factory=list)
    regroup: list[tuple[str, str]] = field(default_factory=list)


StoreRecord = ArticleItem | DedupedArticle | ArticleAlias | UnchangedArticle


@dataclass
class WriteResult:
    """What writing one record did."""

    outcome: str
    url: str
    near_duplicate: bool = False  # newly found to be a near-duplicate (duplicate_of set or changed)
    url_alias: bool = False  # the fetched URL was recorded as an alias
    demoted: int = 0  # stored articles with the same text turned into aliases of this one
    retracted_new: int = 0  # of the rows turned into aliases, those first stored by this same run


# --------------------------------------------------------------------------------------------- writer

#: URLs per query of :func:`_stored_headlines` (well under SQLite's limit on bound parameters).
HEADLINES_CHUNK = 500


def _stored_headlines(conn: sqlite3.Connection, urls: Sequence[str]) -> dict[str, str | None]:
    """URL → stored title of the headlines among ``urls`` that are stored, a query per chunk."""
    titles: dict[str, str | None] = {}
    for start in range(0, len(urls), HEADLINES_CHUNK):
        chunk = urls[start : start + HEADLINES_CHUNK]
        marks = ", ".join("?" for _ in chunk)
        titles.update(conn.execute(f"SELECT url, title FROM headlines WHERE url IN ({marks})", list(chunk)))
    return titles


class ArticleWriter:
    """Writes records into the database, one transaction per :meth:`write_batch` call."""

    def __init__(self, db: sqlite_utils.Database, *, run_id: int | None = None) -> None:
        self.db = db
        self.run_id = run_id
        self._retracted_new = 0

    def write_batch(self, records: Sequence[StoreRecord]) -> list[WriteResult]:
        """Write ``records`` in order inside one transaction; all of them or none."""
        if not records:
            return []
        with transaction(self.db) as conn:
            return [self._write(conn, record) for record in records]

    def _write(self, conn: sqlite3.Connection, record: StoreRecord) -> WriteResult:
        self._retracted_new = 0
        result = self._write_record(conn, record)
        result.retracted_new = self._retracted_new
        return result

    def _write_record(self, conn: sqlite3.Connection, record: StoreRecord) -> WriteResult:
        if isinstance(record, DedupedArticle):
            return self._write_article(conn, record.article, record)
        if isinstance(record, ArticleItem):
            return self._write_article(conn, record, None)
        if isinstance(record, ArticleAlias):
            return self._write_alias(conn, record)
        if isinstance(record, UnchangedArticle):
            return self._write_unchanged(conn, record)
        raise TypeError(f"cannot store {type(record).__name__}")

    # -- articles

    def _write_article(
        self, conn: sqlite3.Connection, item: ArticleItem, deduped: DedupedArticle | None
    ) -> WriteResult:
        now = item.fetched_at or utc_now()
        if item.content_hash is None:
            item.content_hash = compute_content_hash(item.title, item.body)
        if item.word_count is None:
            item.word_count = word_count(item.body)
        old = conn.execute(
            "SELECT rowid, content_hash, title, subtitle, body, published_at, modified_at, fetched_at, duplicate_of,"
            " parser_version, archive_file, archive_offset, archive_length, archive_record_id"
            " FROM articles WHERE url = ?",
            (item.url,),
        ).fetchone()
        values = self._article_values(item, now)
        if old is None:
            outcome = OUTCOME_NEW
            rowid = self._insert_article(conn, values)
            conn.execute("DELETE FROM url_aliases WHERE alias_url = ?", (item.url,))
        elif old[1] != item.content_hash:
            outcome = OUTCOME_UPDATED
            self._save_revision(conn, item.url, old[:8], now, provenance=old[9:])
            self._update_article(
                conn, values, ("title", "body", "word_count", "content_hash", *DESCRIPTIVE_COLUMNS)
            )
            rowid = old[0]
        else:
            outcome = OUTCOME_UNCHANGED
            self._update_article(conn, values, DESCRIPTIVE_COLUMNS)
            rowid = old[0]
        if old is None or (old[2], old[3], old[4]) != (item.title, item.subtitle, item.body):
            self._index_article(conn, rowid, item)
        demoted = self._apply_dedupe(conn, item.url, deduped, now) if deduped is not None else 0
        self._write_related(conn, item.url, item.related, now)
        url_alias = self._record_fetched_alias(conn, item.fetched_url, item.url, now)
        found_near = bool(item.duplicate_of) and (old is None or old[8] != item.duplicate_of)
        return WriteResult(outcome, item.url, near_duplicate=found_near, url_alias=url_alias, demoted=demoted)

    def _article_values(self, item: ArticleItem, now: str) -> dict[str, Any]:
        return {
            "url": item.url,
            "title": item.title,
            "subtitle": item.subtitle,
            "body": item.body,
            "authors": _json(list(item.authors)),
            "published_at": item.published_at,
            "modified_at": item.modified_at,
            "section": item.section,
            "tags": _json(list(item.tags)),
            "image_url": item.image_url,
            "language": item.language,
            "word_count": item.word_count,
            "content_hash": item.content_hash,
            "duplicate_of": item.duplicate_of,
            "extraction": _json(dict(item.extraction)),
            "first_seen_at": now,
            "last_seen_at": now,
            "fetched_at": item.fetched_at or now,
            "fetched_url": item.fetched_url,
            "etag": item.etag,
            "last_modified": item.last_modified,
            "sitemap_lastmod": getattr(item, "sitemap_lastmod", None),
            "run_id": self.run_id,
            "first_run_id": self.run_id,
            **archive_db.archive_values(item, extraction_version()),
        }

    @staticmethod
    def _insert_article(conn: sqlite3.Connection, values: dict[str, Any]) -> int:
        columns = ", ".join(values)
        placeholders = ", ".join(f":{name}" for name in values)
        row = conn.execute(
            f"INSERT INTO articles ({columns}) VALUES ({placeholders}) RETURNING rowid", values
        ).fetchone()
        return int(row[0])

    @staticmethod
    def _update_article(conn: sqlite3.Connection, values: dict[str, Any], columns: Iterable[str]) -> None:
        always = ("last_seen_at", "run_id", *CRAWL_COLUMNS)
        assignments = ", ".join(f"{name} = :{name}" for name in (*columns, *always))
        conn.execute(f"UPDATE articles SET {assignments} WHERE url = :url", values)

    def _save_revision(
        self, conn: sqlite3.Connection, url: str, old: tuple[Any, ...], now: str, *, provenance: tuple[Any, ...]
    ) -> None:
        """Keep the previous version; ``provenance``: its ``parser_version`` and ``archive_*`` columns."""
        _, old_hash, title, subtitle, body, published_at, modified_at, fetched_at = old
        conn.execute(
            "INSERT INTO article_revisions(url, content_hash, title, subtitle, body, published_at, modified_at,"
            " fetched_at, replaced_at, run_id, parser_version, archive_file, archive_offset, archive_length,"
            " archive_record_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
            " ON CONFLICT(url, content_hash, fetched_at) WHERE reason = 'crawl' DO NOTHING",
            (url, old_hash, title, subtitle, body, published_at, modified_at, fetched_at, now, self.run_id,
             *provenance),
        )
        logger.info("Text of %s changed: previous version kept in article_revisions", url)

    @staticmethod
    def _index_article(conn: sqlite3.Connection, rowid: int, item: ArticleItem) -> None:
        conn.execute(
            "INSERT INTO articles_search(article_rowid, url, title, subtitle, body) VALUES (?, ?, ?, ?, ?)"
            " ON CONFLICT(article_rowid) DO UPDATE SET url = excluded.url, title = excluded.title,"
            " subtitle = excluded.subtitle, body = excluded.body",
            (
                rowid,
                item.url,
                normalize_for_search(item.title),
                normalize_for_search(item.subtitle),
                normalize_for_search(item.body),
            ),
        )

    def _apply_dedupe(self, conn: sqlite3.Connection, url: str, deduped: DedupedArticle, now: str) -> int:
        demoted = sum(
            self._demote(conn, old_url, url, ALIAS_KIND_CONTENT, now)
            for old_url in deduped.supersedes
            if old_url != url
        )
        for old_root, new_root in deduped.regroup:
            if old_root != new_root:
                conn.execute(
                    "UPDATE articles SET duplicate_of = ? WHERE (duplicate_of = ? OR url = ?) AND url != ?",
                    (new_root, old_root, old_root, new_root),
                )
                logger.info("Near-duplicates of %s now point to %s", old_root, new_root)
        if deduped.fingerprint is not None:
            self._write_fingerprint(conn, url, deduped.fingerprint)
        return demoted

    @staticmethod
    def _write_fingerprint(conn: sqlite3.Connection, url: str, fingerprint: Fingerprint) -> None:
        old = conn.execute("SELECT id, minhash FROM article_fingerprints WHERE url = ?", (url,)).fetchone()
        if old is not None and old[1] == fingerprint.minhash:
            return
        if old is not None:
            conn.execute("DELETE FROM article_fingerprints WHERE id = ?", (old[0],))
        fingerprint_id = conn.execute(
            "INSERT INTO article_fingerprints(url, scheme, num_perm, minhash) VALUES (?, ?, ?, ?) RETURNING id",
            (url, fingerprint.scheme, fingerprint.num_perm, fingerprint.minhash),
        ).fetchone()[0]
        conn.executemany(
            "INSERT INTO article_lsh_bands(band, bucket, fingerprint_id) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
            [(band, bucket, fingerprint_id) for band, bucket in enumerate(fingerprint.buckets)],
        )

    def _demote(self, conn: sqlite3.Connection, old_url: str, new_url: str, kind: str, now: str) -> bool:
        """Turn the stored article ``old_url`` into an alias of ``new_url``; True if a row was demoted."""
        row = conn.execute(
            "SELECT first_seen_at, first_run_id FROM articles WHERE url = ?", (old_url,)
        ).fetchone()
        if row is None:
            return False
        if self.run_id is not None and row[1] == self.run_id:
            self._retracted_new += 1  # counted as new earlier in this run; it is not a new article after all
        conn.execute("UPDATE url_aliases SET url = ? WHERE url = ?", (new_url, old_url))
        # Near-duplicates of the demoted article move to the original of its replacement (one level only).
        conn.execute(
            "UPDATE articles SET duplicate_of = CASE WHEN url = :new THEN NULL"
            " ELSE coalesce((SELECT duplicate_of FROM articles WHERE url = :new), :new) END"
            " WHERE duplicate_of = :old",
            {"new": new_url, "old": old_url},
        )
        conn.execute("DELETE FROM articles WHERE url = ?", (old_url,))
        self._upsert_alias(conn, old_url, new_url, kind, row[0], now)
        logger.info("Article %s has the text of %s: stored as an alias of it", old_url, new_url)
        return True

    # -- related headlines

    @staticmethod
    def _related_unchanged(
        conn: sqlite3.Connection, article_url: str, wanted: list[tuple[str, int, str | None]], now: str
    ) -> bool:
        """True (and the headlines marked seen) when the article's stored related list is ``wanted``."""
        stored = conn.execute(
            "SELECT headline_url, position, title FROM related_headlines WHERE article_url = ? ORDER BY position",
            (article_url,),
        ).fetchall()
        if sorted(stored, key=lambda r: r[1]) != sorted(wanted, key=lambda r: r[1]):
            return False
        if wanted:
            conn.execute(
                "UPDATE headlines SET last_seen_at = ? WHERE url IN"
                " (SELECT headline_url FROM related_headlines WHERE article_url = ?)",
                (now, article_url),
            )
        return True

    def _write_related(
        self, conn: sqlite3.Connection, article_url: str, related: Sequence[RelatedHeadline], now: str
    ) -> None:
        wanted = [(r.url, r.position, r.title) for r in related if r.url]
        if self._related_unchanged(conn, article_url, wanted, now):
            return
        conn.execute("DELETE FROM related_headlines WHERE article_url = ?", (article_url,))
        entries: dict[str, tuple[int, str | None]] = {}
        for url, position, title in wanted:
            entries.setdefault(url, (position, title))  # the first occurrence of a URL wins
        self._upsert_headlines(conn, [(url, title) for url, (_, title) in entries.items()], now)
        conn.executemany(
            "INSERT INTO related_headlines(article_url, headline_url, position, title) VALUES (?, ?, ?, ?)",
            [(article_url, url, position, title) for url, (position, title) in entries.items()],
        )

    @staticmethod
    def _upsert_headlines(
        conn: sqlite3.Connection, entries: Sequence[tuple[str, str | None]], now: str
    ) -> None:
        """Insert or refresh the headlines ``(url, title)`` (distinct URLs), in order, with a few statements.

        A new headline is inserted; a known one keeps its title unless a new one is given, and is seen ``now``.
        The normalised search copy is written for new headlines and for changed titles.
        """
        old = _stored_headlines(conn, [url for url, _ in entries])
        conn.executemany(
            "INSERT INTO headlines(url, title, first_seen_at, last_seen_at) VALUES (?, ?, ?, ?)",
            [(url, title, now, now) for url, title in entries if url not in old],
        )
        conn.executemany(
            "UPDATE headlines SET title = ?, last_seen_at = ? WHERE url = ?",
            [(title or old[url], now, url) for url, title in entries if url in old],
        )
        searched = [
            (normalize_for_search(title or old.get(url)), url)
            for url, title in entries
            if url not in old or (title or old[url]) != old[url]
        ]
        conn.executemany(
            "INSERT INTO headlines_search(headline_rowid, url, title) SELECT rowid, url, ? FROM headlines WHERE url = ?"
            " ON CONFLICT(headline_rowid) DO UPDATE SET url = excluded.url, title = excluded.title",
            searched,
        )

    # -- aliases and 304s

    def _upsert_alias(
        self, conn: sqlite3.Connection, alias_url: str, url: str, kind: str, first_seen: str, now: str
    ) -> None:
        conn.execute(
            "INSERT INTO url_aliases(alias_url, url, kind, first_seen_at, last_seen_at) VALUES (?, ?, ?, ?, ?)"
            " ON CONFLICT(alias_url) DO UPDATE SET url = excluded.url, kind = excluded.kind,"
            " last_seen_at = excluded.last_seen_at",
            (alias_url, url, kind, first_seen, now),
        )

    def _record_fetched_alias(
        self, conn: sqlite3.Connection, fetched_url: str | None, url: str, now: str
    ) -> bool:
        alias = canonicalize_url(fetched_url)
        if alias is None or alias == url:
            return False
        if not self._demote(conn, alias, url, ALIAS_KIND_URL, now):
            self._upsert_alias(conn, alias, url, ALIAS_KIND_URL, now, now)
        return True

    def _write_alias(self, conn: sqlite3.Connection, alias: ArticleAlias) -> WriteResult:
        now = alias.seen_at or utc_now()
        target = self._resolve(conn, alias.url)
        if target is None or target == alias.alias_url:
            logger.warning("Alias %s points to %s, which is not stored: skipped", alias.alias_url, alias.url)
            return WriteResult(OUTCOME_UNKNOWN, alias.alias_url)
        if not self._demote(conn, alias.alias_url, target, alias.kind, now):
            self._upsert_alias(conn, alias.alias_url, target, alias.kind, now, now)
        conn.execute(
            "UPDATE articles SET last_seen_at = ?, run_id = ? WHERE url = ?", (now, self.run_id, target)
        )
        fetched = canonicalize_url(alias.fetched_url)
        url_alias = fetched not in (None, alias.alias_url) and self._record_fetched_alias(
            conn, fetched, target, now
        )
        return WriteResult(OUTCOME_ALIAS, alias.alias_url, url_alias=url_alias)

    @staticmethod
    def _resolve(conn: sqlite3.Connection, url: str) -> str | None:
        row = conn.execute(
            "SELECT url FROM articles WHERE url = ? UNION ALL SELECT url FROM url_aliases WHERE alias_url = ? LIMIT 1",
            (url, url),
        ).fetchone()
        return row[0] if row else None

    def _write_unchanged(self, conn: sqlite3.Connection, record: UnchangedArticle) -> WriteResult:
        target = self._resolve(conn, record.url)
        if target is None:
            logger.warning("304 Not Modified for %s, which is not stored: nothing to update", record.url)
            return WriteResult(OUTCOME_UNKNOWN, record.url)
        now = record.fetched_at or utc_now()
        conn.execute(
            "UPDATE articles SET last_seen_at = ?, run_id = ? WHERE url = ?", (now, self.run_id, target)
        )
        conn.execute(
            "UPDATE headlines SET last_seen_at = ? WHERE url IN"
            " (SELECT headline_url FROM related_headlines WHERE article_url = ?)",
            (now, target),
        )
        return WriteResult(OUTCOME_UNCHANGED, target)


# --------------------------------------------------------------------------------------------- runs


@dataclass
class RunSummary:
    """The counts written into a ``crawl_runs`` row when the run closes."""

    status: str
    finish_reason: str | None = None
    pages: int = 0
    articles_new: int = 0
    articles_updated: int = 0
    articles_unchanged: int = 0
    duplicates_alias: int = 0
    duplicates_near: int = 0
    url_aliases: int = 0
    dropped_by_reason: dict[str, int] = field(default_factory=dict)
    errors_by_kind: dict[str, int] = field(default_factory=dict)
    errors: int | None = None  # each failure once; default: the sum of errors_by_kind
    coverage: dict[str, float] = field(default_factory=dict)
    extraction_layers: dict[str, dict[str, float]] = field(default_factory=dict)
    stats: dict[str, Any] = field(default_factory=dict)
    finished_at: str | None = None


def mark_interrupted_runs(db: sqlite_utils.Database, *, conn: sqlite3.Connection | None = None) -> int:
    """Mark every ``running`` run as ``interrupted`` (the crawl lock guarantees none is alive); returns how many."""
    target = conn or db.conn
    cursor = target.execute(
        "UPDATE crawl_runs SET status = ?, finish_reason = coalesce(finish_reason, ?) WHERE status = ?",
        (RUN_INTERRUPTED, INTERRUPTED_REASON, RUN_RUNNING),
    )
    if cursor.rowcount:
        logger.warning("%d earlier run(s) left 'running' were marked 'interrupted'", cursor.rowcount)
    return cursor.rowcount


def start_run(db: sqlite_utils.Database, *, base_url: str | None, started_at: str | None = None) -> int:
    """Open a ``crawl_runs`` row (status ``running``) and return its id; older ``running`` rows become ``interrupted``."""
    with transaction(db) as conn:
        mark_interrupted_runs(db, conn=conn)
        row = conn.execute(
            "INSERT INTO crawl_runs(started_at, status, base_url) VALUES (?, ?, ?) RETURNING id",
            (started_at or utc_now(), RUN_RUNNING, base_url),
        ).fetchone()
    return int(row[0])


def finish_run(db: sqlite_utils.Database, run_id: int, summary: RunSummary) -> None:
    """Close the run ``run_id`` with ``summary``."""
    values = {
        "id": run_id,
        "finished_at": summary.finished_at or utc_now(),
        "status": summary.status,
        "finish_reason": summary.finish_reason,
        "pages": summary.pages,
        "articles_new": summary.articles_new,
        "articles_updated": summary.articles_updated,
        "articles_unchanged": summary.articles_unchanged,
        "duplicates": summary.duplicates_alias + summary.duplicates_near,
        "duplicates_alias": summary.duplicates_alias,
        "duplicates_near": summary.duplicates_near,
        "url_aliases": summary.url_aliases,
        "dropped": sum(summary.dropped_by_reason.values()),
        "dropped_by_reason": _json(summary.dropped_by_reason),
        "errors": sum(summary.errors_by_kind.values()) if summary.errors is None else summary.errors,
        "errors_by_kind": _json(summary.errors_by_kind),
        "coverage": _json(summary.coverage),
        "extraction_layers": _json(summary.extraction_layers),
        "stats": json.dumps(summary.stats, ensure_ascii=False, sort_keys=True, default=str),
    }
    assignments = ", ".join(f"{name} = :{name}" for name in values if name != "id")
    with transaction(db) as conn:
        conn.execute(f"UPDATE crawl_runs SET {assignments} WHERE id = :id", values)


# --------------------------------------------------------------------------------------------- queries


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


#: Stats key prefix under which a run records the ``<lastmod>`` of each sub-sitemap as its sitemap index
#: listed it (``arabpress/sitemap_lastmod/<sitemap URL>``), so the next run can tell which ones changed.
SITEMAP_LASTMOD_STAT = "arabpress/sitemap_lastmod/"


def sitemap_lastmods(db: sqlite_utils.Database) -> dict[str, str]:
    """Sub-sitemap URL → ``<lastmod>`` as the last *finished* run recorded them (empty when none did).

    An interrupted or failed run is passed over, so what it may not have read is read again.
    """
    row = db.execute(
        "SELECT stats FROM crawl_runs WHERE status = ? ORDER BY id DESC LIMIT 1", [RUN_FINISHED]
    ).fetchone()
    if row is None:
        return {}
    try:
        stats = json.loads(row[0] or "{}")
    except ValueError:
        return {}
    if not isinstance(stats, dict):
        return {}
    return {
        key[len(SITEMAP_LASTMOD_STAT) :]: value
        for key, value in stats.items()
        if key.startswith(SITEMAP_LASTMOD_STAT) and isinstance(value, str)
    }


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
    """An FTS5 MATCH expression for free text: every normalised word must occur (no FTS syntax needed)."""
    return " ".join(f'"{word}"' for word in words(text))


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


# --------------------------------------------------------------------------------------------- checks


def _fts_problems(db: sqlite_utils.Database, fts: str) -> list[str]:
    try:
        db.execute(f"INSERT INTO {fts}({fts}, rank) VALUES ('integrity-check', 1)")
    except sqlite3.DatabaseError as error:
        return [f"{fts}: full-text index out of sync with its content ({error}); rebuild it"]
    return []


_CONSISTENCY_QUERIES = {
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
    "runs with an unknown status": "SELECT count(*) FROM crawl_runs WHERE status NOT IN"
    f" ('{RUN_RUNNING}', '{RUN_FINISHED}', '{RUN_FAILED}', '{RUN_INTERRUPTED}')",
}


def check_consistency(db: sqlite_utils.Database, *, deep: bool = False) -> list[str]:
    """Problems found in ``db`` (empty when all is well): SQLite integrity, foreign keys, FTS sync, invariants.

    ``deep`` also recomputes every normalised search copy (one pass over the text).
    """
    problems = [
        f"integrity_check: {row[0]}" for row in db.execute("PRAGMA integrity_check") if row[0] != "ok"
    ]
    problems += [
        f"foreign key violation: {row[0]} rowid {row[1]} → {row[2]}"
        for row in db.execute("PRAGMA foreign_key_check")
    ]
    problems += _fts_problems(db, "articles_fts") + _fts_problems(db, "headlines_fts")
    for label, sql in _CONSISTENCY_QUERIES.items():
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
        if tuple(normalize_for_search(v) for v in row[1:4]) != tuple(v or "" for v in row[4:7])
    ]
    return [f"stale search copy for {url}" for url in stale[:20]] + (
        [f"… and {len(stale) - 20} more stale search copies"] if len(stale) > 20 else []
    )


def rebuild_search(db: sqlite_utils.Database) -> None:
    """Recompute every normalised search copy and rebuild both FTS indexes (after hand edits to the text).

    The sync triggers are dropped for the rewrite (they would ask the index to delete entries it may not
    have) and created again in the same transaction.
    """
    with transaction(db) as conn:
        for name in SEARCH_TRIGGERS:
            conn.execute(f"DROP TRIGGER IF EXISTS {name}")
        conn.execute("DELETE FROM articles_search")
        conn.execute("DELETE FROM headlines_search")
        _backfill_search(conn)
        for sql in SEARCH_TRIGGERS.values():
            conn.execute(sql)
        conn.execute("INSERT INTO articles_fts(articles_fts) VALUES ('rebuild')")
        conn.execute("INSERT INTO headlines_fts(headlines_fts) VALUES ('rebuild')")
