"""A worker that joins a run after it is done exits at once, with one line and status 0, fetching nothing.

Two moments: after the coordinator has closed the run (every key of the run deleted: only the writer's absence
says so), and between the last worker's leaving and the coordinator's close (the writer still beats: the run's
``done`` marker says so). Such a worker used to find the run's frontier deleted and crawl the site again, until it
found the writer gone.
"""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import arabpress_command, clean_env, run_crawl_cli

from arabpress_mirror.server import MirrorServer

from .conftest import served_mirror

ROOT = Path(__file__).resolve().parents[2]
TIMEOUT_SECONDS = 300


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MirrorServer]:
    yield from served_mirror(tmp_path_factory, "late-mirror", 30, seed=17)


def late_worker(redis_url: str, run: str, base_url: str) -> subprocess.CompletedProcess[str]:
    """``arabpress worker`` as a user starts it on another machine."""
    command = arabpress_command("worker", "--redis", redis_url, "--run", run, "--base-url", base_url, "--backfill")
    return subprocess.run(command, cwd=ROOT, env=clean_env(), capture_output=True, text=True, timeout=TIMEOUT_SECONDS)


def test_a_worker_joining_a_run_the_coordinator_has_closed_exits_at_once_fetching_nothing(
    redis_url: str, server: Any, small: MirrorServer, tmp_path: Path
) -> None:
    crawl = run_crawl_cli(small.base_url, tmp_path / "run.db", "--backfill", "--no-fail-on-warnings",
                          "--redis", redis_url, "--workers", "2")  # fmt: skip
    assert crawl.returncode == 0, crawl.stdout + crawl.stderr
    log = crawl.db.with_suffix(".log").read_text(encoding="utf-8")
    run = re.search(r"Distributed run (\S+)", log)
    assert run is not None, log
    before = small.requests
    late = late_worker(redis_url, run.group(1), small.base_url)
    assert late.returncode == 0, late.stdout + late.stderr
    lines = (late.stdout + late.stderr).strip().splitlines()
    assert len(lines) == 1 and run.group(1) in lines[0], lines  # one line naming the run
    assert small.requests - before == {}  # nothing fetched
    assert list(server.scan_iter("arabpress:*")) == []  # and nothing of the run created again


def test_a_worker_joining_after_the_last_worker_left_while_the_writer_still_beats_exits_at_once(
    redis_url: str, server: Any, small: MirrorServer, tmp_path: Path
) -> None:
    from arabpress_crawler.distributed.keys import RunKeys, site_slug

    keys = RunKeys(site_slug(small.base_url), "late-b")
    server.set(keys.writer, 1)  # a writer committing the last batches: its heartbeat outlives the workers
    command = [
        sys.executable, "-m", "arabpress_crawler.distributed.worker", "--redis", redis_url, "--run", keys.run,
        "--base-url", small.base_url, "--backfill", "-s", "ARABPRESS_PROFILE=mirror", "-s", "ITEM_PIPELINES={}",
        "-s", f"ARABPRESS_DB={tmp_path / 'unused.db'}", "-s", f"LOG_FILE={tmp_path / 'first.log'}",
    ]  # fmt: skip
    first = subprocess.run(command, cwd=ROOT, env=clean_env(), capture_output=True, text=True, timeout=TIMEOUT_SECONDS)
    assert first.returncode == 0, first.stdout + first.stderr
    before = small.requests
    late = late_worker(redis_url, keys.run, small.base_url)
    assert late.returncode == 0, late.stdout + late.stderr
    lines = (late.stdout + late.stderr).strip().splitlines()
    assert len(lines) == 1 and keys.run in lines[0], lines
    assert small.requests - before == {}


def test_joining_and_leaving_are_atomic_against_the_end_of_the_run(server: Any) -> None:
    """The Lua scripts the two end-to-end tests above rely on, and the race they close: a worker either joins
    before the last one leaves (and the run is not done) or is refused after (the run is done)."""
    from arabpress_crawler.distributed import membership
    from arabpress_crawler.distributed.keys import RunKeys

    keys = RunKeys("site:80", "r1")
    assert membership.join(server, keys, "late", writer=True) == membership.NO_WRITER  # no writer: nothing to join
    assert membership.join(server, keys, "w1", writer=False) == membership.JOINED  # coordinator-less (tests)
    assert membership.leave(server, keys, "w1") and not server.exists(keys.done)  # no writer: nothing to mark
    server.set(keys.writer, 1)
    assert membership.join(server, keys, "w1", writer=True) == membership.JOINED
    assert membership.join(server, keys, "w2", writer=True) == membership.JOINED
    assert not membership.leave(server, keys, "w1")  # w2 is still in the run
    assert membership.join(server, keys, "w3", writer=True) == membership.JOINED  # joined in time
    assert not membership.leave(server, keys, "w2")
    assert membership.leave(server, keys, "w3")  # the last: the run is done
    assert membership.can_join(server, keys, writer=True) == membership.DONE
    assert membership.join(server, keys, "late", writer=False) == membership.DONE
    assert not server.sismember(keys.workers, "late")
    assert 0 < server.ttl(keys.done) <= 24 * 3600  # the marker expires, and the coordinator deletes it on close

    other = RunKeys("site:80", "r2")
    server.set(other.writer, 1)
    assert membership.join(server, other, "w1", writer=True) == membership.JOINED
    server.set(other.alive("w1"), 1)
    assert not membership.close(server, other) and not server.exists(other.done)  # w1 beats: not done
    server.delete(other.alive("w1"))  # killed: its heartbeat expired
    assert membership.close(server, other) and server.exists(other.done)
    assert membership.join(server, other, "late", writer=True) == membership.DONE
