"""Distributed crawls (issue 13): 1, 2 and 4 workers plus the writer against a single-process crawl.

``python -m bench.distributed --articles 20000 --redis unix:///path/redis.sock [--workers 1 2 4] [--delay 0]``

Over a generated mirror (``--backfill``, politeness off unless ``--delay``), each crawl starts on an empty
database. The script reports, for each crawl:

* time: the wall time split into start-up (command started → the server's first request), the crawl itself
  (first → last request, as the mirror server saw them) and shutdown (last request → the command's exit), and
  the steady rate, requests over the crawl itself, beside the wall-time rate;
* CPU per page of each role: the workers (their CPU after their spider opened; start-up apart), the writer
  (the coordinator's CPU after it started the workers), ``redis-server`` and the mirror server, from the
  processes' rusage (the workers' and the writer's own ``getrusage``, kept in the run's stats; ``/proc`` for
  Redis; the server's ``getrusage``), and what the machine's cores allow at that cost;
* what the cores allow: from the 1-worker crawl's CPU per page, the throughput ceiling for N workers on a
  machine with a core for each process, ``min(N × worker rate, writer rate, Redis rate)``, beside the measured
  steady rate on this machine: the curve;
* correctness: whether every table equals the single-process crawl's (ignoring the order-dependent columns
  listed in :data:`ORDER_DEPENDENT`: times, run ids, ``fetched_url``, which link found a frontier entry first),
  the one ``crawl_runs`` row's ``pages`` against the workers' sum, ``arabpress check``, and total pages ≤
  single + N.

With ``--redis`` omitted it starts Debian's ``redis-server`` on a Unix socket in the work folder and stops it at
the end (an external Redis's CPU is not measured). Writes Markdown tables to stdout (and ``--out``).
"""

from __future__ import annotations

import argparse
import json
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
from typing import Any

from bench import OUT_DIR
from bench.mirror import generated_mirror
from bench.mirror_server import ServedMirror
from bench.process import run_measured, tool
from bench.report import Figure, Section, table

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

def worker_pages(db: Path, workers: int) -> int:
    """``response_received_count`` summed over the workers' final stats (their logs)."""
    total = 0
    for index in range(workers):
        log = Path(f"{db.with_suffix('.log')}.worker-{index}")
        found = re.findall(r"'response_received_count': (\d+)", log.read_text(encoding="utf-8")) if log.exists() else []
        total += int(found[-1]) if found else 0
    return total


@dataclass
class Crawl:
    """One measured crawl: its timeline (``time.monotonic()``), its pages and the CPU seconds of each role."""

    workers: int  # 0: the single-process crawl
    started: float
    first: float  # the server's first and last request
    last: float
    ended: float
    requests: int  # as the server counted them
    pages: int  # the run record's
    cpu_command: float  # wait4: the command and every child it reaped (the writer process, the workers)
    cpu_server: float
    cpu_redis: float | None  # None: an external Redis
    stats: dict[str, Any]  # the run record's stats (the workers' and the writer's CPU for a distributed crawl)

    @property
    def label(self) -> str:
        return "single process" if not self.workers else f"{self.workers} worker(s) + writer"

    @property
    def wall(self) -> float:
        return self.ended - self.started

    @property
    def steady(self) -> float:
        return self.last - self.first

    @property
    def steady_rate(self) -> float:
        """Requests a second from the first to the last (start-up and shutdown left out)."""
        return (self.requests - 1) / self.steady if self.steady > 0 else 0.0

    def cpu(self, role: str) -> float | None:
        """CPU seconds of ``role`` over the crawl itself (``workers``, ``writer``) or in start-up (``…_startup``)."""
        total, startup = self.stats.get(f"{CPU_STAT}{role.removesuffix('_startup')}_seconds"), self.stats.get(
            f"{CPU_STAT}{role.removesuffix('_startup')}_startup_seconds")  # fmt: skip
        if total is None or startup is None:
            return None
        return float(startup) if role.endswith("_startup") else float(total) - float(startup)

    def per_page(self, seconds: float | None) -> float | None:
        """CPU milliseconds per page."""
        return None if seconds is None or not self.pages else 1000 * seconds / self.pages

    @property
    def cpu_all(self) -> float:
        """Every process of the crawl: the command with its children, Redis and the mirror server."""
        return self.cpu_command + self.cpu_server + (self.cpu_redis or 0.0)

    @property
    def cpu_steady(self) -> float:
        """:attr:`cpu_all` without the start-up CPU of the workers and the writer (known for distributed crawls)."""
        return self.cpu_all - (self.cpu("worker_startup") or 0.0) - (self.cpu("writer_startup") or 0.0)

    def cores_allow(self, cores: int) -> float:
        """Pages/s ``cores`` allow at this crawl's CPU per page (:attr:`cpu_steady`): every process counted."""
        return cores * self.pages / self.cpu_steady if self.cpu_steady > 0 else 0.0


#: Prefix of the run's CPU stats (``arabpress_crawler.distributed.feed``: ``…worker_seconds`` and the others).
CPU_STAT = "arabpress/cpu/"


def process_cpu(pid: int | None) -> float | None:
    """User + system seconds of a running process (``/proc/<pid>/stat``), ``None`` without one."""
    if pid is None:
        return None
    try:
        fields = Path(f"/proc/{pid}/stat").read_text(encoding="ascii").rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def crawl(server: ServedMirror, db: Path, extra: list[str], plan: DistributedPlan, redis_pid: int | None) -> Crawl:
    command = [tool("arabpress"), "crawl", "--base-url", server.base_url, "--db", str(db), "--backfill", "--quiet",
               "--no-fail-on-warnings", "--log-file", str(db.with_suffix(".log"))]
    # The default cap (ARABPRESS_MAX_PAGES, 20,000 article pages) would cut a backfill of the 20,000-article mirror
    # (with its copies and dead links) at a point that depends on the order of fetching.
    env = {"ARABPRESS_MAX_PAGES": str(plan.max_pages)}
    if plan.delay > 0:
        env |= {"ARABPRESS_DOWNLOAD_DELAY": str(plan.delay), "ARABPRESS_AUTOTHROTTLE": "0", "ARABPRESS_CONCURRENCY": "8"}
    else:
        command.append("--mirror-profile")
    server.reset()
    server_before, redis_before = server.times().cpu, process_cpu(redis_pid)
    started = time.monotonic()
    measured = run_measured([*command, *extra], env=env).check()
    ended = time.monotonic()
    times, redis_after = server.times(), process_cpu(redis_pid)
    row = run_row(db)
    return Crawl(
        workers=int(extra[extra.index("--workers") + 1]) if "--workers" in extra else 0,
        started=started, first=times.first or started, last=times.last or ended, ended=ended,
        requests=times.count, pages=int(row.get("pages") or 0), cpu_command=measured.cpu_seconds,
        cpu_server=times.cpu - server_before,
        cpu_redis=None if redis_before is None or redis_after is None else redis_after - redis_before,
        stats=json.loads(row.get("stats") or "{}"),
    )  # fmt: skip


def _ms(value: float | None) -> str:
    return "—" if value is None else f"{value:.2f}"


def time_row(crawl: Crawl) -> list[str]:
    return [crawl.label, f"{crawl.wall:.1f} s", f"{crawl.first - crawl.started:.1f} s", f"{crawl.steady:.1f} s",
            f"{crawl.ended - crawl.last:.1f} s", f"{crawl.pages:,}", f"{crawl.steady_rate:.0f}",
            f"{crawl.pages / crawl.wall:.0f}"]  # fmt: skip


def cpu_row(crawl: Crawl, cores: int) -> list[str]:
    """CPU ms per page of each role, and the rate ``cores`` allow at that cost (every process counted)."""
    if not crawl.workers:  # one process and its writer process: not split
        return [crawl.label, f"{_ms(crawl.per_page(crawl.cpu_command))} (crawler + writer process, start-up included)",
                "—", "—", "—", _ms(crawl.per_page(crawl.cpu_server)), _ms(crawl.per_page(crawl.cpu_steady)),
                f"{crawl.cores_allow(cores):.0f}"]  # fmt: skip
    startup = (crawl.cpu("worker_startup") or 0.0) + (crawl.cpu("writer_startup") or 0.0)
    return [crawl.label, _ms(crawl.per_page(crawl.cpu("worker"))), f"{startup:.1f} s",
            _ms(crawl.per_page(crawl.cpu("writer"))), _ms(crawl.per_page(crawl.cpu_redis)),
            _ms(crawl.per_page(crawl.cpu_server)), _ms(crawl.per_page(crawl.cpu_steady)), f"{crawl.cores_allow(cores):.0f}"]  # fmt: skip


def ceiling(base: Crawl, workers: int) -> tuple[float, str] | None:
    """Pages/s ``workers`` workers allow with a core for every process: ``min(N × worker rate, writer rate,
    Redis rate)`` at ``base``'s CPU per page (the mirror server stands for the site: not counted); what binds."""
    per_page = {role: base.per_page(seconds) for role, seconds in
                (("workers", base.cpu("worker")), ("writer", base.cpu("writer")), ("redis-server", base.cpu_redis))}  # fmt: skip
    if not all(per_page.values()):
        return None
    rates = {role: 1000 / ms * (workers if role == "workers" else 1) for role, ms in per_page.items() if ms}
    role = min(rates, key=lambda name: rates[name])
    return rates[role], role


def curve_rows(crawls: list[Crawl], cores: int) -> list[list[str]]:
    """Measured steady rate per worker count beside the ceiling from the 1-worker crawl's CPU per page."""
    base = next((crawl for crawl in crawls if crawl.workers == 1), None)
    rows = []
    for crawl in crawls:
        if not crawl.workers:
            continue
        found = ceiling(base, crawl.workers) if base is not None else None
        rows.append([str(crawl.workers), f"{crawl.steady_rate:.0f}", f"{crawl.cores_allow(cores):.0f}",
                     "—" if found is None else f"{found[0]:.0f} ({found[1]})"])  # fmt: skip
    if base is not None:
        for workers in (8, 16):
            found = ceiling(base, workers)
            if found is not None and workers > max(crawl.workers for crawl in crawls):
                rows.append([str(workers), "not run", "—", f"{found[0]:.0f} ({found[1]})"])
    return rows


TIME_HEADERS = ("crawl", "wall time", "start-up", "crawl itself", "shutdown", "pages", "steady pages/s",
                "wall pages/s")  # fmt: skip
CPU_HEADERS = ("crawl", "workers, ms/page", "start-up CPU (workers + writer)", "writer, ms/page", "redis-server, ms/page",
               "mirror server, ms/page", "all processes, ms/page", "pages/s this machine's cores allow at that cost")  # fmt: skip
CURVE_HEADERS = ("workers", "measured steady pages/s (this machine)", "this machine's cores allow at that crawl's CPU cost",
                 "ceiling with a core per process, at the 1-worker CPU per page (bound by)")  # fmt: skip


def measure(plan: DistributedPlan, work: Path, redis_url: str, redis_pid: int | None) -> tuple[list[list[str]], list[Crawl], list[str]]:
    """The correctness rows, the measured crawls, and the failed checks (empty when every correctness column holds)."""
    mirror = generated_mirror(plan.articles, plan.seed)
    rows: list[list[str]] = []
    crawls: list[Crawl] = []
    failures: list[str] = []
    with ServedMirror(mirror.root) as server:
        single_db = work / "single.db"
        crawls.append(crawl(server, single_db, [], plan, redis_pid))
        single, single_run = snapshot(single_db), run_row(single_db)
        rows.append(["single process", f"{single_run['pages']:,}", "—", str(single_run["count"]), "—", "—", "—"])
        for workers in plan.workers:
            db = work / f"workers-{workers}.db"
            crawls.append(crawl(server, db, ["--redis", redis_url, "--workers", str(workers)], plan, redis_pid))
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
            rows.append([f"{workers} worker(s) + writer", f"{row['pages']:,}",
                         "yes" if not differing else "NO: " + ", ".join(differing),
                         str(row["count"]), "yes" if checks["pages summed"] else f"NO ({summed:,})",
                         "passes" if check == 0 else "fails", "yes" if checks["pages ≤ single + N"] else "NO"])  # fmt: skip
            print("| " + " | ".join(time_row(crawls[-1])) + " |", file=sys.stderr, flush=True)
    return rows, crawls, failures


CHECK_HEADERS = ("crawl", "pages", "tables equal to single", "crawl_runs rows", "pages = Σ workers", "check",
                 "pages ≤ single + N")  # fmt: skip


def blocks(rows: list[list[str]], crawls: list[Crawl], cores: int) -> list[tuple[str, Sequence[str], list[list[str]]]]:
    """The tables (caption, headers, rows): time, CPU per role, the curve, correctness."""
    return [
        ("Time: start-up, the crawl itself (the server's first to last request) and shutdown.", TIME_HEADERS,
         [time_row(crawl) for crawl in crawls]),
        (f"CPU per page of each role (user + system over the crawl, start-up apart; {cores} cores on this machine).",
         CPU_HEADERS,
         [cpu_row(crawl, cores) for crawl in crawls]),
        ("What the cores allow: the curve.", CURVE_HEADERS, curve_rows(crawls, cores)),
        ("Correctness.", CHECK_HEADERS, rows),
    ]  # fmt: skip


def markdown(caption: str, headers: Sequence[str], rows: list[list[str]]) -> str:
    return "\n".join([caption, "", *table(headers, rows)])


def run(plan: DistributedPlan, work: Path) -> Section:
    """The ``make bench`` section (``bench.run --only distributed``): a Redis of its own, stopped at the end."""
    shutil.rmtree(work, ignore_errors=True)  # each crawl starts on an empty database, not on the last bench's
    work.mkdir(parents=True)
    redis_process, redis_url = start_redis(work)
    try:
        rows, crawls, failures = measure(plan, work, redis_url, redis_process.pid)
    finally:
        redis_process.terminate()
        redis_process.wait()
    cores = os.cpu_count() or 1
    (_, headers, time_rows), *rest = blocks(rows, crawls, cores)
    return Section(
        title=TITLE,
        intro=f"A single-process crawl and distributed crawls (`arabpress crawl --redis URL --workers N`, the writer "
        f"in the coordinator) of a generated mirror of {plan.articles:,} articles, `--backfill`, politeness off, each "
        "on an empty database. The wall time is split at the mirror server's first and last request: start-up "
        "(processes, imports, Redis, the sitemaps' first requests), the crawl itself, shutdown (the last batches "
        "committed, the run closed); the steady rate leaves start-up and shutdown out. CPU per page of each role "
        "comes from the processes' rusage (the workers' and the writer's own, kept in the run's stats; Redis's from "
        f"/proc; the server's). This machine has {cores} cores: N workers, the writer, Redis and the mirror server "
        "share them, so the measured rates show what these cores allow; the ceiling column is what a machine with "
        "a core per process allows at the 1-worker crawl's CPU per page: the curve. Tables are compared without "
        "their order-dependent columns (`bench/distributed.py`, ORDER_DEPENDENT).",
        headers=headers,
        rows=time_rows,
        commands=[f"python -m bench.distributed --articles {plan.articles} --workers "
                  + " ".join(str(n) for n in plan.workers)],
        notes=[markdown(*block) for block in rest],
        figures=[Figure("distributed_equal", "distributed crawls equal to the single-process crawl",
                        "every check holds" if not failures else "; ".join(failures),
                        "same tables, one run row, pages = Σ workers ≤ single + N, check passes", not failures)],
    )  # fmt: skip


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
        rows, crawls, failures = measure(plan, work, redis_url, redis_process.pid if redis_process else None)
    finally:
        if redis_process is not None:
            redis_process.terminate()
            redis_process.wait()
    lines = [f"Generated mirror of {args.articles:,} articles, `--backfill`, "
             + (f"delay {args.delay} s (global)" if args.delay else "politeness off (`--mirror-profile`)") + ".", "",
             *(markdown(*block) + "\n" for block in blocks(rows, crawls, os.cpu_count() or 1))]  # fmt: skip
    text = "\n".join(lines) + "\n" + ("".join(f"\nNOT HELD: {failure}" for failure in failures))
    print(text)
    if args.out:
        args.out.write_text(text, encoding="utf-8")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
