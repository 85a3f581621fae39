"""The stemmed search index in the database: a database of schema 4 migrates to stemmed search copies, and
`export --search` ranks by relevance on request (issue 15, item 2)."""

from __future__ import annotations

import json
from pathlib import Path

import sqlite_utils
from click.testing import CliRunner
from test_export_sample import ARABIC_URL, SEED_URL, build_sample_db

from arabpress_crawler import db as db_api
from arabpress_crawler.cli import cli
from arabpress_crawler.db import schema
from arabpress_crawler.items import ArticleItem
from arabpress_crawler.text import normalize_for_search

COFFEE_URL = "https://arab.press/2025/01/27/coffee-prices/"
COFFEE_TITLE = "ارتفاع أسعار القهوة في الأسواق المحلية"


def test_schema_4_search_copies_are_stemmed_by_the_migration(tmp_path: Path):
    path = tmp_path / "old.db"
    old = sqlite_utils.Database(path)
    schema.migrate(old, target=4)
    old.execute(
        "INSERT INTO articles(url, title, body, first_seen_at, last_seen_at) VALUES (?, ?, ?, ?, ?)",
        [COFFEE_URL, COFFEE_TITLE, "نص", "2025-01-27T08:00:00Z", "2025-01-27T08:00:00Z"],
    )
    old.execute(  # the search copy as schema 4 wrote it: normalised, not stemmed
        "INSERT INTO articles_search(article_rowid, url, title, subtitle, body)"
        " SELECT rowid, url, ?, '', ? FROM articles",
        [normalize_for_search(COFFEE_TITLE), "نص"],
    )
    old.conn.commit()
    assert db_api.search_articles(old, "قهوة") == []  # what issue 15 found: the bare word missed القهوة
    old.close()
    result = CliRunner().invoke(cli, ["export", "--db", str(path), "--search", "قهوة", "-o", "-"])
    assert result.exit_code == 0 and "older than this arabpress" in result.output  # read-only: says so
    assert f"arabpress db check --db {path}" in result.output

    database = db_api.open_db(path)
    try:
        assert schema.schema_version(database) == schema.SCHEMA_VERSION >= 5
        assert [hit["url"] for hit in db_api.search_articles(database, "قهوة")] == [COFFEE_URL]
        assert db_api.check_consistency(database, deep=True) == []
    finally:
        database.close()


def export(path: Path, *args: str) -> list[str]:
    result = CliRunner().invoke(cli, ["export", "--db", str(path), "--format", "jsonl", "-o", "-", *args])
    assert result.exit_code == 0, result.output
    return [json.loads(line)["url"] for line in result.output.splitlines()]


def test_operators_and_relevance_in_export(tmp_path: Path):
    path = build_sample_db(tmp_path / "sample.db")
    assert set(export(path, "--search", "defen*")) == {SEED_URL}
    assert ARABIC_URL in export(path, "--search", "Moscow OR دفاع")
    assert export(path, "--search", '"defence ministers"') == [SEED_URL]


def test_sort_relevance_puts_the_best_match_first(tmp_path: Path):
    def article(slug: str, title: str, body: str, day: str) -> ArticleItem:
        return ArticleItem(url=f"https://arab.press/{slug}/", title=title, body=body, language="ar",
                           published_at=f"2025-11-{day}T08:00:00Z", fetched_at="2025-11-20T08:00:00Z")

    mentions = article("mentions", "أخبار المدينة", "افتتاح خط جديد لمترو الرياض وسط أخبار كثيرة أخرى عن المدينة", "01")
    about = article("about", "مترو الرياض يفتح محطات المترو الجديدة", "ركاب المترو في الرياض سعداء بالمترو", "02")
    path = build_sample_db(tmp_path / "metro.db", articles=[mentions, about])
    assert export(path, "--search", "مترو") == [mentions.url, about.url]  # by publication date
    assert export(path, "--search", "مترو", "--sort", "relevance") == [about.url, mentions.url]


def test_sort_relevance_needs_a_search(tmp_path: Path):
    path = build_sample_db(tmp_path / "sample.db")
    result = CliRunner().invoke(cli, ["export", "--db", str(path), "--sort", "relevance", "-o", "-"])
    assert result.exit_code == 1 and "--sort relevance" in result.output and "--search" in result.output
    result = CliRunner().invoke(cli, ["export", "--db", str(path), "--search", "*", "-o", "-"])
    assert result.exit_code == 1 and "prefix*" in result.output  # the error names the accepted syntax
