"""The SQLite store: schema and migrations, upserts, revisions, aliases, 304s, full-text search, checks."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
import sqlite_utils

from arabpress_crawler import db as db_api
from arabpress_crawler.items import ArticleItem, RelatedHeadline, UnchangedArticle

URL = "https://arab.press/2025/11/08/russia-turkey-syria-talks/"
ARABIC_URL = "https://arab.press/2025/11/09/arabic-story/"
BODY = (
    "The defence ministers of Russia, Turkey and Syria met in Moscow on Wednesday, the first such talks "
    "since a war broke out in Syria, the Russian defence ministry said.\n\n"
    "It was also the first meeting between Turkish and Syrian defence ministers since 2011."
)
ARABIC_BODY = "اجتمع وزراءُ الدفاعِ في موسكو يومَ الأربعاء، في أوّل محادثاتٍ من نوعها منذ عام ٢٠١١."
ALL_TABLES = ("articles", "headlines", "related_headlines", "url_aliases", "article_revisions")


def article(
    url: str = URL, *, body: str = BODY, title: str = "Defence Ministers Meet", **fields: object
) -> ArticleItem:
    defaults: dict[str, object] = {
        "published_at": "2025-11-08T09:00:00Z",
        "authors": ["AFP"],
        "tags": ["Syria", "Turkey"],
        "section": "Politics",
        "language": "en",
        "fetched_url": url,
        "fetched_at": "2025-11-08T10:00:00Z",
        "etag": '"v1"',
        "extraction": {"title": "site", "body": "site"},
        "related": [
            RelatedHeadline(
                "MrBeast’s ‘Beast Land’ Arrives in Riyadh", "https://arab.press/2025/11/01/beast-land/", 1
            ),
            RelatedHeadline(
                "Saudi Arabia Launches Instant e-Visa", "https://arab.press/2025/11/02/e-visa/", 2
            ),
        ],
    }
    defaults.update(fields)
    return ArticleItem(url=url, title=title, body=body, **defaults)  # type: ignore[arg-type]


@pytest.fixture
def db(tmp_path: Path) -> sqlite_utils.Database:
    database = db_api.open_db(tmp_path / "arabpress.db")
    yield database
    database.close()


def rows(db: sqlite_utils.Database, table: str) -> list[dict]:
    order = {"related_headlines": "article_url, position", "article_revisions": "id"}.get(table, "rowid")
    return list(db.query(f"SELECT * FROM {table} ORDER BY {order}"))


def content_rows(db: sqlite_utils.Database) -> dict[str, list[dict]]:
    """Every table that holds crawled content, without the timestamps that differ between runs."""
    volatile = {"first_seen_at", "last_seen_at", "replaced_at"}
    return {
        table: [{k: v for k, v in row.items() if k not in volatile} for row in rows(db, table)]
        for table in ALL_TABLES
    }


def write(db: sqlite_utils.Database, *records: object, run_id: int | None = None) -> list[db_api.WriteResult]:
    return db_api.ArticleWriter(db, run_id=run_id).write_batch(list(records))  # type: ignore[arg-type]


# -- schema and migrations


def test_schema_is_created_with_wal_and_foreign_keys(db: sqlite_utils.Database) -> None:
    assert db_api.schema_version(db) == db_api.SCHEMA_VERSION
    assert set(ALL_TABLES) | {"crawl_runs", "articles_fts", "headlines_fts"} <= set(db.table_names())
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert db.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    assert "sitemap_lastmod" in db["articles"].columns_dict


def test_ensure_schema_twice_changes_nothing(db: sqlite_utils.Database) -> None:
    assert db_api.ensure_schema(db) == db_api.SCHEMA_VERSION
    assert db.execute("SELECT count(*) FROM schema_version").fetchone()[0] == len(db_api.MIGRATIONS)


def test_a_newer_schema_is_refused(db: sqlite_utils.Database) -> None:
    db.execute("INSERT INTO schema_version VALUES (999, 'future', '2030-01-01T00:00:00Z')")
    with pytest.raises(RuntimeError, match="newer"):
        db_api.ensure_schema(db)


def test_migration_from_version_1_keeps_rows_and_indexes_them(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    old = db_api.open_db(path, create=False)
    assert db_api.migrate(old, target=1) == 1
    old.execute(
        "INSERT INTO articles(url, title, body, first_seen_at, last_seen_at) VALUES (?, ?, ?, ?, ?)",
        (ARABIC_URL, "وزراءُ الدفاع", ARABIC_BODY, "2024-01-01T00:00:00Z", "2024-01-01T00:00:00Z"),
    )
    old.execute(
        "INSERT INTO headlines(url, title, first_seen_at, last_seen_at) VALUES (?, ?, ?, ?)",
        ("https://arab.press/2024/01/01/h/", "Old Headline", "2024-01-01T00:00:00Z", "2024-01-01T00:00:00Z"),
    )
    assert "articles_fts" not in old.table_names()
    old.close()

    upgraded = db_api.open_db(path)
    assert db_api.schema_version(upgraded) == db_api.SCHEMA_VERSION
    assert [r["url"] for r in db_api.search_articles(upgraded, "وزراء")] == [ARABIC_URL]
    assert [r["title"] for r in db_api.search_headlines(upgraded, "old headline")] == ["Old Headline"]
    assert "sitemap_lastmod" in upgraded["articles"].columns_dict
    assert db_api.check_consistency(upgraded, deep=True) == []


# -- articles, revisions, related headlines


def test_a_new_article_is_stored_with_json_lists_and_related_headlines(db: sqlite_utils.Database) -> None:
    run_id = db_api.start_run(db, base_url="https://arab.press")
    [result] = write(db, article(), run_id=run_id)
    assert result.outcome == db_api.OUTCOME_NEW
    [row] = rows(db, "articles")
    assert json.loads(row["authors"]) == ["AFP"]
    assert json.loads(row["tags"]) == ["Syria", "Turkey"]
    assert json.loads(row["extraction"]) == {"title": "site", "body": "site"}
    assert row["first_seen_at"] == row["last_seen_at"] == row["fetched_at"] == "2025-11-08T10:00:00Z"
    assert row["run_id"] == row["first_run_id"] == run_id
    assert row["word_count"] == 43
    assert len(row["content_hash"]) == 64
    related = rows(db, "related_headlines")
    assert [(r["position"], r["headline_url"]) for r in related] == [
        (1, "https://arab.press/2025/11/01/beast-land/"),
        (2, "https://arab.press/2025/11/02/e-visa/"),
    ]
    assert len(rows(db, "headlines")) == 2


def test_the_same_items_twice_give_the_same_rows(db: sqlite_utils.Database) -> None:
    items = [article(), article(ARABIC_URL, body=ARABIC_BODY, title="وزراء الدفاع")]
    write(db, *items)
    first = content_rows(db)
    results = write(db, *[article(), article(ARABIC_URL, body=ARABIC_BODY, title="وزراء الدفاع")])
    assert [r.outcome for r in results] == [db_api.OUTCOME_UNCHANGED, db_api.OUTCOME_UNCHANGED]
    assert content_rows(db) == first
    assert db_api.check_consistency(db, deep=True) == []


def test_unchanged_text_bumps_last_seen_only(db: sqlite_utils.Database) -> None:
    write(db, article())
    write(db, article(fetched_at="2025-11-10T10:00:00Z", etag='"v2"'))
    [row] = rows(db, "articles")
    assert row["first_seen_at"] == "2025-11-08T10:00:00Z"
    assert row["last_seen_at"] == "2025-11-10T10:00:00Z"
    assert row["etag"] == '"v2"'
    assert rows(db, "article_revisions") == []


def test_changed_text_moves_the_old_version_to_revisions(db: sqlite_utils.Database) -> None:
    write(db, article())
    old_hash = rows(db, "articles")[0]["content_hash"]
    edited = BODY.replace("Wednesday", "Thursday")
    [result] = write(
        db, article(body=edited, fetched_at="2025-11-09T08:00:00Z", modified_at="2025-11-09T07:00:00Z")
    )
    assert result.outcome == db_api.OUTCOME_UPDATED
    [revision] = rows(db, "article_revisions")
    assert (revision["url"], revision["content_hash"], revision["body"]) == (URL, old_hash, BODY)
    assert revision["fetched_at"] == "2025-11-08T10:00:00Z"
    [row] = rows(db, "articles")
    assert row["body"] == edited and row["modified_at"] == "2025-11-09T07:00:00Z"
    assert [r["url"] for r in db_api.search_articles(db, "thursday")] == [URL]
    assert db_api.search_articles(db, "wednesday") == []


def test_a_recrawl_replaces_the_related_list(db: sqlite_utils.Database) -> None:
    write(db, article())
    write(
        db,
        article(
            related=[RelatedHeadline("Renamed e-Visa story", "https://arab.press/2025/11/02/e-visa/", 1)]
        ),
    )
    related = rows(db, "related_headlines")
    assert [(r["position"], r["headline_url"], r["title"]) for r in related] == [
        (1, "https://arab.press/2025/11/02/e-visa/", "Renamed e-Visa story")
    ]
    headline = db["headlines"].get("https://arab.press/2025/11/02/e-visa/")
    assert headline["title"] == "Renamed e-Visa story"
    assert [r["title"] for r in db_api.search_headlines(db, "renamed")] == ["Renamed e-Visa story"]


# -- aliases and 304s


def test_a_different_fetched_url_becomes_an_alias(db: sqlite_utils.Database) -> None:
    [result] = write(db, article(fetched_url=URL + "amp/?utm_source=x"))
    assert not result.url_alias  # the AMP copy canonicalises to the article itself
    [result] = write(db, article(fetched_url="https://arab.press/?p=123"))
    assert result.url_alias
    [alias] = rows(db, "url_aliases")
    assert (alias["alias_url"], alias["url"], alias["kind"]) == ("https://arab.press/?p=123", URL, "url")
    known = db_api.known_articles(db)
    assert known["https://arab.press/?p=123"].url == URL and known["https://arab.press/?p=123"].is_alias
    assert known[URL].etag == '"v1"' and not known[URL].is_alias


def test_an_alias_that_gets_its_own_text_becomes_an_article(db: sqlite_utils.Database) -> None:
    other = "https://arab.press/2025/11/10/other/"
    write(db, article(), db_api.ArticleAlias(alias_url=other, url=URL))
    assert [r["alias_url"] for r in rows(db, "url_aliases")] == [other]
    write(db, article(other, body=BODY + " A new paragraph."))
    assert rows(db, "url_aliases") == []
    assert db_api.check_consistency(db) == []


def test_a_304_bumps_last_seen_and_counts_as_unchanged(db: sqlite_utils.Database) -> None:
    write(db, article(fetched_url="https://arab.press/?p=123"))
    results = write(
        db,
        UnchangedArticle(URL, fetched_at="2025-11-12T00:00:00Z"),
        UnchangedArticle("https://arab.press/?p=123", fetched_at="2025-11-13T00:00:00Z"),
        UnchangedArticle("https://arab.press/2020/01/01/never-stored/"),
    )
    assert [r.outcome for r in results] == [
        db_api.OUTCOME_UNCHANGED,
        db_api.OUTCOME_UNCHANGED,
        db_api.OUTCOME_UNKNOWN,
    ]
    [row] = rows(db, "articles")
    assert row["last_seen_at"] == "2025-11-13T00:00:00Z"
    assert row["fetched_at"] == "2025-11-08T10:00:00Z"


def test_a_failing_record_rolls_back_the_whole_batch(db: sqlite_utils.Database) -> None:
    with pytest.raises(TypeError):
        write(db, article(), "not a record")
    assert rows(db, "articles") == []
    assert rows(db, "headlines") == []


# -- full-text search


def test_search_in_english_is_case_insensitive(db: sqlite_utils.Database) -> None:
    write(db, article(), article(ARABIC_URL, body=ARABIC_BODY, title="وزراء الدفاع"))
    assert [r["url"] for r in db_api.search_articles(db, "MOSCOW wednesday")] == [URL]
    assert db_api.search_articles(db, "moscow paris") == []
    assert db_api.search_articles(db, "  ") == []


@pytest.mark.parametrize(
    "query", ["وزراء الدفاع", "وزراءُ الدفاعِ", "أول محادثات", "اول محادثات", "٢٠١١", "2011 موسكو"]
)
def test_search_in_arabic_with_or_without_diacritics(db: sqlite_utils.Database, query: str) -> None:
    write(db, article(), article(ARABIC_URL, body=ARABIC_BODY, title="وزراء الدفاع"))
    assert ARABIC_URL in [r["url"] for r in db_api.search_articles(db, query)]


def test_search_syntax_in_queries_is_harmless(db: sqlite_utils.Database) -> None:
    write(db, article())
    assert [r["url"] for r in db_api.search_articles(db, '"moscow" AND (wednesday*')] == [URL]
    assert db_api.search_articles(db, 'NEAR(" OR') == []


def test_search_triggers_need_no_custom_function(tmp_path: Path) -> None:
    path = tmp_path / "plain.db"
    database = db_api.open_db(path)
    write(database, article())
    database.close()
    # A plain sqlite3 connection (as datasette or the sqlite3 shell) can edit rows and query the index.
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA foreign_keys = ON")
    conn.execute("DELETE FROM articles WHERE url = ?", (URL,))
    conn.commit()
    assert (
        conn.execute("SELECT count(*) FROM articles_fts WHERE articles_fts MATCH 'moscow'").fetchone()[0] == 0
    )
    conn.close()
    assert db_api.check_consistency(db_api.open_db(path)) == []


# -- consistency checks


def test_check_consistency_reports_an_out_of_sync_index(db: sqlite_utils.Database) -> None:
    write(db, article())
    assert db_api.check_consistency(db) == []
    db.execute("INSERT INTO articles_fts(articles_fts) VALUES ('delete-all')")
    problems = db_api.check_consistency(db)
    assert any("articles_fts" in problem for problem in problems)
    db_api.rebuild_search(db)
    assert db_api.check_consistency(db) == []


def test_check_consistency_reports_missing_and_stale_search_rows(db: sqlite_utils.Database) -> None:
    write(db, article())
    db.execute("UPDATE articles SET body = 'Edited by hand in the sqlite3 shell' WHERE url = ?", [URL])
    assert db_api.check_consistency(db) == []
    assert db_api.check_consistency(db, deep=True) == [f"stale search copy for {URL}"]
    db.execute("DELETE FROM articles_search")
    assert "articles without a search row: 1" in db_api.check_consistency(db)
    db_api.rebuild_search(db)
    assert db_api.check_consistency(db, deep=True) == []
    assert [r["url"] for r in db_api.search_articles(db, "sqlite3 shell")] == [URL]


def test_check_consistency_reports_doubled_content(db: sqlite_utils.Database) -> None:
    write(db, article(), article("https://arab.press/2025/11/10/copy/"))
    assert "articles sharing one content hash: 1" in db_api.check_consistency(db)


# -- run record


def test_run_lifecycle_and_interrupted_runs(db: sqlite_utils.Database) -> None:
    killed = db_api.start_run(db, base_url="https://arab.press", started_at="2025-11-01T00:00:00Z")
    current = db_api.start_run(db, base_url="https://arab.press")
    runs = {r["id"]: r for r in rows(db, "crawl_runs")}
    assert runs[killed]["status"] == db_api.RUN_INTERRUPTED
    assert runs[killed]["finish_reason"] == db_api.INTERRUPTED_REASON
    assert runs[current]["status"] == db_api.RUN_RUNNING
    summary = db_api.RunSummary(
        status=db_api.RUN_FINISHED,
        finish_reason="finished",
        pages=7,
        articles_new=3,
        duplicates_alias=1,
        duplicates_near=2,
        dropped_by_reason={"no_body": 2},
        errors_by_kind={"downloader/response_status_count/404": 1},
        coverage={"title": 1.0},
        stats={"item_scraped_count": 3},
    )
    db_api.finish_run(db, current, summary)
    run = db["crawl_runs"].get(current)
    assert (run["status"], run["pages"], run["articles_new"], run["duplicates"]) == ("finished", 7, 3, 3)
    assert (run["dropped"], run["errors"]) == (2, 1)
    assert json.loads(run["dropped_by_reason"]) == {"no_body": 2}
    assert json.loads(run["stats"]) == {"item_scraped_count": 3}
    assert run["finished_at"] is not None


def test_every_table_and_column_is_documented(db: sqlite_utils.Database) -> None:
    doc = (Path(__file__).resolve().parent.parent / "docs" / "schema.md").read_text(encoding="utf-8")
    fts_shadow = ("_data", "_idx", "_docsize", "_config", "_content")
    tables = [
        t for t in db.table_names() if not (t.endswith(fts_shadow) and "_fts" in t) and not t.endswith("_fts")
    ]
    missing = [
        f"{table}.{column}"
        for table in tables
        for column in [table, *db[table].columns_dict]
        if f"`{column}`" not in doc
    ]
    assert missing == []
