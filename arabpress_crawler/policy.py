"""Crawl policy the site cannot talk the crawler out of: redirects stay on the site's origin, a robots.txt
that cannot be read means "disallow all", and feeds and sitemaps are parsed without their DTD.

* :class:`SameOriginRedirectMiddleware` refuses a redirect whose target is not the exact origin (scheme, host
  and port) of the page asked for: Scrapy's offsite check compares host names only, so a redirect to another
  port of the same host would otherwise be followed and its content stored under the site's URL. Counted as
  ``arabpress/errors/offsite_redirect``.
* :class:`PolicyRobotsTxtMiddleware` follows RFC 9309 §2.3.1: a robots.txt answering 4xx means no rules (as
  Scrapy does), but one answering 5xx, or unreachable (timeout, refused connection), means *complete
  disallow* for that run; said once in the log and kept in the stats (``arabpress/robots/unreachable``).
* :func:`without_dtd` drops the document type declaration of a feed or sitemap before it is parsed: a DTD's
  entities are the "billion laughs" (exponential expansion) and, under libxml2's guard against it, cut the
  document at the first reference, silently losing every entry after it. Feeds and sitemaps never need one.
"""

from __future__ import annotations

import logging
import re
from typing import TYPE_CHECKING, Any
from urllib.parse import urljoin, urlsplit

from scrapy.downloadermiddlewares.robotstxt import RobotsTxtMiddleware
from scrapy.exceptions import IgnoreRequest

if TYPE_CHECKING:
    from collections.abc import Iterator

    from scrapy.crawler import Crawler
    from scrapy.http import Request, Response

logger = logging.getLogger(__name__)

REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
OFFSITE_REDIRECT = "redirect to another origin"
OFFSITE_REDIRECT_STAT = "arabpress/errors/offsite_redirect"
ROBOTS_UNREACHABLE_STAT = "arabpress/robots/unreachable"
ROBOTS_UNREACHABLE_ERROR_STAT = "arabpress/errors/robots_unreachable"
MIN_SERVER_ERROR = 500
DEFAULT_PORTS = {"http": 80, "https": 443}
#: A document type declaration, with its internal subset (``[...]``) if any.
DOCTYPE = re.compile(
    rb"<!DOCTYPE\s(?:\"[^\"]*+\"|'[^']*+'|[^\[>\"']++)*+(?:\[(?:\"[^\"]*+\"|'[^']*+'|[^\]\"']++)*+\]\s*)?>",
    re.IGNORECASE,
)
DOCTYPE_START = re.compile(rb"<!DOCTYPE\s", re.IGNORECASE)
#: Only the start of a document is searched for a DOCTYPE (it must come before the root element).
DOCTYPE_WINDOW = 64 * 1024
DTD_STAT = "arabpress/errors/xml_dtd"


def origin(url: str) -> tuple[str, str, int | None]:
    """``(scheme, host, port)`` of ``url``, default ports made explicit."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    try:
        port = parts.port
    except ValueError:
        port = None
    return scheme, (parts.hostname or "").lower(), port or DEFAULT_PORTS.get(scheme)


class SameOriginRedirectMiddleware:
    """Refuses redirects to another origin (placed before Scrapy's RedirectMiddleware sees the response)."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> SameOriginRedirectMiddleware:
        return cls(crawler)

    def process_response(self, request: Request, response: Response) -> Response:
        location = response.headers.get(b"Location")
        if response.status not in REDIRECT_STATUSES or not location:
            return response
        target = urljoin(request.url, location.decode("latin-1").strip())
        if origin(target) == origin(request.url):
            return response
        assert self.crawler.stats is not None
        self.crawler.stats.inc_value(OFFSITE_REDIRECT_STAT)
        logger.warning("%s redirects to another origin, not followed: %.300s", request.url, target)
        raise IgnoreRequest(f"{OFFSITE_REDIRECT}: {target[:300]}")


class DisallowAll:
    """A robots.txt parser that forbids everything (the site's robots.txt could not be read)."""

    def allowed(self, url: str | bytes, user_agent: str | bytes) -> bool:
        return False

    def sitemaps(self) -> Iterator[str]:
        return iter(())


class PolicyRobotsTxtMiddleware(RobotsTxtMiddleware):
    """Scrapy's robots.txt middleware with RFC 9309's rule for a robots.txt that cannot be read."""

    async def _parse_robots(self, response: Response, netloc: str, request: Request) -> None:
        if response.status < MIN_SERVER_ERROR:
            await super()._parse_robots(response, netloc, request)
            return
        self._stats.inc_value("robotstxt/response_count")
        self._stats.inc_value(f"robotstxt/response_status_count/{response.status}")
        self._disallow_all(netloc, f"HTTP {response.status}")

    def _robots_error(self, exc: Exception, netloc: str) -> None:
        if isinstance(exc, IgnoreRequest):  # e.g. redirected elsewhere: no robots.txt here, no rules
            super()._robots_error(exc, netloc)
            return
        self._stats.inc_value(f"robotstxt/exception_count/{type(exc)}")
        self._disallow_all(netloc, type(exc).__name__)

    def _disallow_all(self, netloc: str, reason: str) -> None:
        logger.error(
            "robots.txt of %s could not be read (%s): nothing is fetched from it this run"
            " (RFC 9309: an unreachable robots.txt means disallow all)",
            netloc,
            reason,
        )
        self._stats.set_value(ROBOTS_UNREACHABLE_STAT, f"robots.txt of {netloc} could not be read ({reason})")
        self._stats.inc_value(ROBOTS_UNREACHABLE_ERROR_STAT)
        pending = self._parsers[netloc]
        parser: Any = DisallowAll()
        self._parsers[netloc] = parser
        if hasattr(pending, "callback"):
            pending.callback(parser)


def without_dtd(body: bytes) -> tuple[bytes, bool]:
    """``body`` without its document type declaration, and whether it had one (see the module docstring)."""
    start = DOCTYPE_START.search(body, 0, DOCTYPE_WINDOW)
    if start is None:
        return body, False
    match = DOCTYPE.match(body, start.start())
    end = match.end() if match is not None else len(body)  # never closed: nothing after it is a document
    return body[: start.start()] + body[end:], True
