"""Global politeness: one reservation clock per site in Redis, whatever the number of workers.

``DOWNLOAD_DELAY`` is per process in Scrapy, so N workers made N times the requests. Here each request first
reserves the next free slot of the site's clock (a Lua script, atomic in Redis, on Redis's own time): slots are
``DOWNLOAD_DELAY`` apart across all workers, and the request waits for its slot. With a delay of 0 (the mirror
profile) the middleware does nothing.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING, Any

from scrapy.exceptions import NotConfigured
from scrapy_redis.connection import get_redis_from_settings

from arabpress_crawler.distributed.settings import run_keys

if TYPE_CHECKING:
    from scrapy import Request
    from scrapy.crawler import Crawler

logger = logging.getLogger(__name__)

#: Returns ``{slot, wait}`` in milliseconds of Redis time: the reserved slot and how long until it.
RESERVE_SCRIPT = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local slot = math.max(tonumber(redis.call('GET', KEYS[1]) or '0'), now)
redis.call('SET', KEYS[1], slot + tonumber(ARGV[1]), 'PX', tonumber(ARGV[1]) + 60000)
return {slot, slot - now}
"""


class SiteClock:
    """The reservation clock of one site (see the module docstring)."""

    def __init__(self, server: Any, key: str, interval: float) -> None:
        self.key = key
        self.interval_ms = max(0, round(interval * 1000))
        self._reserve = server.register_script(RESERVE_SCRIPT)

    def reserve(self) -> tuple[int, int]:
        """Reserve the next slot: ``(slot, wait)`` in milliseconds (Redis time)."""
        slot, wait = self._reserve(keys=[self.key], args=[self.interval_ms])
        return int(slot), int(wait)


class GlobalThrottle:
    """Downloader middleware: every request waits for its slot of the site's clock."""

    def __init__(self, clock: SiteClock) -> None:
        self.clock = clock

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> GlobalThrottle:
        settings = crawler.settings
        delay = settings.getfloat("DOWNLOAD_DELAY")
        if delay <= 0:
            raise NotConfigured("no delay: nothing to share")
        return cls(SiteClock(get_redis_from_settings(settings), run_keys(settings).throttle, delay))

    async def process_request(self, request: Request) -> None:
        _, wait = self.clock.reserve()
        if wait > 0:
            await asyncio.sleep(wait / 1000)
