"""The writer process (issue 13, item 1): dedupe and store run apart from the crawler.

Over a generated 300-article mirror: a crawl with the writer process gives the same database and the same run
record as an inline crawl; killing the writer, or the crawler, mid-crawl and re-running gives the same
database as an uninterrupted crawl.
"""

from __future__ import annotations

import json
import os
import re
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import ROOT, clean_env, run_crawl_cli
from test_store_crash import committed_articles

from arabpress_crawler import db as db_api
from arabpress_crawler.crawling import CrawlOptions, check_options, run_crawl
from arabpress_mirror.generate import generate_mirror
from arabpress_mirror.server import MirrorServer

ARTICLES = 300
#: Small batches, so that a kill lands between commits of a crawl of a few seconds.
BATCH_SIZE = 10
KILL_AFTER_ROWS = 60
POLL_SECONDS = 0.01
WAIT_LIMIT_SECONDS = 120
WRITER_STARTED = re.compile(r"Writer process (\d+) started")
#: Run-record figures that do not depend on the order pages arrive in (``duplicates_near`` counts the
#: near-duplicate decisions made, which depend on whether the copy or its original came first).
RUN_COUNTS = (
    "pages", "articles_new", "articles_updated", "articles_unchanged", "duplicates_alias", "url_aliases",
    "coverage", "extraction_layers", "dropped_by_reason",
)  # fmt: skip


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MirrorServer]:
    root = tmp_path_factory.mktemp("writer-mirror") / "site"
    generate_mirror(root, ARTICLES, seed=3)
    with MirrorServer(root) as server:
        yield server


@pytest.fixture(scope="module")
def clean_crawl(generated: MirrorServer, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An uninterrupted crawl with the writer process (the default)."""
    db = tmp_path_factory.mktemp("clean") / "clean.db"
    run = run_crawl_cli(generated.base_url, db, "--backfill", "--no-fail-on-warnings")
    assert run.returncode == 0, run.stdout + run.stderr
    return db


def snapshot(db_path: Path) -> dict[str, list[tuple]]:
    """Every table's content, without the columns that depend on time or on the order of fetching.

    Left out: ``first_seen_at``, ``last_seen_at``, ``fetched_at`` (times), ``run_id``/``first_run_id``, row ids,
    and ``fetched_url`` (which of an article's URLs, e.g. with or without tracking parameters, was fetched
    first depends on the order pages arrive in); everything else is compared.
    """
    queries = {
        "articles": "SELECT url, title, subtitle, body, authors, published_at, modified_at, section, tags, language,"
        " image_url, duplicate_of, content_hash, extraction, etag, last_modified, word_count"
        " FROM articles ORDER BY url",
        "headlines": "SELECT url, title FROM headlines ORDER BY url",
        "related_headlines": "SELECT article_url, headline_url, position, title FROM related_headlines ORDER BY 1, 2",
        "url_aliases": "SELECT alias_url, url, kind FROM url_aliases ORDER BY alias_url",
        "article_revisions": "SELECT url, content_hash, title FROM article_revisions ORDER BY 1, 2",
    }
    conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    try:
        return {name: conn.execute(sql).fetchall() for name, sql in queries.items()}
    finally:
        conn.close()


def consistent(db_path: Path) -> list[str]:
    database = db_api.open_db(db_path)
    try:
        return db_api.check_consistency(database, deep=True)
    finally:
        database.close()


def runs(db_path: Path) -> list[dict]:
    conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    conn.row_factory = sqlite3.Row
    try:
        return [dict(row) for row in conn.execute("SELECT * FROM crawl_runs ORDER BY id")]
    finally:
        conn.close()


def test_the_writer_process_gives_the_database_and_run_record_of_an_inline_crawl(
    generated: MirrorServer, clean_crawl: Path, tmp_path: Path
) -> None:
    inline = run_crawl_cli(
        generated.base_url, tmp_path / "inline.db", "--backfill", "--no-fail-on-warnings",
        env=clean_env(ARABPRESS_WRITER="inline"),
    )  # fmt: skip
    assert inline.returncode == 0, inline.stdout + inline.stderr
    assert snapshot(clean_crawl) == snapshot(inline.db)
    assert consistent(clean_crawl) == []
    (process_run,), (inline_run,) = runs(clean_crawl), runs(inline.db)
    assert {key: process_run[key] for key in RUN_COUNTS} == {key: inline_run[key] for key in RUN_COUNTS}
    assert process_run["status"] == "finished" and process_run["articles_new"] > 0
    assert json.loads(process_run["stats"])["arabpress/writer/batches"] > 0
    assert "arabpress/writer/batches" not in json.loads(inline_run["stats"])


CHILD = (
    "import sys, pathlib; sys.path.insert(0, sys.argv[3]); "
    "from test_writer_process import crawl_child; crawl_child(sys.argv[1], pathlib.Path(sys.argv[2]))"
)


def crawl_child(base_url: str, db: Path) -> None:
    """A ``--backfill`` crawl in small batches (run in a child process, to be killed)."""
    options = CrawlOptions(
        base_url=base_url, db=db, backfill=True, mirror_profile=True, log_file=db.with_suffix(".log"),
        settings={"ARABPRESS_STORE_BATCH_SIZE": BATCH_SIZE, "CONCURRENT_REQUESTS": 4},
    )  # fmt: skip
    run_crawl(check_options(options))


def start_and_wait_for_rows(base_url: str, db: Path) -> tuple[subprocess.Popen, int]:
    """Start :func:`crawl_child`; return it and its writer's pid once ``KILL_AFTER_ROWS`` articles are committed."""
    child = subprocess.Popen([sys.executable, "-c", CHILD, base_url, str(db), str(ROOT / "tests")], cwd=db.parent, env=clean_env())
    deadline = time.monotonic() + WAIT_LIMIT_SECONDS
    while committed_articles(db) < KILL_AFTER_ROWS and child.poll() is None and time.monotonic() < deadline:
        time.sleep(POLL_SECONDS)
    assert child.poll() is None, "the crawl finished before it could be killed; raise ARTICLES"
    found = WRITER_STARTED.search(db.with_suffix(".log").read_text(encoding="utf-8"))
    assert found, "the crawl log names no writer process"
    return child, int(found.group(1))


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    stat = Path(f"/proc/{pid}/stat")
    return not (stat.exists() and stat.read_text().split(")")[-1].split()[0] == "Z")


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL")
def test_a_killed_writer_stops_the_crawl_and_a_rerun_gives_the_uninterrupted_database(
    generated: MirrorServer, clean_crawl: Path, tmp_path: Path
) -> None:
    db = tmp_path / "killed.db"
    child, writer = start_and_wait_for_rows(generated.base_url, db)
    os.kill(writer, signal.SIGKILL)
    assert child.wait(timeout=WAIT_LIMIT_SECONDS) is not None
    assert consistent(db) == []
    (first,) = runs(db)
    assert first["status"] == "failed"
    assert first["finish_reason"].startswith("store_error: the writer process")
    assert KILL_AFTER_ROWS <= committed_articles(db) < len(snapshot(clean_crawl)["articles"])

    rerun = run_crawl_cli(generated.base_url, db, "--backfill", "--no-fail-on-warnings")
    assert rerun.returncode == 0, rerun.stdout + rerun.stderr
    assert snapshot(db) == snapshot(clean_crawl)
    assert consistent(db) == []
    assert [run["status"] for run in runs(db)] == ["failed", "finished"]


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL")
def test_a_killed_crawler_stops_its_writer_and_a_rerun_gives_the_uninterrupted_database(
    generated: MirrorServer, clean_crawl: Path, tmp_path: Path
) -> None:
    db = tmp_path / "killed.db"
    child, writer = start_and_wait_for_rows(generated.base_url, db)
    os.kill(child.pid, signal.SIGKILL)
    child.wait()
    deadline = time.monotonic() + WAIT_LIMIT_SECONDS
    while alive(writer) and time.monotonic() < deadline:
        time.sleep(POLL_SECONDS)
    assert not alive(writer), "the writer outlived its crawler"
    assert consistent(db) == []
    assert [run["status"] for run in runs(db)] == ["running"]

    rerun = run_crawl_cli(generated.base_url, db, "--backfill", "--no-fail-on-warnings")
    assert rerun.returncode == 0, rerun.stdout + rerun.stderr
    assert snapshot(db) == snapshot(clean_crawl)
    assert consistent(db) == []
    assert [run["status"] for run in runs(db)] == ["interrupted", "finished"]


def test_an_unknown_writer_mode_is_refused_in_one_line(generated: MirrorServer, tmp_path: Path) -> None:
    run = run_crawl_cli(generated.base_url, tmp_path / "x.db", env=clean_env(ARABPRESS_WRITER="threads"))
    assert run.returncode != 0
    assert "ARABPRESS_WRITER='threads' is not a writer mode: use process or inline" in run.stderr
    assert "Traceback" not in run.stderr
    assert not (tmp_path / "x.db").exists()
