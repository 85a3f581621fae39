"""What the ``articles`` spider keeps for the next run: the frontier records of one run, sent in batches.

The spider decides (see :mod:`arabpress_crawler.frontier`); :class:`FrontierTracker` collects the records
and sends them with the :data:`~arabpress_crawler.frontier.FRONTIER_RECORDS` signal when the spider calls
:meth:`FrontierTracker.flush` — before it yields the article of a page, so the page's links are written first.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from arabpress_crawler.frontier import (
    FRONTIER_RECORDS,
    FrontierDrop,
    FrontierFailure,
    FrontierLink,
    FrontierRecord,
)

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

logger = logging.getLogger(__name__)


class FrontierTracker:
    """The frontier records of a run, waiting to be sent; and the URLs the frontier may hold."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.pending: list[FrontierRecord] = []
        self.known: set[str] = set()  # canonical URLs loaded from or kept in the frontier in this run

    def loaded(self, url: str) -> None:
        self.known.add(url)

    def keep(self, url: str, link: str, source: str, depth: int) -> None:
        """A link to visit in a later run if this one does not get to it."""
        if url not in self.known:
            self.known.add(url)
            self.pending.append(FrontierLink(url, link, source, depth))

    def failed(self, url: str, link: str, source: str, depth: int, error: str) -> None:
        self.known.add(url)
        self.pending.append(FrontierFailure(url, link, source, depth, error))

    def drop(self, url: str, reason: str) -> None:
        """``url`` will never give an article: out of the frontier.

        Always sent, known here or not: with several workers the one that fetched the page is often not the one
        that kept the link, and the writer needs the drop to settle the link whatever order the batches arrive in.
        """
        self.known.discard(url)
        self.pending.append(FrontierDrop(url, reason))

    def flush(self) -> None:
        if not self.pending:
            return
        records, self.pending = self.pending, []
        self.crawler.signals.send_catch_log(signal=FRONTIER_RECORDS, records=records)
        logger.debug("%d frontier records sent", len(records))
