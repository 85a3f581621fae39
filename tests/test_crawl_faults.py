"""Crawls that meet trouble: Retry-After, a SIGKILL mid-run, two crawls on one database."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime

import pytest
from conftest import CRAWL_TIMEOUT_SECONDS, arabpress_command, clean_env, read_rows

from arabpress_crawler import db as db_api
from arabpress_crawler.profiles import MIRROR
from arabpress_mirror.content import EDITED_ORIGINAL, REPUBLISHED_ORIGINAL, demo_articles, seed_article

pytestmark = pytest.mark.slow

POLL_SECONDS = 0.1
ARTICLE_COLUMNS = (
    "url, title, subtitle, body, authors, published_at, modified_at, section, tags, image_url, language,"
    " word_count, content_hash, duplicate_of, extraction"
)
COMPARED_TABLES = {
    "articles": f"SELECT {ARTICLE_COLUMNS} FROM articles ORDER BY url",
    "headlines": "SELECT url, title FROM headlines ORDER BY url",
    "related_headlines": (
        "SELECT article_url, headline_url, position, title FROM related_headlines ORDER BY article_url, position"
    ),
}


def wait_for(condition, what: str, timeout: float = 60.0):
    """Poll ``condition`` until it returns something true (an SQLite error counts as not yet)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            value = condition()
        except Exception:  # noqa: BLE001 - the database may not exist or be mid-migration yet
            value = None
        if value:
            return value
        time.sleep(POLL_SECONDS)
    raise AssertionError(f"timed out waiting for {what}")


def start_crawl(base_url: str, db) -> subprocess.Popen:
    args = ["crawl", "--base-url", base_url, "--db", str(db), "--log-file", str(db.with_suffix(".log"))]
    return subprocess.Popen(
        arabpress_command(*args, "--mirror-profile"),
        cwd=db.parent,
        env=clean_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def tables(db) -> dict[str, list[dict]]:
    return {name: read_rows(db, sql) for name, sql in COMPARED_TABLES.items()}


def path_of(title: str) -> str:
    return next(a.path for a in demo_articles() if a.title == title and a.kind == "article")


def test_retry_after_is_honoured_and_bounded(demo_site, serve, temp_db, crawl):
    server = serve(demo_site)
    seed = seed_article().path
    gone = path_of(REPUBLISHED_ORIGINAL)
    server.set_fault("/feed/", "429", retry_after=1, times=2)
    server.set_fault(seed, "503", retry_after=3600, times=1)  # asks for an hour: capped
    server.set_fault(gone, "503", retry_after=1)  # never recovers: retries are capped too

    run = crawl(server.base_url, temp_db, "--max-depth", "1")

    assert run.returncode == 0, run.stderr
    retries = 3  # RETRY_TIMES
    assert server.request_count("/feed/") == 3
    assert server.request_count(seed) == 2
    assert server.request_count(gone) == 1 + retries
    stats = run.stats()
    assert stats["arabpress/retry/retry_after"] == 2 + 1 + retries
    assert stats["arabpress/retry/capped"] == 1
    cap = MIRROR["ARABPRESS_RETRY_MAX_WAIT"]
    assert stats["arabpress/retry/wait_seconds"] == pytest.approx(2 * 1 + cap + retries * 1)
    assert stats["retry/max_reached"] == 1
    stored = {row["url"] for row in read_rows(temp_db, "SELECT url FROM articles")}
    assert server.url(seed) in stored
    assert server.url(gone) not in stored


def test_sigkill_mid_crawl_then_rerun_matches_an_uninterrupted_crawl(site_copy, serve, tmp_path, crawl):
    server = serve(site_copy)
    reference = tmp_path / "reference" / "arabpress.db"
    reference.parent.mkdir()
    assert crawl(server.base_url, reference).returncode == 0
    killed = tmp_path / "killed" / "arabpress.db"
    killed.parent.mkdir()
    # These pages never answer, so the crawl cannot end before it is killed; the originals of the two copies
    # are among them, so the re-run meets a copy before its original.
    for title in (EDITED_ORIGINAL, REPUBLISHED_ORIGINAL, seed_article().title):
        server.set_fault(path_of(title), "stall")

    process = start_crawl(server.base_url, killed)
    try:
        stored = wait_for(
            lambda: read_rows(killed, "SELECT count(*) AS n FROM articles")[0]["n"] >= 10, "articles to be stored"
        )
        assert stored
        os.kill(process.pid, signal.SIGKILL)
    finally:
        process.kill()
        process.wait(timeout=CRAWL_TIMEOUT_SECONDS)
    assert process.returncode == -signal.SIGKILL
    partial = read_rows(killed, "SELECT count(*) AS n FROM articles")[0]["n"]
    server.clear_faults()

    rerun = crawl(server.base_url, killed)

    assert rerun.returncode == 0, rerun.stderr
    assert partial < len(tables(reference)["articles"])
    assert [run["status"] for run in rerun.runs()] == ["interrupted", "finished"]
    assert tables(killed) == tables(reference)
    db = db_api.open_db(killed, create=False)
    try:
        assert db_api.check_consistency(db, deep=True) == []
    finally:
        db.close()


LOCK_HOLDER = """
import sys, time
from pathlib import Path
from arabpress_crawler.crawling import crawl_lock
with crawl_lock(Path(sys.argv[1]), wait=False) as locked:
    print("locked" if locked else "busy", flush=True)
    time.sleep(float(sys.argv[2]))
    Path(sys.argv[3]).write_text("released")
"""


def test_wait_crawls_once_the_running_crawl_is_done(mirror, temp_db, tmp_path, crawl):
    marker = tmp_path / "released"
    holder = subprocess.Popen(
        [sys.executable, "-c", LOCK_HOLDER, str(temp_db), "1", str(marker)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout.readline().strip() == "locked"
        run = crawl(mirror.base_url, temp_db, "--wait", "--max-pages", "2")
    finally:
        holder.kill()
        holder.wait()
    assert run.returncode == 0, run.stderr
    assert "already running" not in run.stdout
    assert marker.exists(), "the crawl ran while the lock was held"
    (record,) = run.runs()
    released = datetime.fromtimestamp(int(marker.stat().st_mtime), UTC)
    assert datetime.fromisoformat(record["started_at"].replace("Z", "+00:00")) >= released


def test_two_concurrent_crawls_one_crawls_the_other_says_so(demo_site, serve, temp_db, crawl):
    server = serve(demo_site)
    # Keeps the first crawl busy while the second starts; below the mirror profile's 10 s download timeout
    # but long enough for a second Python process to start on a loaded 2-core machine.
    server.set_fault("/feed/", "slow", seconds=8)
    first = start_crawl(server.base_url, temp_db)
    try:
        wait_for(lambda: read_rows(temp_db, "SELECT 1 FROM crawl_runs WHERE status = 'running'"), "the first crawl")
        second = crawl(server.base_url, temp_db)
        out, err = first.communicate(timeout=CRAWL_TIMEOUT_SECONDS)
    finally:
        first.kill()
        first.wait()
    assert second.returncode == 0
    assert second.stdout.strip() == f"a crawl is already running on {temp_db}"
    assert first.returncode == 0, err
    assert [run["status"] for run in read_rows(temp_db, "SELECT status FROM crawl_runs")] == ["finished"]
    assert read_rows(temp_db, "SELECT count(*) AS n FROM articles")[0]["n"] == 62
    db = db_api.open_db(temp_db, create=False)
    try:
        assert db_api.check_consistency(db, deep=True) == []
    finally:
        db.close()
