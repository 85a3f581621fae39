"""The writer fed through Redis: workers send batches to a list, one writer commits and acknowledges them.

Worker side, :class:`RedisWriterPipeline`: the :class:`~arabpress_crawler.writer.client.WriterPipeline` with
Redis for transport. A batch is pushed to the run's ``batches`` list; the writer's acknowledgement comes back on
the worker's own ``acks:<worker>`` list. The worker keeps no database connection (it may run on another
machine); when the spider closes it waits for its last acknowledgements and leaves its final stats for the
coordinator.

Writer side, :func:`serve_redis` (run by the coordinator, :mod:`arabpress_crawler.distributed.coordinator`):
moves a batch atomically to ``writing`` (``BLMOVE``), dedupes, writes and commits it with
:class:`~arabpress_crawler.writer.server.Writer`, and only then removes it from ``writing`` and acknowledges
it. A batch whose commit was not acknowledged is either in ``batches`` or in ``writing``; a writer killed
before committing loses nothing the next run would not fetch again. The writer beats a heartbeat key; a worker
waiting for an acknowledgement when it expired stops its crawl (``store_error``), and the next coordinator on
the site deletes the keys the dead run left.
"""

from __future__ import annotations

import json
import logging
import pickle
import resource
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from scrapy_redis.connection import get_redis_from_settings

from arabpress_crawler.distributed.keys import HEARTBEAT_TTL_SECONDS, RUN_TTL_SECONDS, RunKeys
from arabpress_crawler.distributed.settings import run_keys, worker_of
from arabpress_crawler.distributed.wake import wake
from arabpress_crawler.run_record import RunCounters
from arabpress_crawler.writer.client import CLOSE_TIMEOUT_SECONDS, POLL_SECONDS, WriterPipeline
from arabpress_crawler.writer.protocol import Ack, Batch

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

    # The writer's side only: a worker does not import the dedupe stage (datasketch, scipy: 0.4 s of its start-up).
    from arabpress_crawler.writer.server import Writer

logger = logging.getLogger(__name__)

#: How often a worker with unacknowledged batches looks at the writer's heartbeat.
WRITER_CHECK_SECONDS = 1.0
#: Stats of a run's CPU use (user + system seconds of the process, start-up included; summed over the workers):
#: what ``bench/distributed.py`` turns into CPU per page for each role.
WORKER_CPU_STAT = "arabpress/cpu/worker_seconds"
#: The workers' CPU seconds when their spider opened (start-up: imports, settings, Redis connections).
WORKER_STARTUP_CPU_STAT = "arabpress/cpu/worker_startup_seconds"
#: The coordinator's own (the writer's) CPU seconds, and those it had spent when its workers started.
WRITER_CPU_STAT = "arabpress/cpu/writer_seconds"
WRITER_STARTUP_CPU_STAT = "arabpress/cpu/writer_startup_seconds"


def cpu_seconds() -> float:
    """User + system seconds this process has run so far."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


class RemoteStore:
    """What the worker's pipeline needs of a store it does not hold: the failure flag, stopping the crawl."""

    def __init__(self, stop: Callable[[str], None]) -> None:
        self.run_id: int | None = None  # the writer fills in its own run
        self.error: str | None = None
        self.lost = 0
        self._stop = stop

    def fail_elsewhere(self, error: str, *, lost: int) -> None:
        if self.error is None:
            self.error, self.lost = error, lost
            self._stop(error)


class RedisWriterPipeline(WriterPipeline):
    """A distributed worker's pipeline: batches to the run's Redis list (see the module docstring)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.server: Any = None
        self.keys: RunKeys | None = None
        self.worker = ""
        self.crawler: Crawler | None = None
        self._writer_checked = 0.0
        #: Leases held until a batch is acknowledged: (the batch's number, the encoded request) (:mod:`.leases`).
        self._held: list[tuple[int, bytes]] = []

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RedisWriterPipeline:
        pipeline = super().from_crawler(crawler)
        assert isinstance(pipeline, RedisWriterPipeline)
        pipeline.crawler = crawler
        pipeline.server = get_redis_from_settings(crawler.settings)
        pipeline.keys = run_keys(crawler.settings)
        pipeline.worker = worker_of(crawler.settings)
        return pipeline

    def open_spider(self) -> None:
        self.store = RemoteStore(self._stop_crawl)  # type: ignore[assignment]
        self._last_send = time.monotonic()
        self._start_timer()

    def _stop_crawl(self, error: str) -> None:
        engine = getattr(self.crawler, "engine", None)
        if engine is not None:
            from scrapy.utils.defer import deferred_from_coro

            deferred_from_coro(engine.close_spider_async(reason=f"store_error: {error}"))

    def close_spider(self) -> None:
        self._stop_timer()
        self.send()
        deadline = time.monotonic() + CLOSE_TIMEOUT_SECONDS
        while self._in_flight and not self.failed and time.monotonic() < deadline:
            self.receive(timeout=POLL_SECONDS)
        assert self.keys is not None
        if self.crawler is not None and self.crawler.stats:
            self.crawler.stats.set_value(WORKER_CPU_STAT, round(cpu_seconds(), 3))
        stats = self.crawler.stats.get_stats() if self.crawler is not None and self.crawler.stats else {}
        pipe = self.server.pipeline()
        pipe.hset(self.keys.stats, self.worker, json.dumps(stats, default=str))
        pipe.expire(self.keys.stats, RUN_TTL_SECONDS)
        pipe.delete(self.keys.acks(self.worker))
        pipe.execute()
        self.store = None

    def _transmit(self, batch: Batch) -> None:
        assert self.keys is not None
        pipe = self.server.pipeline()
        pipe.lpush(self.keys.batches, pickle.dumps((self.worker, batch)))
        pipe.expire(self.keys.batches, RUN_TTL_SECONDS)
        pipe.execute()

    def hold(self, data: bytes) -> None:
        """Drop the lease ``data`` once every batch holding what was sent so far, and what is pending, is
        acknowledged (the items of its response are among them)."""
        self._held.append((self._seq + (1 if self._pending else 0), data))
        self._release_acknowledged()

    def holding(self) -> bool:
        """Whether leases wait for a batch (the records pending are then worth sending now)."""
        return bool(self._held)

    def _apply(self, ack: Ack) -> None:
        super()._apply(ack)
        self._release_acknowledged()

    def _release_acknowledged(self) -> None:
        if self.failed:  # nothing more is committed: the leases stay, a later run fetches those pages
            return
        waiting = min(self._in_flight, default=self._seq + 1)  # the oldest batch not acknowledged
        done = [data for seq, data in self._held if seq < waiting]
        if not done:
            return
        self._held = [(seq, data) for seq, data in self._held if seq >= waiting]
        assert self.keys is not None
        pipe = self.server.pipeline()
        for data in done:
            pipe.lrem(self.keys.leases(self.worker), 1, data)
        pipe.execute()
        if not self._held:  # workers waiting for this one's leases look again
            wake(self.server, self.keys, "released")

    def receive(self, timeout: float) -> None:
        assert self.keys is not None
        key = self.keys.acks(self.worker)
        self._check_writer()
        if timeout > 0:
            found = self.server.brpop([key], timeout=max(1, round(timeout)))
            if found is not None:
                self._apply(pickle.loads(found[1]))
        while (data := self.server.rpop(key)) is not None:
            self._apply(pickle.loads(data))

    def _check_writer(self) -> None:
        """With batches waiting for their acknowledgement, stop the crawl if the writer's heartbeat expired."""
        now = time.monotonic()
        if not self._in_flight or self.failed or now - self._writer_checked < WRITER_CHECK_SECONDS:
            return
        self._writer_checked = now
        assert self.keys is not None
        if not self.server.exists(self.keys.writer):
            self._fail(f"the writer of run {self.keys.run} is gone (no heartbeat for {HEARTBEAT_TTL_SECONDS} s)", writer_gone=True)


def announce_left(server: Any, keys: RunKeys, worker: str) -> None:
    """Tell the run's writer that ``worker`` has left, after its last batch (a ``(worker, None)`` entry on the
    batches list): the writer stops waiting as soon as the last one has, with no poll. Only while a writer beats."""
    if server.exists(keys.writer):
        pipe = server.pipeline()
        pipe.lpush(keys.batches, pickle.dumps((worker, None)))
        pipe.expire(keys.batches, RUN_TTL_SECONDS)  # a writer killed a moment ago leaves nothing for ever
        pipe.execute()


def beat(server: Any, keys: RunKeys) -> None:
    """The writer's heartbeat: workers whose batches wait stop the crawl when it expires (a killed writer)."""
    server.set(keys.writer, 1, ex=HEARTBEAT_TTL_SECONDS)


def serve_redis(
    writer: Writer,
    server: Any,
    keys: RunKeys,
    run_id: int,
    *,
    done: Callable[[], bool],
    counters: RunCounters,
    on_left: Callable[[str], None] | None = None,
) -> None:
    """Commit the run's batches with ``writer`` (opened: the frontier is pruned before the workers read it)
    until ``done()`` says no worker will send more and none is left to commit; then close it. ``done()`` is asked
    when a worker has left (``on_left(worker)`` first, see :func:`announce_left`) and after a second without
    batches (a worker killed tells nothing)."""
    try:
        while (data := server.lmove(keys.writing, keys.batches, "RIGHT", "RIGHT")) is not None:
            logger.warning("A batch an earlier writer had not committed goes back to the queue")
        while True:
            beat(server, keys)
            data = server.blmove(keys.batches, keys.writing, 1, "RIGHT", "LEFT")
            if data is None:
                if done() and not server.llen(keys.batches):
                    break
                continue
            worker, batch = pickle.loads(data)
            if batch is None:  # the worker has left
                server.lrem(keys.writing, 1, data)
                if on_left is not None:
                    on_left(worker)
                if done() and not server.llen(keys.batches):
                    break
                continue
            batch.run_id = run_id
            ack: Ack = writer.handle(batch)
            if isinstance(ack.counters, RunCounters):
                counters.merge(ack.counters)
            for name, level, message in ack.logs:
                logging.getLogger(name).log(level, "%s", message)
            pipe = server.pipeline()
            pipe.lrem(keys.writing, 1, data)
            pipe.lpush(keys.acks(worker), pickle.dumps(ack))
            pipe.expire(keys.acks(worker), RUN_TTL_SECONDS)
            pipe.execute()
    finally:
        writer.close()
