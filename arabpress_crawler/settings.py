"""Scrapy settings for arabpress-crawler: polite defaults for the real site.

The mirror/benchmark profile (:data:`arabpress_crawler.profiles.MIRROR`) turns throttling off.
Throttling can be tuned from the environment (``ARABPRESS_DOWNLOAD_DELAY``, ``ARABPRESS_CONCURRENCY``).
"""

from __future__ import annotations

import os

from arabpress_crawler import DEFAULT_BASE_URL

BOT_NAME = "arabpress_crawler"
SPIDER_MODULES = ["arabpress_crawler.spiders"]
NEWSPIDER_MODULE = "arabpress_crawler.spiders"

ARABPRESS_BASE_URL = os.environ.get("ARABPRESS_BASE_URL", DEFAULT_BASE_URL)
ARABPRESS_DB = os.environ.get("ARABPRESS_DB", "data/arabpress.db")

USER_AGENT = "arabpress-crawler/0.1 (+https://github.com/arabpress-crawler/arabpress-crawler)"
ROBOTSTXT_OBEY = True

CONCURRENT_REQUESTS = 16
CONCURRENT_REQUESTS_PER_DOMAIN = int(os.environ.get("ARABPRESS_CONCURRENCY", "2"))
DOWNLOAD_DELAY = float(os.environ.get("ARABPRESS_DOWNLOAD_DELAY", "1.0"))
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 1.0
AUTOTHROTTLE_MAX_DELAY = 60.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 1.0
DOWNLOAD_TIMEOUT = 30
DOWNLOAD_MAXSIZE = 10 * 1024 * 1024
DOWNLOAD_WARNSIZE = 2 * 1024 * 1024

RETRY_ENABLED = True
RETRY_TIMES = 3
RETRY_HTTP_CODES = [500, 502, 503, 504, 522, 524, 408, 429]

CLOSESPIDER_ERRORCOUNT = 100

REQUEST_FINGERPRINTER_IMPLEMENTATION = "2.7"
TWISTED_REACTOR = "twisted.internet.asyncioreactor.AsyncioSelectorReactor"
FEED_EXPORT_ENCODING = "utf-8"
LOG_LEVEL = "INFO"

ITEM_PIPELINES = {
    "arabpress_crawler.pipelines.clean.CleanPipeline": 100,
    "arabpress_crawler.pipelines.validate.ValidatePipeline": 200,
    "arabpress_crawler.pipelines.dedupe.DedupePipeline": 300,
    "arabpress_crawler.pipelines.store.StorePipeline": 400,
}
