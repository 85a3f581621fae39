"""Incremental crawls read the older post sitemaps whose ``<lastmod>`` changed in the sitemap index.

A normal run reads the newest post sitemap only; an editor's change to an old post moves the lastmod of that
post's sitemap in the index (as WordPress/Yoast do), and the next run must read that sitemap and fetch exactly
the edited article.
"""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path

import pytest
from conftest import read_rows

from arabpress_crawler.spiders import SITEMAP_LASTMOD_STAT
from arabpress_mirror import render
from arabpress_mirror.edit import edit_article
from arabpress_mirror.generate import generate_mirror

pytestmark = pytest.mark.slow

ORIGIN = "https://arab.press"
ARTICLES = 60
PER_SITEMAP = 25  # 60 posts and their AMP twins' originals: three post sitemaps
NEW_TEXT = [
    "An editor rewrote this story after the ministry corrected the figures it had published earlier in the week.",
    "The corrected report says the project will take two more years and cost less than first announced.",
    "Officials said the change followed a review of contracts signed with engineering firms last spring.",
]


@pytest.fixture
def split_mirror(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setattr(render, "SITEMAP_MAX_URLS", PER_SITEMAP)
    root = tmp_path / "mirror"
    generate_mirror(root, ARTICLES, seed=3)
    assert (root / "post-sitemap3.xml").is_file(), "the mirror should have three post sitemaps"
    return root


def first_post_of(sitemap: Path) -> str:
    """The path of the first post a sitemap lists (the oldest post of the oldest sitemap)."""
    loc = re.search(r"<loc>([^<]+)</loc>", sitemap.read_text(encoding="utf-8"))
    assert loc is not None
    return loc.group(1).removeprefix(ORIGIN)


def test_an_edit_in_an_old_post_sitemap_is_fetched_and_nothing_else(split_mirror, serve, temp_db, crawl):
    server = serve(split_mirror)
    first = crawl(server.base_url, temp_db)
    assert first.returncode == 0, first.stderr
    recorded = {k: v for k, v in first.stats().items() if k.startswith(SITEMAP_LASTMOD_STAT) and "/post-sitemap" in k}
    assert len(recorded) == 3, "every post sitemap's lastmod is recorded (read or baseline)"
    assert server.request_count("/post-sitemap.xml") == 0, "a normal first run reads the newest post sitemap only"

    edited = first_post_of(split_mirror / "post-sitemap.xml")
    edit_article(split_mirror, edited, paragraphs=NEW_TEXT)
    server.reset_requests()

    second = crawl(server.base_url, temp_db)

    assert second.returncode == 0, second.stderr
    assert server.request_count("/post-sitemap.xml") == 1, "the changed old sitemap was not read"
    assert server.request_count("/post-sitemap2.xml") == 0, "an unchanged old sitemap was read"
    article_paths = [path for path in server.requests if re.match(r"^/\d{4}/\d\d/\d\d/[^/]+/$", path)]
    assert article_paths == [edited], f"fetched {article_paths}, expected only the edited article"
    (row,) = read_rows(temp_db, "SELECT body FROM articles WHERE url = ?", (server.base_url + edited,))
    assert row["body"] == "\n\n".join(NEW_TEXT)
    revisions = read_rows(temp_db, "SELECT url FROM article_revisions")
    assert [r["url"] for r in revisions] == [server.base_url + edited]

    server.reset_requests()
    third = crawl(server.base_url, temp_db)
    assert third.returncode == 0, third.stderr
    assert server.request_count("/post-sitemap.xml") == 0, "the sitemap read last time is not read again"


def test_an_interrupted_run_does_not_count_as_having_read_the_sitemaps(split_mirror, serve, temp_db, crawl):
    server = serve(split_mirror)
    assert crawl(server.base_url, temp_db).returncode == 0
    edited = first_post_of(split_mirror / "post-sitemap.xml")
    edit_article(split_mirror, edited, paragraphs=NEW_TEXT)
    # A later run that was killed: its record says 'interrupted' and claims the new lastmods.
    with sqlite3.connect(temp_db) as db:
        stats = db.execute("SELECT stats FROM crawl_runs ORDER BY id DESC LIMIT 1").fetchone()[0]
        index = (split_mirror / "sitemap_index.xml").read_text(encoding="utf-8")
        new_lastmod = re.search(r"post-sitemap\.xml</loc>\s*<lastmod>([^<]+)<", index).group(1)
        key = f"{SITEMAP_LASTMOD_STAT}{server.base_url}/post-sitemap.xml"
        stats = stats.replace('"' + key + '": "', '"' + key + '": "' + new_lastmod + '", "x-old": "', 1)
        db.execute(
            "INSERT INTO crawl_runs(started_at, status, base_url, stats) VALUES ('2026-01-01T00:00:00Z', 'interrupted', ?, ?)",
            (server.base_url, stats),
        )
    server.reset_requests()
    run = crawl(server.base_url, temp_db)
    assert run.returncode == 0, run.stderr
    assert server.request_count("/post-sitemap.xml") == 1, "the interrupted run's claim was trusted"
