"""A real Scrapyd: deploy the project with ``scrapyd-deploy``, schedule jobs against the local mirror.

Scrapyd (from PyPI, the ``deploy`` extra) runs on 127.0.0.1 in a temporary directory; the project is
deployed the way a user deploys it (``scrapyd-deploy <target>``, the target in a ``scrapy.cfg`` found
through ``XDG_CONFIG_HOME``); jobs are scheduled through ``schedule.json`` (the first with the line
``arabpress cron-line --scrapyd`` prints) and watched through ``listjobs.json``.
"""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("scrapyd", reason="scrapyd is not installed (pip install -e '.[deploy]')")

from arabpress_crawler.deploy import SCRAPYD_PROJECT, schedule_fields  # noqa: E402
from arabpress_crawler.lock import lock_path  # noqa: E402
from tests.conftest import ROOT, arabpress_command, clean_env, read_rows  # noqa: E402
from tests.gate import GATED_PATH, GatedMirror, gated_mirror  # noqa: E402

pytestmark = pytest.mark.slow

#: Only stop a hung test: Scrapyd starts in about a second, a job of the demo mirror takes a few.
STARTUP_TIMEOUT_SECONDS = 60
JOB_TIMEOUT_SECONDS = 240
POLL_SECONDS = 0.2
DEPLOY_TARGET = "pytest"
SCRAPYD_CONF = """\
[scrapyd]
bind_address = 127.0.0.1
http_port = {port}
eggs_dir = {root}/eggs
logs_dir = {root}/logs
dbs_dir = {root}/dbs
items_dir =
jobs_dir =
max_proc = 2
poll_interval = 0.2
"""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Scrapyd:
    """A Scrapyd server started by the test, and the directory it works in."""

    root: Path
    url: str
    process: subprocess.Popen[bytes]

    def get(self, endpoint: str, **params: str) -> dict[str, Any]:
        query = urllib.parse.urlencode(params)
        with urllib.request.urlopen(f"{self.url}/{endpoint}?{query}", timeout=30) as response:
            return json.load(response)

    def post(self, endpoint: str, fields: list[tuple[str, str]]) -> dict[str, Any]:
        body = urllib.parse.urlencode(fields).encode()
        with urllib.request.urlopen(f"{self.url}/{endpoint}", data=body, timeout=30) as response:
            return json.load(response)

    def job_state(self, job: str) -> str | None:
        """``pending``, ``running`` or ``finished`` for a job id, ``None`` if Scrapyd does not list it."""
        jobs = self.get("listjobs.json", project=SCRAPYD_PROJECT)
        for state in ("pending", "running", "finished"):
            if any(entry["id"] == job for entry in jobs[state]):
                return state
        return None

    def wait_finished(self, job: str) -> None:
        deadline = time.monotonic() + JOB_TIMEOUT_SECONDS
        while self.job_state(job) != "finished":
            assert time.monotonic() < deadline, f"job {job} did not finish:\n{self.log(job)}"
            assert self.process.poll() is None, "Scrapyd stopped"
            threading.Event().wait(POLL_SECONDS)

    def log(self, job: str) -> str:
        path = self.root / "logs" / SCRAPYD_PROJECT / "articles" / f"{job}.log"
        return path.read_text(encoding="utf-8") if path.exists() else f"(no log at {path})"


@pytest.fixture(scope="module")
def scrapyd(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Scrapyd]:
    root = tmp_path_factory.mktemp("scrapyd")
    port = free_port()
    (root / "scrapyd.conf").write_text(SCRAPYD_CONF.format(port=port, root=root), encoding="utf-8")
    process = subprocess.Popen(
        # Jobs inherit Scrapyd's environment: the mirror profile (no throttling) for the local mirror.
        [sys.executable, "-m", "scrapyd"], cwd=root, env=clean_env(ARABPRESS_PROFILE="mirror"),
        stdout=(root / "scrapyd.out").open("wb"), stderr=subprocess.STDOUT,
    )  # fmt: skip
    server = Scrapyd(root=root, url=f"http://127.0.0.1:{port}", process=process)
    try:
        deadline = time.monotonic() + STARTUP_TIMEOUT_SECONDS
        while True:
            try:
                if server.get("daemonstatus.json")["status"] == "ok":
                    break
            except OSError:
                pass
            assert process.poll() is None, (root / "scrapyd.out").read_text()
            assert time.monotonic() < deadline, "Scrapyd did not start"
            threading.Event().wait(POLL_SECONDS)
        deploy(server)
        yield server
    finally:
        process.terminate()
        process.wait(timeout=60)


def deploy(server: Scrapyd) -> None:
    """``scrapyd-deploy <target>`` from the repository root, as a user deploys the project."""
    config = server.root / "config"
    config.mkdir()
    (config / "scrapy.cfg").write_text(
        f"[deploy:{DEPLOY_TARGET}]\nurl = {server.url}/\nproject = {SCRAPYD_PROJECT}\n", encoding="utf-8"
    )
    deploy_script = Path(sys.executable).parent / "scrapyd-deploy"
    completed = subprocess.run(
        [str(deploy_script), DEPLOY_TARGET, "--version", "1"],
        cwd=ROOT, env=clean_env(XDG_CONFIG_HOME=str(config)), capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert completed.returncode == 0, completed.stderr
    assert json.loads(completed.stdout)["status"] == "ok", completed.stdout
    assert server.get("listspiders.json", project=SCRAPYD_PROJECT)["spiders"] == ["articles"]


def test_deployed_job_crawls_the_mirror_into_the_database(scrapyd, mirror, tmp_path):
    if shutil.which("curl") is None:
        pytest.skip("curl is not installed: the cron line schedules with curl")
    db = tmp_path / "scrapyd.db"
    printed = subprocess.run(
        arabpress_command("cron-line", "--every", "3h", "--scrapyd", scrapyd.url, "--db", str(db),
                          "--base-url", mirror.base_url),
        env=clean_env(), capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert printed.returncode == 0, printed.stderr
    command = printed.stdout.strip().split(" ", 5)[5]  # after the five crontab time fields
    before = {entry["id"] for entry in scrapyd.get("listjobs.json", project=SCRAPYD_PROJECT)["finished"]}
    scheduled = subprocess.run(["sh", "-c", command], capture_output=True, text=True, timeout=60)
    assert scheduled.returncode == 0 and scheduled.stderr == "", scheduled.stderr
    jobs = scrapyd.get("listjobs.json", project=SCRAPYD_PROJECT)
    (job,) = {entry["id"] for state in ("pending", "running", "finished") for entry in jobs[state]} - before
    scrapyd.wait_finished(job)
    runs = read_rows(db, "SELECT status, finish_reason, base_url FROM crawl_runs")
    assert runs == [{"status": "finished", "finish_reason": "finished", "base_url": mirror.base_url}], scrapyd.log(job)
    assert read_rows(db, "SELECT count(*) AS n FROM articles")[0]["n"] == 62
    assert not (tmp_path / "scrapyd.db.job").exists()  # a finished job leaves nothing to resume
    assert "Spider closed (finished)" in scrapyd.log(job)


def test_second_job_on_one_database_ends_at_once_saying_why(scrapyd, demo_site, tmp_path):
    db = tmp_path / "shared.db"
    with gated_mirror(demo_site) as server:
        first = schedule(scrapyd, db, server)
        wait_held(scrapyd, first, server)
        second = schedule(scrapyd, db, server)
        scrapyd.wait_finished(second)
        first_state = scrapyd.job_state(first)
        server.gate.set()
        scrapyd.wait_finished(first)
        assert server.request_count(GATED_PATH) == 1  # the second job fetched nothing
    second_log = scrapyd.log(second)
    refusals = [line for line in second_log.splitlines() if "another crawl holds" in line]
    assert len(refusals) == 1, second_log
    assert f"another crawl holds {lock_path(db)}: not crawling into {db}" in refusals[0]
    assert "Spider closed (database_locked)" in second_log
    assert first_state == "running"
    assert "Spider closed (finished)" in scrapyd.log(first)
    runs = read_rows(db, "SELECT status, finish_reason FROM crawl_runs")
    assert runs == [{"status": "finished", "finish_reason": "finished"}]
    assert read_rows(db, "SELECT count(*) AS n FROM articles")[0]["n"] == 62


def schedule(scrapyd: Scrapyd, db: Path, server: GatedMirror) -> str:
    fields = schedule_fields(db, base_url=server.base_url)
    answer = scrapyd.post("schedule.json", fields)
    assert answer["status"] == "ok", answer
    return str(answer["jobid"])


def wait_held(scrapyd: Scrapyd, job: str, server: GatedMirror) -> None:
    """Wait until ``job`` waits at the mirror's gate (it then holds the database's lock)."""
    deadline = time.monotonic() + JOB_TIMEOUT_SECONDS
    while not server.held.wait(POLL_SECONDS):
        assert scrapyd.job_state(job) != "finished", scrapyd.log(job)
        assert time.monotonic() < deadline, f"job {job} never reached the gate:\n{scrapyd.log(job)}"
