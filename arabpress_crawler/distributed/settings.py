"""Scrapy settings of a worker of a distributed run, and reading them back."""

from __future__ import annotations

import os
import socket
from typing import TYPE_CHECKING, Any

from arabpress_crawler.distributed import REDIS_URL_SETTING, RUN_KEY_SETTING, WORKER_SETTING
from arabpress_crawler.distributed.keys import RunKeys, site_slug

if TYPE_CHECKING:
    from scrapy.settings import BaseSettings


def worker_id() -> str:
    """This process's name among the run's workers: ``<host>-<pid>``."""
    return f"{socket.gethostname()}-{os.getpid()}"


def run_keys(settings: BaseSettings) -> RunKeys:
    """The keys of the run the settings name (``ARABPRESS_REDIS_RUN`` on the site ``ARABPRESS_BASE_URL``)."""
    run = settings.get(RUN_KEY_SETTING)
    if not run:
        raise ValueError(f"{RUN_KEY_SETTING} is not set: a distributed worker needs the run's id")
    return RunKeys(site_slug(settings.get("ARABPRESS_BASE_URL")), str(run))


def worker_of(settings: BaseSettings) -> str:
    return settings.get(WORKER_SETTING) or worker_id()


def worker_settings(redis_url: str, run: str, *, worker: str | None = None) -> dict[str, Any]:
    """What turns a crawl into a worker of the distributed run ``run`` (on top of the project settings)."""
    return {
        REDIS_URL_SETTING: redis_url,
        RUN_KEY_SETTING: run,
        WORKER_SETTING: worker or "",
        "SCHEDULER": "arabpress_crawler.distributed.queue.LeasedScheduler",  # seen and queued in one step
        "SCHEDULER_PERSIST": True,  # a worker that stops must not clear what the others share
        "SCHEDULER_QUEUE_CLASS": "arabpress_crawler.distributed.queue.LeasedQueue",
        "SCHEDULER_DUPEFILTER_CLASS": "arabpress_crawler.distributed.dupefilter.CanonicalDupeFilter",
        "DUPEFILTER_CLASS": "arabpress_crawler.distributed.dupefilter.CanonicalDupeFilter",
        "SCHEDULER_IDLE_BEFORE_CLOSE": 0,
        "STATS_CLASS": "arabpress_crawler.distributed.stats.WorkerStats",  # sitemap lastmods saved before leases go
        "DOWNLOADER_MIDDLEWARES": {"arabpress_crawler.distributed.throttle.GlobalThrottle": 540},
        "EXTENSIONS": {"arabpress_crawler.distributed.frontier.SharedFrontier": 20},
        "SPIDER_MIDDLEWARES": {"arabpress_crawler.distributed.leases.HeldOutput": 1},  # closest to the engine
    }
