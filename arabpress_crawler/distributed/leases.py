"""A popped request's lease is held until the items of its response are committed by the writer.

The lease (:mod:`.queue`) used to be dropped when the request left the downloader: a worker killed after that
and before the writer acknowledged the batch holding its items lost those items for the run (the next run
fetched them). Now, for a request that got a response:

1. when it leaves the downloader, :class:`LeaseHolder` keeps its lease (``response_downloaded`` marked it);
2. :class:`HeldOutput` (a spider middleware, closest to the engine) counts the items its callback yields and
   notes the end of the output; the ``item_scraped`` / ``item_dropped`` / ``item_error`` signals count the
   items that have left the pipelines (into the worker's batch buffer, or dropped);
3. once the output is over and every item has left the pipelines, the lease is handed to the
   :class:`~arabpress_crawler.distributed.feed.RedisWriterPipeline`, which drops it when every batch up to the
   one holding those items is acknowledged (committed).

Requests yielded by the callback are in the queue before the lease goes, so a kill at any point gives the request
back (:meth:`~arabpress_crawler.distributed.queue.LeasedQueue.recover`) and another worker fetches it again; what
it stores again is the same article (the writer's dedupe sees it unchanged). A request that failed without a
response is released when it leaves the downloader, as before; one replaced by another (a redirect, a retry)
when its replacement is queued; and whatever is still held, not waiting for a batch, when the engine is idle
(nothing is being scraped then: a response a middleware turned into a failure, an output nobody consumed).
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from itemadapter import is_item
from scrapy.exceptions import NotConfigured

from arabpress_crawler.distributed.queue import DOWNLOADED_META, LEASE_META, LeasedQueue

if TYPE_CHECKING:
    from scrapy import Request
    from scrapy.crawler import Crawler
    from scrapy.http import Response

logger = logging.getLogger(__name__)

@dataclass
class Scraping:
    """A held lease whose response is being scraped: items yielded and not yet out of the pipelines."""

    items: int = 0
    output_done: bool = False


def lease_of(response: Response | None) -> bytes | None:
    request = getattr(response, "request", None)
    return request.meta.get(LEASE_META) if request is not None else None


class LeaseHolder:
    """The worker's held leases (see the module docstring); ``pipeline`` is the worker's writer pipeline."""

    def __init__(self, queue: LeasedQueue, pipeline: Any, before_release: Callable[[], None] | None = None) -> None:
        self.queue = queue
        self.pipeline = pipeline
        #: Called before a response's lease is released or handed to the pipeline: what the response left outside
        #: the items (the sitemap lastmods in the stats, :mod:`.stats`) is saved first.
        self.before_release = before_release
        self.scraping: dict[bytes, Scraping] = {}

    def downloaded(self, request: Request) -> None:
        if LEASE_META in request.meta:
            request.meta[DOWNLOADED_META] = True

    def left_downloader(self, request: Request) -> None:
        data = request.meta.get(LEASE_META)
        if data is None:
            return
        if request.meta.get(DOWNLOADED_META):
            self.scraping.setdefault(data, Scraping())
        else:  # no response: nothing of it can reach the writer
            self.queue.release(request)

    def item_yielded(self, data: bytes) -> None:
        self.scraping.setdefault(data, Scraping()).items += 1

    def output_done(self, data: bytes) -> None:
        entry = self.scraping.get(data)
        if entry is not None:
            entry.output_done = True
            self._settle(data, entry)

    def item_done(self, response: Response | None = None, **_: Any) -> None:
        data = lease_of(response)
        entry = self.scraping.get(data) if data is not None else None
        if data is not None and entry is not None:
            entry.items -= 1
            self._settle(data, entry)

    def _settle(self, data: bytes, entry: Scraping) -> None:
        if entry.output_done and entry.items <= 0:
            del self.scraping[data]
            if self.before_release is not None:
                self.before_release()
            if self.pipeline is not None:
                self.pipeline.hold(data)
            else:
                self.queue.release_data(data)

    def idle(self) -> None:
        """The engine is idle: nothing is scraped, so what is held and not waiting for a batch goes; the records
        the pipeline holds are sent now (their acknowledgement releases the rest)."""
        orphans, self.scraping = list(self.scraping), {}
        if orphans and self.before_release is not None:
            self.before_release()
        for data in orphans:
            self.queue.release_data(data)
        if self.pipeline is not None and self.pipeline.holding():
            self.pipeline.send()


class HeldOutput:
    """Spider middleware of a distributed worker: counts the items of each leased response (see the module
    docstring). Enabled by :func:`~arabpress_crawler.distributed.settings.worker_settings`, closest to the engine."""

    def __init__(self, frontier: Any) -> None:
        self.frontier = frontier

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> HeldOutput:
        from arabpress_crawler.distributed.frontier import SharedFrontier

        assert crawler.extensions is not None
        for extension in crawler.extensions.middlewares:
            if isinstance(extension, SharedFrontier):
                return cls(extension)
        raise NotConfigured("not a distributed worker")

    def _holder(self, response: Response) -> tuple[LeaseHolder | None, bytes | None]:
        holder = self.frontier.holder
        return (holder, lease_of(response)) if holder is not None else (None, None)

    def process_spider_output(self, response: Response, result: Iterable[Any]) -> Iterator[Any]:
        holder, data = self._holder(response)
        if holder is None or data is None:
            yield from result
            return
        try:
            for output in result:
                if is_item(output):
                    holder.item_yielded(data)
                yield output
        finally:
            holder.output_done(data)

    async def process_spider_output_async(self, response: Response, result: AsyncIterator[Any]) -> AsyncIterator[Any]:
        holder, data = self._holder(response)
        try:
            async for output in result:
                if holder is not None and data is not None and is_item(output):
                    holder.item_yielded(data)
                yield output
        finally:
            if holder is not None and data is not None:
                holder.output_done(data)
