"""SIGKILL in a distributed crawl, then a re-run: the database of a single-process crawl, nothing missing or doubled.

Over a generated 300-article mirror (``--backfill``, politeness off), ``arabpress crawl --redis URL --workers 2``
is killed in three places: one worker when 30% and when 70% of the pages are fetched (fetched, not committed: the
writer can lag behind the workers by most of the crawl, so a kill timed on commits could land after the workers had
finished), and the writer (the coordinator, which commits the workers' batches) half-way. A distributed re-run on the same database then gives
every table of an uninterrupted single-process crawl (the comparison of ``bench/distributed.py``: order-dependent
columns left out), and no key of either run is left in Redis.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import arabpress_command, clean_env, read_rows, run_crawl_cli
from test_store_crash import committed_articles

from arabpress_mirror.server import MirrorServer
from bench.distributed import snapshot

from .conftest import served_mirror

ARTICLES = 300
TIMEOUT_SECONDS = 300
WORKERS = 2


@pytest.fixture(scope="module")
def mirror(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MirrorServer]:
    yield from served_mirror(tmp_path_factory, "kill-mirror", ARTICLES, seed=11)


@pytest.fixture(scope="module")
def single(mirror: MirrorServer, tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("kill-single") / "single.db"
    crawl = run_crawl_cli(mirror.base_url, db, "--backfill", "--no-fail-on-warnings")
    assert crawl.returncode == 0, crawl.stdout + crawl.stderr
    return db


def distributed(base_url: str, db: Path, redis_url: str) -> list[str]:
    return arabpress_command(
        "crawl", "--base-url", base_url, "--db", str(db), "--log-file", str(db.with_suffix(".log")), "--mirror-profile",
        "--backfill", "--quiet", "--no-fail-on-warnings", "--redis", redis_url, "--workers", str(WORKERS),
    )  # fmt: skip


def children(pid: int) -> list[int]:
    return [int(child) for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]


def wait_for_fetches(mirror: MirrorServer, count: int, process: subprocess.Popen[str]) -> None:
    """Until the server has answered ``count`` requests since its counter was reset (the crawl still running)."""
    deadline = time.monotonic() + TIMEOUT_SECONDS
    while sum(mirror.requests.values()) < count and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.005)
    assert process.poll() is None, "the crawl ended before the kill"
    assert sum(mirror.requests.values()) >= count


def single_pages(db: Path) -> int:
    (run,) = read_rows(db, "SELECT pages FROM crawl_runs")
    return int(run["pages"])


def wait_for_articles(db: Path, count: int, process: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + TIMEOUT_SECONDS
    while committed_articles(db) < count and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.01)
    assert process.poll() is None, "the crawl ended before the kill"
    assert committed_articles(db) >= count


def rerun_gives_the_single_process_database(mirror: MirrorServer, db: Path, single: Path, redis_url: str, server: Any) -> None:
    rerun = run_crawl_cli(
        mirror.base_url, db, "--backfill", "--no-fail-on-warnings", "--redis", redis_url, "--workers", str(WORKERS)
    )
    assert rerun.returncode == 0, rerun.stdout + rerun.stderr
    assert snapshot(db) == snapshot(single)  # no page missing, none doubled, the same frontier
    assert list(server.scan_iter("arabpress:*")) == []  # the killed run's keys too


@pytest.mark.parametrize("fraction", [0.3, 0.7])
def test_a_worker_killed_then_a_rerun_gives_the_single_process_database(
    redis_url: str, server: Any, mirror: MirrorServer, single: Path, tmp_path: Path, fraction: float
) -> None:
    db = tmp_path / "killed.db"
    mirror.reset_requests()
    coordinator = subprocess.Popen(distributed(mirror.base_url, db, redis_url), cwd=tmp_path, env=clean_env(),
                                   stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)  # fmt: skip
    wait_for_fetches(mirror, round(single_pages(single) * fraction), coordinator)
    os.kill(children(coordinator.pid)[0], signal.SIGKILL)
    output, _ = coordinator.communicate(timeout=TIMEOUT_SECONDS)
    (run,) = read_rows(db, "SELECT status, finish_reason FROM crawl_runs")
    assert run["status"] == "failed" and run["finish_reason"].startswith("worker_failed"), output
    rerun_gives_the_single_process_database(mirror, db, single, redis_url, server)


def test_the_writer_killed_stops_the_workers_and_a_rerun_gives_the_single_process_database(
    redis_url: str, server: Any, mirror: MirrorServer, single: Path, tmp_path: Path
) -> None:
    db = tmp_path / "killed.db"
    coordinator = subprocess.Popen(distributed(mirror.base_url, db, redis_url), cwd=tmp_path, env=clean_env(),
                                   stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)  # fmt: skip
    wait_for_articles(db, committed_articles(single) // 2, coordinator)
    workers = children(coordinator.pid)
    coordinator.kill()  # the writer: it runs in the coordinator
    coordinator.communicate(timeout=TIMEOUT_SECONDS)
    deadline = time.monotonic() + TIMEOUT_SECONDS
    while any(Path(f"/proc/{pid}").exists() and "Z" not in proc_state(pid) for pid in workers):
        assert time.monotonic() < deadline, "the workers did not stop without their writer"
        time.sleep(0.2)
    logs = [Path(f"{db.with_suffix('.log')}.worker-{n}").read_text(encoding="utf-8") for n in range(WORKERS)]
    assert any("is gone (no heartbeat" in log for log in logs)
    (run,) = read_rows(db, "SELECT status FROM crawl_runs")
    assert run["status"] == "running"  # the next run marks it interrupted
    rerun_gives_the_single_process_database(mirror, db, single, redis_url, server)
    assert [row["status"] for row in read_rows(db, "SELECT status FROM crawl_runs ORDER BY id")] == [
        "interrupted", "finished",
    ]  # fmt: skip


def proc_state(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, IndexError):
        return "Z"
