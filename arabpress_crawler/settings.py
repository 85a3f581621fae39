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
``ARABPRESS_MAX_PAGES``             20000      article pages per run (``--max-pages`` wins)
``ARABPRESS_MAX_RUN_SECONDS``       21600      the run's time budget (6 hours)
``ARABPRESS_MAX_URL_LENGTH``        2048       longer links are never followed
``ARABPRESS_MAX_QUERY_VARIANTS``    3          ``?query`` variants of one article path per run
``ARABPRESS_SITEMAP_MAX_DEPTH``     3          sitemap levels below robots.txt
``ARABPRESS_MAX_SITEMAPS``          1000       sitemap files read per run
``ARABPRESS_MAX_SITEMAP_URLS``      50000      entries read from one sitemap file
``ARABPRESS_MAX_RELATED_LINKS``     100        "Related Articles" links read per page
``ARABPRESS_ARCHIVE``               1          ``0``: no web archive (WARC) of article responses
``ARABPRESS_ARCHIVE_DIR``           (beside)   WARC directory; default ``archive/`` beside the database
==================================  =========  ==================================================

The caps (``ARABPRESS_MAX_*``, see :mod:`arabpress_crawler.spiders.limits`) bound every run, so no site can
hold a crawl forever; a cap that cuts something is counted in the run record and named in the summary.

A value that is not a number is ignored (with a warning in the log) and the default is used.
"""

from __future__ import annotations

import logging
import os

from arabpress_crawler import DEFAULT_BASE_URL, __version__
from arabpress_crawler.spiders.limits import CrawlLimits

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
    # RFC 9309: a robots.txt answering 5xx or unreachable means disallow all (arabpress_crawler.policy).
    "scrapy.downloadermiddlewares.robotstxt.RobotsTxtMiddleware": None,
    "arabpress_crawler.policy.PolicyRobotsTxtMiddleware": 100,
    # Sees a redirect before RedirectMiddleware (600): only the exact origin (scheme, host, port) is followed.
    "arabpress_crawler.policy.SameOriginRedirectMiddleware": 650,
    "scrapy.downloadermiddlewares.retry.RetryMiddleware": None,
    "arabpress_crawler.middlewares.BackoffRetryMiddleware": 550,
    # After decompression (590): re-decodes pages whose declared charset their bytes contradict.
    "arabpress_crawler.middlewares.CharsetMiddleware": 580,
    # Before decompression (590), after redirects (600): the web archive keeps responses as the server sent
    # them (see arabpress_crawler.archive).
    "arabpress_crawler.archive.capture.ArchiveMiddleware": 595,
}
SPIDER_MIDDLEWARES = {
    # Article items point at the archived response they came from.
    "arabpress_crawler.archive.capture.ArchiveRecordMiddleware": 950,
}

# The web archive (WARC) of article responses, beside the database (see arabpress_crawler.archive).
ARABPRESS_ARCHIVE = bool(_env_number("ARABPRESS_ARCHIVE", 1))
ARABPRESS_ARCHIVE_DIR = os.environ.get("ARABPRESS_ARCHIVE_DIR", "")  # default: <database dir>/archive
ARABPRESS_ARCHIVE_PAGES = "articles"  # or "all": listings, feed, sitemaps and robots.txt too
ARABPRESS_ARCHIVE_MAX_BYTES = 1_000_000_000

# Items and requests a page yields go through the item pipelines and the scheduler one by one anyway (the
# pipelines are synchronous); Scrapy's default of 100 starts 100 asyncio tasks for every page's output.
CONCURRENT_ITEMS = 1

# A broken crawl (site down, template gone) stops early instead of hammering the site.
CLOSESPIDER_ERRORCOUNT = 100

# Caps that bound every run (arabpress_crawler.spiders.limits): a hostile or broken site cannot hold a crawl.
_LIMITS = CrawlLimits()


def _env_cap(name: str, default: int) -> int:
    """A cap from the environment: a whole number of at least 1, else ``default``."""
    return int(_env_number(name, default)) or default


ARABPRESS_MAX_PAGES = _env_cap("ARABPRESS_MAX_PAGES", _LIMITS.max_pages)
ARABPRESS_MAX_RUN_SECONDS = _env_cap("ARABPRESS_MAX_RUN_SECONDS", _LIMITS.max_run_seconds)
ARABPRESS_MAX_URL_LENGTH = _env_cap("ARABPRESS_MAX_URL_LENGTH", _LIMITS.max_url_length)
ARABPRESS_MAX_QUERY_VARIANTS = _env_cap("ARABPRESS_MAX_QUERY_VARIANTS", _LIMITS.max_query_variants)
ARABPRESS_SITEMAP_MAX_DEPTH = _env_cap("ARABPRESS_SITEMAP_MAX_DEPTH", _LIMITS.sitemap_max_depth)
ARABPRESS_MAX_SITEMAPS = _env_cap("ARABPRESS_MAX_SITEMAPS", _LIMITS.max_sitemaps)
ARABPRESS_MAX_SITEMAP_URLS = _env_cap("ARABPRESS_MAX_SITEMAP_URLS", _LIMITS.max_sitemap_urls)
ARABPRESS_MAX_RELATED_LINKS = _env_cap("ARABPRESS_MAX_RELATED_LINKS", _LIMITS.max_related_links)
CLOSESPIDER_TIMEOUT = ARABPRESS_MAX_RUN_SECONDS  # the time budget (finish reason closespider_timeout)
URLLENGTH_LIMIT = ARABPRESS_MAX_URL_LENGTH

TWISTED_REACTOR = "twisted.internet.asyncioreactor.AsyncioSelectorReactor"
FEED_EXPORT_ENCODING = "utf-8"
LOG_LEVEL = "INFO"

# Start-up objects (modules, classes, settings) are frozen out of the garbage collector's full collections,
# and its youngest generation is collected less often (ARABPRESS_GC_YOUNG_THRESHOLD, 0 = Python's default).
# The run record (crawl_runs) is kept by an extension, whatever starts the crawl.
# The database lock comes first: it decides before any other component opens the database, a feed or JOBDIR.
EXTENSIONS = {
    "arabpress_crawler.lock.DatabaseLock": -100,
    "arabpress_crawler.extensions.FreezeStartupObjects": 0,
    "arabpress_crawler.extensions.FewerYoungCollections": 0,
    "arabpress_crawler.extensions.StopPromptly": 0,
    "arabpress_crawler.run_record.RunRecord": 10,
    # The persistent frontier (arabpress_crawler.frontier): after the run record, so its run is open.
    "arabpress_crawler.frontier_writer.FrontierWriter": 20,
}
# A link whose fetch failed (5xx, timeouts) is tried by the next runs, waiting this long after its first
# failed run (doubling each time), and given up (reported by `arabpress check`) after this many failed runs.
ARABPRESS_FRONTIER_BACKOFF_SECONDS = _env_number("ARABPRESS_FRONTIER_BACKOFF_SECONDS", 600.0)
ARABPRESS_FRONTIER_MAX_ATTEMPTS = _env_cap("ARABPRESS_FRONTIER_MAX_ATTEMPTS", 3)
# A stop (SIGINT/SIGTERM) cancels the downloads still in flight after this many seconds.
ARABPRESS_STOP_GRACE_SECONDS = 2.0
ARABPRESS_GC_FREEZE = True
ARABPRESS_GC_YOUNG_THRESHOLD = 10_000
# A second crawl of the same database ends at once (finish reason database_locked); True: it waits.
ARABPRESS_LOCK_WAIT = False
# True: the crawl keeps its frontier in <db>.job/ (JOBDIR) and a stopped crawl resumes (arabpress_crawler.jobdir).
ARABPRESS_RESUMABLE = False
# Article requests are fingerprinted by their canonical URL: a resumed job (JOBDIR) does not fetch an article
# again that the stopped one asked for under another link (arabpress_crawler.fingerprints).
REQUEST_FINGERPRINTER_CLASS = "arabpress_crawler.fingerprints.CanonicalRequestFingerprinter"

ITEM_PIPELINES = {
    "arabpress_crawler.pipelines.clean.CleanPipeline": 100,
    "arabpress_crawler.pipelines.validate.ValidatePipeline": 200,
    "arabpress_crawler.pipelines.dedupe.DedupePipeline": 300,
    "arabpress_crawler.pipelines.store.StorePipeline": 400,
}
