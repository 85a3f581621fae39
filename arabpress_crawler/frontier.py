"""The persistent frontier: what a run found but did not finish, kept in the database for the next run.

A run can stop before its end (a page cap, the time budget, SIGTERM, SIGKILL, a power cut), and a page can
fail for a while (503, timeouts). Stored articles are not fetched again, so whatever a run had still to visit
would be lost for good. The frontier keeps it (table ``frontier``, see :mod:`arabpress_crawler.db.frontier`):

* an article link found on an article page (a "Related Articles" link) that is not stored yet is recorded
  **before** the page's own article is written, so a kill at any moment loses nothing: listing pages, the
  feed and the sitemaps are read by every run anyway, article pages are not;
* a link cut by a cap (``--max-pages``, the time budget) or by a stop is recorded when it is cut;
* a page that failed with an error worth retrying (5xx, 429, 408, timeouts, refused or reset connections)
  gets one more *attempt* per run and a back-off (``ARABPRESS_FRONTIER_BACKOFF_SECONDS``, doubling per
  attempt) before it is tried again; after ``ARABPRESS_FRONTIER_MAX_ATTEMPTS`` runs it is **given up** and
  reported by ``arabpress check`` instead of being silently absent;
* a page that will never be an article (404, 410, 403, not an article, forbidden by robots.txt) is dropped.

The next run first removes what is now stored (an article or an alias), then requests the links that are due,
before anything else. The spider only yields the records below; the frontier pipeline writes them.
"""

from __future__ import annotations

import logging

from arabpress_crawler.db.frontier import (
    DEFAULT_BACKOFF_SECONDS,
    DEFAULT_MAX_ATTEMPTS,
    FAILED,
    PENDING,
    DueLink,
    FrontierDrop,
    FrontierFailure,
    FrontierLink,
    FrontierPolicy,
    FrontierRecord,
)

logger = logging.getLogger(__name__)

__all__ = [
    "DEFAULT_BACKOFF_SECONDS",
    "DEFAULT_MAX_ATTEMPTS",
    "FAILED",
    "FRONTIER_RECORDS",
    "PENDING",
    "DueLink",
    "FrontierDrop",
    "FrontierFailure",
    "FrontierLink",
    "FrontierPolicy",
    "FrontierRecord",
    "is_retryable",
]

#: HTTP statuses worth another run (the server's trouble, not the page's).
RETRYABLE_STATUSES = frozenset({408, 425, 429, 500, 502, 503, 504, 520, 521, 522, 523, 524})
#: Download errors worth another run (``arabpress/errors/<kind>`` names).
RETRYABLE_ERRORS = frozenset(
    {
        "timeout_error",
        "download_timeout_error",
        "tcp_timed_out_error",
        "connection_refused_error",
        "download_connection_refused_error",
        "connection_done",
        "connection_lost",
        "connection_aborted",
        "response_never_received",
        "response_failed",
        "dns_lookup_error",
        "download_failed_error",
        "cannot_download_error",
        "ssl_error",
    }
)


def is_retryable(kind: str) -> bool:
    """Whether an ``arabpress/errors/<kind>`` failure is worth another run (``http_503``, ``timeout_error``…)."""
    if kind.startswith("http_"):
        status = kind[len("http_") :]
        return status.isdigit() and int(status) in RETRYABLE_STATUSES
    return kind in RETRYABLE_ERRORS


#: The Scrapy signal the spider sends frontier records with (``records=[...]``); they are written where the store
#: runs, by the run's :class:`arabpress_crawler.frontier_writer.RunFrontier` (the writer process, the distributed
#: writer, or the inline store's :class:`~arabpress_crawler.frontier_writer.FrontierWriter`).
FRONTIER_RECORDS = object()
