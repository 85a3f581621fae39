"""Shared fixtures: the mirror server on a free port, temporary databases, and real crawls of the mirror.

* ``demo_site`` — the packaged demo mirror (read-only: copy it with ``site_copy`` before changing it);
* ``site_copy`` — a private copy of the demo mirror, for ``edit_article`` and robots.txt changes;
* ``serve(root)`` — start a :class:`MirrorServer` for a directory on a free 127.0.0.1 port (stopped after the
  test); ``mirror`` — one session-wide server of the demo mirror (never set faults on it);
* ``temp_db`` — a path for a fresh database (not created);
* ``crawl(base_url, db, *options)`` — run ``arabpress crawl`` in a subprocess (a Twisted reactor runs once per
  process) with the mirror profile and a log file beside the database; returns a :class:`CrawlRun`;
* ``crawled_mirror`` — one crawl of ``mirror`` shared by the session; ``crawled_db_copy`` — a private copy of
  its database (and its web archive) for tests that crawl again or write.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from arabpress_mirror.layout import DEMO_SITE_DIR
from arabpress_mirror.server import MirrorServer

ROOT = Path(__file__).resolve().parent.parent
#: Generous: a crawl of the mirror takes a few seconds; this only stops a hung test.
CRAWL_TIMEOUT_SECONDS = 180
CLI_BOOTSTRAP = "from arabpress_crawler.cli import main; main()"


def arabpress_command(*args: str) -> list[str]:
    """The ``arabpress`` command line for a subprocess, with this interpreter."""
    return [sys.executable, "-c", CLI_BOOTSTRAP, *args]


def clean_env(**extra: str) -> dict[str, str]:
    """The environment without ``ARABPRESS_*`` settings from the caller's shell, plus ``extra``."""
    env = {name: value for name, value in os.environ.items() if not name.startswith("ARABPRESS_")}
    env.update(extra)
    return env


def read_rows(db: Path, sql: str, params: tuple[Any, ...] = ()) -> list[dict[str, Any]]:
    """Rows of a query on a database, opened read-only."""
    connection = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    connection.row_factory = sqlite3.Row
    try:
        return [dict(row) for row in connection.execute(sql, params)]
    finally:
        connection.close()


#: The database release 0.1.0 (main at da79c0d) wrote with two crawls of the mirror, kept as SQL text (the output
#: of ``sqlite3.Connection.iterdump()`` without the rows of the two FTS5 tables, whose shadow tables carry them)
#: so no database file is tracked; :func:`release_0_1_0_db` turns it back into the file, table for table.
RELEASE_0_1_0_SQL = Path(__file__).parent / "fixtures" / "db" / "release-0.1.0.sql"


def release_0_1_0_db(path: Path) -> Path:
    """Write release 0.1.0's database at ``path`` (which must not exist) and return ``path``."""
    connection = sqlite3.connect(path)
    try:
        connection.executescript(RELEASE_0_1_0_SQL.read_text(encoding="utf-8"))
    finally:
        connection.close()
    return path


def copy_db(source: Path, target: Path) -> Path:
    """A consistent copy of an SQLite database (WAL content included), via the backup API."""
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    dst = sqlite3.connect(target)
    try:
        src.backup(dst)
    finally:
        src.close()
        dst.close()
    return target


@dataclass
class CrawlRun:
    """One finished ``arabpress crawl`` subprocess."""

    db: Path
    returncode: int
    stdout: str
    stderr: str

    def runs(self) -> list[dict[str, Any]]:
        return read_rows(self.db, "SELECT * FROM crawl_runs ORDER BY id")

    def last_run(self) -> dict[str, Any]:
        return self.runs()[-1]

    def stats(self) -> dict[str, Any]:
        """The Scrapy stats of the last run, as its run record keeps them."""
        return json.loads(self.last_run()["stats"] or "{}")


@pytest.fixture(scope="session")
def demo_site() -> Path:
    return DEMO_SITE_DIR


@pytest.fixture
def site_copy(tmp_path: Path, demo_site: Path) -> Path:
    return Path(shutil.copytree(demo_site, tmp_path / "site"))


@pytest.fixture
def serve() -> Iterator[Callable[[Path], MirrorServer]]:
    servers: list[MirrorServer] = []

    def start(root: Path) -> MirrorServer:
        server = MirrorServer(root).start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()


@pytest.fixture(scope="session")
def mirror(demo_site: Path) -> Iterator[MirrorServer]:
    with MirrorServer(demo_site) as server:
        yield server


@pytest.fixture
def temp_db(tmp_path: Path) -> Path:
    return tmp_path / "arabpress.db"


def run_crawl_cli(
    base_url: str,
    db: Path,
    *options: str,
    mirror_profile: bool = True,
    env: dict[str, str] | None = None,
) -> CrawlRun:
    """``arabpress crawl --base-url URL --db DB [options]`` in a subprocess, from the database's folder."""
    args = ["crawl", "--base-url", base_url, "--db", str(db), "--log-file", str(db.with_suffix(".log"))]
    if mirror_profile:
        args.append("--mirror-profile")
    completed = subprocess.run(
        arabpress_command(*args, *options),
        cwd=db.parent,
        env=env or clean_env(),
        capture_output=True,
        text=True,
        timeout=CRAWL_TIMEOUT_SECONDS,
    )
    return CrawlRun(db, completed.returncode, completed.stdout, completed.stderr)


@pytest.fixture(scope="session")
def crawl() -> Callable[..., CrawlRun]:
    return run_crawl_cli


@dataclass
class CrawledMirror:
    server: MirrorServer
    run: CrawlRun
    requests: dict[str, int]  # what the crawl asked the server for, per path

    @property
    def db(self) -> Path:
        return self.run.db


@pytest.fixture(scope="session")
def crawled_mirror(mirror: MirrorServer, tmp_path_factory: pytest.TempPathFactory) -> CrawledMirror:
    db = tmp_path_factory.mktemp("crawled") / "arabpress.db"
    before = mirror.requests
    run = run_crawl_cli(mirror.base_url, db)
    assert run.returncode == 0, run.stderr
    requests = dict(mirror.requests - before)
    return CrawledMirror(server=mirror, run=run, requests=requests)


@pytest.fixture
def crawled_db_copy(crawled_mirror: CrawledMirror, tmp_path: Path) -> Path:
    """A private copy of the shared crawl's database and of its web archive (``archive/`` beside it)."""
    archive = crawled_mirror.db.parent / "archive"
    if archive.is_dir():
        shutil.copytree(archive, tmp_path / "archive")
    return copy_db(crawled_mirror.db, tmp_path / "arabpress.db")
