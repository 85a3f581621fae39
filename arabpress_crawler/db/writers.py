"""The article writer: articles, their revisions, aliases, 304s and the dedupe decisions, batch by batch.

:class:`ArticleWriter` writes records in order inside one transaction per :meth:`ArticleWriter.write_batch`
(``BEGIN IMMEDIATE`` … ``COMMIT``), with upserts (``INSERT … ON CONFLICT DO UPDATE``; never
``INSERT OR REPLACE``, which orphans full-text rows); the search copy of each article is written in
the same transaction. Related headlines are written by :mod:`arabpress_crawler.db.related`.

**Adding a column**: add it in a migration (:mod:`arabpress_crawler.db.schema`), to
:meth:`ArticleWriter._article_values`, and to :data:`DESCRIPTIVE_COLUMNS` if a refetch should refresh it.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Iterable, Sequence
from typing import Any

import sqlite_utils

from arabpress_crawler.db import archive as archive_db
from arabpress_crawler.db.connection import to_json, transaction, utc_now
from arabpress_crawler.db.records import (
    ALIAS_KIND_CONTENT,
    ALIAS_KIND_URL,
    OUTCOME_ALIAS,
    OUTCOME_NEW,
    OUTCOME_UNCHANGED,
    OUTCOME_UNKNOWN,
    OUTCOME_UPDATED,
    ArticleAlias,
    DedupedArticle,
    Fingerprint,
    StoreRecord,
    WriteResult,
)
from arabpress_crawler.db.related import (
    related_unchanged,
    replace_related,
    touch_related_headlines,
    wanted_related,
)
from arabpress_crawler.items import ArticleItem, RelatedHeadline, UnchangedArticle
from arabpress_crawler.search import search_text
from arabpress_crawler.text import content_hash as compute_content_hash
from arabpress_crawler.text import word_count
from arabpress_crawler.urls import canonicalize_url

logger = logging.getLogger(__name__)

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
#: Columns every fetch rewrites: what was fetched, the archived response it came from, the extraction version.
CRAWL_COLUMNS = (
    "fetched_at",
    "fetched_url",
    "etag",
    "last_modified",
    "sitemap_lastmod",
    *archive_db.ARCHIVE_COLUMNS,
    archive_db.VERSION_COLUMN,
)


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
            return [self.write(conn, record) for record in records]

    def write(self, conn: sqlite3.Connection, record: StoreRecord) -> WriteResult:
        """Write one record inside the caller's open transaction on ``conn``."""
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
        demoted, regrouped = self._apply_dedupe(conn, item.url, deduped, now) if deduped is not None else (0, 0)
        self._write_related(conn, item.url, item.related, now)
        url_alias = self._record_fetched_alias(conn, item.fetched_url, item.url, now)
        found_near = bool(item.duplicate_of) and (old is None or old[8] != item.duplicate_of)
        return WriteResult(outcome, item.url, near_duplicate=found_near, url_alias=url_alias, demoted=demoted,
                           regrouped=regrouped)

    def _article_values(self, item: ArticleItem, now: str) -> dict[str, Any]:
        return {
            "url": item.url,
            "title": item.title,
            "subtitle": item.subtitle,
            "body": item.body,
            "authors": to_json(list(item.authors)),
            "published_at": item.published_at,
            "modified_at": item.modified_at,
            "section": item.section,
            "tags": to_json(list(item.tags)),
            "image_url": item.image_url,
            "language": item.language,
            "word_count": item.word_count,
            "content_hash": item.content_hash,
            "duplicate_of": item.duplicate_of,
            "extraction": to_json(dict(item.extraction)),
            "first_seen_at": now,
            "last_seen_at": now,
            "fetched_at": item.fetched_at or now,
            "fetched_url": item.fetched_url,
            "etag": item.etag,
            "last_modified": item.last_modified,
            "sitemap_lastmod": getattr(item, "sitemap_lastmod", None),
            "run_id": self.run_id,
            "first_run_id": self.run_id,
            **archive_db.archive_values(item),
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
                search_text(item.title),
                search_text(item.subtitle),
                search_text(item.body),
            ),
        )

    def _apply_dedupe(
        self, conn: sqlite3.Connection, url: str, deduped: DedupedArticle, now: str
    ) -> tuple[int, int]:
        """Apply the dedupe decision; ``(articles demoted to aliases, originals that became near-duplicates)``."""
        regrouped = 0
        demoted = sum(
            self._demote(conn, old_url, url, ALIAS_KIND_CONTENT, now)
            for old_url in deduped.supersedes
            if old_url != url
        )
        for old_root, new_root in deduped.regroup:
            if old_root != new_root:
                regrouped += conn.execute(
                    "SELECT count(*) FROM articles WHERE url = ? AND duplicate_of IS NULL AND url != ?",
                    (old_root, new_root),
                ).fetchone()[0]
                conn.execute(
                    "UPDATE articles SET duplicate_of = ? WHERE (duplicate_of = ? OR url = ?) AND url != ?",
                    (new_root, old_root, old_root, new_root),
                )
                logger.info("Near-duplicates of %s now point to %s", old_root, new_root)
        if deduped.fingerprint is not None:
            self._write_fingerprint(conn, url, deduped.fingerprint)
        return demoted, regrouped

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

    # -- related headlines (methods, so a test can put a reference implementation in their place)

    _related_unchanged = staticmethod(related_unchanged)

    def _write_related(
        self, conn: sqlite3.Connection, article_url: str, related: Sequence[RelatedHeadline], now: str
    ) -> None:
        wanted = wanted_related(related)
        if not self._related_unchanged(conn, article_url, wanted, now):
            replace_related(conn, article_url, wanted, now)

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
        if fetched_url == url:  # the usual case: canonical already (canonicalisation is idempotent)
            return False
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
        touch_related_headlines(conn, target, now)
        return WriteResult(OUTCOME_UNCHANGED, target)
