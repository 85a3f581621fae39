"""The web archive written by the writer process (``arabpress_crawler.archive.handoff``) under SIGKILL.

Over the generated 300-article mirror of ``test_writer_process.py``, in batches of 10: the writer killed after it wrote a batch's WARC records
and before it committed the batch, and the crawler killed with batches in flight. Either way no row points at a
record that is not in the archive (``arabpress check`` passes and every row's record reads back), and a re-run
gives the database of an uninterrupted crawl, with every row's record readable.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import test_writer_process
from click.testing import CliRunner
from conftest import ROOT, clean_env, run_crawl_cli
from test_store_crash import committed_articles
from test_writer_process import BATCH_SIZE, alive, runs, snapshot

from arabpress_crawler.archive import check as archive_check
from arabpress_crawler.archive import files
from arabpress_crawler.archive.reader import iter_responses, read_response
from arabpress_crawler.cli import cli
from arabpress_crawler.db.archive import record_of
from arabpress_mirror.server import MirrorServer

pytestmark = [pytest.mark.slow, pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL")]

#: The writer kills itself at this batch's commit (``StorePipeline.flush``), after writing its records.
KILL_AT_COMMIT = 6
KILL_AFTER_ROWS = 60
POLL_SECONDS = 0.01
WAIT_LIMIT_SECONDS = 120

#: The mirror and the uninterrupted crawl of the writer process's tests (module fixtures: one of each here).
generated = test_writer_process.generated
clean_crawl = test_writer_process.clean_crawl

#: The writer process, killing itself at the ``KILL_AT_COMMIT``-th commit (the batch's WARC records are written
#: and flushed by then: the captures come first in the batch and the store's flush is its commit).
WRITER_KILLED_AT_COMMIT = """
import os, signal, sys
from arabpress_crawler.pipelines.store import StorePipeline
from arabpress_crawler.writer.__main__ import main
commits = 0
flush = StorePipeline.flush
def killing_flush(self, *args, **kwargs):
    global commits
    commits += 1
    if commits == int(os.environ["KILL_AT_COMMIT"]):
        os.kill(os.getpid(), signal.SIGKILL)
    return flush(self, *args, **kwargs)
StorePipeline.flush = killing_flush
sys.exit(main(sys.argv[1:]))
"""

CHILD = (
    "import sys, pathlib; sys.path.insert(0, sys.argv[4]); "
    "from test_archive_writer_kill import crawl_child; crawl_child(sys.argv[1], pathlib.Path(sys.argv[2]), sys.argv[3])"
)


def crawl_child(base_url: str, db: Path, writer_runner: str) -> None:
    """A ``--backfill`` crawl in small batches (run in a child process); ``writer_runner``: the writer's code."""
    from arabpress_crawler.crawling import CrawlOptions, check_options, run_crawl
    from arabpress_crawler.writer import client

    if writer_runner:
        client.WRITER_COMMAND[:] = [sys.executable, "-c", writer_runner]
    options = CrawlOptions(
        base_url=base_url, db=db, backfill=True, mirror_profile=True, log_file=db.with_suffix(".log"),
        settings={"ARABPRESS_STORE_BATCH_SIZE": BATCH_SIZE, "CONCURRENT_REQUESTS": 4},
    )  # fmt: skip
    run_crawl(check_options(options))


def start_child(base_url: str, db: Path, writer_runner: str = "") -> subprocess.Popen:
    command = [sys.executable, "-c", CHILD, base_url, str(db), writer_runner, str(ROOT / "tests")]
    return subprocess.Popen(command, cwd=db.parent, env=clean_env(KILL_AT_COMMIT=str(KILL_AT_COMMIT)))


def archive_of(db: Path) -> Path:
    return db.parent / "archive"


def archived_paths(db: Path) -> set[str]:
    """The URL paths of every response record in the archive beside ``db`` (closed and open files)."""
    return {urlsplit(archived.url).path for path in sorted(archive_of(db).iterdir()) for _, _, archived in iter_responses(path)}


def stored_paths(db: Path) -> set[str]:
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        return {urlsplit(url).path for (url,) in conn.execute("SELECT url FROM articles")}
    finally:
        conn.close()


def assert_every_row_has_its_record(db: Path, *, finished: bool = True) -> int:
    """Every stored article points at a record that reads back, and the archive's part of ``arabpress check``
    finds nothing (all of ``check`` passes when the last run ``finished``). Returns the number of rows."""
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    conn.row_factory = sqlite3.Row
    try:
        rows = [dict(row) for row in conn.execute("SELECT * FROM articles")]
        assert archive_check.problems(conn) == []
    finally:
        conn.close()
    for row in rows:
        record = record_of(row)
        assert record is not None, f"{row['url']} has no archived response"
        assert read_response(record, db.parent).record_id == row["archive_record_id"], row["url"]
    if finished:
        check = CliRunner().invoke(cli, ["check", "--db", str(db)])
        assert check.exit_code == 0, check.output
    return len(rows)


def test_a_writer_killed_between_its_warc_records_and_its_commit_leaves_no_row_without_its_record(
    generated: MirrorServer, clean_crawl: Path, tmp_path: Path
) -> None:
    db = tmp_path / "killed.db"
    child = start_child(generated.base_url, db, WRITER_KILLED_AT_COMMIT)
    assert child.wait(timeout=WAIT_LIMIT_SECONDS) is not None
    (first,) = runs(db)
    assert first["status"] == "failed"
    assert first["finish_reason"].startswith("store_error: the writer process")
    stored = assert_every_row_has_its_record(db, finished=False)
    assert 0 < stored < len(snapshot(clean_crawl)["articles"]), "the batches before the killed commit are stored"
    unstored = archived_paths(db) & stored_paths(clean_crawl) - stored_paths(db)
    assert unstored, "the killed batch's records were written before its commit"
    assert list(archive_of(db).glob(f"*{files.OPEN_SUFFIX}")), "the killed writer left its file open"

    rerun = run_crawl_cli(generated.base_url, db, "--backfill", "--no-fail-on-warnings")
    assert rerun.returncode == 0, rerun.stdout + rerun.stderr
    assert not list(archive_of(db).glob(f"*{files.OPEN_SUFFIX}")), "the re-run closed the file left open"
    assert snapshot(db) == snapshot(clean_crawl)
    assert assert_every_row_has_its_record(db) == len(snapshot(clean_crawl)["articles"])
    assert [run["status"] for run in runs(db)] == ["failed", "finished"]


def test_a_crawler_killed_with_batches_in_flight_leaves_its_writer_to_store_and_archive_them(
    generated: MirrorServer, clean_crawl: Path, tmp_path: Path
) -> None:
    db = tmp_path / "killed.db"
    child = start_child(generated.base_url, db)
    deadline = time.monotonic() + WAIT_LIMIT_SECONDS
    while committed_articles(db) < KILL_AFTER_ROWS and child.poll() is None and time.monotonic() < deadline:
        time.sleep(POLL_SECONDS)
    assert child.poll() is None, "the crawl finished before it could be killed; raise ARTICLES"
    writer = int(db.with_suffix(".log").read_text(encoding="utf-8").split("Writer process ", 1)[1].split()[0])
    os.kill(child.pid, signal.SIGKILL)
    child.wait()
    while alive(writer) and time.monotonic() < deadline:
        time.sleep(POLL_SECONDS)
    assert not alive(writer), "the writer outlived its crawler"
    assert not list(archive_of(db).glob(f"*{files.OPEN_SUFFIX}")), "the writer closed its file after its last commit"
    assert assert_every_row_has_its_record(db, finished=False) >= KILL_AFTER_ROWS

    rerun = run_crawl_cli(generated.base_url, db, "--backfill", "--no-fail-on-warnings")
    assert rerun.returncode == 0, rerun.stdout + rerun.stderr
    assert snapshot(db) == snapshot(clean_crawl)
    assert assert_every_row_has_its_record(db) == len(snapshot(clean_crawl)["articles"])
    assert [run["status"] for run in runs(db)] == ["interrupted", "finished"]
