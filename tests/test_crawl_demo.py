"""``arabpress demo``: a full crawl of the packaged mirror, then an incremental one, from a fresh folder."""

from __future__ import annotations

import socket
import subprocess

import pytest
from conftest import CRAWL_TIMEOUT_SECONDS, arabpress_command, clean_env, read_rows

from arabpress_crawler import db as db_api

pytestmark = pytest.mark.slow


def demo(cwd, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        arabpress_command("demo", *args),
        cwd=cwd,
        env=clean_env(),
        capture_output=True,
        text=True,
        timeout=CRAWL_TIMEOUT_SECONDS,
    )


def test_demo_twice_from_a_fresh_folder(tmp_path):
    first = demo(tmp_path, "--port", "0")
    assert first.returncode == 0, first.stderr
    db = tmp_path / "data" / "demo.db"
    assert db.is_file() and (tmp_path / "data" / "logs" / "demo.log").is_file()
    assert "articles           62 stored (61 originals + 1 near-duplicates); this run: 62 new, 0 updated" in first.stdout
    assert "related headlines  726 links" in first.stdout
    assert "duplicates caught  2 " in first.stdout
    assert "Try next:" in first.stdout and "arabpress serve --db data/demo.db" in first.stdout
    assert "Traceback" not in first.stderr

    second = demo(tmp_path)

    assert second.returncode == 0, second.stderr
    assert "(0 article pages; stored articles not fetched again: 63)" in second.stdout
    assert "articles           62 stored (61 originals + 1 near-duplicates); this run: 0 new, 0 updated" in second.stdout
    runs = read_rows(db, "SELECT base_url, status FROM crawl_runs ORDER BY id")
    assert [run["status"] for run in runs] == ["finished", "finished"]
    assert runs[0]["base_url"] == runs[1]["base_url"], (
        "the second demo must serve the mirror on the same port"
    )


def test_demo_refuses_a_busy_remembered_port_in_one_line(tmp_path):
    with socket.socket() as blocker:
        blocker.bind(("127.0.0.1", 0))
        blocker.listen()
        port = blocker.getsockname()[1]
        db = db_api.open_db(tmp_path / "data" / "demo.db")
        db_api.finish_run(
            db, db_api.start_run(db, base_url=f"http://127.0.0.1:{port}"), db_api.RunSummary("finished")
        )
        db.close()
        before = (tmp_path / "data" / "demo.db").read_bytes()
        second = demo(tmp_path)
    assert second.returncode == 1
    assert "Traceback" not in second.stderr
    assert second.stderr.count("\n") == 1 and f"port {port} is busy" in second.stderr
    assert (tmp_path / "data" / "demo.db").read_bytes() == before
