"""HTTP answers of the mirror: the :class:`Payload` a handler sends, content types by file suffix, and the
request headers the server honours (``If-None-Match``, ``Accept-Encoding``).
"""

from __future__ import annotations

import gzip
import hashlib
from dataclasses import dataclass, field

HTML_TYPE = "text/html; charset=UTF-8"
CONTENT_TYPES = {
    ".html": HTML_TYPE,
    ".rss": "application/rss+xml; charset=UTF-8",
    ".xml": "application/xml; charset=UTF-8",
    ".txt": "text/plain; charset=UTF-8",
    ".css": "text/css; charset=UTF-8",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".json": "application/json; charset=UTF-8",
}
DEFAULT_CONTENT_TYPE = "application/octet-stream"
#: Compression level of gzip answers (nginx's default is 1; 6 is zlib's and most servers').
GZIP_LEVEL = 6


@dataclass
class Payload:
    """A response to send: status, headers and body (``mtime`` feeds ``Last-Modified`` and conditionals)."""

    status: int
    body: bytes = b""
    content_type: str = HTML_TYPE
    mtime: float | None = None
    headers: dict[str, str] = field(default_factory=dict)
    #: Computed once by :meth:`etag` and :meth:`gzipped` (a cached payload is sent many times).
    etag_value: str | None = field(default=None, init=False, repr=False, compare=False)
    gzip_body: bytes | None = field(default=None, init=False, repr=False, compare=False)

    @property
    def is_text(self) -> bool:
        return "charset=" in self.content_type.lower()

    def etag(self) -> str:
        """The entity tag of the body (without quotes; the gzip variant adds ``-gzip``)."""
        if self.etag_value is None:
            self.etag_value = hashlib.sha1(self.body).hexdigest()[:20]
        return self.etag_value

    def gzipped(self) -> bytes:
        """The body compressed with gzip (no timestamp, so the same body always gives the same bytes)."""
        if self.gzip_body is None:
            self.gzip_body = gzip.compress(self.body, compresslevel=GZIP_LEVEL, mtime=0)
        return self.gzip_body


def parse_etags(header: str) -> set[str]:
    """The entity tags of an ``If-None-Match`` header, without ``W/`` and the ``-gzip`` variant suffix."""
    tags = set()
    for raw in header.split(","):
        tag = raw.strip().removeprefix("W/").strip('"')
        tags.add(tag.removesuffix("-gzip"))
    return tags


def accepts_gzip(header: str | None) -> bool:
    for part in (header or "").lower().split(","):
        name, _, params = part.strip().partition(";")
        if name.strip() in ("gzip", "*"):
            return params.replace(" ", "") not in ("q=0", "q=0.0", "q=0.00", "q=0.000")
    return False
