"""A database written by the previous release opens, migrates, and works: every table, search, the writer.

``tests/fixtures/db/release-0.1.0.sql`` is the database release 0.1.0 (main at da79c0d) wrote with two crawls of
the mirror (29 articles, a revision, a URL alias), as SQL text; each test works on a database made from it.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from arabpress_crawler import db
from arabpress_crawler.db import frontier, queries, runs
from arabpress_crawler.items import ArticleItem
from tests.conftest import release_0_1_0_db

TABLES = (
    "articles",
    "headlines",
    "related_headlines",
    "url_aliases",
    "article_revisions",
    "crawl_runs",
    "articles_search",
    "headlines_search",
    "article_fingerprints",
    "article_lsh_bands",
    "sitemap_lastmods",
)


@pytest.fixture
def old_copy(tmp_path: Path) -> Path:
    return release_0_1_0_db(tmp_path / "release-0.1.0.db")


def test_the_fixture_is_a_release_0_1_0_database(old_copy: Path) -> None:
    with sqlite3.connect(old_copy) as conn:
        versions = [row[0] for row in conn.execute("SELECT version FROM schema_version ORDER BY version")]
        tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert versions == [1, 2, 3]
    assert "sitemap_lastmods" not in tables


def test_a_release_0_1_0_database_migrates_and_every_table_works(old_copy: Path) -> None:
    database = db.open_db(old_copy)
    try:
        assert db.schema_version(database) == db.SCHEMA_VERSION
        counts = {table: database[table].count for table in TABLES}
        assert counts["articles"] == 29 and counts["article_revisions"] == 1 and counts["url_aliases"] == 1
        assert counts["crawl_runs"] == 3 and counts["headlines"] > 0 and counts["related_headlines"] > 0
        assert counts["articles_search"] == counts["articles"]
        assert counts["article_lsh_bands"] > counts["article_fingerprints"] > 0
        assert db.check_consistency(database, deep=True) == []
        # The lastmods release 0.1.0 kept in the run's stats are now rows, read for the last finished run.
        lastmods = runs.sitemap_lastmods(database)
        assert lastmods and all(url.endswith("sitemap.xml") for url in lastmods)
        assert counts["sitemap_lastmods"] >= len(lastmods)
        # Search still finds what was stored.
        title = database.execute("SELECT title FROM articles ORDER BY url LIMIT 1").fetchone()[0]
        found = [row["title"] for row in db.search_articles(database, title)]
        assert title in found
        assert queries.totals(database)["articles"] + queries.totals(database)["duplicates"] == 29
        known = db.known_articles(database)
        assert len(known) == counts["articles"] + counts["url_aliases"]
        # Step 5: the frontier starts empty, and takes links.
        assert frontier.due_links(database) == [] and frontier.pending_count(database) == 0
        with db.transaction(database) as conn:
            frontier.write(conn, [frontier.FrontierLink("https://arab.press/2025/01/01/x/", "https://arab.press/2025/01/01/x/",
                                                         "related", 2)], run_id=None, policy=frontier.FrontierPolicy())  # fmt: skip
        assert [link.url for link in frontier.due_links(database)] == ["https://arab.press/2025/01/01/x/"]
    finally:
        database.close()


def test_a_migrated_database_takes_new_writes_and_runs(old_copy: Path) -> None:
    database = db.open_db(old_copy)
    try:
        run_id = db.start_run(database, base_url="http://127.0.0.1:8799")
        url = "http://127.0.0.1:8799/2025/12/01/after-the-upgrade/"
        item = ArticleItem(url=url, title="After the upgrade", body="Written by the new code into an old file.")
        [result] = db.ArticleWriter(database, run_id=run_id).write_batch([item])
        assert result.outcome == db.OUTCOME_NEW
        summary = db.RunSummary(db.RUN_FINISHED, "finished", sitemap_lastmods={"http://x/post-sitemap.xml": "2025-12-01"})
        db.finish_run(database, run_id, summary)
        assert runs.sitemap_lastmods(database) == {"http://x/post-sitemap.xml": "2025-12-01"}
        assert [row["url"] for row in db.search_articles(database, "upgrade")] == [url]
        assert db.check_consistency(database, deep=True) == []
    finally:
        database.close()


def test_opening_a_migrated_database_again_changes_nothing(old_copy: Path) -> None:
    db.open_db(old_copy).close()
    with sqlite3.connect(old_copy) as conn:
        before = conn.execute("SELECT version, applied_at FROM schema_version ORDER BY version").fetchall()
    db.open_db(old_copy).close()
    with sqlite3.connect(old_copy) as conn:
        after = conn.execute("SELECT version, applied_at FROM schema_version ORDER BY version").fetchall()
    assert before == after and [v for v, _ in after] == list(range(1, db.SCHEMA_VERSION + 1))


def test_a_release_0_1_0_database_gets_the_archive_columns_and_keeps_its_revision(old_copy: Path) -> None:
    with sqlite3.connect(old_copy) as conn:
        old_revision = conn.execute("SELECT url, content_hash, body, fetched_at FROM article_revisions").fetchall()
    database = db.open_db(old_copy)
    try:
        columns = {column.name for column in database["articles"].columns}
        assert {"archive_file", "archive_offset", "archive_length", "archive_record_id", "parser_version"} <= columns
        rows = database.execute(
            "SELECT url, content_hash, body, fetched_at, reason, changes FROM article_revisions"
        ).fetchall()
        assert [row[:4] for row in rows] == old_revision
        assert [row[4:] for row in rows] == [("crawl", None)], "earlier revisions came from crawls"
        # A crawl revision is still unique per fetched version; a re-extraction revision of it is not refused.
        url, content_hash, _, fetched_at = old_revision[0]
        with db.transaction(database) as conn:
            conn.execute(
                "INSERT INTO article_revisions(url, content_hash, fetched_at, replaced_at) VALUES (?, ?, ?, 'now')"
                " ON CONFLICT(url, content_hash, fetched_at) WHERE reason = 'crawl' DO NOTHING",
                (url, content_hash, fetched_at),
            )
            conn.execute(
                "INSERT INTO article_revisions(url, content_hash, fetched_at, replaced_at, reason)"
                " VALUES (?, ?, ?, 'now', 'reextract')",
                (url, content_hash, fetched_at),
            )
        assert database["article_revisions"].count == 2
        assert db.check_consistency(database, deep=True) == []
    finally:
        database.close()
