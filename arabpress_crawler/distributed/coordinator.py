"""``arabpress crawl --redis URL --workers N``: one run, N local worker processes, one writer, one run record.

The coordinator opens the run (``crawl_runs``), starts the workers (:mod:`arabpress_crawler.distributed.worker`)
with a run id of their own in Redis (``<run id>-<random>``: keys per run), and runs the writer
(:func:`arabpress_crawler.distributed.feed.serve_redis`) in its own process until every worker has stopped and
the last batch is committed. Workers started elsewhere with ``arabpress worker --redis URL --run RUN`` join the
same frontier while it runs. Then it closes the run with the writer's counters and the workers' stats summed
(``pages`` is the sum over workers) and deletes the run's keys.
"""

from __future__ import annotations

import contextlib
import json
import logging
import secrets
import subprocess
import sys
import time
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Any

from arabpress_crawler import db as database
from arabpress_crawler.crawling import CheckedCrawl, CrawlOutcome, last_run_record, log_handler
from arabpress_crawler.db import session
from arabpress_crawler.distributed import membership
from arabpress_crawler.distributed.feed import (
    WRITER_CPU_STAT,
    WRITER_STARTUP_CPU_STAT,
    beat,
    cpu_seconds,
    serve_redis,
)
from arabpress_crawler.distributed.keys import RunKeys, dead_runs, site_slug
from arabpress_crawler.distributed.queue import expect_workers
from arabpress_crawler.distributed.wake import wake
from arabpress_crawler.run_record import RunCounters, RunRecord
from arabpress_crawler.spiders import SITEMAP_LASTMOD_STAT
from arabpress_crawler.spiders.incremental import as_datetime
from arabpress_crawler.writer.server import Writer

logger = logging.getLogger(__name__)

#: Finish reason of a run one of whose workers failed.
WORKER_FAILED = "worker_failed"
#: How long a local worker that has left the run is given to exit before the writer looks again.
EXIT_WAIT_SECONDS = 10


class FixedStats:
    """Stats as :class:`~arabpress_crawler.run_record.RunRecord` reads them."""

    def __init__(self, values: dict[str, Any]) -> None:
        self.values = values

    def get_stats(self) -> dict[str, Any]:
        return self.values


def merge_stats(per_worker: Iterable[dict[str, Any]]) -> dict[str, Any]:
    """Numbers summed over the workers; a sub-sitemap's lastmod the newest any worker saw (every worker carries the
    last run's forward, only the one that read the index has the new one); other values from the first worker."""
    merged: dict[str, Any] = {}
    for stats in per_worker:
        for key, value in stats.items():
            if isinstance(value, int | float) and not isinstance(value, bool):
                merged[key] = merged.get(key, 0) + value
            elif key.startswith(SITEMAP_LASTMOD_STAT) and key in merged:
                merged[key] = max(merged[key], value, key=lambda lastmod: as_datetime(lastmod) or datetime.min.replace(tzinfo=UTC))
            else:
                merged.setdefault(key, value)
    return merged


def local_worker(run: str, index: int) -> str:
    """The name of the coordinator's ``index``-th local worker of ``run``."""
    return f"local-{index}-{run}"


def worker_command(checked: CheckedCrawl, redis_url: str, run: str, index: int) -> list[str]:
    arguments = checked.arguments
    command = [
        sys.executable, "-m", "arabpress_crawler.distributed.worker", "--redis", redis_url, "--run", run,
        "--base-url", arguments.base_url, "-s", f"ARABPRESS_DB={checked.db}",
        "-s", f"ARABPRESS_REDIS_WORKER={local_worker(run, index)}",
    ]  # fmt: skip
    if arguments.backfill:
        command.append("--backfill")
    for name in ("max_depth", "max_pages", "since", "refresh_days"):
        value = getattr(arguments, name)
        if value is not None:
            command += ["-a", f"{name}={value}"]
    if arguments.refresh:
        command += ["-a", "refresh=1"]
    if checked.options.mirror_profile:
        command += ["-s", "ARABPRESS_PROFILE=mirror"]
    if checked.options.log_file is not None:
        command += ["-s", f"LOG_FILE={checked.options.log_file}.worker-{index}"]
    for name, value in checked.options.settings.items():
        command += ["-s", f"{name}={value}"]
    return command


def join_command(redis_url: str, keys: RunKeys, checked: CheckedCrawl) -> str:
    """The command that adds a worker to the run from another machine."""
    backfill = " --backfill" if checked.arguments.backfill else ""
    return f"arabpress worker --redis {redis_url} --run {keys.run} --base-url {checked.arguments.base_url}{backfill}"


def run_distributed(
    checked: CheckedCrawl, redis_url: str, workers: int, on_run: Callable[[str], None] | None = None
) -> CrawlOutcome:
    """Run the crawl over a Redis frontier with ``workers`` local workers (see the module docstring);
    ``on_run`` gets the command that joins the run from elsewhere, once it is open. The coordinator's own log
    (the run's id, the writer's messages) goes to the crawl's log file."""
    handler = log_handler(checked.options.log_file, "INFO")
    project = logging.getLogger("arabpress_crawler")
    level = project.level
    logging.getLogger().addHandler(handler)
    project.setLevel(logging.INFO)
    try:
        return _run_distributed(checked, redis_url, workers, on_run)
    finally:
        project.setLevel(level)
        logging.getLogger().removeHandler(handler)
        handler.close()


def _run_distributed(
    checked: CheckedCrawl, redis_url: str, workers: int, on_run: Callable[[str], None] | None
) -> CrawlOutcome:
    import redis

    server = redis.Redis.from_url(redis_url)
    server.ping()
    started = time.monotonic()
    store = session.acquire(checked.db)
    try:
        run_id = database.start_run(store.db, base_url=checked.arguments.base_url)
        store.run_id = run_id
        keys = RunKeys(site_slug(checked.arguments.base_url), f"{run_id}-{secrets.token_hex(4)}")
        logger.info("Distributed run %s: %d workers, frontier in %s; join it with: %s", keys.run, workers,
                    redis_url, join_command(redis_url, keys, checked))  # fmt: skip
        for dead in dead_runs(server, keys.site, besides=keys.run):
            left = server.llen(dead.batches) + server.llen(dead.writing)
            deleted = dead.delete(server)
            logger.warning("Run %s ended without its writer: deleted its %d keys (%d batches never committed:"
                           " their pages are fetched again)", dead.run, deleted, left)  # fmt: skip
        writer = Writer(str(checked.db))
        writer.open()  # the frontier is pruned before the workers read it
        beat(server, keys)  # before the workers start: they stop if it expires
        startup_cpu = cpu_seconds()
        names = [local_worker(keys.run, index) for index in range(workers)]
        expect_workers(server, keys, names)
        if on_run is not None:
            on_run(join_command(redis_url, keys, checked))
        processes = [
            subprocess.Popen(worker_command(checked, redis_url, keys.run, index), stdin=subprocess.DEVNULL)
            for index in range(workers)
        ]
        counters = RunCounters()
        left: set[str] = set()

        def done() -> bool:
            """Every local worker has exited and no worker elsewhere beats: a worker killed while the others
            were finishing stays in the run's set, but its heartbeat expires (and nobody is left to remove it).
            Once every worker has left the run, the local ones are exiting: waited for, not polled. When done,
            the run is marked so in the same step: a worker that comes now exits at once."""
            if left and not server.scard(keys.workers):
                for process in processes:
                    with contextlib.suppress(subprocess.TimeoutExpired):
                        process.wait(timeout=EXIT_WAIT_SECONDS)
            gone = [name for name, process in zip(names, processes, strict=True) if process.poll() is not None]
            if gone and server.delete(*(keys.alive(name) for name in gone)):  # died without leaving: let it go now
                wake(server, keys, "left")
            if len(gone) < len(processes):
                return False
            return membership.close(server, keys)  # no worker alive: marked done, no worker joins now

        try:
            serve_redis(writer, server, keys, run_id, done=done, counters=counters, on_left=left.add)
        finally:
            for process in processes:
                if process.poll() is None:
                    process.terminate()
                process.wait()
        stats = merge_stats(json.loads(value) for value in server.hvals(keys.stats))
        failed = [process.returncode for process in processes if process.returncode != 0]
        reason = f"{WORKER_FAILED}: exit codes {failed}" if failed else "finished"
        stats["finish_reason"] = reason
        stats[WRITER_CPU_STAT], stats[WRITER_STARTUP_CPU_STAT] = round(cpu_seconds(), 3), round(startup_cpu, 3)
        record = RunRecord(checked.db, base_url=checked.arguments.base_url, stats=FixedStats(stats))  # type: ignore[arg-type]
        record.run_id, record.counters = run_id, counters
        record.finish_run(store, reason)
        keys.delete(server)
    finally:
        session.release(store)
    row = last_run_record(checked.db)
    return CrawlOutcome(
        finish_reason="finished" if not failed else reason,
        stats=stats,
        elapsed=time.monotonic() - started,
        run_status=row["status"] if row else None,
        run_reason=row["finish_reason"] if row else None,
        run_record=row,
    )
