"""The web archive written by the writer process: what the crawler captures of a response, and what the writer
makes of it.

When the dedupe and store stages run in a writer process (:mod:`arabpress_crawler.writer`), building the WARC
records (digests, gzip members, file writes) moves there too, off the crawler's core: the crawler's
:class:`~arabpress_crawler.archive.capture.ArchiveMiddleware` keeps only a :class:`Capture` of each archived
response (the request and response as Scrapy holds them at 595: the body as the server sent it, the header
lists as they are, the time it arrived) and hands it to the writer's pipeline, which sends it in the stream of
records of its batches, before the items of that response. The item gets a
:class:`~arabpress_crawler.items.PendingArchiveRecord` naming the capture (a random ``token``: distributed
workers share one writer).

In the writer, :class:`ArchiveStage` writes each capture where it comes in the batch (so before the rows of its
response, in that batch or an earlier one) with the same :class:`~arabpress_crawler.archive.writer.ArchiveWriter`
an in-crawler archive uses, and replaces the pending record of each item by the
:class:`~arabpress_crawler.items.ArchiveRecord` it wrote. The writer flushes the file after each record and
commits the batch after its records, so a row never points at a record that was not written; a writer killed
between the two leaves records no row points at (the next run fetches those pages again and closes the file).
Captures that no item claims (a page validation drops, listings with ``ARABPRESS_ARCHIVE_PAGES=all``) are
written all the same: the set of records is that of an in-crawler archive.

The records are byte for byte what the in-crawler path writes: both go through :func:`capture_of` and
:func:`exchange_from` (the crawler side only the first), apart from record ids and dates, which differ per run.
"""

from __future__ import annotations

import logging
import random
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from scrapy.utils.httpobj import urlparse_cached
from twisted.web.http import RESPONSES
from warcio.timeutils import datetime_to_iso_date

from arabpress_crawler.archive.writer import DEFAULT_MAX_BYTES, ArchiveWriter, Exchange
from arabpress_crawler.items import ArchiveRecord, ArticleItem, PendingArchiveRecord

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

    from scrapy.http import Request, Response
    from scrapy.http.headers import Headers

logger = logging.getLogger(__name__)

#: Scrapy signal sent by the writer's pipeline (with ``sink=`` itself) so the archive middleware hands it captures.
ARCHIVE_SINK = object()
#: Header the HTTP client has already undone (the body Scrapy hands over is de-chunked).
TRANSFER_ENCODING = "transfer-encoding"
#: Records the writer keeps for items still to come. An item follows the capture of its response by the
#: responses the scraper has queued (hundreds at most); a record forgotten before its item came leaves the row
#: without a record, which ``arabpress check`` reports.
KEPT_RECORDS = 65_536
STATS_PREFIX = "arabpress/archive/"
#: A header's name and every value it was given, as Scrapy stores them (bytes, names normalised).
RawHeaders = list[tuple[bytes, tuple[bytes, ...]]]


@dataclass(frozen=True)
class ArchiveConfig:
    """Where and how the crawl's archive is written (sent to the writer process with each batch)."""

    directory: Path
    prefix: str
    base: Path  # the database's directory: rows name files relative to it
    max_bytes: int = DEFAULT_MAX_BYTES
    info: dict[str, str] = field(default_factory=dict)

    def writer(self) -> ArchiveWriter:
        return ArchiveWriter(
            self.directory, prefix=self.prefix, base=self.base, max_bytes=self.max_bytes, info=self.info
        )


class Capture(NamedTuple):
    """What an archived response's records need, as the crawler holds it (cheap to take and to pickle)."""

    url: str
    method: str
    netloc: str
    target: str  # path and query, as on the request line
    request_headers: RawHeaders
    request_body: bytes
    protocol: str
    status: int
    response_headers: RawHeaders
    body: bytes  # as the server sent it (still content-encoded)
    ip_address: str | None
    received_at: float  # time.time() when the response reached the middleware
    token: int = 0


def new_token() -> int:
    """A capture's name among those of every worker of a run (random: workers do not coordinate)."""
    return random.getrandbits(62) + 1


def raw_headers(headers: Headers) -> RawHeaders:
    """The stored names and value lists of ``headers`` as they are (copied: the lists are Scrapy's own)."""
    return [(name, tuple(values)) for name, values in dict.items(headers)]


def capture_of(request: Request, response: Response, *, token: int = 0) -> Capture:
    """The :class:`Capture` of a response as it reached the middleware (see the module docstring)."""
    parts = urlparse_cached(request)
    return Capture(
        url=response.url,
        method=request.method,
        netloc=parts.netloc,
        target=(parts.path or "/") + (f"?{parts.query}" if parts.query else ""),
        request_headers=raw_headers(request.headers),
        request_body=request.body,
        protocol=response.protocol or "HTTP/1.1",
        status=response.status,
        response_headers=raw_headers(response.headers),
        body=response.body,
        ip_address=str(response.ip_address) if response.ip_address else None,
        received_at=time.time(),
        token=token,
    )


def _header_text(value: bytes) -> str:
    try:
        return value.decode("utf-8")
    except UnicodeDecodeError:
        return value.decode("latin-1")


def header_pairs(headers: RawHeaders, *, drop: Iterable[str] = ()) -> list[tuple[str, str]]:
    """Every header value as a ``(name, value)`` pair, repeated headers kept, ``drop`` names left out."""
    dropped = {name.lower() for name in drop}
    pairs: list[tuple[str, str]] = []
    for name, values in headers:
        text = _header_text(name)
        if text.lower() in dropped:
            continue
        pairs.extend((text, _header_text(value)) for value in values)
    return pairs


def warc_date(timestamp: float) -> str:
    """``timestamp`` as warcio writes a WARC 1.1 date (UTC, microseconds)."""
    moment = datetime.fromtimestamp(timestamp, UTC).replace(tzinfo=None)
    return datetime_to_iso_date(moment, use_micros=True)


def exchange_from(capture: Capture) -> Exchange:
    """The :class:`~arabpress_crawler.archive.writer.Exchange` the records of ``capture`` are written from."""
    request_headers = header_pairs(capture.request_headers)
    if not any(name.lower() == "host" for name, _ in request_headers):
        request_headers.insert(0, ("Host", capture.netloc))
    return Exchange(
        url=capture.url,
        method=capture.method,
        request_target=capture.target,
        request_headers=request_headers,
        request_body=capture.request_body,
        protocol=capture.protocol,
        status=capture.status,
        reason=RESPONSES.get(capture.status, b"").decode("ascii"),
        response_headers=header_pairs(capture.response_headers, drop=(TRANSFER_ENCODING,)),
        body=capture.body,
        ip_address=capture.ip_address,
        warc_date=warc_date(capture.received_at),
    )


class ArchiveStage:
    """Writes captures to the archive and counts what it wrote: in the writer process (which then gives items the
    records of theirs), or in the crawler when it archives itself (:class:`~arabpress_crawler.archive.capture.ArchiveMiddleware`)."""

    def __init__(self, count: Callable[[str, int], None]) -> None:
        self._count = count
        self.writer: ArchiveWriter | None = None
        self._unavailable = False
        self._records: dict[int, ArchiveRecord | None] = {}

    def write(self, capture: Capture, config: ArchiveConfig | None) -> ArchiveRecord | None:
        """Write the records of ``capture`` (the file is flushed after them); where its response record went,
        kept for the items of its ``token`` (``None``: it could not be written, an error is counted and logged)."""
        writer = self.writer or self.open(config)
        record: ArchiveRecord | None = None
        if writer is None:
            self._inc("errors")
        else:
            files_before = len(writer.stats.files)
            try:
                record = writer.write(exchange_from(capture))
            except OSError as error:
                self._inc("errors")
                logger.error("could not archive the response of %s: %s", capture.url, error)
            else:
                self._inc("records")
                self._inc("bytes", record.length)
                self._inc("files", len(writer.stats.files) - files_before)
        if capture.token:
            self._records[capture.token] = record
            if len(self._records) > KEPT_RECORDS:
                del self._records[next(iter(self._records))]
        return record

    def resolve(self, item: ArticleItem) -> None:
        """Replace the pending record of ``item`` by the record written for it (``None`` if it could not be)."""
        pending = item.archive
        if not isinstance(pending, PendingArchiveRecord):
            return
        if pending.token not in self._records:
            logger.warning("no archived response for %s: its record was not received or is forgotten", item.url)
        item.archive = self._records.get(pending.token)

    def open(self, config: ArchiveConfig | None) -> ArchiveWriter | None:
        """Close the files a killed crawl left open and start a new one (once; ``None`` if that failed)."""
        if self.writer is not None:
            return self.writer
        if self._unavailable or config is None:
            return None
        writer = config.writer()
        try:
            recovered = writer.open()
        except OSError as error:
            self._unavailable = True
            logger.error("could not open the web archive in %s: %s", config.directory, error)
            return None
        self.writer = writer
        self._inc("recovered", len(recovered))
        self._inc("files")
        return writer

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            self.writer = None

    def _inc(self, key: str, count: int = 1) -> None:
        if count:
            self._count(f"{STATS_PREFIX}{key}", count)
