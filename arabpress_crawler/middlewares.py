"""Downloader middlewares: retries that back off and honour ``Retry-After``; pages whose charset is declared
wrong.

Scrapy's own :class:`~scrapy.downloadermiddlewares.retry.RetryMiddleware` retries at once. Against a
server that says "429 Too Many Requests, Retry-After: 30" that is the impolite thing to do, so
:class:`BackoffRetryMiddleware` replaces it (see ``DOWNLOADER_MIDDLEWARES`` in the settings):

* a retryable status with a ``Retry-After`` header (seconds or an HTTP date) waits that long;
* any other retry waits ``ARABPRESS_RETRY_BACKOFF * 2 ** (attempt - 1)`` seconds;
* every wait is capped at ``ARABPRESS_RETRY_MAX_WAIT`` and the number of retries at ``RETRY_TIMES``,
  so a server that asks for an hour cannot stall a cron run.

Stats: ``arabpress/retry/waits`` (count), ``arabpress/retry/wait_seconds`` (total),
``arabpress/retry/retry_after`` (how many waits came from the header), ``arabpress/retry/capped``.

Scrapy decodes a page with the charset its ``Content-Type`` header or ``<meta>`` declares, and guesses only
when nothing is declared. Servers of Arabic sites get the declaration wrong: a UTF-8 page declared
``windows-1256``, a ``windows-1256`` page declared UTF-8 by a misconfigured proxy, an ISO-8859-6 page
declared ISO-8859-1. :class:`CharsetMiddleware` keeps a declaration unless the bytes contradict it (see
:func:`corrected_encoding`), and then decodes with what the bytes are. Stat: ``arabpress/charset/corrected``.
"""

from __future__ import annotations

import logging
import time
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING

from charset_normalizer import from_bytes
from scrapy.downloadermiddlewares.retry import RetryMiddleware
from scrapy.http import TextResponse
from scrapy.utils.asyncio import sleep
from scrapy.utils.response import response_status_message
from w3lib.encoding import html_body_declared_encoding, http_content_type_encoding, resolve_encoding

from arabpress_crawler.extensions import STOP_CHECK_SECONDS, is_stopping

if TYPE_CHECKING:
    from scrapy.crawler import Crawler
    from scrapy.http import Request, Response
    from scrapy.settings import BaseSettings

logger = logging.getLogger(__name__)

RETRY_AFTER_HEADER = b"Retry-After"
#: Statuses for which a ``Retry-After`` header is honoured (RFC 9110 §10.2.3, RFC 6585 §4).
RETRY_AFTER_STATUSES = frozenset({429, 503})
DEFAULT_BACKOFF_SECONDS = 2.0
DEFAULT_MAX_WAIT_SECONDS = 120.0
UTF8 = "utf-8"
#: Western single-byte charsets that servers and CMSs declare by default, whatever the page holds (w3lib
#: resolves ``ascii``, ``latin-1`` and ``iso-8859-1`` to ``cp1252``, as browsers do).
WESTERN_DEFAULTS = frozenset({"cp1252", "iso8859-15"})
#: Arabic charsets a page declared with a Western default may really be in (charset_normalizer's names).
ARABIC_ENCODINGS = frozenset({"cp1256", "iso8859_6", "cp720", "cp864", "mac_arabic"})


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds to wait according to a ``Retry-After`` header value, or ``None`` if it is unusable.

    >>> parse_retry_after("7")
    7.0
    >>> parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", now=datetime(2015, 10, 21, 7, 27, 0, tzinfo=UTC))
    60.0
    """
    if not value or not value.strip():
        return None
    text = value.strip()
    if text.isdigit():
        return float(text)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    now = now or datetime.now(UTC)
    return max(0.0, (when - now).total_seconds())


class BackoffRetryMiddleware(RetryMiddleware):
    """:class:`RetryMiddleware` that waits before each retry (``Retry-After`` or exponential back-off)."""

    def __init__(self, settings: BaseSettings):
        super().__init__(settings)
        self.backoff = settings.getfloat("ARABPRESS_RETRY_BACKOFF", DEFAULT_BACKOFF_SECONDS)
        self.max_wait = settings.getfloat("ARABPRESS_RETRY_MAX_WAIT", DEFAULT_MAX_WAIT_SECONDS)

    async def process_response(self, request: Request, response: Response) -> Request | Response:
        if request.meta.get("dont_retry", False) or response.status not in self.retry_http_codes:
            return response
        if is_stopping(self.crawler):  # a stop was asked for: no retry, no wait
            return response
        retry = self._retry(request, response_status_message(response.status))
        if retry is None:
            return response
        header_wait = None
        if response.status in RETRY_AFTER_STATUSES:
            raw = response.headers.get(RETRY_AFTER_HEADER)
            header_wait = parse_retry_after(raw.decode("latin-1") if raw else None)
        await self._wait(retry, header_wait)
        return retry

    async def process_exception(self, request: Request, exception: Exception) -> Request | Response | None:
        if request.meta.get("dont_retry", False) or not isinstance(exception, self.exceptions_to_retry):
            return None
        if is_stopping(self.crawler):
            return None
        retry = self._retry(request, exception)
        if retry is not None:
            await self._wait(retry, None)
        return retry

    def wait_seconds(self, attempt: int, header_wait: float | None) -> tuple[float, bool]:
        """The wait before retry number ``attempt`` (1-based) and whether the cap cut it short."""
        wanted = header_wait if header_wait is not None else self.backoff * 2 ** (attempt - 1)
        return min(wanted, self.max_wait), wanted > self.max_wait

    async def _wait(self, retry: Request, header_wait: float | None) -> None:
        attempt = int(retry.meta.get("retry_times", 1))
        seconds, capped = self.wait_seconds(attempt, header_wait)
        if seconds <= 0:
            return
        stats = self.crawler.stats
        assert stats is not None
        stats.inc_value("arabpress/retry/waits")
        stats.inc_value("arabpress/retry/wait_seconds", seconds)
        if header_wait is not None:
            stats.inc_value("arabpress/retry/retry_after")
        if capped:
            stats.inc_value("arabpress/retry/capped")
        logger.info(
            "waiting %.1fs before retry %d of %s%s",
            seconds,
            attempt,
            retry.url,
            " (Retry-After, capped)" if capped else " (Retry-After)" if header_wait is not None else "",
        )
        deadline = time.monotonic() + seconds
        while not is_stopping(self.crawler) and (left := deadline - time.monotonic()) > 0:
            await sleep(min(left, STOP_CHECK_SECONDS))  # a stop ends the wait within a moment


def declared_encoding(response: TextResponse) -> str | None:
    """The charset the response declares (``Content-Type`` header first, then ``<meta>``), resolved."""
    content_type = response.headers.get(b"Content-Type")
    declared = http_content_type_encoding(content_type.decode("latin-1")) if content_type else None
    declared = declared or html_body_declared_encoding(response.body)
    return resolve_encoding(declared) if declared else None


def corrected_encoding(body: bytes, declared: str) -> str | None:
    """The encoding ``body`` is really in when it contradicts ``declared``; ``None`` when it does not.

    * bytes that are valid UTF-8 (with non-ASCII characters) are UTF-8, whatever was declared: legacy
      single-byte text is practically never valid UTF-8 by chance;
    * a page declared UTF-8 that is not valid UTF-8 is in the charset charset_normalizer detects;
    * a page declared with a Western default is re-read only when the detector finds an Arabic charset.
    """
    if body.isascii():
        return None
    try:
        body.decode(UTF8)
    except UnicodeDecodeError:
        pass
    else:
        return None if declared == UTF8 else UTF8
    if declared != UTF8 and declared not in WESTERN_DEFAULTS:
        return None
    match = from_bytes(body).best()
    if match is None or resolve_encoding(match.encoding) == declared:
        return None
    if declared == UTF8 or match.encoding in ARABIC_ENCODINGS:
        return resolve_encoding(match.encoding)
    return None


class CharsetMiddleware:
    """Decodes text responses with the charset of their bytes when the declared one is wrong."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> CharsetMiddleware:
        return cls(crawler)

    def process_response(self, request: Request, response: Response) -> Response:
        if not isinstance(response, TextResponse) or not response.body:
            return response
        declared = declared_encoding(response)
        if declared is None:  # nothing declared: Scrapy detects the charset itself
            return response
        actual = corrected_encoding(response.body, declared)
        if actual is None:
            return response
        assert self.crawler.stats is not None
        self.crawler.stats.inc_value("arabpress/charset/corrected")
        logger.info("%s declares %s but is %s: decoded as %s", response.url, declared, actual, actual)
        return response.replace(encoding=actual)
