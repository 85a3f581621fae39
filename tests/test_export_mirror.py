"""End to end on a real crawl of the demo mirror: check, stats, exports and the chart figures."""

from __future__ import annotations

import csv
import json
import sqlite3

import pytest
from click.testing import CliRunner

from arabpress_crawler import db as db_api
from arabpress_crawler import health
from arabpress_crawler.cli import cli
from arabpress_crawler.datasette import plugin
from arabpress_crawler.text import normalize_for_search

pytestmark = pytest.mark.slow
#: The seed article of the mirror lists this many "Related Articles".
SEED_RELATED = 50


def query(db, sql: str, params: tuple = ()) -> list[sqlite3.Row]:
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    conn.row_factory = sqlite3.Row
    try:
        return conn.execute(sql, params).fetchall()
    finally:
        conn.close()


def invoke(*args: str):
    return CliRunner().invoke(cli, list(args))


def test_check_is_ok_after_a_clean_crawl(crawled_db_copy):
    result = invoke("check", "--db", str(crawled_db_copy))
    assert result.exit_code == 0, result.output
    assert result.output.startswith("ok: run #1")


def test_exports_hold_every_original_article(crawled_db_copy, tmp_path):
    originals = query(crawled_db_copy, "SELECT url, title, language FROM articles WHERE duplicate_of IS NULL")
    assert originals
    target = tmp_path / "all.json"
    assert invoke("export", "--db", str(crawled_db_copy), "--format", "json", "-o", str(target)).exit_code == 0
    exported = json.loads(target.read_text(encoding="utf-8"))
    assert {(r["url"], r["title"]) for r in exported} == {(r["url"], r["title"]) for r in originals}
    assert any(r["language"] == "ar" for r in exported)
    target = tmp_path / "all.csv"
    assert invoke("export", "--db", str(crawled_db_copy), "-o", str(target)).exit_code == 0
    with target.open(encoding="utf-8", newline="") as handle:
        assert {row["url"] for row in csv.DictReader(handle)} == {r["url"] for r in originals}


def test_related_export_of_the_seed_article(crawled_db_copy):
    seed = query(crawled_db_copy, "SELECT article_url FROM related_headlines GROUP BY article_url"
                                  " ORDER BY count(*) DESC LIMIT 1")[0][0]
    result = invoke("export", "--db", str(crawled_db_copy), "--table", "related", "--format", "jsonl")
    rows = [json.loads(line) for line in result.output.splitlines()]
    listed = [row for row in rows if row["article_url"] == seed]
    assert len(listed) == SEED_RELATED
    assert all(row["headline_title"] and row["article_title"] for row in listed)


def test_arabic_search_without_diacritics_on_crawled_text(crawled_db_copy):
    article = query(crawled_db_copy, "SELECT url, title FROM articles WHERE language = 'ar' AND duplicate_of IS NULL"
                                     " ORDER BY url LIMIT 1")[0]
    word = max(normalize_for_search(article["title"]).split(), key=len)
    result = invoke("export", "--db", str(crawled_db_copy), "--format", "jsonl", "--language", "ar", "--search", word)
    assert article["url"] in {json.loads(line)["url"] for line in result.output.splitlines()}


def test_stats_and_chart_figures(crawled_db_copy):
    result = invoke("stats", "--db", str(crawled_db_copy))
    assert result.exit_code == 0, result.output
    assert "Health: ok" in result.output
    db = db_api.open_db(crawled_db_copy, create=False)
    try:
        context = plugin.chart_context(db, days=plugin.DEFAULT_CHART_DAYS)
        run = health.recent_runs(db, limit=1)[0]
    finally:
        db.close()
    assert context["articles_total"] > 0 and context["problems"] == []
    assert run.coverage["title"] == 1.0 and run.site_share is not None and run.site_share > 0.5
