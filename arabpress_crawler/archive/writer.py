"""Writing WARC files with :mod:`warcio`: one request and one response record per exchange, gzip per record.

:class:`ArchiveWriter` knows nothing of Scrapy: it takes an :class:`Exchange` (what was sent and what came
back) and returns the :class:`~arabpress_crawler.items.ArchiveRecord` of the response record. Files are rotated
at ``max_bytes``, written under their ``.open`` name while locked, and renamed when closed (see
:mod:`arabpress_crawler.archive.files`). A closed file is on disk (``fsync`` of the file, then of its directory
after the rename); records of the file being written are flushed after each record but not synced, so a power
loss (not a killed process) can lose the last of them: rows pointing at them are then reported by
``arabpress check``.

Each record is its own gzip member, as warcio writes them, at warcio's level 9 (with a window no larger than the
record: :func:`gzip_member`), except the response record of a body the server already compressed (any
``Content-Encoding`` but ``identity``): its member is *stored* (deflate level 0). Compressing gzip bytes again
saved about 1% of the record and cost most of the archive's CPU in the crawler (~80 µs a page, mostly setting
up zlib's 256 KiB of state); a stored member is still gzip, so every WARC reader reads it as before. The file
is flushed once per exchange, after its response record.
"""

from __future__ import annotations

import io
import logging
import os
import socket
import zlib
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, BinaryIO

from warcio.recordloader import ArcWarcRecord
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from arabpress_crawler import __version__
from arabpress_crawler.archive import files
from arabpress_crawler.items import ArchiveRecord

if TYPE_CHECKING:
    from pathlib import Path

logger = logging.getLogger(__name__)

WARC_VERSION = WARCWriter.WARC_1_1
#: A gigabyte, the file size the WARC implementation guidelines recommend.
DEFAULT_MAX_BYTES = 1_000_000_000
RESPONSE_CONTENT_TYPE = "application/http; msgtype=response"
REQUEST_CONTENT_TYPE = "application/http; msgtype=request"
#: warcio's compression level for a record's gzip member; bodies the server compressed are stored (level 0).
DEFAULT_LEVEL = 9
STORED = 0
#: zlib's ``wbits`` for a gzip member are the window's bits plus this; 9 bits is zlib's smallest window.
GZIP_WBITS_OFFSET = 16
MIN_WBITS = 9
#: zlib's memory level with a full window (its default, as warcio has it), and with a smaller one.
DEFAULT_MEM_LEVEL = 8
SMALL_MEM_LEVEL = 4


@dataclass(frozen=True)
class Exchange:
    """One HTTP request and the response to it, as the crawler sent and received them."""

    url: str
    method: str
    request_target: str  # path and query, as on the request line
    request_headers: list[tuple[str, str]]
    request_body: bytes
    protocol: str  # "HTTP/1.1"
    status: int
    reason: str
    response_headers: list[tuple[str, str]]
    body: bytes  # as the server sent it (still content-encoded)
    ip_address: str | None = None
    warc_date: str | None = None  # when the response arrived (warcio's format); now when not given


@dataclass
class FileStats:
    """What the writer wrote in this run."""

    files: list[Path] = field(default_factory=list)
    records: int = 0
    bytes: int = 0


class ArchiveWriter:
    """Appends exchanges to rotated WARC files in ``directory`` (see the module docstring)."""

    def __init__(
        self,
        directory: Path,
        *,
        prefix: str,
        base: Path,
        max_bytes: int = DEFAULT_MAX_BYTES,
        info: dict[str, str] | None = None,
    ) -> None:
        self.directory = directory
        self.prefix = prefix
        self.base = base
        self.max_bytes = max_bytes
        self.info = info or {}
        self.stats = FileStats()
        self._serial = 0
        self._handle: BinaryIO | None = None
        self._path: Path | None = None
        self._warc: _RecordWriter | None = None
        self._stored_name = ""

    # -- files ---------------------------------------------------------------------------------------------

    def open(self) -> list[files.Recovered]:
        """Close what a killed writer left open, then start a new file; returns what was recovered."""
        self.directory.mkdir(parents=True, exist_ok=True)
        recovered = files.recover_abandoned(self.directory, self.prefix)
        self._start_file()
        return recovered

    def _start_file(self) -> None:
        while True:
            self._serial += 1
            final = self.directory / files.new_file_name(self.prefix, self._serial)
            path = final.with_name(final.name + files.OPEN_SUFFIX)
            if final.exists():
                continue
            try:
                handle = path.open("xb")
            except FileExistsError:
                continue
            break
        if not files.try_lock(handle):  # a file this process just created: nobody else can hold it
            raise OSError(f"could not lock the new archive file {path}")
        self._handle, self._path = handle, path
        self._stored_name = files.stored_name(final, self.base)  # how rows name the file, once per file
        self._warc = _RecordWriter(handle, warc_version=WARC_VERSION)
        self._warc.write_record(self._warc.create_warcinfo_record(final.name, self._warcinfo()))
        handle.flush()
        self.stats.files.append(final)
        logger.info("writing the web archive to %s", path)

    def _warcinfo(self) -> dict[str, str]:
        return {
            "software": f"arabpress-crawler/{__version__} (warcio)",
            "hostname": socket.gethostname(),
            "format": "WARC File Format 1.1",
            "conformsTo": "https://iipc.github.io/warc-specifications/specifications/warc-format/warc-1.1/",
            **self.info,
        }

    def close(self) -> None:
        """Finish the current file: flush, unlock and give it its final name."""
        if self._handle is None or self._path is None:
            return
        handle, path = self._handle, self._path
        self._handle = self._path = self._warc = None
        handle.flush()
        os.fsync(handle.fileno())  # once per file: the records reach the disk before the file is final
        final = path.with_name(path.name.removesuffix(files.OPEN_SUFFIX))
        path.rename(final)
        handle.close()  # closing the descriptor releases the lock
        _sync_directory(final.parent)
        logger.info("web archive file %s closed", final)

    @property
    def current_file(self) -> Path | None:
        """The file being written, under its final name."""
        if self._path is None:
            return None
        return self._path.with_name(self._path.name.removesuffix(files.OPEN_SUFFIX))

    # -- records -------------------------------------------------------------------------------------------

    def write(self, exchange: Exchange) -> ArchiveRecord:
        """Write the request and the response records of ``exchange``; where the response record is."""
        if self._handle is None or self._warc is None:
            raise RuntimeError("the archive writer is not open")
        if self._handle.tell() >= self.max_bytes:  # rotate before writing: no empty file at the end
            self.close()
            self._start_file()
        warc, handle = self._warc, self._handle
        assert warc is not None and handle is not None
        response = _response_record(warc, exchange)
        response_id = response.rec_headers.get_header("WARC-Record-ID")
        date = response.rec_headers.get_header("WARC-Date")
        request = _request_record(warc, exchange, concurrent_to=response_id, date=date)
        warc.write_record(request)
        offset = handle.tell()
        warc.write_record(response, level=STORED if _content_encoded(exchange) else DEFAULT_LEVEL)
        handle.flush()
        end = handle.tell()
        record = ArchiveRecord(file=self._stored_name, offset=offset, length=end - offset, record_id=response_id)
        self.stats.records += 1
        self.stats.bytes += end - offset
        return record


class _GzipMember:
    """One gzip member around one record: what warcio's ``GzippingWrapper`` does, at a chosen level, the record
    compressed in one piece when warcio ends it (the file is flushed by :meth:`ArchiveWriter.write`)."""

    def __init__(self, out: BinaryIO, level: int) -> None:
        self._out = out
        self._level = level
        self._parts: list[bytes] = []

    def write(self, data: bytes) -> None:
        self._parts.append(data)

    def flush(self) -> None:
        data = b"".join(self._parts)
        self._parts = []
        self._out.write(gzip_member(data, self._level))


def gzip_member(data: bytes, level: int) -> bytes:
    """``data`` as one gzip member. The window is no larger than ``data`` needs (a window larger than the data
    finds no more matches) and zlib's state shrinks with it: a small record does not pay for setting up the
    256 KiB of a full window (~40 µs in a crawl, more than compressing it). Stored members need no window."""
    if level == STORED:
        window, memory = MIN_WBITS, 1
    else:
        window = min(max(len(data).bit_length(), MIN_WBITS), zlib.MAX_WBITS)
        memory = DEFAULT_MEM_LEVEL if window == zlib.MAX_WBITS else SMALL_MEM_LEVEL
    compressor = zlib.compressobj(level, zlib.DEFLATED, GZIP_WBITS_OFFSET + window, memory)
    return compressor.compress(data) + compressor.flush()


class _RecordWriter(WARCWriter):
    """warcio's writer, each record in a gzip member of its own compressed at ``level`` (see the module docstring)."""

    def __init__(self, out: BinaryIO, *, warc_version: str) -> None:
        super().__init__(out, gzip=False, warc_version=warc_version)  # gzip: the members below

    def write_record(
        self, record: ArcWarcRecord, params: object = None, *, level: int = DEFAULT_LEVEL
    ) -> None:
        self._write_warc_record(_GzipMember(self.out, level), record)


def _content_encoded(exchange: Exchange) -> bool:
    """The body is as the server compressed it (a ``Content-Encoding`` other than ``identity``)."""
    return any(
        name.lower() == "content-encoding" and value.strip().lower() not in ("", "identity")
        for name, value in exchange.response_headers
    )


def _sync_directory(directory: Path) -> None:
    """Make a rename in ``directory`` durable (where the platform allows opening a directory)."""
    try:
        descriptor = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(descriptor)
    except OSError:
        pass  # some file systems refuse fsync on a directory: the rename stays as durable as they make it
    finally:
        os.close(descriptor)


def _response_record(warc: WARCWriter, exchange: Exchange) -> ArcWarcRecord:
    http_headers = StatusAndHeaders(
        f"{exchange.status} {exchange.reason}".strip(), exchange.response_headers, protocol=exchange.protocol
    )
    warc_headers = {"WARC-Date": exchange.warc_date} if exchange.warc_date else {}
    if exchange.ip_address:
        warc_headers["WARC-IP-Address"] = exchange.ip_address
    return warc.create_warc_record(
        exchange.url,
        "response",
        payload=io.BytesIO(exchange.body),
        length=len(exchange.body),
        http_headers=http_headers,
        warc_headers_dict=warc_headers,
        warc_content_type=RESPONSE_CONTENT_TYPE,
    )


def _request_record(warc: WARCWriter, exchange: Exchange, *, concurrent_to: str, date: str) -> ArcWarcRecord:
    http_headers = StatusAndHeaders(
        f"{exchange.method} {exchange.request_target} {exchange.protocol}",
        exchange.request_headers,
        is_http_request=True,
    )
    return warc.create_warc_record(
        exchange.url,
        "request",
        payload=io.BytesIO(exchange.request_body),
        length=len(exchange.request_body),
        http_headers=http_headers,
        warc_headers_dict={"WARC-Date": date, "WARC-Concurrent-To": concurrent_to},
        warc_content_type=REQUEST_CONTENT_TYPE,
    )
