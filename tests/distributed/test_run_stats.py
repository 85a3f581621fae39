"""What a worker killed after its leases went leaves in the run's stats: the sub-sitemaps' ``lastmod`` it read.

A sitemap's response yields requests and no item, so its lease goes as soon as its output is over; the
``sitemap_lastmod`` stats it set lived in the worker's memory until the worker closed. A worker killed in between
left them nowhere: the run record lacked them (``test_held_leases.py``: ``sitemap_lastmods`` without the news
sitemap, 1 run in 20 under load, the held worker having read it). Played here with the worker's own stats collector
(the one its settings name) and its :class:`~arabpress_crawler.distributed.frontier.SharedFrontier`.
"""

from __future__ import annotations

import json
from types import SimpleNamespace
from typing import Any

from scrapy import Request
from scrapy.settings import Settings
from scrapy.utils.misc import load_object

from arabpress_crawler.distributed.coordinator import merge_stats
from arabpress_crawler.distributed.feed import RedisWriterPipeline, RemoteStore
from arabpress_crawler.distributed.frontier import SharedFrontier
from arabpress_crawler.distributed.queue import LEASE_META
from arabpress_crawler.distributed.settings import run_keys, worker_settings
from arabpress_crawler.spiders import SITEMAP_LASTMOD_STAT

from .test_frontier import BASE, queue

SITEMAP = f"{BASE}/news-sitemap.xml"
LASTMOD = "2025-10-17T06:14:00+00:00"


def test_a_worker_killed_after_reading_a_sitemap_leaves_its_lastmod_in_the_runs_stats(redis_url: str, server: Any) -> None:
    settings = Settings({"ARABPRESS_BASE_URL": BASE, **worker_settings(redis_url, "run-1", worker="held")})
    stats = load_object(settings["STATS_CLASS"])(SimpleNamespace(settings=settings))
    leased = queue(redis_url, server, "held")
    writer = RedisWriterPipeline(":memory:")  # the worker's pipeline to the run's writer, nothing pending
    writer.server, writer.keys, writer.worker = server, run_keys(settings), "held"
    writer.store = RemoteStore(lambda error: None)  # type: ignore[assignment]
    scraper = SimpleNamespace(itemproc=SimpleNamespace(middlewares=[writer]))
    engine = SimpleNamespace(scheduler=SimpleNamespace(queue=leased), scraper=scraper, spider_is_idle=lambda: False)
    crawler = SimpleNamespace(settings=settings, stats=stats, engine=engine, spider=SimpleNamespace())
    frontier = SharedFrontier(crawler)  # type: ignore[arg-type]
    frontier.opened()
    try:
        leased.push(Request(SITEMAP))
        request = leased.pop()
        frontier.downloaded(request)
        frontier.left_downloader(request)
        stats.set_value(f"{SITEMAP_LASTMOD_STAT}{SITEMAP}", LASTMOD)  # what parse_sitemap records
        assert frontier.holder is not None
        frontier.holder.output_done(request.meta[LEASE_META])  # requests only: the lease goes
        assert leased.leased() == 0  # nobody fetches the sitemap again
    finally:  # killed: never closed
        frontier._loop.stop()
        assert frontier._wakeup is not None
        listener = frontier._wakeup._thread
        frontier._wakeup.stop()
        listener.join()  # before the fixture closes the connection it reads
    run_stats = merge_stats(json.loads(value) for value in server.hvals(run_keys(settings).stats))
    assert run_stats.get(f"{SITEMAP_LASTMOD_STAT}{SITEMAP}") == LASTMOD
