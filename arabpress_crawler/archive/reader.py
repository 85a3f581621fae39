"""Reading the archive back with :mod:`warcio`: one record by its place, or every response of a file.

:func:`read_response` gives an :class:`ArchivedResponse`: the server's status and headers and the body
*decoded* (``Content-Encoding`` undone by warcio's ``content_stream()``), checked against the record id a row
keeps. :func:`scrapy_response` turns it into the Scrapy response the spider saw during the crawl (the class
chosen from the headers, the charset corrected as :class:`~arabpress_crawler.middlewares.CharsetMiddleware`
does), so page objects run on it unchanged. Nothing here touches the network.
"""

from __future__ import annotations

import io
import logging
import zlib
from dataclasses import dataclass
from typing import TYPE_CHECKING

from scrapy.http import Headers, TextResponse
from scrapy.responsetypes import responsetypes
from warcio.archiveiterator import ArchiveIterator
from warcio.bufferedreaders import DecompressingBufferedReader
from warcio.exceptions import ArchiveLoadFailed
from warcio.recordloader import ArcWarcRecordLoader

from arabpress_crawler.archive import files
from arabpress_crawler.middlewares import corrected_encoding, declared_encoding

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path
    from typing import BinaryIO

    from scrapy.http import Response
    from warcio.recordloader import ArcWarcRecord

    from arabpress_crawler.items import ArchiveRecord

logger = logging.getLogger(__name__)

_LOADER = ArcWarcRecordLoader()

#: Headers that describe the bytes on the wire, not the decoded body a reader gets.
WIRE_HEADERS = frozenset({"content-encoding", "content-length"})


class RecordMissing(LookupError):
    """The record a row points at is not in the archive (file gone, cut short, or another record there)."""


@dataclass(frozen=True)
class ArchivedResponse:
    """A response record read back: what the server sent, with the body decoded."""

    url: str
    status: int
    headers: list[tuple[str, str]]
    body: bytes
    record_id: str
    date: str

    def header(self, name: str) -> str | None:
        lowered = name.lower()
        return next((value for key, value in self.headers if key.lower() == lowered), None)


def _archived(record: ArcWarcRecord) -> ArchivedResponse:
    http = record.http_headers
    return ArchivedResponse(
        url=record.rec_headers.get_header("WARC-Target-URI"),
        status=int(http.get_statuscode()),
        headers=list(http.headers),
        body=record.content_stream().read(),
        record_id=record.rec_headers.get_header("WARC-Record-ID"),
        date=record.rec_headers.get_header("WARC-Date"),
    )


def read_at(handle: BinaryIO, offset: int, length: int, *, record_id: str | None = None) -> ArchivedResponse:
    """The response record of ``length`` bytes at ``offset`` of an open WARC file."""
    handle.seek(offset)
    data = handle.read(length)
    if len(data) < length:
        raise RecordMissing(f"the file ends {length - len(data)} bytes before the end of the record")
    try:
        # The loader on the record's own bytes (one gzip member): what ArchiveIterator does for each record,
        # without setting up an iterator per record (a third of the cost of reading one).
        record = _LOADER.parse_record_stream(DecompressingBufferedReader(io.BytesIO(data)))
    except (ArchiveLoadFailed, OSError, EOFError, ValueError, zlib.error) as error:
        raise RecordMissing(f"no WARC record at offset {offset}: {error}") from error
    if record is None or record.rec_type != "response":
        raise RecordMissing(f"no response record at offset {offset}")
    found = record.rec_headers.get_header("WARC-Record-ID")
    if record_id is not None and found != record_id:
        raise RecordMissing(f"record {found} at offset {offset}, not {record_id}")
    return _archived(record)


def read_response(location: ArchiveRecord, base: Path) -> ArchivedResponse:
    """The response record a row points at (``base``: the database's directory)."""
    path = files.resolve(location.file, base)
    if path is None:
        raise RecordMissing(f"archive file {location.file} not found")
    with path.open("rb") as handle:
        return read_at(handle, location.offset, location.length, record_id=location.record_id)


def iter_responses(path: Path) -> Iterator[tuple[int, int, ArchivedResponse]]:
    """``(offset, length, response)`` of every response record of a WARC file, in file order."""
    with path.open("rb") as handle:
        iterator = ArchiveIterator(handle)
        for record in iterator:
            if record.rec_type != "response":
                continue
            archived = _archived(record)
            yield iterator.get_record_offset(), iterator.get_record_length(), archived


def scrapy_response(archived: ArchivedResponse) -> Response:
    """The response the spider got for this record: decoded body, wire headers dropped, charset corrected."""
    headers = Headers()
    for name, value in archived.headers:
        if name.lower() not in WIRE_HEADERS:
            headers.appendlist(name, value)
    cls = responsetypes.from_args(headers=headers, url=archived.url, body=archived.body)
    response = cls(url=archived.url, status=archived.status, headers=headers, body=archived.body)
    if isinstance(response, TextResponse) and response.body:
        declared = declared_encoding(response)
        actual = corrected_encoding(response.body, declared) if declared else None
        if actual is not None:
            logger.info("%s declares %s but is %s: decoded as %s", archived.url, declared, actual, actual)
            response = response.replace(encoding=actual)
    return response
