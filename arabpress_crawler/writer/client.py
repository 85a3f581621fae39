"""The crawler's side of the writer process: a pipeline that sends records in batches.

:class:`WriterPipeline` takes the place of the dedupe and store pipelines in the crawler process (see
:class:`~arabpress_crawler.writer.addon.WriterAddon`). It starts the writer process when the spider opens,
sends a :class:`~arabpress_crawler.writer.protocol.Batch` every ``ARABPRESS_STORE_BATCH_SIZE`` records or
``ARABPRESS_STORE_FLUSH_SECONDS`` seconds, and applies each acknowledgement: the stats increments, the run
record's counters (the ``writer_committed`` signal, merged by :class:`~arabpress_crawler.run_record.RunRecord`),
the writer's log lines. The records are validated ones, or, when the add-on moved the clean and validate
stages to the writer too (``ARABPRESS_WRITER_PREPARES``), the items as the spider yielded them. At most :data:`MAX_IN_FLIGHT` batches wait for their acknowledgement: past that the
crawler waits for the writer (back-pressure, memory bounded). When the spider closes it sends what is left,
waits for every acknowledgement and for the process to end, so the run record is closed after the last commit.

If the writer dies or cannot write, the crawler's store is marked failed (the run record stops the crawl with
a ``store_error`` finish reason) and the records not acknowledged are counted as lost: the next run fetches
them again, as it would after an inline crawl killed before its commit.
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import time
from collections.abc import Callable
from multiprocessing.connection import Connection
from pathlib import Path
from typing import TYPE_CHECKING, Any

from scrapy.utils.reactor import is_reactor_installed

from arabpress_crawler.archive.handoff import ARCHIVE_SINK
from arabpress_crawler.db import session
from arabpress_crawler.frontier import FRONTIER_RECORDS
from arabpress_crawler.frontier_writer import frontier_policy
from arabpress_crawler.items import UnchangedArticle, as_article
from arabpress_crawler.pipelines.store import DEFAULT_BATCH_SIZE, DEFAULT_FLUSH_SECONDS, LOST_STAT
from arabpress_crawler.run_record import writer_committed
from arabpress_crawler.writer import WRITER_PREPARES_SETTING
from arabpress_crawler.writer.protocol import CLOSE, Ack, Batch, FrontierRecords

if TYPE_CHECKING:
    from scrapy.crawler import Crawler
    from scrapy.statscollectors import StatsCollector

    from arabpress_crawler.archive.handoff import Capture

logger = logging.getLogger(__name__)

#: Batches sent and not yet acknowledged, at most; the crawler waits for the writer past that.
MAX_IN_FLIGHT = 4
#: How long to wait for the writer's last acknowledgements when the crawl ends before giving up on it.
CLOSE_TIMEOUT_SECONDS = 600.0
POLL_SECONDS = 0.2
#: Stat: batches the writer committed and acknowledged.
BATCHES_STAT = "arabpress/writer/batches"
#: How the writer process is started (followed by its arguments); a test harness may start it through its own
#: runner so that its fault injections apply in the writer too.
WRITER_COMMAND: list[str] = [sys.executable, "-m", "arabpress_crawler.writer"]


def start_writer(db_path: Path, log_level: int) -> tuple[subprocess.Popen[bytes], Connection, Connection]:
    """Start ``python -m arabpress_crawler.writer`` for ``db_path``; returns it and the crawler's pipe ends.

    A plain child process with two pipes (not :mod:`multiprocessing`, whose ``spawn`` would import the
    crawler's whole ``__main__`` again): the writer imports only what it needs. Each side holds only its own
    ends, so when one process dies the other reads end-of-file.
    """
    batches_in, batches_out = os.pipe()
    acks_in, acks_out = os.pipe()
    level = log_level if isinstance(log_level, int) else logging.INFO
    try:
        process = subprocess.Popen(
            [*WRITER_COMMAND, str(db_path), str(batches_in), str(acks_out), str(level)],
            pass_fds=(batches_in, acks_out),
            stdin=subprocess.DEVNULL,
        )
    finally:
        os.close(batches_in)
        os.close(acks_out)
    return process, Connection(batches_out, readable=False), Connection(acks_in, writable=False)


class WriterPipeline:
    """Sends validated records to the writer process (see the module docstring)."""

    #: Read by :func:`arabpress_crawler.run_record.stores_items`: a crawl with this pipeline records its run.
    stores_items = True

    def __init__(
        self,
        db_path: str | Path,
        *,
        batch_size: int = DEFAULT_BATCH_SIZE,
        flush_seconds: float = DEFAULT_FLUSH_SECONDS,
        stats: StatsCollector | None = None,
        log_level: int = logging.INFO,
        timer: bool = False,
        raw: bool = False,
    ) -> None:
        self.db_path = Path(db_path)
        self.batch_size = max(1, batch_size)
        self.flush_seconds = flush_seconds
        self.stats = stats
        self.log_level = log_level
        #: The clean and validate stages run in the writer (:attr:`~arabpress_crawler.writer.protocol.Batch.raw`).
        self.raw = raw
        self.on_counters: list[Callable[[Any], None]] = []
        self.frontier_policy: Any = None
        self.store: session.CrawlStore | None = None
        self.process: subprocess.Popen[bytes] | None = None
        self._batches: Connection | None = None
        self._acks: Connection | None = None
        self._pending: list[Any] = []
        #: Of the pending records, the captures of archived responses (not counted as records: see :meth:`hand`).
        self._captures = 0
        #: Set by the archive middleware when the writer writes the archive (:meth:`hand`).
        self.archive_config: Any = None
        self._in_flight: dict[int, int] = {}
        self._seq = 0
        self._last_send = time.monotonic()
        self._use_timer = timer
        self._timer: Any = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> WriterPipeline:
        settings = crawler.settings
        pipeline = cls(
            settings.get("ARABPRESS_DB"),
            batch_size=settings.getint("ARABPRESS_STORE_BATCH_SIZE", DEFAULT_BATCH_SIZE),
            flush_seconds=settings.getfloat("ARABPRESS_STORE_FLUSH_SECONDS", DEFAULT_FLUSH_SECONDS),
            stats=crawler.stats,
            log_level=logging.getLevelName(settings.get("LOG_LEVEL", "INFO")),
            timer=True,
            raw=settings.getbool(WRITER_PREPARES_SETTING),
        )
        pipeline.on_counters.append(
            lambda counters: crawler.signals.send_catch_log(signal=writer_committed, counters=counters)
        )
        if settings.getbool("ARABPRESS_FRONTIER", True):
            pipeline.frontier_policy = frontier_policy(settings)
            crawler.signals.connect(pipeline.frontier_records, signal=FRONTIER_RECORDS)
        crawler.signals.send_catch_log(signal=ARCHIVE_SINK, sink=pipeline)
        return pipeline

    def frontier_records(self, records: Any) -> None:
        """The spider's frontier records go to the writer in order with the items (the ``FRONTIER_RECORDS`` signal)."""
        if records and self.store is not None and not self.failed:
            self._pending.append(FrontierRecords(list(records), self.frontier_policy))

    def hand(self, capture: Capture) -> None:
        """The capture of an archived response, for the writer to write before the items that point at it
        (:mod:`arabpress_crawler.archive.handoff`). It rides with the records without counting as one: batches
        hold ``batch_size`` items as before, and a lost batch loses its items' count, not its captures'."""
        if self.store is not None and not self.failed:
            self._pending.append(capture)
            self._captures += 1

    @property
    def failed(self) -> bool:
        return self.store is None or self.store.error is not None

    # -- lifecycle

    def open_spider(self) -> None:
        # The crawler's own connection: the run record opens and closes the run on it (schema created here).
        self.store = session.acquire(self.db_path)
        self.process, self._batches, self._acks = start_writer(self.db_path, self.log_level)
        logger.info("Writer process %s started for %s", self.process.pid, self.db_path)
        self._last_send = time.monotonic()
        self._start_timer()

    def _start_timer(self) -> None:
        if self._use_timer and is_reactor_installed():
            from twisted.internet import task

            self._timer = task.LoopingCall(self.tick)
            self._timer.start(min(self.flush_seconds, 1.0), now=False)

    def _stop_timer(self) -> None:
        if self._timer is not None and self._timer.running:
            self._timer.stop()
        self._timer = None

    def close_spider(self) -> None:
        self._stop_timer()
        try:
            self.send()
            self._finish()
        finally:
            store, self.store = self.store, None
            if store is not None:
                session.release(store)

    def _finish(self) -> None:
        """Tell the writer the crawl is over and wait for its last acknowledgements and its exit."""
        assert self.process is not None and self._batches is not None
        try:
            self._batches.send(CLOSE)
        except OSError:
            pass
        self._batches.close()
        deadline = time.monotonic() + CLOSE_TIMEOUT_SECONDS
        while self.process.poll() is None and time.monotonic() < deadline:
            self.receive(timeout=POLL_SECONDS)
        self.receive(timeout=0)
        if self.process.poll() is None:
            logger.error("The writer process %s did not stop; terminating it", self.process.pid)
            self.process.terminate()
            self.process.wait()
        if self._in_flight:
            message = f"the writer process ended (exit code {self.process.returncode}) before committing everything"
            self._fail(message, writer_gone=True)
        assert self._acks is not None
        self._acks.close()

    # -- items

    def process_item(self, item: Any) -> Any:
        record = item if isinstance(item, UnchangedArticle) else as_article(item)
        if record is None:
            return item
        if self.store is None:
            raise RuntimeError("WriterPipeline used before open_spider()")
        if self.failed:
            self._count(LOST_STAT, 1)  # the store cannot write; the crawl is stopping
            return item
        self._pending.append(record)
        if len(self._pending) - self._captures >= self.batch_size:
            self.send()
        else:
            self.tick()
        return item

    def tick(self) -> None:
        """Apply the acknowledgements that arrived; send the pending records if they waited long enough."""
        self.receive(timeout=0)
        if time.monotonic() - self._last_send >= self.flush_seconds:
            self.send()

    def send(self) -> None:
        """Send the pending records as one batch; wait while too many batches are unacknowledged."""
        self._last_send = time.monotonic()
        records, self._pending = self._pending, []
        counted, self._captures = len(records) - self._captures, 0
        if not records:
            return
        if self.failed:
            self._count(LOST_STAT, counted)
            return
        assert self.store is not None
        self._seq += 1
        batch = Batch(
            self._seq, self.store.run_id, records, raw=self.raw, frontier_policy=self.frontier_policy,
            archive=self.archive_config,
        )  # fmt: skip
        try:
            self._transmit(batch)
        except OSError as error:
            self._count(LOST_STAT, counted)
            self._fail(f"the writer process is gone ({error})", writer_gone=True)
            return
        self._in_flight[self._seq] = counted
        while len(self._in_flight) > MAX_IN_FLIGHT and not self.failed:
            self.receive(timeout=POLL_SECONDS)

    def _transmit(self, batch: Batch) -> None:
        assert self._batches is not None
        self._batches.send(batch)

    def receive(self, timeout: float) -> None:
        """Apply every acknowledgement that arrives within ``timeout``; notice a writer that died."""
        assert self._acks is not None and self.process is not None
        try:
            while self._acks.poll(timeout):
                self._apply(self._acks.recv())
                timeout = 0
        except (EOFError, OSError):
            pass
        if self._in_flight and self.process.poll() is not None and not self.failed:
            self._fail(f"the writer process ended unexpectedly (exit code {self.process.returncode})", writer_gone=True)

    def _apply(self, ack: Ack) -> None:
        for name, level, message in ack.logs:
            logging.getLogger(name).log(level, "%s", message)
        for key, count in ack.stats.items():
            self._count(key, count)
        if ack.seq in self._in_flight:
            del self._in_flight[ack.seq]
            self._count(BATCHES_STAT, 1)
        if ack.counters is not None:
            for callback in self.on_counters:
                callback(ack.counters)
        if ack.error is not None:
            self._fail(ack.error)

    def _fail(self, message: str, *, writer_gone: bool = False) -> None:
        """Mark the crawl's store failed (the run record stops the crawl); once.

        When the writer is gone, the batches it never acknowledged are lost; when it answered with an error, it
        counts the lost records itself (in the acknowledgements' stats).
        """
        if self.store is None or self.store.error is not None:
            return
        lost = 0
        if writer_gone:
            lost = sum(self._in_flight.values())
            self._in_flight.clear()
            self._count(LOST_STAT, lost)
        logger.error("The writer process could not store: %s", message)
        self.store.fail_elsewhere(message, lost=lost)

    def _count(self, key: str, count: int) -> None:
        if self.stats is not None and count:
            self.stats.inc_value(key, count)
