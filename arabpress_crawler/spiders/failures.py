"""How the ``articles`` spider handles a page it could not fetch: logged with its URL, counted as
``arabpress/errors/<kind>`` (or as a skip), and kept in the frontier when a later run should try again.
"""

from __future__ import annotations

import logging
import re
from typing import TYPE_CHECKING, Any

from scrapy.exceptions import IgnoreRequest
from scrapy.spidermiddlewares.httperror import HttpError

from arabpress_crawler.extensions import is_stopping
from arabpress_crawler.frontier import is_retryable
from arabpress_crawler.policy import OFFSITE_REDIRECT

if TYPE_CHECKING:
    from scrapy.crawler import Crawler
    from scrapy.http import Response
    from twisted.python.failure import Failure

    from arabpress_crawler.spiders.frontier_links import FrontierTracker

logger = logging.getLogger(__name__)

#: Messages of Scrapy's ``IgnoreRequest`` for robots.txt and for redirect loops.
ROBOTS_FORBIDDEN = "Forbidden by robots.txt"
MAX_REDIRECTIONS = "max redirections reached"


class FailureHandling:
    """The errback of the ``articles`` spider (a mixin: it needs ``crawler``, ``_inc`` and ``_kept``)."""

    crawler: Crawler

    def _inc(self, key: str) -> None:
        raise NotImplementedError

    @property
    def _kept(self) -> FrontierTracker:
        raise NotImplementedError

    def on_error(self, failure: Failure) -> None:
        """A page that could not be fetched: logged with its URL and counted as ``arabpress/errors/<kind>``."""
        request = getattr(failure, "request", None)
        url = request.url if request is not None else "(unknown URL)"
        error = failure.value
        link: Any = request.meta.get("article_link") if request is not None else None
        canonical: str | None = request.meta.get("canonical_url") if request is not None else None
        if is_stopping(self.crawler):  # cut by a stop (SIGINT/SIGTERM): not the site's failure
            self._cut_by_stop(url, link, canonical, "not fetched")
            return
        kind = "ignored"
        if isinstance(error, HttpError):
            status = error.response.status
            kind = f"http_{status}"
            self._inc(f"errors/{kind}")
            logger.warning("HTTP %d, nothing taken from %s", status, url)
        elif isinstance(error, IgnoreRequest):
            self._ignored(url, str(error))
        else:
            kind = _snake_case(type(error).__name__)
            self._inc(f"errors/{kind}")
            logger.error("could not fetch %s: %s", url, failure.getErrorMessage() or kind)
        if link is not None and canonical is not None:
            if is_retryable(kind):  # tried again by a later run, given up after a few
                self._kept.failed(canonical, link.url, link.source.value, link.depth, kind)
            else:
                self._kept.drop(canonical, kind)
            self._kept.flush()

    def _cut_by_stop(self, url: str, link: Any, canonical: str | None, what: str) -> None:
        """A page a stop (SIGINT/SIGTERM) cut: counted as cancelled and kept for the next run."""
        self._inc("cancelled")
        logger.info("cancelled by the stop, %s: %s", what, url)
        if link is not None and canonical is not None:
            self._kept.keep(canonical, link.url, link.source.value, link.depth)
        self._kept.flush()

    def _answered_after_stop(self, response: Response) -> bool:
        """Whether ``response`` came after a stop: then it is not read (reading one page can take seconds, and
        a stop would wait for every page still answering) but cancelled and kept for the next run."""
        if not is_stopping(self.crawler):
            return False
        link = response.meta.get("article_link")
        self._cut_by_stop(response.url, link, response.meta.get("canonical_url"), "answered after it, not read")
        return True

    def _ignored(self, url: str, reason: str) -> None:
        if reason == ROBOTS_FORBIDDEN:
            self._inc("skipped/robots")
            logger.debug("forbidden by robots.txt, not fetched: %s", url)
        elif reason.startswith(OFFSITE_REDIRECT):
            logger.debug("not fetched: %s (%s)", url, reason)  # counted by the middleware
        elif reason == MAX_REDIRECTIONS:
            self._inc("errors/redirect_loop")
            logger.error("gave up on %s: too many redirects (%s)", url, reason)
        else:
            self._inc("errors/ignored")
            logger.warning("not fetched: %s (%s)", url, reason)



def _snake_case(name: str) -> str:
    """``TimeoutError`` -> ``timeout_error``, for stats keys."""
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()
