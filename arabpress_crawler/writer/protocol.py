"""Messages between the crawler and the writer process (pickled over a one-way pipe each way).

The crawler sends :class:`Batch` es and, at the end, :data:`CLOSE`; the writer answers each batch with one
:class:`Ack` once the batch is committed (or could not be: :attr:`Ack.error`). A batch is sent whole or not
at all (a pipe message), so a crawler killed while sending leaves the writer nothing half-read.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

#: Sent by the crawler when the crawl is over: the writer commits what it holds and exits.
CLOSE = "close"


@dataclass
class FrontierRecords:
    """Frontier records the spider sent (links found, cut or failed), written in the batch's transaction."""

    records: list[Any]
    #: The :class:`~arabpress_crawler.db.frontier.FrontierPolicy` of the crawl.
    policy: Any


@dataclass
class Batch:
    """Records for the writer: articles (:class:`~arabpress_crawler.items.ArticleItem`), 304s,
    :class:`FrontierRecords` and the captures of archived responses
    (:class:`~arabpress_crawler.archive.handoff.Capture`, each before the items of its response), in the order the
    crawl produced them."""

    seq: int
    run_id: int | None
    records: list[Any]
    #: The records are as the spider yielded them: the writer cleans and validates them before dedupe (see
    #: :class:`~arabpress_crawler.writer.addon.WriterAddon`); ``False``: the crawler did both already.
    raw: bool = False
    #: The crawl's :class:`~arabpress_crawler.db.frontier.FrontierPolicy` (``None``: no frontier), for the frontier
    #: drops the writer's validate stage sends for raw records.
    frontier_policy: Any = None
    #: Where the writer writes the captures (an :class:`~arabpress_crawler.archive.handoff.ArchiveConfig`;
    #: ``None``: the crawler archives itself, or not at all).
    archive: Any = None


@dataclass
class Ack:
    """The writer's answer to batch ``seq``: committed (``error`` is ``None``) or lost with the reason."""

    seq: int
    records: int
    #: Stats increments of the dedupe and store stages (``arabpress/store/new``, ``arabpress/duplicates/near``…).
    stats: dict[str, int] = field(default_factory=dict)
    #: What the commit did, for the run record (a :class:`~arabpress_crawler.run_record.RunCounters`).
    counters: Any = None
    #: The writer's log records since the last acknowledgement: ``(logger name, level, message)``.
    logs: list[tuple[str, int, str]] = field(default_factory=list)
    error: str | None = None
    lost: int = 0
