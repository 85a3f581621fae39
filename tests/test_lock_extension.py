"""The crawl lock as a Scrapy extension: ``scrapy crawl`` (and so Scrapyd jobs) take ``<db>.lock`` too.

Two ``scrapy crawl`` processes on one database against a local mirror whose answer to ``/feed/`` is held
(a gate the test opens): the first crawl cannot finish while the gate is closed, so the second starts for
certain while the first runs. The second ends at once with one line saying why and touches nothing; the first
goes on and finishes normally once the gate opens. With ``ARABPRESS_LOCK_WAIT`` the second waits instead.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from arabpress_crawler.lock import LOCKED_REASON, lock_path
from tests.conftest import CRAWL_TIMEOUT_SECONDS, ROOT, clean_env, read_rows
from tests.gate import GATED_PATH, GatedMirror, gated_mirror

pytestmark = pytest.mark.slow
POLL_SECONDS = 0.05


@pytest.fixture
def gated(demo_site: Path) -> Iterator[GatedMirror]:
    with gated_mirror(demo_site) as server:
        yield server


def scrapy_crawl(base_url: str, db: Path, *settings: str) -> list[str]:
    args = [sys.executable, "-m", "scrapy", "crawl", "articles", "-a", f"base_url={base_url}"]
    # The gate holds /feed/ while the second process starts: on a loaded machine that can take longer than the
    # mirror profile's 10 s download timeout, and a timed-out feed would be asked again.
    held = ("DOWNLOAD_TIMEOUT=180",)
    for setting in (f"ARABPRESS_DB={db}", "ARABPRESS_PROFILE=mirror", "LOG_LEVEL=WARNING", *held, *settings):
        args += ["-s", setting]
    return args


def start(args: list[str]) -> subprocess.Popen[str]:
    return subprocess.Popen(args, cwd=ROOT, env=clean_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def wait_until(condition: Callable[[], bool], what: str, process: subprocess.Popen[str]) -> None:
    event = threading.Event()
    while not condition():
        if process.poll() is not None:
            raise AssertionError(f"{what}: the process ended ({process.returncode}): {process.stderr.read()}")
        event.wait(POLL_SECONDS)


def test_second_scrapy_crawl_on_one_database_ends_at_once_saying_why(gated, temp_db):
    first = start(scrapy_crawl(gated.base_url, temp_db))
    try:
        wait_until(gated.held.is_set, "the first crawl reaches the gate", first)
        second = subprocess.run(
            scrapy_crawl(gated.base_url, temp_db, "STATS_DUMP=False"),
            cwd=ROOT, env=clean_env(), capture_output=True, text=True, timeout=CRAWL_TIMEOUT_SECONDS,
        )  # fmt: skip
        first_still_running = first.poll() is None
        gated.gate.set()
        _, first_err = first.communicate(timeout=CRAWL_TIMEOUT_SECONDS)
    finally:
        gated.gate.set()
        first.kill()
        first.wait()
    # The second: one line naming the database and its lock; Scrapy's exit status for a spider it closed is 0.
    lines = second.stderr.strip().splitlines()
    assert len(lines) == 1, second.stderr
    assert f"another crawl holds {lock_path(temp_db)}" in lines[0]
    assert str(temp_db) in lines[0]
    assert second.returncode == 0
    assert first_still_running, "the first crawl ended before the second was refused"
    # The first went on and finished normally; the second left no run record and fetched nothing.
    assert first.returncode == 0, first_err
    runs = read_rows(temp_db, "SELECT status, finish_reason, stats FROM crawl_runs")
    assert [(run["status"], run["finish_reason"]) for run in runs] == [("finished", "finished")]
    assert read_rows(temp_db, "SELECT count(*) AS n FROM articles")[0]["n"] == 62
    assert gated.request_count(GATED_PATH) == 1


def test_second_scrapy_crawl_waits_with_the_lock_wait_setting(gated, temp_db):
    first = start(scrapy_crawl(gated.base_url, temp_db))
    second: subprocess.Popen[str] | None = None
    try:
        wait_until(gated.held.is_set, "the first crawl reaches the gate", first)
        second = start(scrapy_crawl(gated.base_url, temp_db, "ARABPRESS_LOCK_WAIT=True"))
        waiting = second.stderr.readline()  # blocks until the second says it waits
        assert f"waiting for the crawl that holds {lock_path(temp_db)}" in waiting
        assert first.poll() is None
        gated.gate.set()
        _, first_err = first.communicate(timeout=CRAWL_TIMEOUT_SECONDS)
        _, second_err = second.communicate(timeout=CRAWL_TIMEOUT_SECONDS)
    finally:
        gated.gate.set()
        for process in (first, second):
            if process is not None:
                process.kill()
                process.wait()
    assert first.returncode == 0, first_err
    assert second.returncode == 0, second_err
    runs = read_rows(temp_db, "SELECT status, started_at, finished_at, stats FROM crawl_runs ORDER BY id")
    assert [run["status"] for run in runs] == ["finished", "finished"]
    assert runs[1]["started_at"] >= runs[0]["finished_at"]
    assert json.loads(runs[1]["stats"])["finish_reason"] == "finished"
    assert LOCKED_REASON not in second_err


LOCK_HOLDER = """
import sys, time
from pathlib import Path
from arabpress_crawler.lock import crawl_lock
with crawl_lock(Path(sys.argv[1]), wait=False) as locked:
    print("locked" if locked else "busy", flush=True)
    time.sleep(float(sys.argv[2]))
"""


def test_sigterm_ends_a_crawl_waiting_for_the_lock(temp_db):
    holder = subprocess.Popen([sys.executable, "-c", LOCK_HOLDER, str(temp_db), "120"], stdout=subprocess.PIPE, text=True)
    waiting: subprocess.Popen[str] | None = None
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
        waiting = start(scrapy_crawl("http://127.0.0.1:9", temp_db, "ARABPRESS_LOCK_WAIT=True", "LOG_LEVEL=INFO"))
        assert waiting.stderr is not None
        for line in waiting.stderr:
            if "waiting for the crawl that holds" in line:
                break
        waiting.send_signal(signal.SIGTERM)  # what Scrapyd's cancel.json sends
        _, err = waiting.communicate(timeout=CRAWL_TIMEOUT_SECONDS)
        assert holder.poll() is None
    finally:
        for process in (holder, waiting):
            if process is not None:
                process.kill()
                process.wait()
    assert "Spider closed (shutdown)" in err, err
    assert "another crawl holds" not in err
    assert not temp_db.exists()  # nothing was written
