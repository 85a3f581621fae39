"""A worker killed after its pages left the downloader but before the writer acknowledged their items loses nothing.

A popped request stays leased until the items of its response are committed and acknowledged: a worker killed
with items still in its batch buffer gives those requests back to the queue (when its heartbeat expires), and
another worker of the same run fetches them again. Here a worker started by hand with a batch buffer that is
never flushed while it runs is SIGKILLed mid-crawl: every item it had was unsent, and the run must still store
every article a single-process crawl stores (it used to lose them until the next run).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import arabpress_command, clean_env, read_rows, run_crawl_cli

from arabpress_mirror.server import MirrorServer
from bench.distributed import snapshot

from .conftest import served_mirror
from .test_workers import article_requests

ARTICLES = 200
TIMEOUT_SECONDS = 300
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def mirror(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MirrorServer]:
    yield from served_mirror(tmp_path_factory, "held-mirror", ARTICLES, seed=19)


def stored(db: Path) -> set[str]:
    return {row["url"] for row in read_rows(db, "SELECT url FROM articles")}


def test_a_worker_killed_with_unsent_items_gives_its_requests_back_and_the_run_stores_every_article(
    redis_url: str, server: Any, mirror: MirrorServer, tmp_path: Path
) -> None:
    single = run_crawl_cli(mirror.base_url, tmp_path / "single.db", "--backfill", "--no-fail-on-warnings")
    assert single.returncode == 0, single.stdout + single.stderr
    db = tmp_path / "held.db"
    before = mirror.requests
    command = arabpress_command(
        "crawl", "--base-url", mirror.base_url, "--db", str(db), "--log-file", str(db.with_suffix(".log")),
        "--mirror-profile", "--backfill", "--no-fail-on-warnings", "--redis", redis_url, "--workers", "1",
    )  # fmt: skip
    coordinator = subprocess.Popen(command, cwd=tmp_path, env=clean_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert coordinator.stderr is not None
    line = coordinator.stderr.readline()
    assert "join with: " in line, line
    join = line.split("join with: ", 1)[1].split()
    run = join[join.index("--run") + 1]
    held = subprocess.Popen(
        [sys.executable, "-m", "arabpress_crawler.distributed.worker", "--redis", redis_url, "--run", run,
         "--base-url", mirror.base_url, "--backfill", "-s", "ARABPRESS_PROFILE=mirror", "-s", f"ARABPRESS_DB={db}",
         "-s", "ARABPRESS_STORE_BATCH_SIZE=1000000", "-s", "ARABPRESS_STORE_FLUSH_SECONDS=1000000",
         "-s", f"LOG_FILE={tmp_path / 'held.log'}", "-s", "ARABPRESS_REDIS_WORKER=held"],
        cwd=ROOT, env=clean_env(),
    )  # fmt: skip
    deadline = time.monotonic() + TIMEOUT_SECONDS
    while sum(article_requests(mirror, before).values()) < ARTICLES * 0.4:
        assert held.poll() is None and time.monotonic() < deadline, "the crawl ended before the kill"
        time.sleep(0.01)
    os.kill(held.pid, signal.SIGKILL)  # its items were all in its buffer, never sent
    held.wait()
    output, errors = coordinator.communicate(timeout=TIMEOUT_SECONDS)
    assert coordinator.returncode == 0, output + errors
    assert stored(db) == stored(single.db)  # nothing lost: its requests went back to the queue
    assert snapshot(db) == snapshot(single.db)  # every table as one process has it: nothing doubled either
    assert list(server.scan_iter("arabpress:*")) == []
