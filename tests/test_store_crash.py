"""Crash safety: a writer killed with SIGKILL leaves a consistent database, and a re-run completes it.

A child process runs the four pipelines over a deterministic stream of articles (with exact copies and
near-duplicates among them) in small batches; the test kills it once some batches are committed, checks the
database, runs the whole stream again, and compares with an uninterrupted run.
"""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from arabpress_crawler import db as db_api
from arabpress_crawler.items import ArticleItem, RelatedHeadline
from arabpress_crawler.pipelines.clean import CleanPipeline
from arabpress_crawler.pipelines.dedupe import DedupePipeline
from arabpress_crawler.pipelines.store import StorePipeline
from arabpress_crawler.pipelines.validate import ValidatePipeline
from arabpress_crawler.run_record import RunRecord

ARTICLES = 400
KILL_AFTER_ROWS = 60
POLL_SECONDS = 0.01
WAIT_LIMIT_SECONDS = 60
VOCABULARY = [f"word{n}" for n in range(600)] + ["سوريا", "موسكو", "وزراء", "الدفاع", "محادثات", "الحرب"]


def stream(count: int = ARTICLES) -> list[ArticleItem]:
    """Deterministic articles: every 10th an exact republication, every 15th a lightly edited one."""
    items: list[ArticleItem] = []
    for n in range(count):
        rng = random.Random(n)
        url = f"https://arab.press/2025/{1 + n % 12:02d}/{1 + n % 28:02d}/story-{n}/"
        body = " ".join(rng.choice(VOCABULARY) for _ in range(120))
        if n % 10 == 9:
            body = items[-1].body or ""
        elif n % 15 == 14:
            body = (items[-1].body or "").replace(" ", " edited ", 2)
        related = [
            RelatedHeadline(f"Headline {k}", f"https://arab.press/2024/01/01/headline-{(n + k) % 50}/", k)
            for k in range(1, 6)
        ]
        items.append(
            ArticleItem(
                url=url,
                title=f"Story {n // 10 * 10 if n % 10 == 9 else n}",
                body=body,
                published_at=f"2025-{1 + n % 12:02d}-{1 + n % 28:02d}T08:00:00Z",
                fetched_url=url,
                fetched_at="2025-12-01T00:00:00Z",
                related=related,
            )
        )
        if n % 10 == 9:
            items[-1].title = items[-2].title
    return items


CHILD = "import sys, pathlib, test_store_crash; test_store_crash.run_all(pathlib.Path(sys.argv[1]))"


def run_all(db_path: Path) -> None:
    """Run the four pipelines over :func:`stream` in batches of 5, with the run record, like a crawl would."""
    pipelines = [
        CleanPipeline(),
        ValidatePipeline(),
        DedupePipeline(db_path),
        StorePipeline(db_path, batch_size=5),
    ]
    run = RunRecord(db_path, base_url="https://arab.press")
    for pipeline in pipelines:
        if hasattr(pipeline, "open_spider"):
            pipeline.open_spider()
    run.spider_opened()
    for item in stream():
        for pipeline in pipelines:
            item = pipeline.process_item(item)
    for pipeline in reversed(pipelines):
        if hasattr(pipeline, "close_spider"):
            pipeline.close_spider()
    run.spider_closed()


def snapshot(db_path: Path) -> dict[str, list[tuple]]:
    conn = sqlite3.connect(db_path)
    queries = {
        "articles": "SELECT url, title, body, duplicate_of, content_hash, published_at FROM articles ORDER BY url",
        "headlines": "SELECT url, title FROM headlines ORDER BY url",
        "related_headlines": "SELECT article_url, headline_url, position, title FROM related_headlines ORDER BY 1, 2",
        "url_aliases": "SELECT alias_url, url, kind FROM url_aliases ORDER BY alias_url",
    }
    try:
        return {name: conn.execute(sql).fetchall() for name, sql in queries.items()}
    finally:
        conn.close()


def committed_articles(db_path: Path) -> int:
    try:
        conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True, timeout=1)
        try:
            return conn.execute("SELECT count(*) FROM articles").fetchone()[0]
        finally:
            conn.close()
    except sqlite3.OperationalError:  # not created yet
        return 0


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL")
def test_a_killed_writer_leaves_a_consistent_database_that_a_rerun_completes(tmp_path: Path) -> None:
    here = Path(__file__).resolve().parent
    killed_db, clean_db = tmp_path / "killed.db", tmp_path / "clean.db"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(here.parent), str(here)])}
    child = subprocess.Popen([sys.executable, "-c", CHILD, str(killed_db)], cwd=here.parent, env=env)
    deadline = time.monotonic() + WAIT_LIMIT_SECONDS
    while (
        committed_articles(killed_db) < KILL_AFTER_ROWS
        and child.poll() is None
        and time.monotonic() < deadline
    ):
        time.sleep(POLL_SECONDS)
    assert child.poll() is None, "the writer finished before it could be killed; raise ARTICLES"
    os.kill(child.pid, signal.SIGKILL)
    child.wait()

    db = db_api.open_db(killed_db)
    assert db_api.check_consistency(db, deep=True) == []
    partial = db.execute("SELECT count(*) FROM articles").fetchone()[0]
    assert KILL_AFTER_ROWS <= partial
    assert db.execute("SELECT status FROM crawl_runs").fetchall() == [("running",)]
    db.close()

    run_all(killed_db)
    run_all(clean_db)
    assert snapshot(killed_db) == snapshot(clean_db)
    db = db_api.open_db(killed_db)
    assert db_api.check_consistency(db, deep=True) == []
    assert db.execute("SELECT status FROM crawl_runs ORDER BY id").fetchall() == [
        ("interrupted",),
        ("finished",),
    ]
    assert (
        db.execute("SELECT count(*) FROM url_aliases WHERE kind = 'content'").fetchone()[0] == ARTICLES // 10
    )
    assert db.execute("SELECT count(*) FROM articles WHERE duplicate_of IS NOT NULL").fetchone()[0] > 0
    db.close()
