"""The writer process: runs the dedupe and store pipelines over the batches the crawler sends.

:func:`serve` is the process's entry point. It opens the crawl's database (its own connection), then for each
:class:`~arabpress_crawler.writer.protocol.Batch`: dedupes and writes every record exactly as the inline
pipelines do (the same :class:`~arabpress_crawler.pipelines.dedupe.DedupePipeline` and
:class:`~arabpress_crawler.pipelines.store.StorePipeline` objects, so decisions see this run's earlier writes),
commits, and only then answers with an :class:`~arabpress_crawler.writer.protocol.Ack` holding what the
commit did. It stops on :data:`~arabpress_crawler.writer.protocol.CLOSE`, or when the crawler is gone (the
pipe is closed: a crawler killed with SIGKILL), after committing what it holds.

The web archive: a batch may hold the captures of archived responses (:mod:`arabpress_crawler.archive.handoff`);
each is written to the WARC file, and flushed, where it comes in the batch, before the items pointing at it are
stored and so before the batch's commit.
"""

from __future__ import annotations

import logging
import math
from multiprocessing.connection import Connection
from typing import TYPE_CHECKING, Any

from scrapy.exceptions import DropItem

from arabpress_crawler.archive.handoff import ArchiveConfig, ArchiveStage, Capture
from arabpress_crawler.frontier import FRONTIER_RECORDS
from arabpress_crawler.frontier_writer import RunFrontier
from arabpress_crawler.items import ArticleItem, as_article
from arabpress_crawler.pipelines.clean import CleanPipeline
from arabpress_crawler.pipelines.store import StorePipeline
from arabpress_crawler.pipelines.validate import ValidatePipeline
from arabpress_crawler.run_record import RunCounters
from arabpress_crawler.writer.protocol import CLOSE, Ack, Batch, FrontierRecords

if TYPE_CHECKING:
    from arabpress_crawler.pipelines.dedupe import DedupePipeline

logger = logging.getLogger(__name__)
#: Scrapy logs a dropped item under its scraper's logger; the writer's drops are logged under the same name.
DROP_LOGGER = logging.getLogger("scrapy.core.scraper")


class DeltaStats:
    """The part of a Scrapy stats collector the pipelines use; increments are collected until popped."""

    def __init__(self) -> None:
        self.values: dict[str, int] = {}

    def inc_value(self, key: str, count: int = 1, start: int = 0) -> None:
        self.values[key] = self.values.get(key, start) + count

    def pop(self) -> dict[str, int]:
        values, self.values = self.values, {}
        return values


class LogCollector(logging.Handler):
    """Keeps the writer's log records, to be sent to the crawler with the next acknowledgement."""

    def __init__(self, level: int) -> None:
        super().__init__(level)
        self.records: list[tuple[str, int, str]] = []

    def emit(self, record: logging.LogRecord) -> None:
        try:
            self.records.append((record.name, record.levelno, record.getMessage()))
        except Exception:  # a record whose message cannot be formatted
            self.handleError(record)

    def pop(self) -> list[tuple[str, int, str]]:
        records, self.records = self.records, []
        return records


class FrontierSignals:
    """What the validate stage sends with Scrapy's signals (its frontier drops), written by the writer instead."""

    def __init__(self, writer: Writer) -> None:
        self.writer = writer

    def send_catch_log(self, signal: object, records: Any = (), **kwargs: Any) -> list[Any]:
        if signal is FRONTIER_RECORDS and records and self.writer.frontier_policy is not None:
            self.writer._frontier(FrontierRecords(list(records), self.writer.frontier_policy))
        return []


class Writer:
    """The dedupe and store stages over one database, one committed batch at a time."""

    def __init__(self, db_path: str, *, log: LogCollector | None = None) -> None:
        self.stats = DeltaStats()
        self.log = log
        #: For batches of raw records (:attr:`Batch.raw`): the crawler's first two stages, run here.
        self.clean = CleanPipeline()
        self.validate = ValidatePipeline(stats=self.stats, signals=FrontierSignals(self))  # type: ignore[arg-type]
        #: The frontier policy of the batch being handled (its validate stage's frontier drops need it).
        self.frontier_policy: Any = None
        self.db_path = db_path
        self._dedupe: DedupePipeline | None = None
        # Commits only when told: one transaction per batch, acknowledged after it.
        self.store = StorePipeline(db_path, batch_size=2**62, flush_seconds=math.inf, stats=self.stats)  # type: ignore[arg-type]
        #: The run's frontier (:mod:`arabpress_crawler.frontier_writer`): its records come in the batches.
        self.frontier: RunFrontier | None = None
        #: The web archive, when the crawler sends captures (:mod:`arabpress_crawler.archive.handoff`).
        self.archive = ArchiveStage(self.stats.inc_value)
        self.archive_config: ArchiveConfig | None = None

    @property
    def dedupe(self) -> DedupePipeline:
        """The dedupe stage, imported and opened for the first article (its module loads numpy: a second crawl
        whose batches hold only 304s and frontier records never needs it)."""
        if self._dedupe is None:
            from arabpress_crawler.pipelines.dedupe import DedupePipeline

            dedupe = DedupePipeline(self.db_path, stats=self.stats)  # type: ignore[arg-type]
            dedupe.open_spider()  # the store's connection (one per process): it sees this run's writes
            self._dedupe = dedupe
        return self._dedupe

    def open(self) -> None:
        self.store.open_spider()
        assert self.store.store is not None
        self.frontier = RunFrontier(self.store.store, self.stats.inc_value)
        self.frontier.open()

    def close(self) -> None:
        """Prune the frontier of what the run stored, commit, close (a failed store commits nothing), then close
        the archive file (after the commit, as the crawler closes it after its pipelines)."""
        if self.frontier is not None:
            self.frontier.close()
            self.frontier = None
        try:
            self.store.close_spider()
            if self._dedupe is not None:
                self._dedupe.close_spider()
        finally:
            self.archive.close()

    def handle(self, batch: Batch) -> Ack:
        """Dedupe, write and commit ``batch``; the acknowledgement says what the commit did, or why it failed."""
        store = self.store.store
        assert store is not None
        store.run_id = batch.run_id
        self.frontier_policy = batch.frontier_policy
        self.archive_config = batch.archive or self.archive_config
        counters = RunCounters()
        store.on_commit(counters.add_written)
        try:
            for record in batch.records:
                self._process(record, raw=batch.raw)
            self.store.flush()
        finally:
            store.unsubscribe(counters.add_written)
        return Ack(
            seq=batch.seq,
            records=sum(1 for record in batch.records if not isinstance(record, Capture)),
            stats=self.stats.pop(),
            counters=counters,
            logs=self.log.pop() if self.log is not None else [],
            error=store.error,
            lost=store.lost if store.error is not None else 0,
        )

    def _process(self, record: Any, *, raw: bool = False) -> None:
        if isinstance(record, FrontierRecords):
            self._frontier(record)
            return
        if isinstance(record, Capture):  # written (and flushed) before the batch's commit
            self.archive.write(record, self.archive_config)
            return
        if isinstance(record, ArticleItem):
            self.archive.resolve(record)
        try:
            if raw:
                record = self._prepare(record)
                if record is None:
                    return
            if as_article(record) is not None:  # 304s go straight to the store, as dedupe would pass them
                record = self.dedupe.process_item(record)
            self.store.process_item(record)
        except Exception:  # a bug on one record must not lose the batch: Scrapy would log it and go on
            logger.exception("Error processing %s in the writer", getattr(record, "url", record))
            self.stats.inc_value("arabpress/writer/record_errors")

    def _prepare(self, record: Any) -> Any:
        """``record`` cleaned and validated as the crawler's pipelines would; ``None`` when validation drops it.

        A drop is counted as Scrapy counts one (``item_dropped_count`` and its reason), and the item Scrapy
        counted as scraped when it left the crawler's pipelines is taken back, so the crawl's stats are those of
        a crawl that validated in its own process.
        """
        try:
            return self.validate.process_item(self.clean.process_item(record))
        except DropItem as drop:
            self.stats.inc_value("item_dropped_count")
            self.stats.inc_value(f"item_dropped_reasons_count/{type(drop).__name__}")
            self.stats.inc_value("item_scraped_count", -1)
            DROP_LOGGER.log(logging.getLevelName(drop.log_level or "WARNING"), "Dropped: %s", drop)
            return None

    def _frontier(self, batch: FrontierRecords) -> None:
        """Frontier rows, in the open transaction (committed with the batch, as the inline crawl does)."""
        if self.frontier is not None and self.store.store is not None and self.store.store.error is None:
            self.frontier.write(batch.records, batch.policy)


def serve(db_path: str, batches: Connection, acks: Connection, log_level: int = logging.INFO) -> None:
    """Entry point of the writer process (see the module docstring)."""
    collector = LogCollector(log_level)
    root = logging.getLogger()
    root.addHandler(collector)
    root.setLevel(log_level)
    writer = Writer(db_path, log=collector)
    try:
        writer.open()
    except Exception as error:  # the database cannot be opened: say so to the crawler, which stops
        acks.send(Ack(seq=-1, records=0, logs=collector.pop(), error=f"the writer could not open {db_path}: {error}"))
        return
    try:
        while True:
            try:
                message = batches.recv()
            except (EOFError, OSError):  # the crawler is gone
                logger.warning("The crawler process is gone; the writer stops after its last commit")
                break
            if message == CLOSE:
                break
            acks.send(writer.handle(message))
    finally:
        writer.close()
        try:
            acks.send(Ack(seq=-1, records=0, stats=writer.stats.pop(), logs=collector.pop()))
        except OSError:
            pass
