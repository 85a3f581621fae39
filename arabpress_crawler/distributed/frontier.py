"""The worker's side of the shared frontier: leases released, heartbeat, and stopping when the run is done.

:class:`SharedFrontier` (a Scrapy extension, enabled by :func:`~arabpress_crawler.distributed.settings.worker_settings`)

* gives the spider the run's page budgets (:mod:`.budget`): one ``ARABPRESS_MAX_PAGES`` cap for all workers, on
  article pages and on the listing pages a backfill follows;
* holds a request's lease until the items of its response are committed by the writer (:mod:`.leases`), or
  releases it when it left the downloader without a response;
* beats the worker's heartbeat, marks it idle while its engine is idle, and gives back the leases of dead
  workers;
* wakes its engine when another worker queued a request, turned idle or left (:mod:`.wake`), instead of
  leaving it to Scrapy's 5-second heartbeat;
* when the spider is idle, keeps it open (``DontCloseSpider``) while the queue holds requests, any request is
  leased, or another live worker is busy: a worker with nothing queued no longer quits while others crawl;
* when the last worker leaves, marks the run done (:mod:`.membership`: a worker that comes later exits at once)
  and deletes the run's frontier keys (the coordinator deletes the writer's when it has committed the last
  batch): nothing of the run is left in Redis; a worker leaving tells the writer so
  (:func:`~arabpress_crawler.distributed.feed.announce_left`), which stops without polling for it;
* a worker the run refused (done) closes at once, fetching nothing, and deletes what its start created.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from scrapy import signals
from scrapy.exceptions import DontCloseSpider, NotConfigured

from arabpress_crawler.distributed import membership
from arabpress_crawler.distributed.budget import SharedPageBudget
from arabpress_crawler.distributed.feed import WORKER_STARTUP_CPU_STAT, announce_left, cpu_seconds
from arabpress_crawler.distributed.keys import HEARTBEAT_TTL_SECONDS
from arabpress_crawler.distributed.leases import LeaseHolder
from arabpress_crawler.distributed.queue import LeasedQueue, _text
from arabpress_crawler.distributed.stats import WorkerStats
from arabpress_crawler.distributed.wake import Wakeup, schedule_next_request, wake

if TYPE_CHECKING:
    from scrapy import Request
    from scrapy.crawler import Crawler
    from scrapy.http import Response

logger = logging.getLogger(__name__)

HEARTBEAT_SECONDS = 2.0


def run_is_done(queue: LeasedQueue) -> bool:
    """No request queued, none leased, and every live worker of the run idle."""
    if len(queue) or queue.leased():
        return False
    keys, server = queue.keys, queue.server
    for member in server.smembers(keys.workers):
        worker = _text(member)
        if server.exists(keys.alive(worker)) and not server.exists(keys.idle(worker)):
            return False
    return True


def writer_pipeline(crawler: Crawler) -> Any:
    """The worker's :class:`~arabpress_crawler.distributed.feed.RedisWriterPipeline`, if it sends items to a writer."""
    from arabpress_crawler.distributed.feed import RedisWriterPipeline

    scraper = getattr(crawler.engine, "scraper", None)
    pipelines = getattr(getattr(scraper, "itemproc", None), "middlewares", ())
    return next((pipeline for pipeline in pipelines if isinstance(pipeline, RedisWriterPipeline)), None)


def mark_idle(queue: LeasedQueue) -> None:
    """This worker's engine is idle; when it just became so, the others may be waiting for it: wake them."""
    if queue.server.set(queue.keys.idle(queue.worker), 1, ex=HEARTBEAT_TTL_SECONDS, get=True) is None:
        wake(queue.server, queue.keys, "idle")


class SharedFrontier:
    """Scrapy extension of a distributed worker (see the module docstring)."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.queue: LeasedQueue | None = None
        self.holder: LeaseHolder | None = None
        self._loop: Any = None
        self._wakeup: Wakeup | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> SharedFrontier:
        from scrapy.utils.misc import load_object

        from arabpress_crawler.distributed.queue import LeasedScheduler

        if not issubclass(load_object(crawler.settings.get("SCHEDULER")), LeasedScheduler):
            raise NotConfigured("not a distributed worker")
        extension = cls(crawler)
        crawler.signals.connect(extension.opened, signal=signals.spider_opened)
        crawler.signals.connect(extension.idle, signal=signals.spider_idle)
        crawler.signals.connect(extension.closed, signal=signals.spider_closed)
        crawler.signals.connect(extension.left_downloader, signal=signals.request_left_downloader)
        crawler.signals.connect(extension.downloaded, signal=signals.response_downloaded)
        for signal in (signals.item_scraped, signals.item_dropped, signals.item_error):
            crawler.signals.connect(extension.item_done, signal=signal)
        return extension

    def opened(self) -> None:
        from twisted.internet import task

        if self.crawler.stats is not None:
            self.crawler.stats.set_value(WORKER_STARTUP_CPU_STAT, round(cpu_seconds(), 3))
        engine = self.crawler.engine
        queue = getattr(engine.scheduler if engine is not None else None, "queue", None)
        self.queue = queue if isinstance(queue, LeasedQueue) else None
        spider = self.crawler.spider
        if self.queue is not None:  # the caps are the run's, not this worker's
            server, keys = self.queue.server, self.queue.keys
            if hasattr(spider, "page_budget"):
                spider.page_budget = SharedPageBudget(server, keys.pages, spider.max_pages)
            if hasattr(spider, "listing_budget"):
                spider.listing_budget = SharedPageBudget(server, keys.listings, spider.max_pages)

        if self.queue is not None:
            pipeline = writer_pipeline(self.crawler)  # none: no writer, no coordinator to read the run's stats
            self.holder = LeaseHolder(self.queue, pipeline, self._save_stats if pipeline is not None else None)
            self._wakeup = Wakeup(self.queue.server, self.queue.keys, lambda: schedule_next_request(self.crawler.engine))
            self._wakeup.start()
        self._loop = task.LoopingCall(self.beat)
        self._loop.start(HEARTBEAT_SECONDS, now=True)

    def _save_stats(self) -> None:
        """Before a lease goes: the sitemap lastmods this worker recorded are saved in the run (:mod:`.stats`)."""
        stats, queue = self.crawler.stats, self.queue
        if isinstance(stats, WorkerStats) and queue is not None:
            stats.save_sitemaps(queue.server, queue.keys, queue.worker)

    def beat(self) -> None:
        queue = self.queue
        if queue is None or queue.refused is not None:
            return
        queue.heartbeat()
        engine = self.crawler.engine
        if engine is not None and engine.spider_is_idle():
            mark_idle(queue)

    def downloaded(self, request: Request) -> None:
        if self.holder is not None:
            self.holder.downloaded(request)

    def left_downloader(self, request: Request) -> None:
        if self.holder is not None:
            self.holder.left_downloader(request)

    def item_done(self, response: Response | None = None, **_: Any) -> None:
        if self.holder is not None:
            self.holder.item_done(response)

    def idle(self) -> None:
        queue = self.queue
        if queue is None or queue.refused is not None:  # refused: the run is done, this worker closes now
            return
        if self.holder is not None:
            self.holder.idle()
        mark_idle(queue)
        queue.recover()
        if not run_is_done(queue):
            raise DontCloseSpider

    def closed(self) -> None:
        if self._loop is not None and self._loop.running:
            self._loop.stop()
        if self._wakeup is not None:
            self._wakeup.stop()
        queue = self.queue
        if queue is None:
            return
        keys, server = queue.keys, queue.server
        if queue.refused is not None:  # never joined: what its start pages created (seen, budgets) goes
            if not server.scard(keys.workers):
                keys.delete(server, frontier_only=True)
            return
        queue.recover()
        server.delete(keys.alive(queue.worker), keys.idle(queue.worker))
        last = membership.leave(server, keys, queue.worker)
        wake(server, keys, "left")
        announce_left(server, keys, queue.worker)
        if last:
            deleted = keys.delete(server, frontier_only=True)  # the coordinator's writer may still drain batches
            logger.info("Last worker of run %s: deleted its %d keys", keys.run, deleted)
