"""The datasette plugin by entry point: plain ``datasette file.db`` gets what ``arabpress serve`` gets.

Search normalisation, metadata (descriptions, facets, canned queries), the stylesheet, the news-first
articles page with titles linked to their rows, and the chart page; checked through datasette's own
``--get`` (the real command line, so the entry point is what loads the plugin) and in process.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import urllib.parse
from pathlib import Path

import pytest
from test_export_sample import ARABIC_TITLE, ARABIC_URL, build_sample_db

from arabpress_crawler.datasette import pages

DB_NAME = "plain"


@pytest.fixture(scope="module")
def sample(tmp_path_factory) -> Path:
    return build_sample_db(tmp_path_factory.mktemp("plugin") / f"{DB_NAME}.db", runs=[{}, {}])


def datasette_get(db: Path, path: str) -> str:
    """``datasette DB --get PATH``: the datasette command line, plugins loaded from their entry points."""
    result = subprocess.run(
        [sys.executable, "-m", "datasette", str(db), "--get", path],
        capture_output=True, text=True, encoding="utf-8", check=False,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    return result.stdout


def test_entry_point_registers_the_plugin_with_its_templates():
    from datasette.plugins import get_plugins, pm

    import arabpress_crawler.datasette as bundle

    assert pm.get_plugin("arabpress") is bundle  # the entry point's name and module
    plugins = {plugin["name"]: plugin for plugin in get_plugins()}
    plugin = plugins["arabpress-crawler"]  # datasette names a plugin after its distribution
    assert plugin["templates_path"] == str(bundle.TEMPLATES_DIR) and plugin["static_path"] == str(bundle.STATIC_DIR)
    assert {"prepare_connection", "get_metadata", "render_cell", "asgi_wrapper"} <= set(plugin["hooks"])


def test_plain_datasette_searches_arabic_without_diacritics(sample):
    path = f"/{DB_NAME}/articles.json?" + urllib.parse.urlencode({"_search": "الدفاع", "_shape": "array"})
    rows = json.loads(datasette_get(sample, path))
    assert [row["url"] for row in rows] == [ARABIC_URL]
    assert rows[0]["title"] == ARABIC_TITLE


def test_plain_datasette_has_the_metadata_and_canned_queries(sample):
    metadata = json.loads(datasette_get(sample, "/-/metadata.json"))
    tables = metadata["databases"][DB_NAME]["tables"]
    assert tables["articles"]["fts_table"] == "articles_fts"
    assert "runs_health" in metadata["databases"][DB_NAME]["queries"]
    html = datasette_get(sample, f"/{DB_NAME}/articles")
    assert "What each column holds" in html
    assert "/arabpress-static/arabpress.css" in html
    assert "direction: rtl" in datasette_get(sample, "/arabpress-static/arabpress.css")


def test_plain_datasette_opens_articles_on_the_news_columns(sample):
    html = datasette_get(sample, f"/{DB_NAME}/articles")
    headers = [part.split('"', 1)[0] for part in html.split('scope="col" data-column="')[1:]]
    assert headers == ["title", "published_at", "section", "language", "authors", "word_count"]
    assert 'class="arabpress-title" href="/plain/articles/https~3A~2F~2Farab~2Epress~2F2025~2F11~2F07' in html
    everything = json.loads(datasette_get(sample, f"/{DB_NAME}/articles.json?_shape=array&_size=1"))
    assert "content_hash" in everything[0], "the JSON API keeps every column"


def test_plain_datasette_serves_the_chart_page(sample):
    assert 'class="arabpress-chart"' in datasette_get(sample, "/-/charts")


def test_news_columns_are_added_only_when_no_columns_are_chosen():
    added = urllib.parse.parse_qs(pages.news_query_string(b"_search=x").decode())
    assert added == {"_search": ["x"], "_col": list(pages.NEWS_COLUMNS)}
    assert pages.news_query_string(b"_col=body") == b"_col=body"
    assert pages.news_query_string(b"_nocol=etag") == b"_nocol=etag"


def test_other_databases_get_no_arabpress_metadata(tmp_path):
    from datasette.app import Datasette

    other = tmp_path / "other.db"
    import sqlite3

    sqlite3.connect(other).execute("CREATE TABLE articles (id INTEGER PRIMARY KEY)").connection.close()
    ds = Datasette(files=[str(other)])

    async def run() -> str:
        await ds.invoke_startup()
        return (await ds.client.get("/-/metadata.json")).text

    assert json.loads(asyncio.run(run())) == {}


def test_plain_datasette_has_the_dashboard(sample):
    metadata = json.loads(datasette_get(sample, "/-/metadata.json"))
    board = metadata["plugins"]["datasette-dashboards"][DB_NAME]
    assert set(board["charts"]) == {"per-day-language", "per-day-section", "runs", "most-linked"}
    assert {chart["db"] for chart in board["charts"].values()} == {DB_NAME}
    assert "vega-lite.min.js" in datasette_get(sample, f"/-/dashboards/{DB_NAME}?days=60")


def test_dashboard_queries_run_on_the_sample(sample):
    import sqlite3

    from arabpress_crawler.datasette import dashboard

    conn = sqlite3.connect(sample)
    try:
        rows = {name: conn.execute(chart["query"], {"days": "60"}).fetchall()
                for name, chart in dashboard(DB_NAME)["charts"].items()}
    finally:
        conn.close()
    assert sum(row[2] for row in rows["per-day-language"]) == 7  # the sample's articles minus the duplicate
    assert {row[0] for row in rows["runs"]} == {1, 2} and len(rows["runs"]) == 8  # every run, four figures
    assert rows["most-linked"][0][1] == 2


def test_edited_after_publication_lists_only_changed_text(tmp_path):
    import sqlite3

    from test_export_sample import VISA_URL, sample_articles

    from arabpress_crawler.datasette import build_metadata

    items = sample_articles()
    for item in items:  # every page claims an update after publication; only the e-visa story's text changed
        item.modified_at = "2025-11-20T00:00:00Z"
    path = build_sample_db(tmp_path / "edited.db", articles=items)
    sql = build_metadata("edited")["databases"]["edited"]["queries"]["edited_after_publication"]["sql"]
    conn = sqlite3.connect(path)
    try:
        rows = conn.execute(sql).fetchall()
    finally:
        conn.close()
    assert [(row[0], row[4]) for row in rows] == [(VISA_URL, 1)]


def test_line_chart_shows_coinciding_lines_and_empty_runs():
    from arabpress_crawler.datasette import charts

    same = [1.0, 1.0, None]
    svg = charts.line_chart(["#1", "#2", "#3"], [charts.Series("title", same), charts.Series("body", same)],
                            label="runs")
    widths = [part.split('stroke-width="')[1].split('"')[0] for part in svg.split("<polyline")[1:]]
    assert len(set(widths)) == 2 and float(widths[0]) > float(widths[1]), "the later line is drawn inside the first"
    assert svg.count('class="no-data"') == 1 and "#3: no articles extracted" in svg
