"""SIGKILL during a crawl with the web archive on: the next crawl closes the file the killed one left open
(cut back to its last whole record) and starts a new one; ``check`` is clean and ``reextract`` works.

The whole crawl is killed, the crawler and its writer process (which writes the archive) at once, as a power
cut, the OOM killer or ``kill -9`` of the process group would: a crawler killed alone leaves its writer to
close the file (``tests/test_archive_writer_kill.py``)."""

from __future__ import annotations

import gzip
import json
import os
import re
import signal
import sqlite3
import subprocess
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import arabpress_command, clean_env, read_rows, run_crawl_cli
from warcio.archiveiterator import ArchiveIterator

from arabpress_crawler.archive import files
from arabpress_crawler.archive.reader import read_response
from arabpress_crawler.cli import cli
from arabpress_crawler.db.archive import record_of
from arabpress_mirror.server import DEMO_SITE_DIR, MirrorServer

pytestmark = [pytest.mark.slow, pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL")]

#: Two article pages that never answer, so the crawl cannot end before it is killed.
STALLED = (
    "/2025/11/06/ai-researchers-claim-human-level-general-intelligence-is-already-here/",
    "/2025/11/06/cristiano-ronaldo-asserts-saudi-pro-league-outperforms-ligue-1-amid-scoring-feats/",
)
STORED_BEFORE_KILL = 20
WAIT_SECONDS = 60
POLL_SECONDS = 0.1
#: What a record being written at the moment of the kill leaves: the first part of a gzip member.
CUT_RECORD = gzip.compress(b"WARC/1.1\r\nWARC-Type: response\r\n" + os.urandom(4000))[:1500]


def stored_articles(db: Path) -> int:
    try:
        return int(read_rows(db, "SELECT count(*) AS n FROM articles")[0]["n"])
    except sqlite3.Error:
        return 0


def writer_pid(log: Path) -> int:
    found = re.search(r"Writer process (\d+) started", log.read_text(encoding="utf-8"))
    assert found, "the crawl log names no writer process"
    return int(found.group(1))


def alive(pid: int) -> bool:
    """Whether ``pid`` runs (a zombie nobody reaped does not)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return False
    return state != "Z"


def wait_for(condition: object, what: str) -> None:
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        if condition():  # type: ignore[operator]
            return
        time.sleep(POLL_SECONDS)
    raise AssertionError(f"timed out waiting for {what}")


def test_sigkill_with_the_archive_on(tmp_path: Path) -> None:
    db = tmp_path / "arabpress.db"
    archive = tmp_path / "archive"
    with MirrorServer(DEMO_SITE_DIR) as server:
        for path in STALLED:
            server.set_fault(path, "stall")
        args = ["crawl", "--base-url", server.base_url, "--db", str(db), "--mirror-profile",
                "--log-file", str(tmp_path / "killed.log"), "--quiet"]  # fmt: skip
        process = subprocess.Popen(arabpress_command(*args), cwd=tmp_path, env=clean_env(), start_new_session=True,
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
        try:
            wait_for(lambda: stored_articles(db) >= STORED_BEFORE_KILL, "articles to be stored")
        finally:
            os.killpg(process.pid, signal.SIGKILL)  # the crawler and its writer process
            process.wait(timeout=WAIT_SECONDS)
        writer = writer_pid(tmp_path / "killed.log")
        wait_for(lambda: not alive(writer), "the writer process to die")
        [left_open] = archive.glob(f"*{files.OPEN_SUFFIX}")
        with left_open.open("r+b") as handle:  # (the kill may itself have cut the last record)
            whole = files.complete_length(handle)
            handle.seek(0, os.SEEK_END)
            handle.write(CUT_RECORD)  # killed in the middle of writing a record
        server.clear_faults()

        rerun = run_crawl_cli(server.base_url, db)

    assert rerun.returncode == 0, rerun.stdout + rerun.stderr
    assert not list(archive.glob(f"*{files.OPEN_SUFFIX}")), "the file left open was closed"
    closed = left_open.with_name(left_open.name.removesuffix(files.OPEN_SUFFIX))
    assert closed.stat().st_size == whole, "cut back to its last whole record"
    with closed.open("rb") as handle:
        assert [record.rec_type for record in ArchiveIterator(handle)][0] == "warcinfo", "warcio reads it to its end"
    assert len(list(archive.glob("*.warc.gz"))) == 2, "the next crawl wrote a new file"
    assert "left open by a crawl that did not finish" in db.with_suffix(".log").read_text(encoding="utf-8")

    stored = read_rows(db, "SELECT * FROM articles")
    for row in stored:
        assert read_response(record_of(row), db.parent).record_id == row["archive_record_id"], row["url"]

    check = CliRunner().invoke(cli, ["check", "--db", str(db)])
    assert check.exit_code == 0, check.output
    reextract = CliRunner().invoke(cli, ["reextract", "--db", str(db), "--json"])
    assert reextract.exit_code == 0, reextract.output
    assert json.loads(reextract.output)["outcomes"] == {"unchanged": len(stored)}
