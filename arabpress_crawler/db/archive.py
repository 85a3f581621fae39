"""The archive's side of the database: where each row's response is kept, which extraction produced it, and
the writes of ``arabpress reextract``.

Columns (migration :data:`MIGRATION_SCRIPT`; described in ``docs/schema.md``):

* ``articles.archive_file``, ``archive_offset``, ``archive_length``, ``archive_record_id``: the WARC response
  record the row's fields were extracted from (``NULL`` when the archive was off);
* ``articles.parser_version``: the extraction version that produced the fields
  (:func:`arabpress_crawler.extraction_version.extraction_version`);
* ``article_revisions.reason`` (``crawl``: a re-fetch brought new text; ``reextract``: today's code extracted
  other values from the same response), ``parser_version`` (what produced the revision's values),
  ``replaced_by_version`` and ``changes`` (JSON: each changed field's earlier value), and the revision's own
  record (``archive_*``).

``article_revisions`` is rebuilt by the migration: its ``UNIQUE (url, content_hash, fetched_at)`` (one revision
per fetched version) now holds for ``reason = 'crawl'`` rows only (a partial unique index), because
re-extraction may replace the fields of one fetched version several times.
"""

from __future__ import annotations

import json
import logging
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from arabpress_crawler.db.connection import to_json
from arabpress_crawler.items import ArchiveRecord, ArticleItem

logger = logging.getLogger(__name__)

ARCHIVE_COLUMNS = ("archive_file", "archive_offset", "archive_length", "archive_record_id")
VERSION_COLUMN = "parser_version"
REASON_CRAWL = "crawl"
REASON_REEXTRACT = "reextract"
#: ``articles`` columns re-extraction recomputes (the related list, in ``related_headlines``, too).
ROW_FIELDS = (
    "title",
    "subtitle",
    "body",
    "authors",
    "published_at",
    "modified_at",
    "section",
    "tags",
    "image_url",
    "language",
    "word_count",
    "content_hash",
    "extraction",
)
#: The ``articles`` column the dedupe decision of a re-extracted row may change.
DUPLICATE_OF = "duplicate_of"
#: Stored as JSON text in ``articles``.
JSON_FIELDS = frozenset({"authors", "tags", "extraction"})
SEARCHED_FIELDS = frozenset({"title", "subtitle", "body"})

MIGRATION_NAME = "web archive records, extraction version, re-extraction revisions"
MIGRATION_SCRIPT = """
ALTER TABLE articles ADD COLUMN archive_file TEXT;
ALTER TABLE articles ADD COLUMN archive_offset INTEGER;
ALTER TABLE articles ADD COLUMN archive_length INTEGER;
ALTER TABLE articles ADD COLUMN archive_record_id TEXT;
ALTER TABLE articles ADD COLUMN parser_version TEXT;
CREATE INDEX articles_archive_file ON articles(archive_file);

CREATE TABLE article_revisions_new (
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
    reason TEXT NOT NULL DEFAULT 'crawl',
    parser_version TEXT,
    replaced_by_version TEXT,
    changes TEXT,
    archive_file TEXT,
    archive_offset INTEGER,
    archive_length INTEGER,
    archive_record_id TEXT
);
INSERT INTO article_revisions_new(id, url, content_hash, title, subtitle, body, published_at, modified_at,
                                  fetched_at, replaced_at, run_id)
    SELECT id, url, content_hash, title, subtitle, body, published_at, modified_at, fetched_at, replaced_at, run_id
    FROM article_revisions;
DROP TABLE article_revisions;
ALTER TABLE article_revisions_new RENAME TO article_revisions;
CREATE INDEX article_revisions_url ON article_revisions(url);
CREATE UNIQUE INDEX article_revisions_fetched_version ON article_revisions(url, content_hash, fetched_at)
    WHERE reason = 'crawl';
"""


@dataclass(frozen=True)
class StoredArticle:
    """A stored article as re-extraction needs it: its key, crawl metadata, record and current fields."""

    url: str
    values: dict[str, Any]  # ROW_FIELDS as the row holds them (JSON decoded) and "related" triples
    fetched_url: str | None = None
    fetched_at: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    sitemap_lastmod: str | None = None
    archive: ArchiveRecord | None = None
    parser_version: str | None = None


#: ``{field: (stored value, new value)}`` of the fields re-extraction changed.
Changes = dict[str, tuple[Any, Any]]


def archive_values(item: ArticleItem) -> dict[str, Any]:
    """The archive and version columns of a row written from ``item`` (a crawl's write); a record still pending
    (not written by the writer process) is no record: the row never points at a record that may not exist."""
    record = item.archive if isinstance(item.archive, ArchiveRecord) else None
    return {
        "archive_file": record.file if record else None,
        "archive_offset": record.offset if record else None,
        "archive_length": record.length if record else None,
        "archive_record_id": record.record_id if record else None,
        VERSION_COLUMN: item.parser_version,
    }


def record_of(row: sqlite3.Row | dict[str, Any]) -> ArchiveRecord | None:
    """The :class:`ArchiveRecord` a row points at, or ``None``."""
    if row["archive_file"] is None:
        return None
    return ArchiveRecord(
        row["archive_file"], int(row["archive_offset"]), int(row["archive_length"]), row["archive_record_id"]
    )


def has_archive_columns(conn: sqlite3.Connection) -> bool:
    """Whether the database has been migrated to keep archive records (older ones have no such column)."""
    return any(row[1] == "archive_file" for row in conn.execute("PRAGMA table_info(articles)"))


# -- reading --------------------------------------------------------------------------------------------------


def _decoded(name: str, value: Any) -> Any:
    if name in JSON_FIELDS:
        return json.loads(value) if value else ({} if name == "extraction" else [])
    return value


def _related(conn: sqlite3.Connection, urls: Sequence[str]) -> dict[str, list[tuple[str, str, int]]]:
    related: dict[str, list[tuple[str, str, int]]] = {url: [] for url in urls}
    placeholders = ", ".join("?" for _ in urls)
    for article, headline, title, position in conn.execute(
        "SELECT article_url, headline_url, title, position FROM related_headlines"
        f" WHERE article_url IN ({placeholders})",
        tuple(urls),
    ):
        related[article].append((headline, title, position))
    for entries in related.values():
        entries.sort(key=lambda entry: entry[2])
    return related


def stored_articles(
    conn: sqlite3.Connection, *, since: str | None = None, url: str | None = None, batch: int = 500
) -> Iterator[StoredArticle]:
    """Articles to re-extract, in archive order (file, offset), optionally published on or after ``since``
    (``YYYY-MM-DD``) or only ``url`` (its canonical form or an alias of it)."""
    where, params = ["1 = 1"], []
    if since is not None:
        where.append("published_at >= ?")
        params.append(since)
    if url is not None:
        where.append("(url = ? OR url IN (SELECT url FROM url_aliases WHERE alias_url = ?))")
        params.extend((url, url))
    columns = ", ".join(
        ("url", *ROW_FIELDS, "fetched_url", "fetched_at", "etag", "last_modified", "sitemap_lastmod",
         *ARCHIVE_COLUMNS, VERSION_COLUMN)
    )
    cursor = conn.execute(
        f"SELECT {columns} FROM articles WHERE {' AND '.join(where)}"
        " ORDER BY archive_file IS NULL, archive_file, archive_offset, url",
        params,
    )
    names = [description[0] for description in cursor.description]
    while rows := cursor.fetchmany(batch):
        records = [dict(zip(names, row, strict=True)) for row in rows]
        related = _related(conn, [record["url"] for record in records])
        for record in records:
            values = {name: _decoded(name, record[name]) for name in ROW_FIELDS}
            values["related"] = related[record["url"]]
            yield StoredArticle(
                url=record["url"],
                values=values,
                fetched_url=record["fetched_url"],
                fetched_at=record["fetched_at"],
                etag=record["etag"],
                last_modified=record["last_modified"],
                sitemap_lastmod=record["sitemap_lastmod"],
                archive=record_of(record),
                parser_version=record[VERSION_COLUMN],
            )


@dataclass(frozen=True)
class FileExtent:
    """What the rows expect of one archive file: how many point into it, and the end of the last record."""

    file: str
    rows: int
    end: int


def record_extents(conn: sqlite3.Connection) -> list[FileExtent]:
    return [
        FileExtent(file, int(rows), int(end))
        for file, rows, end in conn.execute(
            "SELECT archive_file, count(*), max(archive_offset + archive_length) FROM articles"
            " WHERE archive_file IS NOT NULL GROUP BY archive_file ORDER BY archive_file"
        )
    ]


def rows_without_record(conn: sqlite3.Connection) -> int:
    return int(conn.execute("SELECT count(*) FROM articles WHERE archive_file IS NULL").fetchone()[0])


def records_in(conn: sqlite3.Connection, file: str) -> list[tuple[str, ArchiveRecord]]:
    """``(url, record)`` of every row pointing into ``file``, in file order."""
    rows = conn.execute(
        "SELECT url, archive_file, archive_offset, archive_length, archive_record_id FROM articles"
        " WHERE archive_file = ? ORDER BY archive_offset",
        (file,),
    )
    return [(url, ArchiveRecord(name, int(offset), int(length), record_id))
            for url, name, offset, length, record_id in rows]  # fmt: skip


# -- writing --------------------------------------------------------------------------------------------------


def _encoded(name: str, value: Any) -> Any:
    return to_json(value) if name in JSON_FIELDS else value


def save_reextract_revision(
    conn: sqlite3.Connection, stored: StoredArticle, changed: Changes, version: str, now: str
) -> None:
    """Keep the row's values before re-extraction as a revision (``reason = 'reextract'``)."""
    old = stored.values
    record = stored.archive
    changes = {name: before for name, (before, _) in changed.items()}
    conn.execute(
        "INSERT INTO article_revisions(url, content_hash, title, subtitle, body, published_at, modified_at,"
        " fetched_at, replaced_at, reason, parser_version, replaced_by_version, changes,"
        " archive_file, archive_offset, archive_length, archive_record_id)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            stored.url, old.get("content_hash"), old.get("title"), old.get("subtitle"), old.get("body"),
            old.get("published_at"), old.get("modified_at"), stored.fetched_at, now, REASON_REEXTRACT,
            stored.parser_version, version, json.dumps(changes, ensure_ascii=False),
            record.file if record else None, record.offset if record else None,
            record.length if record else None, record.record_id if record else None,
        ),
    )


def article_exists(conn: sqlite3.Connection, url: str) -> bool:
    """Whether ``url`` is still an article row (not demoted to an alias earlier in the same run)."""
    return conn.execute("SELECT 1 FROM articles WHERE url = ?", (url,)).fetchone() is not None


def update_reextracted(conn: sqlite3.Connection, url: str, changed: Changes, version: str) -> int:
    """Write the re-extracted values of the changed row fields (and the version); returns the row's rowid."""
    new = {name: after for name, (_, after) in changed.items() if name in ROW_FIELDS or name == DUPLICATE_OF}
    assignments = ", ".join(f"{name} = ?" for name in (*new, VERSION_COLUMN))
    row = conn.execute(
        f"UPDATE articles SET {assignments} WHERE url = ? RETURNING rowid",
        (*(_encoded(name, value) for name, value in new.items()), version, url),
    ).fetchone()
    return int(row[0])


def mark_version(conn: sqlite3.Connection, urls: Iterable[str], version: str) -> int:
    """Record that ``version`` extracts the same values for the unchanged rows ``urls``."""
    cursor = conn.executemany(
        f"UPDATE articles SET {VERSION_COLUMN} = ? WHERE url = ? AND {VERSION_COLUMN} IS NOT ?",
        [(version, url, version) for url in urls],
    )
    return cursor.rowcount


def open_snapshot(path: Path) -> sqlite3.Connection:
    """A read-only connection holding one snapshot of the database until closed (WAL: writers go on)."""
    conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    conn.execute("BEGIN")
    return conn


def database_dir(conn: sqlite3.Connection) -> Path | None:
    """The directory of the database file behind ``conn`` (``None`` for an in-memory database)."""
    for _, name, file in conn.execute("PRAGMA database_list"):
        if name == "main" and file:
            return Path(file).parent
    return None
