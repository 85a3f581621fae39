"""arabpress serve: a real server on a free port, queried over HTTP; the plugin and metadata in-process."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from click.testing import CliRunner
from test_export_sample import (
    ARABIC_TITLE,
    ARABIC_URL,
    DUPLICATE_URL,
    SEED_URL,
    VISA_URL,
    build_sample_db,
)

from arabpress_crawler import db as db_api
from arabpress_crawler.cli import cli
from arabpress_crawler.cli import serve as serve_cli
from arabpress_crawler.datasette import build_metadata, charts, plugin

DB_NAME = "sample"
#: How long a starting server may take before the test gives up (a guard, not a measured expectation).
STARTUP_GUARD_SECONDS = 60
STOP_GUARD_SECONDS = 30
#: Talk to the local server directly, whatever proxy the environment names.
OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def fetch(url: str) -> tuple[int, str]:
    try:
        with OPENER.open(url, timeout=30) as response:
            return response.status, response.read().decode("utf-8")
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode("utf-8", "replace")


def fetch_json(url: str):
    status, text = fetch(url)
    assert status == 200, text[:500]
    return json.loads(text)


def serve_command(db: Path, port: int) -> list[str]:
    return [
        sys.executable,
        "-c",
        "from arabpress_crawler.cli import main; main()",
        "serve",
        "--db",
        str(db),
        "--port",
        str(port),
    ]


def _wait_until_up(base: str, process: subprocess.Popen) -> None:
    deadline = time.monotonic() + STARTUP_GUARD_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"arabpress serve exited early: {process.stderr.read()}")
        try:
            if fetch(f"{base}/-/versions.json")[0] == 200:
                return
        except OSError:
            time.sleep(0.1)
    raise AssertionError("arabpress serve did not answer")


@contextmanager
def running_server(db: Path) -> Iterator[tuple[str, subprocess.Popen]]:
    """Start ``arabpress serve`` on a free port; stop it with SIGINT (Ctrl-C) afterwards."""
    port = free_port()
    process = subprocess.Popen(
        serve_command(db, port),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(base, process)
        yield base, process
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
            try:
                process.wait(timeout=STOP_GUARD_SECONDS)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


@pytest.fixture(scope="module")
def sample_path(tmp_path_factory) -> Path:
    return build_sample_db(tmp_path_factory.mktemp("serve") / f"{DB_NAME}.db", runs=[{}, {}])


@pytest.fixture(scope="module")
def server(sample_path) -> Iterator[str]:
    with running_server(sample_path) as (base, _):
        yield base


def table_url(server: str, table: str, **params: str) -> str:
    return f"{server}/{DB_NAME}/{table}.json?" + urllib.parse.urlencode({"_shape": "array", **params})


# --- over HTTP ------------------------------------------------------------------------------------


def test_database_is_served_read_only_and_live(server):
    # issue 12 item 5: read-only (mode=ro) but not immutable by default, so cron crawls show without a restart
    databases = fetch_json(f"{server}/-/databases.json")
    assert [(d["name"], d["is_mutable"]) for d in databases] == [(DB_NAME, True)]


def test_full_text_search_in_english(server):
    rows = fetch_json(table_url(server, "articles", _search="Moscow defence"))
    assert {row["url"] for row in rows} == {SEED_URL, DUPLICATE_URL}


@pytest.mark.parametrize("query", ["وزراء الدفاع", "موسكو", "الـدفاع"])
def test_full_text_search_in_arabic_without_diacritics(server, query):
    rows = fetch_json(table_url(server, "articles", _search=query))
    assert [row["url"] for row in rows] == [ARABIC_URL]
    assert rows[0]["title"] == ARABIC_TITLE


def test_search_with_fts_syntax_and_sql_is_safe(server):
    for query in ['" OR 1=1 --', "NEAR(a b", "'); DROP TABLE articles;--", "*"]:
        status, _ = fetch(table_url(server, "articles", _search=query))
        assert status == 200
    assert len(fetch_json(table_url(server, "articles", _size="max"))) == 8


def test_headline_search(server):
    rows = fetch_json(table_url(server, "headlines", _search="riyadh"))
    assert [row["title"] for row in rows] == ["MrBeast’s ‘Beast Land’ Arrives in Riyadh"]


def test_facets(server):
    data = fetch_json(f"{server}/{DB_NAME}/articles.json?_size=0")
    facets = {
        name: {r["value"]: r["count"] for r in facet["results"]}
        for name, facet in data["facet_results"].items()
    }
    assert facets["section"]["Politics"] == 3 and facets["section"]["سياسة"] == 1
    assert facets["language"] == {"en": 6, "ar": 2}
    assert facets["tags"]["Syria"] == 2 and facets["tags"]["سوريا"] == 1  # arrays faceted item by item
    assert facets["authors"]["AFP"] == 2
    assert facets["published_at"]["2025-11-07"] == 2  # publication day


def test_newest_first_by_default(server):
    rows = fetch_json(table_url(server, "articles", _size="max"))
    days = [row["published_at"] for row in rows]
    assert days == sorted(days, reverse=True)


def test_canned_latest_articles(server):
    rows = fetch_json(f"{server}/{DB_NAME}/latest_articles.json?_shape=array")
    assert len(rows) == 7 and DUPLICATE_URL not in {row["url"] for row in rows}
    assert rows[0]["published_at"] == max(row["published_at"] for row in rows)


def test_canned_search_articles(server):
    rows = fetch_json(
        f"{server}/{DB_NAME}/search_articles.json?"
        + urllib.parse.urlencode({"_shape": "array", "q": "الدِّفَاعِ"})
    )
    assert [row["url"] for row in rows] == [ARABIC_URL]


def test_canned_most_related_edited_duplicates(server):
    related = fetch_json(f"{server}/{DB_NAME}/most_related_headlines.json?_shape=array")
    assert related[0]["articles_listing_it"] == 2
    edited = fetch_json(f"{server}/{DB_NAME}/edited_after_publication.json?_shape=array")
    assert [(row["url"], row["revisions"]) for row in edited] == [(VISA_URL, 1)]
    duplicates = fetch_json(f"{server}/{DB_NAME}/duplicates.json?_shape=array")
    assert [(row["copy_url"], row["original_url"]) for row in duplicates] == [(DUPLICATE_URL, SEED_URL)]


def test_canned_runs_health(server):
    runs = fetch_json(f"{server}/{DB_NAME}/runs_health.json?_shape=array")
    assert [run["id"] for run in runs] == [2, 1]
    assert (
        runs[0]["health"] == "ok" and runs[0]["title_coverage"] == 1.0 and runs[0]["site_layer_share"] == 1.0
    )


def test_chart_page(server):
    status, html = fetch(f"{server}/-/charts")
    assert status == 200
    assert html.count('class="arabpress-chart"') == 2
    assert 'data-x="2025-11-07" data-value="2"' in html
    assert 'data-series="title coverage"' in html
    assert "No problems in the latest run." in html


def test_arabic_row_page_is_right_to_left(server):
    path = urllib.parse.quote(
        ARABIC_URL.replace(":", "~3A").replace("/", "~2F").replace(".", "~2E"), safe="~"
    )
    status, html = fetch(f"{server}/{DB_NAME}/articles/{path}")
    assert status == 200
    assert f'<div class="arabpress-text" dir="rtl" lang="ar">{ARABIC_TITLE}</div>' in html
    assert "/arabpress-static/arabpress.css" in html


def test_static_css_is_served(server):
    status, css = fetch(f"{server}/arabpress-static/arabpress.css")
    assert status == 200 and "direction: rtl" in css


def test_ctrl_c_stops_the_server_cleanly(sample_path):
    with running_server(sample_path) as (base, process):
        process.send_signal(signal.SIGINT)
        process.wait(timeout=STOP_GUARD_SECONDS)
        stderr = process.stderr.read()
    assert process.returncode == 0, stderr
    assert "Traceback" not in stderr
    assert "Serving" in stderr and "127.0.0.1" in stderr


# --- command errors -------------------------------------------------------------------------------


def test_missing_database(tmp_path):
    result = CliRunner().invoke(cli, ["serve", "--db", str(tmp_path / "none.db")])
    assert result.exit_code == 1
    assert result.output.strip().count("\n") == 0 and "no database at" in result.output


def test_port_in_use(sample_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = CliRunner().invoke(cli, ["serve", "--db", str(sample_path), "--port", str(port)])
    assert result.exit_code == 1
    assert f"cannot listen on 127.0.0.1:{port}" in result.output and "Traceback" not in result.output


def test_bad_port(sample_path):
    result = CliRunner().invoke(cli, ["serve", "--db", str(sample_path), "--port", "99999"])
    assert result.exit_code == 2


# --- in-process: datasette configuration and the plugin -------------------------------------------


def test_database_being_written_is_opened_read_only_not_immutable(tmp_path):
    path = build_sample_db(tmp_path / "live.db")
    writer = db_api.open_db(path)
    try:
        writer.execute("UPDATE crawl_runs SET pages = pages + 1")  # the WAL now holds a page
        assert serve_cli.wal_has_data(path)
        ds = serve_cli.build_datasette(path, immutable=True)  # immutable refused while the WAL holds data
        assert ds.databases["live"].is_mutable
    finally:
        writer.close()
    assert serve_cli.build_datasette(path).databases["live"].is_mutable  # the default (issue 12 item 5)
    assert not serve_cli.build_datasette(path, immutable=True).databases["live"].is_mutable  # --immutable
    assert serve_cli.build_datasette(path, live=True).databases["live"].is_mutable  # --live


def test_metadata_follows_the_database_name():
    metadata = build_metadata("demo")
    tables = metadata["databases"]["demo"]["tables"]
    assert tables["articles"]["fts_table"] == "articles_fts"
    assert tables["articles"]["sort_desc"] == "published_at"
    assert {
        "latest_articles",
        "most_related_headlines",
        "edited_after_publication",
        "duplicates",
        "runs_health",
    } <= set(metadata["databases"]["demo"]["queries"])
    assert "arabpress" not in metadata["databases"]


def test_every_column_of_the_main_tables_is_described(tmp_path):
    db = db_api.open_db(tmp_path / "schema.db")
    try:
        tables = build_metadata("schema")["databases"]["schema"]["tables"]
        for table in (
            "articles",
            "headlines",
            "related_headlines",
            "url_aliases",
            "article_revisions",
            "crawl_runs",
        ):
            described = set(tables[table]["columns"])
            missing = {column.name for column in db[table].columns} - described
            assert not missing, f"{table}: columns without a description: {sorted(missing)}"
    finally:
        db.close()


@pytest.mark.parametrize(
    ("query", "expected"),
    # The index holds stems (docs/search.md), so the query's words are stemmed too: الدفاع → دفاع.
    [("Moscow", '"moscow"'), ("الدِّفَاعِ", '"دفاع"'), ('" OR 1=1', '"or" "1" "1"'), ("", '""'), ("*", '""')],
)
def test_search_escape_normalises_like_the_index(query, expected):
    assert plugin.normalised_escape_fts(query) == expected


def test_arabic_cells_render_right_to_left():
    html = plugin.render_cell(value="فقرة أولى\n\nفقرة ثانية", column="body")
    assert html == '<div class="arabpress-text" dir="rtl" lang="ar"><p>فقرة أولى</p><p>فقرة ثانية</p></div>'
    assert plugin.render_cell(value="<b>عنوان</b>", column="title") == (
        '<div class="arabpress-text" dir="rtl" lang="ar">&lt;b&gt;عنوان&lt;/b&gt;</div>'
    )
    assert plugin.render_cell(value="An English title", column="title") is None
    assert plugin.render_cell(value='["سوريا", "Syria"]', column="tags") == (
        '<span class="arabpress-list"><span dir="auto">سوريا</span>, <span dir="auto">Syria</span></span>'
    )
    # Issue 15: arrays are shown the same way in both languages (this was `is None`: English as raw JSON).
    assert plugin.render_cell(value='["Syria"]', column="tags") == (
        '<span class="arabpress-list"><span dir="auto">Syria</span></span>'
    )
    assert plugin.render_cell(value='[1, "سوريا"]', column="tags") is None
    assert plugin.render_cell(value='{"title": "موقع"}', column="extraction") is None
    assert plugin.render_cell(value=42, column="word_count") is None


def test_bar_chart_marks_every_point():
    svg = charts.bar_chart([("2025-11-01", 0), ("2025-11-02", 3)], label="per day")
    assert svg.startswith("<svg") and svg.count('class="bar"') == 2
    assert 'data-value="3"' in svg and "2025-11-02: 3 articles" in svg
    assert "No data yet" in charts.bar_chart([], label="per day")


def test_line_chart_skips_missing_values_and_marks_bad_runs():
    svg = charts.line_chart(
        ["#1", "#2"], [charts.Series("title coverage", [1.0, None])], label="runs", bad=[False, True]
    )
    assert svg.count("<circle") == 1
    assert charts.BAD_STATUS_COLOUR in svg and charts.GOOD_STATUS_COLOUR in svg
