"""Faults around the crawl (issue 6, list 3): SIGKILL mid-run, a locked database, a full disk, a corrupted
database file left by an earlier run.

What must hold: a killed run leaves a consistent database, is recorded as ``interrupted``, and the next run
completes the job with nothing lost and nothing doubled; a database locked by another process is waited for,
and a lock that never ends gives one clear error line; a full disk gives one clear error line and leaves
the database intact; a corrupted database is never overwritten, and the error says how to fix it.
"""

from __future__ import annotations

import hashlib
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from arabpress_crawler import db as db_api
from arabpress_mirror.server import MirrorServer

from . import harness
from .harness import Article, case_path

CATEGORY = "faults"

POLL_SECONDS = 0.05
WAIT_LIMIT_SECONDS = 60
#: Pages that never answer (until the server stops): a crawl cannot end before it is killed.
STALLED = (case_path("stalled-one"), case_path("stalled-two"))
#: Articles a crawl must have stored before it is killed, so the kill lands mid-run.
STORED_BEFORE_KILL = 10
SHORT_BUSY_TIMEOUT_MS = 1000
#: Pages new to the prepared database: a crawl on a copy of it must write them (disk-full and lock cases).
NEW_PAGES = tuple(Article(slug=f"new-story-{n}", title=f"New story number {n} from the coast") for n in range(1, 9))
COMPARED = {
    "articles": "SELECT url, title, subtitle, body, authors, published_at, modified_at, section, tags, image_url,"
    " language, word_count, content_hash, duplicate_of FROM articles ORDER BY url",
    "headlines": "SELECT url, title FROM headlines ORDER BY url",
    "related_headlines": "SELECT article_url, headline_url, position, title FROM related_headlines"
    " ORDER BY article_url, position",
    "url_aliases": "SELECT alias_url, url, kind FROM url_aliases ORDER BY alias_url",
}


def wait_for(condition: Callable[[], Any], what: str) -> Any:
    """Poll ``condition`` until it is true; an SQLite error (database not there yet) counts as not yet."""
    deadline = time.monotonic() + WAIT_LIMIT_SECONDS
    while time.monotonic() < deadline:
        try:
            value = condition()
        except sqlite3.Error:
            value = None
        if value:
            return value
        time.sleep(POLL_SECONDS)
    raise AssertionError(f"timed out waiting for {what}")


def snapshot(db: Path, base_url: str) -> dict[str, list[tuple[Any, ...]]]:
    """The compared tables, with the server's origin replaced so crawls of different ports compare equal."""
    conn = sqlite3.connect(f"{db.resolve().as_uri()}?mode=ro", uri=True)
    try:
        return {
            name: [tuple(v.replace(base_url, "ORIGIN") if isinstance(v, str) else v for v in row)
                   for row in conn.execute(sql)]  # fmt: skip
            for name, sql in COMPARED.items()
        }
    finally:
        conn.close()


def count_articles(db: Path) -> int:
    conn = sqlite3.connect(f"{db.resolve().as_uri()}?mode=ro", uri=True)
    try:
        return int(conn.execute("SELECT count(*) FROM articles").fetchone()[0])
    finally:
        conn.close()


def copy_database(source: Path, target: Path) -> Path:
    """A consistent copy of an SQLite database (its WAL included), through the backup API."""
    target.parent.mkdir(parents=True, exist_ok=True)
    src = sqlite3.connect(f"{source.resolve().as_uri()}?mode=ro", uri=True)
    dst = sqlite3.connect(target)
    try:
        src.backup(dst)
    finally:
        src.close()
        dst.close()
    return target


def compact_copy(source: Path, target: Path) -> Path:
    """A copy of an SQLite database without free pages (``VACUUM INTO``): a write that needs room must grow it."""
    target.parent.mkdir(parents=True, exist_ok=True)
    src = sqlite3.connect(f"{source.resolve().as_uri()}?mode=ro", uri=True)
    try:
        src.execute("VACUUM INTO ?", (str(target),))
    finally:
        src.close()
    return target


def freelist_count(db: Path) -> int:
    conn = sqlite3.connect(f"{db.resolve().as_uri()}?mode=ro", uri=True)
    try:
        return int(conn.execute("PRAGMA freelist_count").fetchone()[0])
    finally:
        conn.close()


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def start_crawl(base_url: str, db: Path, *extra: str) -> subprocess.Popen[str]:
    args = harness.crawl_args(base_url, db, db.with_suffix(".log"), *extra)
    return subprocess.Popen([str(harness.ARABPRESS), *args], cwd=db.parent, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, stdin=subprocess.DEVNULL)  # fmt: skip


def kill(process: subprocess.Popen[str]) -> None:
    os.kill(process.pid, signal.SIGKILL)
    process.communicate(timeout=WAIT_LIMIT_SECONDS)
    assert process.returncode == -signal.SIGKILL


def result_for(db: Path, base_url: str, cli: harness.CliResult | None = None) -> harness.CrawlResult:
    return harness.CrawlResult(cli or harness.CliResult([], 0, "", ""), db, db.with_suffix(".log"), base_url)


@dataclass
class FaultSite:
    """The module's mirror (demo + stalling pages + new pages) and a database of its demo articles."""

    server: MirrorServer
    prepared_db: Path

    def copy_db(self, target: Path) -> Path:
        return copy_database(self.prepared_db, target)

    def hide_new_pages(self) -> None:
        for path in STALLED + tuple(article.path for article in NEW_PAGES):
            self.server.set_fault(path, "status", code=404)

    def prepared_paths(self) -> list[str]:
        return list(result_for(self.prepared_db, self.server.base_url).articles())

    def stall(self) -> None:
        for path in STALLED:
            self.server.set_fault(path, "stall")


@pytest.fixture(scope="module")
def fault_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FaultSite]:
    """One server for the module; the prepared database is a crawl of it with the extra pages hidden (404),
    so later crawls on a copy of it find those pages new and must write them."""
    workdir = tmp_path_factory.mktemp("faults")
    pages = {path: Article(slug=path.strip("/").rsplit("/", 1)[-1], title=f"A page that stalls: {path}").html()
             for path in STALLED}  # fmt: skip
    pages.update({article.path: article.html() for article in NEW_PAGES})
    root = harness.build_site(workdir / "site", pages, links=[harness.site_link(path) for path in pages])
    with MirrorServer(root) as server:
        site = FaultSite(server, workdir / "prepared" / "arabpress.db")
        site.hide_new_pages()
        prepared = harness.crawl(server.base_url, site.prepared_db.parent, db=site.prepared_db, name="arabpress")
        harness.assert_finished(prepared)
        server.clear_faults()
        yield site


@pytest.fixture
def site(fault_site: FaultSite) -> Iterator[FaultSite]:
    """The module's site with no fault on and fresh request counts; faults are cleared after the test."""
    fault_site.server.clear_faults()
    fault_site.server.reset_requests()
    yield fault_site
    fault_site.server.clear_faults()


def test_sigkill_mid_crawl_then_rerun(site: FaultSite, tmp_path: Path) -> None:
    """SIGKILL during a first crawl (two pages stalled so it cannot end), then a re-run: the database was
    consistent after the kill, the killed run is recorded as interrupted, and the re-run stores exactly what an
    uninterrupted crawl stores (nothing lost, nothing doubled)."""
    server = site.server
    db = tmp_path / "killed" / "arabpress.db"
    db.parent.mkdir()
    site.hide_new_pages()  # the site of the prepared database's crawl…
    site.stall()  # …except that two of its pages never answer
    process = start_crawl(server.base_url, db)
    try:
        wait_for(lambda: count_articles(db) >= STORED_BEFORE_KILL, "articles to be stored")
    finally:
        kill(process)
    partial = result_for(db, server.base_url)
    harness.assert_consistent(partial)
    assert [run["status"] for run in partial.runs()] == [db_api.RUN_RUNNING]
    site.hide_new_pages()

    rerun = harness.crawl(server.base_url, db.parent, db=db, name="arabpress")

    harness.assert_finished(rerun)
    harness.assert_consistent(rerun)
    assert [run["status"] for run in rerun.runs()] == [db_api.RUN_INTERRUPTED, db_api.RUN_FINISHED]
    assert snapshot(db, server.base_url) == snapshot(site.prepared_db, server.base_url)


def test_sigkill_mid_refresh_keeps_stored_rows(site: FaultSite, tmp_path: Path) -> None:
    """SIGKILL during a ``--refresh`` re-crawl of a complete database: every stored row is still there and
    unchanged after the kill, and the re-run finishes the job (the stalled pages stored once)."""
    server = site.server
    db = site.copy_db(tmp_path / "refresh" / "arabpress.db")
    before = snapshot(db, server.base_url)
    site.stall()
    process = start_crawl(server.base_url, db, "--refresh")
    try:
        wait_for(lambda: all(server.request_count(path) for path in STALLED), "the stalled pages to be requested")
        wait_for(lambda: server.requests.total() > len(before["articles"]), "the refresh to re-fetch articles")
    finally:
        kill(process)
    harness.assert_consistent(result_for(db, server.base_url))
    assert snapshot(db, server.base_url)["articles"] == before["articles"], "a killed refresh changed stored rows"
    server.clear_faults()

    rerun = harness.crawl(server.base_url, db.parent, db=db, name="arabpress")

    harness.assert_finished(rerun)
    harness.assert_consistent(rerun)
    statuses = [run["status"] for run in rerun.runs()]
    assert statuses == [db_api.RUN_FINISHED, db_api.RUN_INTERRUPTED, db_api.RUN_FINISHED]
    expected = set(site.prepared_paths()) | set(STALLED) | {article.path for article in NEW_PAGES}
    assert set(rerun.articles()) == expected
    counts = rerun.rows("SELECT count(*), count(DISTINCT content_hash) FROM articles")[0]
    assert counts[0] == counts[1] == len(expected), "an article was stored twice"


# -- a locked database -------------------------------------------------------------------------------------

LOCK_HOLDER = """
import sqlite3, sys, time
from pathlib import Path
db, log, hold_after_log = sys.argv[1], Path(sys.argv[2]), float(sys.argv[3])
conn = sqlite3.connect(db, isolation_level=None)
conn.execute("BEGIN IMMEDIATE")
conn.execute("CREATE TABLE IF NOT EXISTS reliability_lock_probe (x)")
print("locked", flush=True)
if hold_after_log < 0:
    sys.stdin.read()
else:
    deadline = time.monotonic() + 30
    while "Enabled item pipelines" not in (log.read_text() if log.exists() else ""):
        if time.monotonic() > deadline:
            break
        time.sleep(0.05)
    time.sleep(hold_after_log)
conn.execute("ROLLBACK")
print("released", flush=True)
"""
#: Seconds the lock is held after the crawl has set up its pipelines (the crawl must wait that long to write).
LOCK_HELD_AFTER_START = 1.5


def hold_lock(db: Path, log: Path, seconds_after_start: float) -> subprocess.Popen[str]:
    """Another process holding a write transaction on ``db`` (until its stdin closes when ``seconds`` < 0)."""
    holder = subprocess.Popen(
        [sys.executable, "-c", LOCK_HOLDER, str(db), str(log), str(seconds_after_start)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
    return holder


def release(holder: subprocess.Popen[str], stdin: str) -> None:
    """Let the lock holder go (closing its stdin), and kill it if it does not end in time."""
    try:
        holder.communicate(stdin, timeout=WAIT_LIMIT_SECONDS)
    finally:
        if holder.poll() is None:
            holder.kill()
            holder.wait()


def test_database_locked_then_released(site: FaultSite, tmp_path: Path) -> None:
    """Another process holds a write lock on the database while the crawl starts: the crawl waits, then
    finishes and stores the new pages once the lock is released."""
    db = site.copy_db(tmp_path / "locked" / "arabpress.db")
    holder = hold_lock(db, db.with_name("arabpress.log"), LOCK_HELD_AFTER_START)
    try:
        result = harness.crawl(site.server.base_url, db.parent, db=db, name="arabpress")
    finally:
        release(holder, "")
    harness.assert_finished(result)
    harness.assert_consistent(result)
    harness.assert_stored(result, {article.path for article in NEW_PAGES} | set(site.prepared_paths()))


def test_database_locked_for_good(site: FaultSite, tmp_path: Path) -> None:
    """The database stays locked by another process: after the busy timeout (1 s here) the crawl ends with
    one clear error line and no traceback; the stored rows are intact."""
    db = site.copy_db(tmp_path / "locked" / "arabpress.db")
    before = snapshot(db, site.server.base_url)
    holder = hold_lock(db, db.with_name("arabpress.log"), -1)
    try:
        result = harness.crawl(site.server.base_url, db.parent, db=db, name="arabpress",
                               overrides={"busy_timeout_ms": SHORT_BUSY_TIMEOUT_MS})  # fmt: skip
    finally:
        release(holder, "")
    harness.assert_one_line_error(result.cli, "locked")
    harness.assert_consistent(result)
    assert snapshot(db, site.server.base_url) == before


# -- a full disk ---------------------------------------------------------------------------------------------


def test_disk_full(site: FaultSite, tmp_path: Path) -> None:
    """The disk is full when the crawl has new pages to write (SQLite's page limit: "database or disk is
    full"): one clear error line, no traceback, a non-zero exit, a run record that does not claim success;
    the database is consistent and what was stored before is intact.

    The copy has no free pages: with free pages left by the prepared crawl (how many depends on how its
    batches fell), the new rows could fit without growing the file and the "full disk" never showed."""
    db = compact_copy(site.prepared_db, tmp_path / "full" / "arabpress.db")
    assert freelist_count(db) == 0
    before = snapshot(db, site.server.base_url)
    result = harness.crawl(site.server.base_url, db.parent, db=db, name="arabpress",
                           overrides={"max_page_count_growth": 0})  # fmt: skip
    harness.assert_one_line_error(result.cli, "full")
    harness.assert_consistent(result)
    after = snapshot(db, site.server.base_url)
    assert set(before["articles"]) <= set(after["articles"]), "rows stored before the disk filled up were lost"
    runs = result.runs()
    assert len(runs) == 1 or runs[-1]["status"] != db_api.RUN_FINISHED, "a run that lost its writes claims success"


FULL_DEVICE = Path("/dev/full")  # every write fails with ENOSPC, as on a full disk


@pytest.mark.skipif(not FULL_DEVICE.exists(), reason="no /dev/full on this system")
def test_disk_full_with_the_log_on_the_same_disk(site: FaultSite, tmp_path: Path) -> None:
    """The default layout (`data/arabpress.db`, `data/logs/crawl.log`) on a full disk: the log cannot be written
    (a symlink to /dev/full) and neither can the database. One error line saying the disk is full, no
    traceback (not one per log record), a non-zero exit, no run record claiming success, the database intact."""
    data = tmp_path / "data"
    db = compact_copy(site.prepared_db, data / "arabpress.db")
    (data / "logs").mkdir()
    (data / "logs" / "crawl.log").symlink_to(FULL_DEVICE)
    before = snapshot(db, site.server.base_url)
    cli = harness.run_cli(["crawl", "--base-url", site.server.base_url, "--mirror-profile", "--quiet"],
                          overrides={"max_page_count_growth": 0}, cwd=tmp_path)  # fmt: skip
    harness.assert_one_line_error(cli, "disk is full")
    result = result_for(db, site.server.base_url, cli)
    harness.assert_consistent(result)
    assert set(before["articles"]) <= set(snapshot(db, site.server.base_url)["articles"])
    runs = result.runs()
    assert len(runs) == 1 or runs[-1]["status"] != db_api.RUN_FINISHED, "a run that could not log claims success"


def test_disk_io_error_on_a_full_disk_says_the_disk_is_full(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """SQLite reports a full disk met while writing the WAL as "disk I/O error": with (almost) no space left
    on the database's file system, the message says the disk is full and what to do; with space, it does not."""
    error = sqlite3.OperationalError("disk I/O error")
    free = {"blocks": 10}

    class StatVfs:
        f_frsize = 4096

        @property
        def f_bavail(self) -> int:
            return free["blocks"]

    monkeypatch.setattr(os, "statvfs", lambda path: StatVfs())
    assert "free some disk space" in db_api.describe_error(tmp_path / "a.db", error)
    free["blocks"] = 10_000_000
    assert "free some disk space" not in db_api.describe_error(tmp_path / "a.db", error)


# -- a corrupted database file ----------------------------------------------------------------------------------

PAGE_SIZE = 4096


def garbage_file(path: Path, site: FaultSite) -> None:
    path.write_bytes(random.Random(3).randbytes(64 * 1024))


def damaged_pages(path: Path, site: FaultSite) -> None:
    """A real database (valid header) whose pages after the first were overwritten with noise."""
    site.copy_db(path)
    data = bytearray(path.read_bytes())
    data[PAGE_SIZE:] = random.Random(4).randbytes(len(data) - PAGE_SIZE)
    path.write_bytes(bytes(data))


def truncated_file(path: Path, site: FaultSite) -> None:
    site.copy_db(path)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 3])


@dataclass(frozen=True)
class Corruption:
    name: str
    description: str
    make: Callable[[Path, FaultSite], None]


CORRUPTIONS = (
    Corruption("random-bytes", "`data/arabpress.db` (the default path) is 64 KB of random bytes: one clear error "
               "line naming the file; the file is never overwritten.", garbage_file),
    Corruption("damaged-pages", "`data/arabpress.db` has a valid SQLite header but noise over every other page: "
               "one clear error line naming the file; the file is never overwritten.", damaged_pages),
    Corruption("truncated-file", "`data/arabpress.db` was cut to a third of its size: one clear error line "
               "naming the file; the file is never overwritten.", truncated_file),
)  # fmt: skip


@pytest.mark.parametrize("corruption", CORRUPTIONS, ids=lambda corruption: corruption.name)
def test_corrupted_database_left_by_an_earlier_run(corruption: Corruption, site: FaultSite, tmp_path: Path) -> None:
    """A corrupted database left by an earlier run at the default path: ``arabpress crawl`` stops with one
    clear error line naming the file, and never overwrites it or creates another beside it."""
    data = tmp_path / "data"
    data.mkdir()
    db = data / "arabpress.db"
    corruption.make(db, site)
    before = digest(db)
    cli = harness.run_cli(["crawl", "--base-url", site.server.base_url, "--mirror-profile", "--quiet"],
                          cwd=tmp_path)  # fmt: skip
    harness.assert_one_line_error(cli, "arabpress.db")
    assert digest(db) == before, "the corrupted database was changed"
    beside = sorted(p.name for p in data.iterdir() if p.name.startswith("arabpress.db"))
    assert beside in (["arabpress.db"], ["arabpress.db", "arabpress.db.lock"]), f"files created beside it: {beside}"
