"""Hostile input (issue 6, list 4): off-site and script links, markup in titles and bodies, huge URLs, SQL
metacharacters in export filters and searches, output paths that cannot be written.

One crawl of the demo mirror with the hostile pages linked from its homepage; a second mirror server on
another port (the "sentinel", the same site layout) must never be asked for anything. Then a copy of the
crawl's database gets rows whose titles, bodies, authors and tags carry ``<script>`` (as if an older version
had stored them): they must come out as inert text in the exports and on datasette's HTML pages.
"""

from __future__ import annotations

import asyncio
import csv
import io
import json
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from string import Template
from typing import Any

import pytest
from click.testing import CliRunner

from arabpress_crawler import db as db_api
from arabpress_crawler.cli import cli
from arabpress_crawler.cli.serve import build_datasette
from arabpress_crawler.items import ArticleItem

from . import harness
from .harness import PAGES_DIR, case_path

CATEGORY = "hostile"

HUGE_URL_CHARACTERS = 100_000
#: Scrapy's URLLENGTH_LIMIT: longer URLs are never requested.
URL_LENGTH_LIMIT = 2083
SCRIPT_TITLE = case_path("hostile-script-title")
LINKS_PAGE = case_path("hostile-links")
GOOD_RELATED = "/2025/02/14/taif-camel-race/"
UNSAFE_MARKERS = ("javascript", "alert", "data:", "vbscript", "mailto", "msgbox", "evil.example", "elsewhere")
HOME_HOSTILE_LINKS = (
    "javascript:alert('home')",
    "data:text/html,<script>alert(1)</script>",
    "https://evil.example/2025/06/30/from-the-homepage/",
)

#: Rows written straight into a copy of the database, as an older or careless writer might have left them.
XSS = '<script>alert("db-xss")</script>'
HOSTILE_ROWS = (
    ArticleItem(
        url="https://arab.press/2025/06/30/stored-script-english/",
        title=f'{XSS} Stored markup in an English title <img src=x onerror=alert("img")>',
        body=f"First paragraph of a stored hostile body. {XSS} It goes on with plain words about the harbour.\n\n"
        '<iframe src="javascript:alert(2)"></iframe> Second paragraph with more plain words for the search.',
        authors=[XSS, "Plain Author"],
        tags=["<b>bold</b>", XSS],
        section="World",
        language="en",
        published_at="2025-06-30",
    ),
    ArticleItem(
        url="https://arab.press/2025/06/30/stored-script-arabic/",
        title=f"{XSS} عنوان عربي فيه شيفرة مدسوسة في المتصفح",
        body=f"فقرة أولى من نص عربي طويل عن الميناء والمدينة. {XSS} ثم تستمر الفقرة بكلمات عادية.\n\n"
        "فقرة ثانية <script>alert('ar')</script> فيها كلمات أخرى للبحث.",
        authors=[f"كاتب {XSS}", "كاتبة عربية"],
        tags=[f"وسم {XSS}", "ثقافة"],
        section="عربي",
        language="ar",
        published_at="2025-06-30",
    ),
)
RAW_MARKERS = ('<script>alert("db-xss")', "<script>alert('ar')", '<img src=x onerror=alert("img")>',
               '<iframe src="javascript:alert(2)">', "<b>bold</b>")  # fmt: skip
SQL_META = (
    "' OR '1'='1",
    '" OR 1=1 --',
    "'; DROP TABLE articles; --",
    "\"); DROP TABLE articles; --",
    "harbour*",
    "NEAR(harbour festival)",
    "harbour OR 1",
    "title:harbour",
    "^harbour",
    "%_%",
    "\\",
    "\x00",
    ")(",
    "سوريا' --",
)  # fmt: skip


@dataclass
class HostileCrawl:
    result: harness.CrawlResult
    requests: dict[str, int]
    sentinel_requests: dict[str, int]


@pytest.fixture(scope="module")
def hostile_crawl(tmp_path_factory: pytest.TempPathFactory) -> HostileCrawl:
    from arabpress_mirror.server import MirrorServer

    workdir = tmp_path_factory.mktemp("hostile")
    sentinel_root = harness.build_site(workdir / "sentinel")
    with MirrorServer(sentinel_root) as sentinel:
        links_page = Template((PAGES_DIR / "hostile-links.html.tmpl").read_text(encoding="utf-8")).substitute(
            sentinel=sentinel.base_url, huge="h" * HUGE_URL_CHARACTERS
        )
        pages = {SCRIPT_TITLE: harness.page_file("hostile-script-title.html"), LINKS_PAGE: links_page.encode()}
        huge_link = harness.site_link(case_path("huge-" + "u" * HUGE_URL_CHARACTERS))
        links = [harness.site_link(SCRIPT_TITLE), harness.site_link(LINKS_PAGE), huge_link, *HOME_HOSTILE_LINKS,
                 sentinel.base_url + "/2025/02/14/taif-camel-race/"]  # fmt: skip
        root = harness.build_site(workdir / "site", pages, links=links)
        with MirrorServer(root) as server:
            result = harness.crawl(server.base_url, workdir)
            return HostileCrawl(result, dict(server.requests), dict(sentinel.requests))


def assert_crawl_sound(crawl: HostileCrawl, baseline_paths: set[str]) -> None:
    harness.assert_finished(crawl.result)
    harness.assert_consistent(crawl.result)
    harness.assert_stored(crawl.result, baseline_paths)


def test_offsite_links_never_followed(hostile_crawl: HostileCrawl, baseline_paths: set[str]) -> None:
    """Links to another port of 127.0.0.1 (same layout), to other hosts, protocol-relative and look-alike
    hosts, on the homepage and in related lists: never requested, counted as skipped/offsite; the page's
    on-site related article still followed."""
    assert_crawl_sound(hostile_crawl, baseline_paths)
    assert hostile_crawl.sentinel_requests == {}, f"off-site server asked for {hostile_crawl.sentinel_requests}"
    assert hostile_crawl.result.count("arabpress/skipped/offsite") >= 1
    harness.assert_stored(hostile_crawl.result, [LINKS_PAGE, GOOD_RELATED])
    assert not [path for path in hostile_crawl.requests if "offsite" in path or "evil" in path]


def test_script_and_data_urls_never_requested(hostile_crawl: HostileCrawl, baseline_paths: set[str]) -> None:
    """``javascript:`` (any case, with spaces or a tab inside), ``data:``, ``vbscript:`` and ``mailto:`` links,
    on the homepage and in a related list: never requested (the page objects drop them; no page, no count)."""
    assert_crawl_sound(hostile_crawl, baseline_paths)
    requested = [path for path in hostile_crawl.requests if any(m in path.lower() for m in UNSAFE_MARKERS)]
    assert not requested, f"unsafe links requested: {requested}"
    harness.assert_stored(hostile_crawl.result, [LINKS_PAGE, GOOD_RELATED])


def test_huge_url(hostile_crawl: HostileCrawl, baseline_paths: set[str]) -> None:
    """Links of 100,000 characters (homepage and related list): never requested, counted; the crawl goes on."""
    assert_crawl_sound(hostile_crawl, baseline_paths)
    longest = max(len(path) for path in hostile_crawl.requests)
    assert longest <= URL_LENGTH_LIMIT, f"a {longest}-character path was requested"
    result = hostile_crawl.result
    counted = result.count("urllength/request_ignored_count") + result.count("arabpress/skipped/too_long")
    assert counted >= 1, "the huge URL was dropped without being counted in the run record"


def test_script_in_title_and_body_is_inert_in_the_database(
    hostile_crawl: HostileCrawl, baseline_paths: set[str]
) -> None:
    """A page whose title, og:title, JSON-LD headline and body carry ``<script>``, ``<img onerror>`` and
    ``<iframe src=javascript:>`` as text: stored with the story's words; no live markup kept."""
    assert_crawl_sound(hostile_crawl, baseline_paths)
    row = hostile_crawl.result.articles().get(SCRIPT_TITLE)
    assert row is not None, "the page with markup in its title was not stored"
    assert "Harbour" in row["title"] and "festival draws sailors & crowds" in row["title"]
    assert "Sailors from twelve ports crowded the quay" in row["body"]
    for column in ("title", "subtitle", "body"):
        text = (row[column] or "").lower()
        for live in ("<script", "onerror=", "<iframe", "<img"):
            assert live not in text, f"{live!r} kept in {column}: {row[column]!r}"


# -- stored markup in exports and datasette ------------------------------------------------------------------


@pytest.fixture(scope="module")
def hostile_db(hostile_crawl: HostileCrawl, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the hostile crawl's database plus :data:`HOSTILE_ROWS`, written through the store."""
    path = tmp_path_factory.mktemp("hostile-db") / "hostile.db"
    source = sqlite3.connect(f"{hostile_crawl.result.db_path.resolve().as_uri()}?mode=ro", uri=True)
    target = sqlite3.connect(path)
    source.backup(target)
    source.close()
    target.close()
    db = db_api.open_db(path)
    try:
        run_id = db_api.start_run(db, base_url="https://arab.press")
        db_api.ArticleWriter(db, run_id=run_id).write_batch(list(HOSTILE_ROWS))
        db_api.finish_run(db, run_id, db_api.RunSummary(status=db_api.RUN_FINISHED, finish_reason="finished"))
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        db.close()
    return path


def export(db: Path, *args: str) -> Any:
    return CliRunner().invoke(cli, ["export", "--db", str(db), *args], catch_exceptions=True)


def assert_clean_exit(result: Any, code: int = 0) -> None:
    output = result.stdout + result.stderr
    assert "Traceback" not in output, output[-2000:]
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert result.exit_code == code, f"exit {result.exit_code}: {output[-2000:]}"


def test_stored_markup_stays_text_in_exports(hostile_db: Path) -> None:
    """Rows with ``<script>`` in title, body, authors and tags: CSV, JSON and JSON Lines exports parse with
    the standard library and give the text back exactly, as data."""
    expected = {item.url: item for item in HOSTILE_ROWS}
    for fmt in ("csv", "json", "jsonl"):
        result = export(hostile_db, "--format", fmt, "--output", "-")
        assert_clean_exit(result)
        if fmt == "csv":
            rows = list(csv.DictReader(io.StringIO(result.stdout)))
            authors = {row["url"]: row["authors"].split(";") for row in rows}
        elif fmt == "json":
            rows = json.loads(result.stdout)
            authors = {row["url"]: row["authors"] for row in rows}
        else:
            rows = [json.loads(line) for line in result.stdout.splitlines()]
            authors = {row["url"]: row["authors"] for row in rows}
        by_url = {row["url"]: row for row in rows}
        for url, item in expected.items():
            assert by_url[url]["title"] == item.title, f"{fmt}: title changed"
            assert XSS in by_url[url]["body"], f"{fmt}: body changed"
            assert authors[url] == item.authors, f"{fmt}: authors changed"


def fetch(db: Path, paths: list[str]) -> dict[str, tuple[int, str]]:
    """GET each path from datasette (as ``arabpress serve`` builds it), in process."""
    ds = build_datasette(db)

    async def run() -> dict[str, tuple[int, str]]:
        await ds.invoke_startup()
        pages = {}
        for path in paths:
            response = await ds.client.get(path)
            pages[path] = (response.status_code, response.text)
        return pages

    return asyncio.run(run())


def row_path(name: str, url: str) -> str:
    from datasette.utils import tilde_encode

    return f"/{name}/articles/{tilde_encode(url)}"


def test_stored_markup_is_escaped_on_datasette_pages(hostile_db: Path) -> None:
    """Datasette's HTML pages (table, search, row pages, canned queries, headlines, charts) show the stored
    markup escaped, for English cells and for the Arabic right-to-left cells and lists of the plugin."""
    name = hostile_db.stem
    paths = [
        f"/{name}/articles",
        f"/{name}/articles?_search=harbour",
        f"/{name}/articles?_search=عربي",
        f"/{name}/latest_articles",
        f"/{name}/search_articles?q=stored",
        f"/{name}/headlines",
        "/-/charts",
        *(row_path(name, item.url) for item in HOSTILE_ROWS),
    ]
    pages = fetch(hostile_db, paths)
    for path, (status, html) in pages.items():
        assert status == 200, f"{path}: HTTP {status}"
        for marker in RAW_MARKERS:
            assert marker not in html, f"{path}: live markup {marker!r} in the HTML"
    for item in HOSTILE_ROWS:
        status, html = pages[row_path(name, item.url)]
        assert "&lt;script&gt;alert(" in html, f"the row page of {item.url} does not show the stored text"


# -- SQL metacharacters -----------------------------------------------------------------------------------------


def article_count(db: Path) -> int:
    conn = sqlite3.connect(f"{db.resolve().as_uri()}?mode=ro", uri=True)
    try:
        return int(conn.execute("SELECT count(*) FROM articles").fetchone()[0])
    finally:
        conn.close()


@pytest.mark.parametrize("option", ["--section", "--language"])
def test_sql_metacharacters_in_export_filters(option: str, hostile_db: Path) -> None:
    """``--section`` and ``--language`` values with quotes, comments and ``DROP TABLE``: one clear "unknown"
    error line each, no traceback, the tables untouched."""
    before = article_count(hostile_db)
    for value in SQL_META:
        result = export(hostile_db, option, value, "--output", "-")
        assert_clean_exit(result, code=1)
        assert result.stderr.count("\n") == 1 and "unknown" in result.stderr.lower(), result.stderr
    assert article_count(hostile_db) == before


def test_sql_metacharacters_in_dates(hostile_db: Path) -> None:
    """``--since``/``--until`` with SQL after the date or instead of it: one "not a date" error line, exit 1,
    no traceback, the tables untouched."""
    before = article_count(hostile_db)
    for option in ("--since", "--until"):
        plain = export(hostile_db, option, "2025-06-30", "--format", "jsonl", "--output", "-")
        assert_clean_exit(plain)
        for value in ("2025-06-30' OR '1'='1", "2025-06-30; DROP TABLE articles", "' OR 1=1 --", "'"):
            result = export(hostile_db, option, value, "--format", "jsonl", "--output", "-")
            assert "Traceback" not in result.stdout + result.stderr
            assert_clean_exit(result, code=1)
            assert "not a date" in result.stderr and result.stderr.count("\n") == 1, result.stderr
    assert article_count(hostile_db) == before


def test_sql_and_fts_metacharacters_in_export_search(hostile_db: Path) -> None:
    """``--search`` with quotes, FTS operators (``*``, ``NEAR``, ``OR``, column filters, ``^``) and SQL: exit 0
    with valid JSON of matching rows only (or one clear error line), no traceback, the tables untouched."""
    before = article_count(hostile_db)
    for value in SQL_META:
        for table in ("articles", "headlines"):
            result = export(hostile_db, "--table", table, "--search", value, "--format", "json", "--output", "-")
            assert "Traceback" not in result.stdout + result.stderr
            assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
            if result.exit_code:
                assert result.stderr.count("\n") == 1 and result.stderr.startswith("Error"), result.stderr
                continue
            rows = json.loads(result.stdout)
            assert len(rows) < before, f"--search {value!r} matched every row: not searched as text"
    assert article_count(hostile_db) == before


def test_sql_and_fts_metacharacters_in_searches(hostile_db: Path) -> None:
    """The store's search functions and datasette's search (table ``_search`` and the canned query) with the
    same inputs: results or an empty list, never an error page or a traceback."""
    db = db_api.open_db(hostile_db, create=False)
    try:
        for value in SQL_META:
            assert isinstance(db_api.search_articles(db, value), list)
            assert isinstance(db_api.search_headlines(db, value), list)
    finally:
        db.close()
    name = hostile_db.stem
    from urllib.parse import quote

    paths = [f"/{name}/articles?_search={quote(value)}" for value in SQL_META]
    paths += [f"/{name}/search_articles?q={quote(value)}" for value in SQL_META]
    for path, (status, html) in fetch(hostile_db, paths).items():
        assert status in (200, 400), f"{path}: HTTP {status}"
        assert "Traceback" not in html
    assert article_count(hostile_db) > 0


# -- output paths -----------------------------------------------------------------------------------------------


def test_output_paths_that_are_directories(hostile_db: Path, tmp_path: Path) -> None:
    """``export --output``, ``crawl --db`` and ``crawl --log-file`` given a directory: one clear error line
    each (a non-zero exit, no traceback), and nothing is written."""
    folder = tmp_path / "a-folder"
    folder.mkdir()
    result = export(hostile_db, "--output", str(folder))
    assert_clean_exit(result, code=1)
    assert "directory" in result.stderr and result.stderr.count("\n") == 1
    for option in ("--db", "--log-file"):
        args = ["crawl", "--base-url", "http://127.0.0.1:9", "--quiet", option, str(folder)]
        if option == "--log-file":
            args += ["--db", str(tmp_path / "x.db")]
        cli_result = harness.run_cli(args, cwd=tmp_path)
        harness.assert_one_line_error(cli_result, "directory")
    assert list(folder.iterdir()) == []


#: A kernel filesystem: no file can be created there, not even by root (the suite may run as root).
UNWRITABLE = "/proc/arabpress-reliability/arabpress.out"


def test_unwritable_output_paths(hostile_db: Path, tmp_path: Path) -> None:
    """``export --output`` into a missing folder or where nothing can be written, ``crawl --db`` and
    ``--log-file`` where nothing can be written: one clear error line each, no traceback."""
    for target in (UNWRITABLE, str(tmp_path / "missing-folder" / "export.csv")):
        result = export(hostile_db, "--output", target)
        assert_clean_exit(result, code=1)
        assert result.stderr.count("\n") == 1 and result.stderr.startswith("Error"), result.stderr
    for option in ("--db", "--log-file"):
        args = ["crawl", "--base-url", "http://127.0.0.1:9", "--quiet", option, UNWRITABLE]
        if option == "--log-file":
            args += ["--db", str(tmp_path / "x.db")]
        harness.assert_one_line_error(harness.run_cli(args, cwd=tmp_path), "cannot write")
