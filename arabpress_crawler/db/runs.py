"""The run record: one ``crawl_runs`` row per crawl, and the sitemap lastmods each finished run saw.

A run is opened ``running`` (earlier ``running`` rows become ``interrupted``: the crawl lock guarantees none
of them is alive) and closed with a :class:`RunSummary`. The ``<lastmod>`` of each sub-sitemap, as the sitemap
index listed it, is kept per run in ``sitemap_lastmods``, so the next run reads only the sitemaps that changed
since the last *finished* run (an interrupted or failed run may not have read them).

The run statuses are declared here and nowhere else.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlite_utils

from arabpress_crawler.db.connection import connect_readonly, read_only_query, to_json, transaction, utc_now

logger = logging.getLogger(__name__)

RUN_RUNNING = "running"
RUN_FINISHED = "finished"
RUN_FAILED = "failed"
RUN_INTERRUPTED = "interrupted"
RUN_STATUSES = (RUN_RUNNING, RUN_FINISHED, RUN_FAILED, RUN_INTERRUPTED)
#: Statuses of a run that did not end well.
BAD_RUN_STATUSES = frozenset({RUN_FAILED, RUN_INTERRUPTED})
INTERRUPTED_REASON = "interrupted: the process ended before the run was closed"


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
    #: Sub-sitemap URL → ``<lastmod>`` as the sitemap index listed it in this run.
    sitemap_lastmods: dict[str, str] = field(default_factory=dict)
    #: Article URL → ``<lastmod>`` its sitemap listed, read after the article was requested (its row may lack it).
    article_lastmods: dict[str, str] = field(default_factory=dict)


def mark_interrupted_runs(db: sqlite_utils.Database, *, conn: sqlite3.Connection | None = None) -> int:
    """Mark every ``running`` run as ``interrupted`` (the crawl lock guarantees none is alive); returns how many."""
    target = conn or db.conn
    # The counts of a run that never closed are what it stored (committed): its new articles and revisions.
    cursor = target.execute(
        "UPDATE crawl_runs SET status = ?, finish_reason = coalesce(finish_reason, ?),"
        " articles_new = (SELECT count(*) FROM articles WHERE first_run_id = crawl_runs.id),"
        " articles_updated = (SELECT count(DISTINCT url) FROM article_revisions WHERE run_id = crawl_runs.id),"
        " finished_at = coalesce(finished_at, (SELECT max(last_seen_at) FROM articles WHERE run_id = crawl_runs.id))"
        " WHERE status = ?",
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


def current_run_id(db: sqlite_utils.Database) -> int | None:
    """The id of the newest run still ``running`` (the crawl in progress), or ``None``."""
    row = db.execute("SELECT max(id) FROM crawl_runs WHERE status = ?", (RUN_RUNNING,)).fetchone()
    return int(row[0]) if row and row[0] is not None else None


def finish_run(db: sqlite_utils.Database, run_id: int, summary: RunSummary) -> None:
    """Close the run ``run_id`` with ``summary`` (again if it was closed already: the last summary wins)."""
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
        "dropped_by_reason": to_json(summary.dropped_by_reason),
        "errors": sum(summary.errors_by_kind.values()) if summary.errors is None else summary.errors,
        "errors_by_kind": to_json(summary.errors_by_kind),
        "coverage": to_json(summary.coverage),
        "extraction_layers": to_json(summary.extraction_layers),
        "stats": to_json(summary.stats),
    }
    assignments = ", ".join(f"{name} = :{name}" for name in values if name != "id")
    with transaction(db) as conn:
        conn.execute(f"UPDATE crawl_runs SET {assignments} WHERE id = :id", values)
        save_sitemap_lastmods(conn, run_id, summary.sitemap_lastmods)
        save_article_lastmods(conn, summary.article_lastmods)


def save_article_lastmods(conn: sqlite3.Connection, lastmods: Mapping[str, str]) -> None:
    """Give stored articles the sitemap ``<lastmod>`` read after their page (the next run compares with it)."""
    conn.executemany(
        "UPDATE articles SET sitemap_lastmod = ? WHERE url = ? AND sitemap_lastmod IS NOT ?",
        [(lastmod, url, lastmod) for url, lastmod in sorted(lastmods.items())],
    )


def save_sitemap_lastmods(conn: sqlite3.Connection, run_id: int, lastmods: Mapping[str, str]) -> None:
    """Record the sub-sitemaps' ``<lastmod>`` as run ``run_id`` saw them."""
    conn.executemany(
        "INSERT INTO sitemap_lastmods(run_id, sitemap_url, lastmod) VALUES (?, ?, ?)"
        " ON CONFLICT(run_id, sitemap_url) DO UPDATE SET lastmod = excluded.lastmod",
        [(run_id, url, lastmod) for url, lastmod in sorted(lastmods.items())],
    )


def sitemap_lastmods(db: sqlite_utils.Database) -> dict[str, str]:
    """Sub-sitemap URL → ``<lastmod>`` as the last *finished* run recorded them (empty when none did).

    An interrupted or failed run is passed over, so what it may not have read is read again.
    """
    rows = db.execute(
        "SELECT sitemap_url, lastmod FROM sitemap_lastmods WHERE run_id ="
        " (SELECT max(id) FROM crawl_runs WHERE status = ?)",
        [RUN_FINISHED],
    )
    return dict(rows.fetchall())


def last_run_row(path: str | Path) -> dict[str, Any] | None:
    """The newest ``crawl_runs`` row of the file ``path`` (read-only) as a dict, or ``None``."""
    connection = connect_readonly(path)
    try:
        cursor = connection.execute("SELECT * FROM crawl_runs ORDER BY id DESC LIMIT 1")
        row = cursor.fetchone()
        return dict(zip([column[0] for column in cursor.description], row, strict=True)) if row else None
    finally:
        connection.close()


def running_run(path: str | Path) -> tuple[int, str] | None:
    """``(id, started_at)`` of the newest run of the file ``path`` still marked running (read-only), or ``None``."""
    rows = read_only_query(
        path, "SELECT id, started_at FROM crawl_runs WHERE status = ? ORDER BY id DESC LIMIT 1", (RUN_RUNNING,)
    )
    return (rows[0][0], rows[0][1]) if rows else None


def last_base_url(path: str | Path) -> str | None:
    """The site the newest run in the file ``path`` crawled (read-only), or ``None``."""
    rows = read_only_query(path, "SELECT base_url FROM crawl_runs ORDER BY id DESC LIMIT 1")
    return rows[0][0] if rows else None


def recent_run_rows(
    db: sqlite_utils.Database, *, limit: int, include_running: bool = True
) -> list[dict[str, Any]]:
    """The latest ``limit`` ``crawl_runs`` rows as dicts, newest first (none without the table)."""
    if not db["crawl_runs"].exists():
        return []
    where = "" if include_running else "WHERE status IS NOT ? "
    params: list[Any] = [] if include_running else [RUN_RUNNING]
    return list(db.query(f"SELECT * FROM crawl_runs {where}ORDER BY id DESC LIMIT ?", [*params, limit]))
