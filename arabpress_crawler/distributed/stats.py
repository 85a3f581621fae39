"""A distributed worker's stats collector: the sitemap lastmods it records reach the run before its leases go.

A worker's stats reach the coordinator when it closes (:class:`~arabpress_crawler.distributed.feed.RedisWriterPipeline`
writes them to the run's ``…:stats`` hash). Most are counters, and a killed worker's counters are lost with it, as
they are in one process. But the ``sitemap_lastmod`` stats are data the run record keeps (the next run compares a
sub-sitemap's ``<lastmod>`` with them): a sitemap's response yields requests and no item, so its lease went as
soon as its output was over, and a worker killed afterwards took the lastmods it had read with it, though nobody
would fetch those sitemaps again in the run. :class:`WorkerStats` notes them as they are set, and
:meth:`WorkerStats.save_sitemaps`, called before any lease goes (:class:`~arabpress_crawler.distributed.leases.LeaseHolder`),
writes them to the run's stats hash under ``<worker> sitemaps``, which the coordinator merges with the rest.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from scrapy.statscollectors import MemoryStatsCollector

from arabpress_crawler.distributed.keys import RUN_TTL_SECONDS, RunKeys
from arabpress_crawler.spiders import SITEMAP_LASTMOD_STAT

if TYPE_CHECKING:
    from scrapy import Spider
    from scrapy.crawler import Crawler


class WorkerStats(MemoryStatsCollector):
    """Scrapy's memory stats collector, keeping the sitemap lastmods apart (see the module docstring)."""

    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler)
        self.sitemaps: dict[str, Any] = {}
        self._unsaved = False

    def set_value(self, key: str, value: Any, spider: Spider | None = None) -> None:
        super().set_value(key, value)
        if key.startswith(SITEMAP_LASTMOD_STAT):
            self.sitemaps[key] = value
            self._unsaved = True

    def save_sitemaps(self, server: Any, keys: RunKeys, worker: str) -> None:
        """Write the sitemap lastmods recorded so far to the run's stats hash, if any is new since the last time."""
        if not self._unsaved:
            return
        pipe = server.pipeline()
        pipe.hset(keys.stats, f"{worker} sitemaps", json.dumps(self.sitemaps))
        pipe.expire(keys.stats, RUN_TTL_SECONDS)
        pipe.execute()
        self._unsaved = False
