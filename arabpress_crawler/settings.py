"""Scrapy settings for arabpress-crawler: polite defaults for the real site.

The mirror/benchmark profile (:data:`arabpress_crawler.profiles.MIRROR`) turns throttling off.

Throttling is tuned from the environment, so a cron line can slow the crawler down without editing code:

==================================  =========  ==================================================
variable                            default    meaning
==================================  =========  ==================================================
``ARABPRESS_BASE_URL``              public     site to crawl (``-a base_url=`` / ``--base-url`` win)
``ARABPRESS_DB``                    data/...   SQLite database the pipelines write to
``ARABPRESS_PROFILE``               (none)     ``mirror``: no throttling (local mirror, benchmarks)
``ARABPRESS_WRITER``                process    ``inline``: dedupe and store in the crawler's thread
``ARABPRESS_CONCURRENCY``           2          concurrent requests to the site
``ARABPRESS_DOWNLOAD_DELAY``        1.0        seconds between requests (AutoThrottle's floor)
``ARABPRESS_AUTOTHROTTLE``          1          ``0`` turns AutoThrottle off
``ARABPRESS_AUTOTHROTTLE_MAX_DELAY`` 60        AutoThrottle's ceiling, in seconds
``ARABPRESS_RETRY_TIMES``           3          retries of a failed page
``ARABPRESS_RETRY_BACKOFF``         2.0        first back-off wait; doubles per retry
``ARABPRESS_RETRY_MAX_WAIT``        120        cap on any wait, ``Retry-After`` included
==================================  =========  ==================================================

A value that is not a number is ignored (with a warning in the log) and the default is used.
"""

from __future__ import annotations

import logging
import os

from arabpress_crawler import DEFAULT_BASE_URL, __version__

logger = logging.getLogger(__name__)


def _env_number(name: str, default: float) -> float:
    """Read a non-negative number from the environment, falling back to ``default`` on a bad value."""
    raw = os.environ.get(name)
    if raw is None or not raw.strip():
        return default
    try:
        value = float(raw)
    except ValueError:
        logger.warning("ignoring %s=%r: not a number, using %s", name, raw, default)
        return default
    if value < 0:
        logger.warning("ignoring %s=%r: negative, using %s", name, raw, default)
        return default
    return value


BOT_NAME = "arabpress_crawler"
SPIDER_MODULES = ["arabpress_crawler.spiders"]
NEWSPIDER_MODULE = "arabpress_crawler.spiders"

ARABPRESS_BASE_URL = os.environ.get("ARABPRESS_BASE_URL", DEFAULT_BASE_URL)
ARABPRESS_DB = os.environ.get("ARABPRESS_DB", "data/arabpress.db")
# "mirror" for the local mirror and benchmarks (see arabpress_crawler.profiles); empty for the real site.
ARABPRESS_PROFILE = os.environ.get("ARABPRESS_PROFILE", "")
# "process": dedupe and store run in a writer process (two cores); "inline": in the crawler's thread.
ARABPRESS_WRITER = os.environ.get("ARABPRESS_WRITER", "process")
ADDONS = {"arabpress_crawler.profiles.ProfileAddon": 0, "arabpress_crawler.writer.addon.WriterAddon": 10}

# Who we are and how to reach us: site operators read this in their logs.
USER_AGENT = (
    f"arabpress-crawler/{__version__} "
    "(+https://github.com/arabpress-crawler/arabpress-crawler; research crawler, contact via issues)"
)
ROBOTSTXT_OBEY = True
# A cron job has no use for a console port, nor for Scrapy's code-running HTTP server and its job files.
TELNETCONSOLE_ENABLED = False
REMOTE_CONTROL_ENABLED = False
COOKIES_ENABLED = False  # the site needs none; fewer surprises

# Politeness: a few requests at a time, AutoThrottle adapting the delay to the server's latency.
CONCURRENT_REQUESTS = 16
CONCURRENT_REQUESTS_PER_DOMAIN = int(_env_number("ARABPRESS_CONCURRENCY", 2)) or 1
DOWNLOAD_DELAY = _env_number("ARABPRESS_DOWNLOAD_DELAY", 1.0)
DOWNLOAD_DELAY_JITTER = 0.5  # each delay varies by ±50%, so requests do not come in lockstep
AUTOTHROTTLE_ENABLED = bool(_env_number("ARABPRESS_AUTOTHROTTLE", 1))
AUTOTHROTTLE_START_DELAY = max(DOWNLOAD_DELAY, 1.0)
AUTOTHROTTLE_MAX_DELAY = _env_number("ARABPRESS_AUTOTHROTTLE_MAX_DELAY", 60.0)
AUTOTHROTTLE_TARGET_CONCURRENCY = 1.0
DOWNLOAD_TIMEOUT = 30
DOWNLOAD_MAXSIZE = 10 * 1024 * 1024
DOWNLOAD_WARNSIZE = 2 * 1024 * 1024

# Retries with back-off that honour Retry-After (see arabpress_crawler.middlewares).
RETRY_ENABLED = True
RETRY_TIMES = int(_env_number("ARABPRESS_RETRY_TIMES", 3))
RETRY_HTTP_CODES = [500, 502, 503, 504, 522, 524, 408, 429]
ARABPRESS_RETRY_BACKOFF = _env_number("ARABPRESS_RETRY_BACKOFF", 2.0)
ARABPRESS_RETRY_MAX_WAIT = _env_number("ARABPRESS_RETRY_MAX_WAIT", 120.0)
DOWNLOADER_MIDDLEWARES = {
    "scrapy.downloadermiddlewares.retry.RetryMiddleware": None,
    "arabpress_crawler.middlewares.BackoffRetryMiddleware": 550,
    # After decompression (590): re-decodes pages whose declared charset their bytes contradict.
    "arabpress_crawler.middlewares.CharsetMiddleware": 580,
}

# Items and requests a page yields go through the item pipelines and the scheduler one by one anyway (the
# pipelines are synchronous); Scrapy's default of 100 starts 100 asyncio tasks for every page's output.
CONCURRENT_ITEMS = 1

# A broken crawl (site down, template gone) stops early instead of hammering the site.
CLOSESPIDER_ERRORCOUNT = 100

TWISTED_REACTOR = "twisted.internet.asyncioreactor.AsyncioSelectorReactor"
FEED_EXPORT_ENCODING = "utf-8"
LOG_LEVEL = "INFO"

# Start-up objects (modules, classes, settings) are frozen out of the garbage collector's full collections.
# The run record (crawl_runs) is kept by an extension, whatever starts the crawl.
EXTENSIONS = {
    "arabpress_crawler.extensions.FreezeStartupObjects": 0,
    "arabpress_crawler.run_record.RunRecord": 10,
}
ARABPRESS_GC_FREEZE = True

ITEM_PIPELINES = {
    "arabpress_crawler.pipelines.clean.CleanPipeline": 100,
    "arabpress_crawler.pipelines.validate.ValidatePipeline": 200,
    "arabpress_crawler.pipelines.dedupe.DedupePipeline": 300,
    "arabpress_crawler.pipelines.store.StorePipeline": 400,
}
