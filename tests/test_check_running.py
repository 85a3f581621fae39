"""``arabpress check`` while a crawl runs: it says so ("a crawl is running (started …)") and, during the first
crawl, exits 0 instead of alerting about the missing finished run."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from conftest import arabpress_command, clean_env
from test_export_sample import add_run

from arabpress_crawler import crawling
from arabpress_crawler import db as db_api

#: Holds the crawl lock of a database until its standard input closes, like a running crawl.
HOLD_LOCK = (
    "import sys; from filelock import FileLock; lock = FileLock(sys.argv[1], timeout=0); lock.acquire();"
    " print('held', flush=True); sys.stdin.read()"
)
#: A minute ago: a crawl under way, well inside its time budget.
STARTED = (dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1)).strftime("%Y-%m-%dT%H:%M:%SZ")


@contextmanager
def crawl_holding_the_lock(db: Path) -> Iterator[None]:
    holder = subprocess.Popen([sys.executable, "-c", HOLD_LOCK, str(crawling.lock_path(db))],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        yield
    finally:
        holder.stdin.close()
        holder.wait(timeout=30)


def database(path: Path, *, finished_runs: int) -> Path:
    db = db_api.open_db(path)
    try:
        for _ in range(finished_runs):
            add_run(db)
        db_api.start_run(db, base_url="https://arab.press", started_at=STARTED)  # the crawl under way
    finally:
        db.close()
    return path


def check(db: Path) -> subprocess.CompletedProcess:
    return subprocess.run(arabpress_command("check", "--db", str(db)), env=clean_env(),
                          capture_output=True, text=True, timeout=60)


def test_check_during_the_first_crawl_says_it_runs_and_exits_0(tmp_path):
    db = database(tmp_path / "first.db", finished_runs=0)
    with crawl_holding_the_lock(db):
        result = check(db)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip() == f"a crawl is running (started {STARTED}, run 1)"


def test_check_during_a_later_crawl_judges_the_last_finished_run(tmp_path):
    db = database(tmp_path / "later.db", finished_runs=2)
    with crawl_holding_the_lock(db):
        result = check(db)
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.strip().splitlines()
    assert lines[0] == f"a crawl is running (started {STARTED}, run 3)"
    assert lines[1].startswith("ok: run #2")


def test_a_run_left_running_without_a_crawl_is_still_a_problem(tmp_path):
    db = database(tmp_path / "killed.db", finished_runs=0)
    result = check(db)  # nobody holds the lock: the crawl died without recording its end
    assert result.returncode == 1
    assert "a crawl is running" not in result.stdout and "no finished crawl run recorded" in result.stdout


def test_crawl_wait_says_what_it_waits_for(tmp_path):
    db = database(tmp_path / "busy.db", finished_runs=1)
    with crawl_holding_the_lock(db):
        waiting = subprocess.Popen(
            arabpress_command("crawl", "--wait", "--db", str(db), "--base-url", "http://127.0.0.1:9",
                              "--max-pages", "1", "--quiet", "--log-file", str(tmp_path / "crawl.log")),
            env=clean_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )
        first_line = waiting.stderr.readline().strip()
        waiting.terminate()  # stop waiting: the crawl itself is not what this test is about
        waiting.communicate(timeout=60)
    assert first_line == (
        f"waiting for the crawl running on {db} (run 2, started {STARTED}) to finish"
        f" (it holds {crawling.lock_path(db)}); Ctrl-C stops waiting"
    )
