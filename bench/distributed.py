"""Distributed crawls (issue 13): 1, 2 and 4 workers plus the writer against a single-process crawl.

``python -m bench.distributed --articles 20000 --redis unix:///path/redis.sock [--workers 1 2 4] [--delay 0]``

Over a generated mirror (``--backfill``, politeness off unless ``--delay``), each crawl starts on an empty
database; the script reports pages/s (Scrapy crawl time summed over the run's wall time), whether every table
equals the single-process crawl's (ignoring the order-dependent columns listed in
:data:`ORDER_DEPENDENT`: times, run ids, ``fetched_url``, which link found a frontier entry first), the one
``crawl_runs`` row's ``pages`` against the server's count, ``arabpress check``, and total pages ≤ single + N. With ``--redis`` omitted it
starts Debian's ``redis-server`` on a Unix socket in the work folder and stops it at the end. Writes a Markdown
table to stdout (and ``--out``).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from bench import OUT_DIR
from bench.mirror import generated_mirror
from bench.mirror_server import ServedMirror
from bench.process import tool
from bench.report import Figure, Section

#: Every table of the database, without the columns that depend on time or on the order pages arrive in (those
#: are listed in ``ORDER_DEPENDENT``); the full-text tables follow ``articles``/``headlines`` and are compared too.
ORDER_FREE = {
    "articles": "SELECT url, title, subtitle, body, authors, published_at, modified_at, section, tags, image_url,"
    " language, word_count, content_hash, duplicate_of, extraction, etag, last_modified, archive_file IS NULL,"
    " parser_version FROM articles ORDER BY url",
    "headlines": "SELECT url, title FROM headlines ORDER BY url",
    "related_headlines": "SELECT article_url, headline_url, position, title FROM related_headlines ORDER BY 1, 2",
    "url_aliases": "SELECT alias_url, url, kind FROM url_aliases ORDER BY alias_url",
    "article_revisions": "SELECT url, content_hash, title, subtitle, body, published_at, modified_at, reason,"
    " parser_version, replaced_by_version, changes FROM article_revisions ORDER BY 1, 2",
    "articles_search": "SELECT url, title, subtitle, body FROM articles_search ORDER BY url",
    "headlines_search": "SELECT url, title FROM headlines_search ORDER BY url",
    "article_fingerprints": "SELECT url, scheme, num_perm, minhash FROM article_fingerprints ORDER BY url, scheme",
    "article_lsh_bands": "SELECT f.url, b.band, b.bucket FROM article_lsh_bands b"
    " JOIN article_fingerprints f ON f.id = b.fingerprint_id ORDER BY 1, 2, 3",
    "sitemap_lastmods": "SELECT DISTINCT sitemap_url, lastmod FROM sitemap_lastmods ORDER BY 1, 2",
    "frontier": "SELECT url, reason, attempts, last_error, given_up_at IS NULL FROM frontier ORDER BY url",
    "schema_version": "SELECT version, name FROM schema_version ORDER BY version",
}
#: Left out of the comparison: times, run ids and row ids, and what depends on which link reached a page first.
ORDER_DEPENDENT = {
    "articles": "first_seen_at, last_seen_at, fetched_at, fetched_url, run_id, first_run_id, archive_offset/length/"
    "record_id, sitemap_lastmod (set when the article's post sitemap was read before its page arrived: a single"
    " process leaves it empty on the articles a listing reached first, about 2 in 3 of a backfill)",
    "headlines": "first_seen_at, last_seen_at",
    "url_aliases": "first_seen_at, last_seen_at",
    "article_revisions": "id, fetched_at, replaced_at, run_id, archive_*",
    "articles_search": "article_rowid",
    "headlines_search": "headline_rowid",
    "article_fingerprints": "id (the bands are compared by the article's URL)",
    "sitemap_lastmods": "run_id (one row per run and sitemap: compared as the distinct pairs)",
    "frontier": "link, source, depth (the first link found), first_seen_at, last_tried_at, next_try_at, run_id, failed_run_id",
    "schema_version": "applied_at",
    "crawl_runs": "compared apart: one row, its pages against single + N, its counters",
}


def snapshot(db: Path) -> dict[str, list[tuple]]:
    """Every table of ``db`` without its order-dependent columns (:data:`ORDER_DEPENDENT`)."""
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        return {name: conn.execute(sql).fetchall() for name, sql in ORDER_FREE.items()}
    finally:
        conn.close()


def run_row(db: Path) -> dict:
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
        conn.row_factory = sqlite3.Row
        rows = [dict(row) for row in conn.execute("SELECT * FROM crawl_runs")]
    return {"count": len(rows), **(rows[-1] if rows else {})}


def crawl(base_url: str, db: Path, extra: list[str], delay: float, max_pages: int) -> float:
    command = [tool("arabpress"), "crawl", "--base-url", base_url, "--db", str(db), "--backfill", "--quiet",
               "--no-fail-on-warnings", "--log-file", str(db.with_suffix(".log"))]
    # The default cap (ARABPRESS_MAX_PAGES, 20,000 article pages) would cut a backfill of the 20,000-article mirror
    # (with its copies and dead links) at a point that depends on the order of fetching, and it counts per worker.
    env = {"ARABPRESS_MAX_PAGES": str(max_pages)}
    if delay > 0:
        env |= {"ARABPRESS_DOWNLOAD_DELAY": str(delay), "ARABPRESS_AUTOTHROTTLE": "0", "ARABPRESS_CONCURRENCY": "8"}
    else:
        command.append("--mirror-profile")
    started = time.perf_counter()
    subprocess.run([*command, *extra], check=True, env={**os.environ, **env})
    return time.perf_counter() - started


def start_redis(folder: Path) -> tuple[subprocess.Popen, str]:
    binary = shutil.which("redis-server")
    if binary is None:
        raise SystemExit("redis-server is not installed (apt-get install redis-server)")
    sock = folder / "redis.sock"
    process = subprocess.Popen([binary, "--port", "0", "--unixsocket", str(sock), "--save", "", "--appendonly", "no",
                                "--dir", str(folder)], stdout=subprocess.DEVNULL)
    for _ in range(200):
        if sock.exists():
            break
        time.sleep(0.05)
    return process, f"unix://{sock}"


@dataclass
class DistributedPlan:
    """What ``make bench`` measures (the 20,000-article figures are ``python -m bench.distributed``'s)."""

    articles: int = 2_000
    workers: tuple[int, ...] = (1, 2, 4)
    seed: int = 1
    delay: float = 0.0

    @property
    def max_pages(self) -> int:
        """A page cap no crawl of the mirror reaches (see :func:`crawl`)."""
        return max(20_000, 2 * self.articles)


QUICK_PLAN = DistributedPlan(articles=100, workers=(1, 2))
TITLE = "Distributed crawls: 1, 2 and 4 workers plus the writer"
HEADERS = ("crawl", "wall time", "pages", "pages/s", "tables equal to single", "crawl_runs rows",
           "pages = Σ workers", "check", "pages ≤ single + N")  # fmt: skip


def worker_pages(db: Path, workers: int) -> int:
    """``response_received_count`` summed over the workers' final stats (their logs)."""
    total = 0
    for index in range(workers):
        log = Path(f"{db.with_suffix('.log')}.worker-{index}")
        found = re.findall(r"'response_received_count': (\d+)", log.read_text(encoding="utf-8")) if log.exists() else []
        total += int(found[-1]) if found else 0
    return total


def measure(plan: DistributedPlan, work: Path, redis_url: str) -> tuple[list[list[str]], list[str]]:
    """The table's rows and the failed checks (empty when every correctness column holds)."""
    mirror = generated_mirror(plan.articles, plan.seed)
    rows: list[list[str]] = []
    failures: list[str] = []
    with ServedMirror(mirror.root) as server:
        single_db = work / "single.db"
        wall = crawl(server.base_url, single_db, [], plan.delay, plan.max_pages)
        single, single_run = snapshot(single_db), run_row(single_db)
        rows.append(["single process", f"{wall:.1f} s", f"{single_run['pages']:,}", f"{single_run['pages'] / wall:.1f}",
                     "—", str(single_run["count"]), "—", "—", "—"])  # fmt: skip
        for workers in plan.workers:
            db = work / f"workers-{workers}.db"
            wall = crawl(server.base_url, db, ["--redis", redis_url, "--workers", str(workers)], plan.delay, plan.max_pages)
            row = run_row(db)
            check = subprocess.run([tool("arabpress"), "check", "--db", str(db)], capture_output=True).returncode
            differing = [name for name, rows_ in snapshot(db).items() if rows_ != single[name]]
            summed = worker_pages(db, workers)
            checks = {
                "tables equal": not differing,
                "one run row": row["count"] == 1,
                "pages summed": row["pages"] == summed,
                "check passes": check == 0,
                "pages ≤ single + N": row["pages"] <= single_run["pages"] + workers,
            }
            failures += [f"{workers} worker(s): {name}" for name, held in checks.items() if not held]
            rows.append([f"{workers} worker(s) + writer", f"{wall:.1f} s", f"{row['pages']:,}",
                         f"{row['pages'] / wall:.1f}", "yes" if not differing else "NO: " + ", ".join(differing),
                         str(row["count"]), "yes" if checks["pages summed"] else f"NO ({summed:,})",
                         "passes" if check == 0 else "fails", "yes" if checks["pages ≤ single + N"] else "NO"])  # fmt: skip
            print("| " + " | ".join(rows[-1]) + " |", file=sys.stderr, flush=True)
    return rows, failures


def run(plan: DistributedPlan, work: Path) -> Section:
    """The ``make bench`` section (``bench.run --only distributed``): a Redis of its own, stopped at the end."""
    work.mkdir(parents=True, exist_ok=True)
    redis_process, redis_url = start_redis(work)
    try:
        rows, failures = measure(plan, work, redis_url)
    finally:
        redis_process.terminate()
        redis_process.wait()
    cores = os.cpu_count() or 1
    return Section(
        title=TITLE,
        intro=f"A single-process crawl and distributed crawls (`arabpress crawl --redis URL --workers N`, the writer "
        f"in the coordinator) of a generated mirror of {plan.articles:,} articles, `--backfill`, politeness off, each "
        f"on an empty database. Tables are compared without their order-dependent columns "
        f"(`bench/distributed.py`, ORDER_DEPENDENT). This machine has {cores} cores: N workers plus the writer plus "
        "the mirror server share them, so the pages/s column shows what the cores allow, not a scaling curve.",
        headers=HEADERS,
        rows=rows,
        commands=[f"python -m bench.distributed --articles {plan.articles} --workers "
                  + " ".join(str(n) for n in plan.workers)],
        figures=[Figure("distributed_equal", "distributed crawls equal to the single-process crawl",
                        "every check holds" if not failures else "; ".join(failures),
                        "same tables, one run row, pages = Σ workers ≤ single + N, check passes", not failures)],
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.distributed")
    parser.add_argument("--articles", type=int, default=20_000)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2, 4])
    parser.add_argument("--redis")
    parser.add_argument("--delay", type=float, default=0.0)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="distributed-", dir=OUT_DIR))
    redis_process, redis_url = (None, args.redis) if args.redis else start_redis(work)
    plan = DistributedPlan(articles=args.articles, workers=tuple(args.workers), delay=args.delay)
    try:
        rows, failures = measure(plan, work, redis_url)
    finally:
        if redis_process is not None:
            redis_process.terminate()
            redis_process.wait()
    lines = [f"Generated mirror of {args.articles:,} articles, `--backfill`, "
             + (f"delay {args.delay} s (global)" if args.delay else "politeness off (`--mirror-profile`)") + ".", "",
             "| " + " | ".join(HEADERS) + " |", "| " + " | ".join("---" for _ in HEADERS) + " |",
             *("| " + " | ".join(row) + " |" for row in rows)]  # fmt: skip
    text = "\n".join(lines) + "\n" + ("".join(f"\nNOT HELD: {failure}" for failure in failures))
    print(text)
    if args.out:
        args.out.write_text(text, encoding="utf-8")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
