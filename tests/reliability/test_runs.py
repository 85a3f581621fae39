"""Across runs (issue 12, items 1, 4, 5, 6): what a run leaves for the next one, what ``check`` says about
it, ``serve`` while cron crawls write, and database files that are damaged, foreign, read-only or symlinked.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

from arabpress_crawler import crawling
from arabpress_crawler.cli.serve import build_datasette
from arabpress_crawler.demo.server import MirrorServer

from . import harness
from .harness import Article
from .test_faults import copy_database

CATEGORY = "runs"

LATE_STORY = Article(slug="story-published-later", title="Quarry festival published after the first crawl")
LATE_WORD = "quarryfestivalword"


async def datasette_state(ds: Any, name: str) -> tuple[int, int, int]:
    """(status, article count, search hits for the late story's word) as datasette answers now."""
    count = await ds.client.get(f"/{name}.json?sql=select+count(*)+as+n+from+articles&_shape=array")
    search = await ds.client.get(f"/{name}/articles.json?_search={LATE_WORD}&_shape=array")
    status = max(count.status_code, search.status_code)
    if status != 200:
        return status, -1, -1
    return status, json.loads(count.text)[0]["n"], len(json.loads(search.text))


def test_serve_answers_while_cron_crawls_write(tmp_path: Path) -> None:
    """`arabpress serve` (as it builds datasette by default) over a database that a later crawl writes: it
    answers every request while the crawl writes, and afterwards shows the new article (count and full-text
    search) without a restart — no "database disk image is malformed", no stale counts."""
    late = Article(slug=LATE_STORY.slug, title=LATE_STORY.title, body_html=f"<p>{LATE_WORD} " + " ".join(
        LATE_STORY.paragraphs) + "</p>")  # fmt: skip
    root = harness.build_site(tmp_path / "site", {late.path: late.html()}, links=[harness.site_link(late.path)])
    with MirrorServer(root) as server:
        server.set_fault(late.path, "status", code=404)
        first = harness.crawl(server.base_url, tmp_path, name="cron")
        harness.assert_finished(first)
        server.clear_faults()
        ds = build_datasette(first.db_path)
        name = first.db_path.stem

        async def scenario() -> tuple[tuple[int, int, int], list[int], tuple[int, int, int], harness.CrawlResult]:
            await ds.invoke_startup()
            before = await datasette_state(ds, name)
            crawl = asyncio.ensure_future(asyncio.to_thread(harness.crawl, server.base_url, tmp_path, name="cron"))
            during = []
            while not crawl.done():
                during.append((await datasette_state(ds, name))[0])
                await asyncio.sleep(0.05)
            return before, during, await datasette_state(ds, name), await crawl

        before, during, after, second = asyncio.run(scenario())
    harness.assert_finished(second)
    stored = len(second.articles())
    assert before == (200, stored - 1, 0)
    assert set(during) <= {200}, f"datasette failed while the crawl wrote: {during}"
    assert after == (200, stored, 1), f"after the crawl datasette answers {after}, the database holds {stored}"


def test_symlinked_db_path_shares_the_lock(baseline: harness.CrawlResult, tmp_path: Path) -> None:
    """A crawl holds the lock of `data/arabpress.db`; cron starts another through a symlink to it
    (`current.db -> data/arabpress.db`): the second one sees the first and leaves the database alone."""
    data = tmp_path / "data"
    db = copy_database(baseline.db_path, data / "arabpress.db")
    link = tmp_path / "current.db"
    link.symlink_to(db)
    before = db.read_bytes()
    with crawling.crawl_lock(db, wait=False) as locked:
        assert locked
        cli = harness.run_cli(harness.crawl_args(baseline.base_url, link, tmp_path / "second.log"), cwd=tmp_path)
    assert cli.returncode == 0, cli.output
    assert "already running" in cli.output
    assert db.read_bytes() == before, "the second crawl wrote the database the first one holds"
