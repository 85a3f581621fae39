"""Several worker processes sharing one frontier over the generated 300-article mirror, against one process."""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from conftest import clean_env

from arabpress_mirror.server import MirrorServer

from .conftest import served_mirror

ARTICLES = 300
ARTICLE_PATH = re.compile(r"^/\d{4}/\d{2}/\d{2}/[^/]+/$")
WORKER_TIMEOUT_SECONDS = 300
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MirrorServer]:
    yield from served_mirror(tmp_path_factory, "distributed-mirror", ARTICLES, seed=5)


def start_worker(redis_url: str, run: str, base_url: str, folder: Path, name: str) -> subprocess.Popen[str]:
    command = [
        sys.executable, "-m", "arabpress_crawler.distributed.worker", "--redis", redis_url, "--run", run,
        "--base-url", base_url, "--backfill", "-s", "ARABPRESS_PROFILE=mirror", "-s", "ITEM_PIPELINES={}",
        "-s", f"ARABPRESS_DB={folder / 'unused.db'}", "-s", f"LOG_FILE={folder / f'{name}.log'}",
        "-s", f"ARABPRESS_REDIS_WORKER={name}",
    ]  # fmt: skip
    return subprocess.Popen(command, cwd=ROOT, env=clean_env(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def article_requests(server: MirrorServer, before: Any) -> dict[str, int]:
    return {path: n for path, n in (server.requests - before).items() if ARTICLE_PATH.match(path)}


def test_two_workers_share_the_frontier_fetch_each_article_once_stop_by_themselves_and_leave_no_key(
    redis_url: str, server: Any, generated: MirrorServer, tmp_path: Path
) -> None:
    before = generated.requests
    workers = [start_worker(redis_url, "run-a", generated.base_url, tmp_path, f"w{n}") for n in (1, 2)]
    for worker in workers:
        output, _ = worker.communicate(timeout=WORKER_TIMEOUT_SECONDS)
        assert worker.returncode == 0, output
    fetched = article_requests(generated, before)
    assert len(fetched) >= ARTICLES * 0.9
    assert max(fetched.values()) == 1  # no article fetched twice by the two workers
    logs = [(tmp_path / f"w{n}.log").read_text(encoding="utf-8") for n in (1, 2)]
    assert all("Spider closed (finished)" in log for log in logs)  # each stopped by itself, once the run was done
    assert sum("deleted its" in log for log in logs) == 1  # by the last worker to leave
    assert list(server.scan_iter("arabpress:*:run-a:*")) == []  # no key of the run is left


def crawl_snapshot(db: Path) -> dict[str, list[tuple]]:
    """Every table without the order-dependent columns (listed in ``bench/distributed.py``), the frontier too."""
    from bench.distributed import snapshot

    return snapshot(db)


@pytest.mark.parametrize("workers", [2])
def test_a_distributed_crawl_gives_the_database_of_a_single_process_crawl_and_one_run_record(
    redis_url: str, server: Any, generated: MirrorServer, tmp_path: Path, workers: int
) -> None:
    from conftest import read_rows, run_crawl_cli

    single = run_crawl_cli(generated.base_url, tmp_path / "single.db", "--backfill", "--no-fail-on-warnings")
    assert single.returncode == 0, single.stdout + single.stderr
    before = generated.requests
    distributed = run_crawl_cli(
        generated.base_url, tmp_path / "distributed.db", "--backfill", "--no-fail-on-warnings",
        "--redis", redis_url, "--workers", str(workers),
    )  # fmt: skip
    assert distributed.returncode == 0, distributed.stdout + distributed.stderr
    assert crawl_snapshot(distributed.db) == crawl_snapshot(single.db)
    (run,) = read_rows(distributed.db, "SELECT * FROM crawl_runs")
    (single_run,) = read_rows(single.db, "SELECT * FROM crawl_runs")
    assert run["status"] == "finished"
    for key in ("articles_new", "articles_updated", "duplicates_alias", "url_aliases", "coverage"):
        assert run[key] == single_run[key], key
    logs = [Path(f"{distributed.db.with_suffix('.log')}.worker-{n}").read_text(encoding="utf-8") for n in range(workers)]
    pages = [re.search(r"'response_received_count': (\d+)", log) for log in logs]
    assert run["pages"] == sum(int(found.group(1)) for found in pages if found)  # the sum over the workers
    assert run["pages"] <= single_run["pages"] + workers
    fetched = article_requests(generated, before)
    assert max(fetched.values()) == 1  # no article fetched twice
    assert list(server.scan_iter("arabpress:*")) == []  # no key of the run is left (no delay: no site clock)

    # A second run on the unchanged mirror is incremental as a single-process one: the same pages asked for.
    single_again, distributed_again = run_both(generated, single.db, distributed.db, redis_url, workers)
    assert set(distributed_again) - {"/robots.txt"} == set(single_again) - {"/robots.txt"}
    assert sum(n for path, n in distributed_again.items() if ARTICLE_PATH.match(path)) == sum(
        n for path, n in single_again.items() if ARTICLE_PATH.match(path)
    )
    assert crawl_snapshot(distributed.db) == crawl_snapshot(single.db)

    # After an edit of 1% of the articles, exactly those are fetched again, by both.
    edited = edit_one_percent(generated.root, single.db)
    single_third, distributed_third = run_both(generated, single.db, distributed.db, redis_url, workers)
    stored = {urlsplit(row["url"]).path for row in read_rows(single.db, "SELECT url FROM articles")}
    articles = {path: n for path, n in single_third.items() if ARTICLE_PATH.match(path)}
    assert {path for path in articles if path in stored} == edited  # and the dead links their pages lead to
    assert {path: n for path, n in distributed_third.items() if ARTICLE_PATH.match(path)} == articles
    assert crawl_snapshot(distributed.db) == crawl_snapshot(single.db)


def run_both(
    generated: MirrorServer, single_db: Path, distributed_db: Path, redis_url: str, workers: int
) -> tuple[Any, Any]:
    """A single-process run, then a distributed one, on their databases: what each asked the server for."""
    from conftest import run_crawl_cli

    before = generated.requests
    single = run_crawl_cli(generated.base_url, single_db, "--backfill", "--no-fail-on-warnings")
    assert single.returncode == 0, single.stdout + single.stderr
    between = generated.requests
    distributed = run_crawl_cli(
        generated.base_url, distributed_db, "--backfill", "--no-fail-on-warnings", "--redis", redis_url,
        "--workers", str(workers),
    )  # fmt: skip
    assert distributed.returncode == 0, distributed.stdout + distributed.stderr
    return between - before, generated.requests - between


def edit_one_percent(root: Path, db: Path) -> set[str]:
    """Edit 1% of the mirror's stored articles (every 100th, originals only); their paths."""
    from conftest import read_rows

    from arabpress_mirror.edit import edit_article

    urls = [row["url"] for row in read_rows(db, "SELECT url FROM articles WHERE duplicate_of IS NULL ORDER BY url")]
    paths = {urlsplit(url).path for url in urls[:: 100]}
    update = " ".join(["The council published the revised figures on Tuesday, and officials said more would follow."] * 4)
    for path in paths:
        edit_article(root, path, paragraphs=[f"An update to {path}.", update, update])
    return paths


def test_a_killed_worker_fails_the_run_and_a_rerun_gives_the_single_process_database(
    redis_url: str, server: Any, generated: MirrorServer, tmp_path: Path
) -> None:
    import os
    import signal
    import time

    from conftest import arabpress_command, read_rows, run_crawl_cli
    from test_writer_process import committed_articles

    single = run_crawl_cli(generated.base_url, tmp_path / "single.db", "--backfill", "--no-fail-on-warnings")
    assert single.returncode == 0, single.stdout + single.stderr
    db = tmp_path / "killed.db"
    command = arabpress_command(
        "crawl", "--base-url", generated.base_url, "--db", str(db), "--log-file", str(db.with_suffix(".log")),
        "--mirror-profile", "--backfill", "--quiet", "--no-fail-on-warnings", "--redis", redis_url, "--workers", "2",
    )  # fmt: skip
    coordinator = subprocess.Popen(command, cwd=tmp_path, env=clean_env(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    deadline = time.monotonic() + WORKER_TIMEOUT_SECONDS
    while committed_articles(db) < 1 and coordinator.poll() is None and time.monotonic() < deadline:
        time.sleep(0.01)
    assert coordinator.poll() is None, "the crawl ended before a worker could be killed"
    children = Path(f"/proc/{coordinator.pid}/task/{coordinator.pid}/children").read_text().split()
    os.kill(int(children[0]), signal.SIGKILL)  # one worker, mid-crawl
    output, _ = coordinator.communicate(timeout=WORKER_TIMEOUT_SECONDS)
    (run,) = read_rows(db, "SELECT status, finish_reason FROM crawl_runs")
    assert run["status"] == "failed" and run["finish_reason"].startswith("worker_failed"), output
    assert list(server.scan_iter("arabpress:*")) == []

    rerun = run_crawl_cli(generated.base_url, db, "--backfill", "--no-fail-on-warnings")
    assert rerun.returncode == 0, rerun.stdout + rerun.stderr
    assert crawl_snapshot(db) == crawl_snapshot(single.db)
