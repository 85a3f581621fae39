"""Distributed crawls (issue 13): 1, 2 and 4 workers plus the writer against a single-process crawl.

``python -m bench.distributed --articles 20000 --redis unix:///path/redis.sock [--workers 1 2 4] [--delay 0]``

Over a generated mirror (``--backfill``, politeness off unless ``--delay``), each crawl starts on an empty
database; the script reports pages/s (Scrapy crawl time summed over the run's wall time), whether every table
equals the single-process crawl's (ignoring the order-dependent columns listed in
``tests/test_writer_process.py``: times, run ids, ``fetched_url``), the one ``crawl_runs`` row's ``pages``
against the server's count, ``arabpress check``, and total pages ≤ single + N. With ``--redis`` omitted it
starts Debian's ``redis-server`` on a Unix socket in the work folder and stops it at the end. Writes a Markdown
table to stdout (and ``--out``).
"""

from __future__ import annotations

import argparse
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from bench import OUT_DIR
from bench.mirror import generated_mirror
from bench.mirror_server import ServedMirror
from bench.process import tool

ORDER_FREE = {
    "articles": "SELECT url, title, subtitle, body, authors, published_at, modified_at, section, tags, language,"
    " image_url, duplicate_of, content_hash, extraction, etag, last_modified, word_count FROM articles ORDER BY url",
    "headlines": "SELECT url, title FROM headlines ORDER BY url",
    "related_headlines": "SELECT article_url, headline_url, position, title FROM related_headlines ORDER BY 1, 2",
    "url_aliases": "SELECT alias_url, url, kind FROM url_aliases ORDER BY alias_url",
    "article_revisions": "SELECT url, content_hash, title FROM article_revisions ORDER BY 1, 2",
}


def snapshot(db: Path) -> dict[str, list[tuple]]:
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
        return {name: conn.execute(sql).fetchall() for name, sql in ORDER_FREE.items()}


def run_row(db: Path) -> dict:
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
        conn.row_factory = sqlite3.Row
        rows = [dict(row) for row in conn.execute("SELECT * FROM crawl_runs")]
    return {"count": len(rows), **(rows[-1] if rows else {})}


def crawl(base_url: str, db: Path, extra: list[str], delay: float) -> float:
    command = [tool("arabpress"), "crawl", "--base-url", base_url, "--db", str(db), "--backfill", "--quiet",
               "--no-fail-on-warnings", "--log-file", str(db.with_suffix(".log"))]
    env = None
    if delay > 0:
        env = {"ARABPRESS_DOWNLOAD_DELAY": str(delay), "ARABPRESS_AUTOTHROTTLE": "0", "ARABPRESS_CONCURRENCY": "8"}
    else:
        command.append("--mirror-profile")
    started = time.perf_counter()
    import os

    subprocess.run([*command, *extra], check=True, env={**os.environ, **(env or {})})
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
    mirror = generated_mirror(args.articles, 1)
    lines = [f"Generated mirror of {args.articles:,} articles, `--backfill`, "
             + (f"delay {args.delay} s (global)" if args.delay else "politeness off (`--mirror-profile`)") + ".", "",
             "| crawl | wall time | pages | pages/s | tables equal to single | crawl_runs rows | check | pages ≤ single + N |",
             "| --- | --- | --- | --- | --- | --- | --- | --- |"]
    try:
        with ServedMirror(mirror.root) as server:
            single_db = work / "single.db"
            wall = crawl(server.base_url, single_db, [], args.delay)
            single, single_run = snapshot(single_db), run_row(single_db)
            lines.append(f"| single process | {wall:.1f} s | {single_run['pages']:,} | {single_run['pages'] / wall:.1f} "
                         "| — | 1 | — | — |")
            for workers in args.workers:
                db = work / f"workers-{workers}.db"
                wall = crawl(server.base_url, db, ["--redis", redis_url, "--workers", str(workers)], args.delay)
                row = run_row(db)
                check = subprocess.run([tool("arabpress"), "check", "--db", str(db)], capture_output=True).returncode
                lines.append(
                    f"| {workers} worker(s) + writer | {wall:.1f} s | {row['pages']:,} | {row['pages'] / wall:.1f} | "
                    f"{'yes' if snapshot(db) == single else 'NO'} | {row['count']} | {'passes' if check == 0 else 'fails'} | "
                    f"{'yes' if row['pages'] <= single_run['pages'] + workers else 'NO'} |"
                )
                print(lines[-1], file=sys.stderr, flush=True)
    finally:
        if redis_process is not None:
            redis_process.terminate()
            redis_process.wait()
    text = "\n".join(lines) + "\n"
    print(text)
    if args.out:
        args.out.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
