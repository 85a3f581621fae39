"""Downloader middlewares: retries that back off and honour ``Retry-After``.

Scrapy's own :class:`~scrapy.downloadermiddlewares.retry.RetryMiddleware` retries at once. Against a
server that says "429 Too Many Requests, Retry-After: 30" that is the impolite thing to do, so
:class:`BackoffRetryMiddleware` replaces it (see ``DOWNLOADER_MIDDLEWARES`` in the settings):

* a retryable status with a ``Retry-After`` header (seconds or an HTTP date) waits that long;
* any other retry waits ``ARABPRESS_RETRY_BACKOFF * 2 ** (attempt - 1)`` seconds;
* every wait is capped at ``ARABPRESS_RETRY_MAX_WAIT`` and the number of retries at ``RETRY_TIMES``,
  so a server that asks for an hour cannot stall a cron run.

Stats: ``arabpress/retry/waits`` (count), ``arabpress/retry/wait_seconds`` (total),
``arabpress/retry/retry_after`` (how many waits came from the header), ``arabpress/retry/capped``.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING

from scrapy.downloadermiddlewares.retry import RetryMiddleware
from scrapy.utils.asyncio import sleep
from scrapy.utils.response import response_status_message

if TYPE_CHECKING:
    from scrapy.http import Request, Response
    from scrapy.settings import BaseSettings

logger = logging.getLogger(__name__)

RETRY_AFTER_HEADER = b"Retry-After"
#: Statuses for which a ``Retry-After`` header is honoured (RFC 9110 §10.2.3, RFC 6585 §4).
RETRY_AFTER_STATUSES = frozenset({429, 503})
DEFAULT_BACKOFF_SECONDS = 2.0
DEFAULT_MAX_WAIT_SECONDS = 120.0


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
        await sleep(seconds)
