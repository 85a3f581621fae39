"""Kill and resume: crawls killed (SIGKILL) at random points, then run to the end, must leave exactly the
database one uninterrupted crawl leaves, table by table.

Used by ``test_runs.py`` (a small generated mirror, a few schedules) and by ``scripts/kill_resume.py`` (the
3,000-article mirror, 10 schedules; its result is in ``docs/reliability.md``).
"""

from __future__ import annotations

import logging
import os
import random
import signal
import sqlite3
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from . import harness

logger = logging.getLogger(__name__)

POLL_SECONDS = 0.02
#: Columns that differ between two equal crawls: times, run ids, row ids given in insertion order, and how a
#: page was reached: ``fetched_url`` (the first of its equivalent links to be requested, tracking parameters
#: and all) and ``sitemap_lastmod`` (the lastmod known when it was fetched: set only if its sitemap was read
#: earlier in the same run), both of which depend on the order of concurrent requests.
VOLATILE_COLUMNS = frozenset(
    {"run_id", "first_run_id", "id", "article_rowid", "headline_rowid", "fingerprint_id", "fetched_url",
     "sitemap_lastmod", "archive_file", "archive_offset", "archive_length", "archive_record_id"}
)  # fmt: skip
#: (The ``archive_*`` columns say where in this crawl's own web archive the response was written.)
#: Tables of the run record and the schema, and SQLite's own and the FTS5 shadow tables (their content is
#: checked by the consistency check: in step with the compared ``*_search`` tables).
SKIPPED_TABLES = ("crawl_runs", "schema_version", "sitemap_lastmods", "sqlite_", "articles_fts", "headlines_fts")
#: Tables keyed by a row id of another table: compared through the URL it stands for.
JOINED = {
    "article_lsh_bands": "SELECT b.band, b.bucket, f.url FROM article_lsh_bands b"
    " JOIN article_fingerprints f ON f.id = b.fingerprint_id ORDER BY 1, 2, 3",
}


def generate_mirror(root: Path, articles: int, *, seed: int = 1) -> Path:
    """``arabpress mirror generate --articles N`` into ``root`` (through the command, wherever it lives)."""
    cli = harness.run_cli(["mirror", "generate", "--articles", str(articles), "--out", str(root), "--seed", str(seed)])
    assert cli.returncode == 0, cli.output
    return root


def snapshot(db: Path, base_url: str) -> dict[str, list[tuple[Any, ...]]]:
    """Every content table, without volatile columns, sorted, with the server's origin replaced."""
    conn = sqlite3.connect(f"{db.resolve().as_uri()}?mode=ro", uri=True)
    try:
        tables = [row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")]
        result = {}
        for table in tables:
            if table.startswith(SKIPPED_TABLES):
                continue
            sql = JOINED.get(table)
            if sql is None:
                columns = [row[1] for row in conn.execute(f'PRAGMA table_info("{table}")')]
                kept = [c for c in columns if c not in VOLATILE_COLUMNS and not c.endswith("_at")]
                sql = f'SELECT {", ".join(kept)} FROM "{table}" ORDER BY {", ".join(kept)}'
            result[table] = [tuple(v.replace(base_url, "ORIGIN") if isinstance(v, str) else v for v in row)
                             for row in conn.execute(sql)]  # fmt: skip
        return result
    finally:
        conn.close()


def differences(expected: dict[str, list[tuple[Any, ...]]], actual: dict[str, list[tuple[Any, ...]]]) -> list[str]:
    """One line per table that differs (rows missing, extra), empty when the databases are equal."""
    lines = []
    for table in sorted(set(expected) | set(actual)):
        want, got = set(expected.get(table, [])), set(actual.get(table, []))
        if want != got:
            missing, extra = sorted(want - got, key=repr), sorted(got - want, key=repr)
            lines.append(f"{table}: {len(missing)} rows missing, {len(extra)} extra;"
                         f" e.g. missing {missing[:1]!r} extra {extra[:1]!r}")  # fmt: skip
    return lines


def count_articles(db: Path) -> int:
    try:
        conn = sqlite3.connect(f"{db.resolve().as_uri()}?mode=ro", uri=True)
    except sqlite3.Error:
        return 0
    try:
        return int(conn.execute("SELECT count(*) FROM articles").fetchone()[0])
    except sqlite3.Error:
        return 0
    finally:
        conn.close()


@dataclass(frozen=True)
class Schedule:
    """Where the runs of one schedule are killed: after this many stored articles, plus a random delay."""

    seed: int
    kill_after: tuple[int, ...]
    delays: tuple[float, ...]

    @classmethod
    def random(cls, seed: int, total: int, kills: int) -> Schedule:
        rng = random.Random(seed)
        points = sorted(rng.sample(range(1, max(total - 1, kills + 1)), kills))
        return cls(seed, tuple(points), tuple(round(rng.uniform(0, 0.3), 3) for _ in points))


def killed_run(base_url: str, db: Path, kill_after: int, delay: float, *, timeout: float = harness.CLI_TIMEOUT_SECONDS) -> bool:
    """Start a crawl, SIGKILL it once ``kill_after`` articles are stored (plus ``delay``); False if it ended first."""
    args = harness.crawl_args(base_url, db, db.with_suffix(".log"))
    process = subprocess.Popen([str(harness.ARABPRESS), *args], cwd=db.parent, stdin=subprocess.DEVNULL,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    deadline = time.monotonic() + timeout
    try:
        while process.poll() is None and count_articles(db) < kill_after and time.monotonic() < deadline:
            time.sleep(POLL_SECONDS)
        time.sleep(delay)
        if process.poll() is not None:
            return False
        os.kill(process.pid, signal.SIGKILL)
        return True
    finally:
        if process.poll() is None and time.monotonic() >= deadline:
            process.kill()
        process.wait(timeout=harness.CLI_TIMEOUT_SECONDS)


def resume_after_kills(
    base_url: str, db: Path, schedule: Schedule, *, timeout: float = harness.CLI_TIMEOUT_SECONDS
) -> tuple[int, harness.CrawlResult]:
    """The schedule's killed runs, then one run to the end; (kills that landed, the last run)."""
    db.parent.mkdir(parents=True, exist_ok=True)
    landed = sum(killed_run(base_url, db, point, delay, timeout=timeout)
                 for point, delay in zip(schedule.kill_after, schedule.delays, strict=True))  # fmt: skip
    final = harness.crawl(base_url, db.parent, db=db, name=db.stem, timeout=timeout)
    logger.info("schedule %d: %d of %d kills landed", schedule.seed, landed, len(schedule.kill_after))
    return landed, final
