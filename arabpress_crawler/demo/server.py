"""The mirror server: serves a rendered mirror on 127.0.0.1 the way the real WordPress site answers.

Usage::

    with MirrorServer(root) as server:          # root defaults to the packaged demo mirror
        crawl(server.base_url + "/")            # "http://127.0.0.1:PORT"
        assert server.request_count("/feed/") == 1

Behaviour:

* ``/<path>/`` serves ``<root>/<path>/index.html`` (or ``index.rss`` for feeds); other paths serve files;
  ``/x/y`` answers ``301`` to ``/x/y/`` when that is a directory page (canonical trailing slash); anything
  else ``404`` with the theme's 404 page. Query strings are ignored (as WordPress ignores ``utm_*``).
* Text responses have the public origin ``https://arab.press`` rewritten to :attr:`MirrorServer.base_url`,
  like a reverse proxy.
* ``ETag`` (of the body served) and ``Last-Modified`` (the file's mtime); ``304`` on a matching
  ``If-None-Match``, or (without ``If-None-Match``) on ``If-Modified-Since`` not older than the file.
* ``gzip`` when the client sends ``Accept-Encoding: gzip`` (``Vary: Accept-Encoding``, ETag ``"…-gzip"``).
* Content types: ``text/html; charset=UTF-8``, ``application/rss+xml``, ``application/xml`` (sitemaps),
  ``text/plain`` (robots.txt), ``text/css``, ``image/png``.
* HTTP/1.1 keep-alive, one thread per connection, bound to a loopback address only.
* :attr:`MirrorServer.requests` counts requests per path (percent-decoded, without the query); thread-safe.
* Quiet: no access log unless ``verbose=True``.

Fault switches
--------------

``server.set_fault(path, kind, **options)`` makes requests for ``path`` (exact, percent-decoded; ``*``/``?``
wildcards allowed, e.g. ``"/2025/*"``) misbehave; ``server.clear_faults()`` removes them. Every kind takes
``times=K``: only the next K matching requests are affected, then the page is served normally. From the
command line: ``--fault PATH=KIND[:OPTION=VALUE,...]``, e.g. ``--fault /feed/=503:times=2,retry_after=5``.

==================  =====================================================================================
kind                what the client gets (options, defaults)
==================  =====================================================================================
``503``, ``429``    that status with ``Retry-After: N`` (``retry_after=1``); usually with ``times=K``
``slow``            the normal response after a delay (``seconds=2.0``)
``truncate``        headers declare the full ``Content-Length``, then the connection closes after a part of
                    the body (``fraction=0.5``)
``reset``           the connection is reset (TCP RST) without any response
``stall``           no answer at all until the server stops (or ``seconds=`` pass), then a close
``status``          any status (``code=500``; 404 and 410 carry the theme's 404 page)
``redirect``        a redirect (``target=`` path or URL, required; ``code=301``)
``redirect-loop``   an endless chain of 302s: ``path?loop=1`` → ``path?loop=2`` → …
``binary``          random bytes labelled ``text/html`` (``size=4096``, ``seed=0``)
``huge``            a valid HTML page of N megabytes, streamed (``megabytes=20``)
``charset``         the page re-encoded (``encoding="windows-1256"`` or ``"iso-8859-6"``), declared in the
                    header and ``<meta charset>`` or not at all (``declare=True``); characters the encoding
                    lacks become numeric character references
``body``            the given bytes (``body=b"..."``, ``content_type="text/html; charset=UTF-8"``,
                    ``code=200``)
==================  =====================================================================================
"""

from __future__ import annotations

import gzip
import hashlib
import ipaddress
import logging
import random
import re
import socket
import struct
import threading
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.utils import formatdate, parsedate_to_datetime
from fnmatch import fnmatchcase
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from arabpress_crawler.demo.content import ORIGIN

logger = logging.getLogger(__name__)

DEFAULT_HOST = "127.0.0.1"
DEMO_SITE_DIR = Path(__file__).parent / "site"
NOT_FOUND_FILE = "404.html"
DIRECTORY_INDEXES = ("index.html", "index.rss")
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
#: Idle keep-alive connections are closed after this many seconds.
CONNECTION_IDLE_TIMEOUT = 30
STREAM_CHUNK = 64 * 1024
#: Pending connections the kernel queues (the stdlib default of 5 drops bursts from a concurrent crawl).
LISTEN_BACKLOG = 128
MEGABYTE = 1024 * 1024
CHARSET_META = re.compile(rb'<meta charset="UTF-8">', re.IGNORECASE)

FAULT_KINDS = (
    "503",
    "429",
    "slow",
    "truncate",
    "reset",
    "stall",
    "status",
    "redirect",
    "redirect-loop",
    "binary",
    "huge",
    "charset",
    "body",
)
CHARSET_ENCODINGS = ("windows-1256", "iso-8859-6")


@dataclass
class Fault:
    """A fault switch: ``kind`` with its options, for the next ``remaining`` requests (``None``: all)."""

    pattern: str
    kind: str
    options: dict[str, Any] = field(default_factory=dict)
    remaining: int | None = None

    def matches(self, path: str) -> bool:
        if any(char in self.pattern for char in "*?["):
            return fnmatchcase(path, self.pattern)
        return path == self.pattern


@dataclass
class Payload:
    """A response to send: status, headers and body (``mtime`` feeds ``Last-Modified`` and conditionals)."""

    status: int
    body: bytes = b""
    content_type: str = HTML_TYPE
    mtime: float | None = None
    headers: dict[str, str] = field(default_factory=dict)

    @property
    def is_text(self) -> bool:
        return "charset=" in self.content_type.lower()


def check_fault(kind: str, options: dict[str, Any]) -> None:
    """Refuse unknown kinds and missing or wrong options, with a message that says what to pass."""
    if kind not in FAULT_KINDS:
        raise ValueError(f"unknown fault kind {kind!r}; use one of: {', '.join(FAULT_KINDS)}")
    if kind == "redirect" and not options.get("target"):
        raise ValueError("a redirect fault needs target=PATH_OR_URL")
    if kind == "charset" and options.get("encoding", CHARSET_ENCODINGS[0]) not in CHARSET_ENCODINGS:
        raise ValueError(f"a charset fault takes encoding= one of: {', '.join(CHARSET_ENCODINGS)}")
    times = options.get("times")
    if times is not None and (not isinstance(times, int) or times < 1):
        raise ValueError("times= must be a positive whole number")


def _coerce(value: str) -> Any:
    lowered = value.lower()
    if lowered in ("true", "yes"):
        return True
    if lowered in ("false", "no"):
        return False
    for kind in (int, float):
        try:
            return kind(value)
        except ValueError:
            continue
    return value


def parse_fault_spec(spec: str) -> tuple[str, str, dict[str, Any]]:
    """Parse ``PATH=KIND[:OPTION=VALUE,...]`` (the ``--fault`` option) into (path, kind, options)."""
    path, separator, rest = spec.partition("=")
    if not separator or not path.startswith("/") or not rest:
        raise ValueError(f"bad fault {spec!r}: write PATH=KIND[:OPTION=VALUE,...], e.g. /feed/=503:times=2")
    kind, _, option_text = rest.partition(":")
    options: dict[str, Any] = {}
    for item in filter(None, option_text.split(",")):
        name, equals, value = item.partition("=")
        if not equals:
            raise ValueError(f"bad fault option {item!r} in {spec!r}: write OPTION=VALUE")
        options[name.strip().replace("-", "_")] = _coerce(value.strip())
    check_fault(kind, options)
    return path, kind, options


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


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = LISTEN_BACKLOG
    mirror: MirrorServer


class MirrorRequestHandler(BaseHTTPRequestHandler):
    """Answers one connection's requests for the :class:`MirrorServer` that owns the server socket."""

    protocol_version = "HTTP/1.1"
    # Headers and body go out in separate writes: with Nagle's algorithm on, the body of a response on a
    # kept-alive connection waits for the client's delayed ACK (~40 ms on Linux loopback) before it is sent.
    disable_nagle_algorithm = True
    server_version = "nginx"
    sys_version = ""
    timeout = CONNECTION_IDLE_TIMEOUT
    server: _HTTPServer

    @property
    def mirror(self) -> MirrorServer:
        return self.server.mirror

    def setup(self) -> None:
        super().setup()
        self.mirror._track(self.connection, opened=True)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            self.mirror._track(self.connection, opened=False)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 (stdlib signature)
        if self.mirror.verbose:
            super().log_message(format, *args)

    def do_GET(self) -> None:  # noqa: N802 (stdlib naming)
        self._handle(head_only=False)

    def do_HEAD(self) -> None:  # noqa: N802 (stdlib naming)
        self._handle(head_only=True)

    # Dispatch -----------------------------------------------------------------------------------------

    def _handle(self, head_only: bool) -> None:
        split = urlsplit(self.path)
        path = unquote(split.path or "/")
        self.mirror._count(path)
        fault = self.mirror._take_fault(path)
        if fault is None:
            self._send(self.mirror.resolve(split.path or "/", split.query), head_only)
            return
        logger.debug("fault %s on %s", fault.kind, self.path)
        handler = getattr(self, "_fault_" + fault.kind.replace("-", "_"))
        handler(fault.options, split, head_only)

    # Sending ------------------------------------------------------------------------------------------

    def _send(self, payload: Payload, head_only: bool, *, compress: bool = True) -> None:
        body = payload.body
        etag = hashlib.sha1(body).hexdigest()[:20] if payload.status == 200 else None
        if etag and self._not_modified(etag, payload.mtime):
            self.send_response(304)
            self._validators(etag, payload.mtime, gzip_variant=False)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        use_gzip = (
            compress and bool(body) and payload.is_text and accepts_gzip(self.headers.get("Accept-Encoding"))
        )
        if use_gzip:
            body = gzip.compress(body, compresslevel=6, mtime=0)
        self.send_response(payload.status)
        self.send_header("Content-Type", payload.content_type)
        if payload.is_text:
            self.send_header("Vary", "Accept-Encoding")
        if use_gzip:
            self.send_header("Content-Encoding", "gzip")
        if etag:
            self._validators(etag, payload.mtime, gzip_variant=use_gzip)
        for name, value in payload.headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if not head_only:
            self.wfile.write(body)

    def _validators(self, etag: str, mtime: float | None, *, gzip_variant: bool) -> None:
        self.send_header("ETag", f'"{etag}-gzip"' if gzip_variant else f'"{etag}"')
        if mtime is not None:
            self.send_header("Last-Modified", formatdate(int(mtime), usegmt=True))

    def _not_modified(self, etag: str, mtime: float | None) -> bool:
        if_none_match = self.headers.get("If-None-Match")
        if if_none_match is not None:
            tags = parse_etags(if_none_match)
            return "*" in tags or etag in tags
        if_modified_since = self.headers.get("If-Modified-Since")
        if if_modified_since and mtime is not None:
            try:
                since = parsedate_to_datetime(if_modified_since).timestamp()
            except (TypeError, ValueError):
                return False
            return int(mtime) <= since
        return False

    def _error_page(self, code: int, head_only: bool, headers: dict[str, str] | None = None) -> None:
        payload = self.mirror.not_found() if code in (404, 410) else self.mirror.error_page(code)
        payload.status = code
        payload.headers.update(headers or {})
        self._send(payload, head_only)

    def _drop(self, *, reset: bool) -> None:
        """Close the connection without (more of) a response; with ``reset`` the peer gets a TCP RST."""
        self.close_connection = True
        if reset:
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        try:
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            logger.debug("connection already closed while dropping %s", self.path)

    # Faults -------------------------------------------------------------------------------------------

    def _fault_503(self, options: dict[str, Any], split: Any, head_only: bool) -> None:
        self._error_page(503, head_only, {"Retry-After": str(options.get("retry_after", 1))})

    def _fault_429(self, options: dict[str, Any], split: Any, head_only: bool) -> None:
        self._error_page(429, head_only, {"Retry-After": str(options.get("retry_after", 1))})

    def _fault_slow(self, options: dict[str, Any], split: Any, head_only: bool) -> None:
        if self.mirror._stopping.wait(float(options.get("seconds", 2.0))):
            self._drop(reset=False)
            return
        self._send(self.mirror.resolve(split.path or "/", split.query), head_only)

    def _fault_truncate(self, options: dict[str, Any], split: Any, head_only: bool) -> None:
        payload = self.mirror.resolve(split.path or "/", split.query)
        cut = int(len(payload.body) * float(options.get("fraction", 0.5)))
        self.send_response(payload.status)
        self.send_header("Content-Type", payload.content_type)
        self.send_header("Content-Length", str(len(payload.body)))
        self.end_headers()
        if not head_only:
            self.wfile.write(payload.body[:cut])
        self._drop(reset=False)

    def _fault_reset(self, options: dict[str, Any], split: Any, head_only: bool) -> None:
        self._drop(reset=True)

    def _fault_stall(self, options: dict[str, Any], split: Any, head_only: bool) -> None:
        seconds = options.get("seconds")
        self.mirror._stopping.wait(None if seconds is None else float(seconds))
        self._drop(reset=False)

    def _fault_status(self, options: dict[str, Any], split: Any, head_only: bool) -> None:
        self._error_page(int(options.get("code", 500)), head_only)

    def _fault_redirect(self, options: dict[str, Any], split: Any, head_only: bool) -> None:
        target = str(options["target"])
        location = self.mirror.base_url + target if target.startswith("/") else target
        self._send(Payload(int(options.get("code", 301)), headers={"Location": location}), head_only)

    def _fault_redirect_loop(self, options: dict[str, Any], split: Any, head_only: bool) -> None:
        hop = int(parse_qs(split.query).get("loop", ["0"])[0] or 0) + 1
        location = f"{self.mirror.base_url}{split.path}?loop={hop}"
        self._send(Payload(302, headers={"Location": location}), head_only)

    def _fault_binary(self, options: dict[str, Any], split: Any, head_only: bool) -> None:
        noise = random.Random(options.get("seed", 0)).randbytes(int(options.get("size", 4096)))
        self._send(Payload(200, noise, HTML_TYPE), head_only, compress=False)

    def _fault_huge(self, options: dict[str, Any], split: Any, head_only: bool) -> None:
        size = int(float(options.get("megabytes", 20)) * MEGABYTE)
        self.send_response(200)
        self.send_header("Content-Type", HTML_TYPE)
        self.send_header("Content-Length", str(size))
        self.end_headers()
        if head_only:
            return
        try:
            for chunk in huge_page_chunks(size):
                if self.mirror._stopping.is_set():
                    self._drop(reset=False)
                    return
                self.wfile.write(chunk)
        except (BrokenPipeError, ConnectionResetError):
            logger.debug("client stopped reading the huge page %s", self.path)
            self.close_connection = True

    def _fault_charset(self, options: dict[str, Any], split: Any, head_only: bool) -> None:
        payload = self.mirror.resolve(split.path or "/", split.query)
        if payload.status != 200 or not payload.is_text:
            self._send(payload, head_only)
            return
        encoding = str(options.get("encoding", CHARSET_ENCODINGS[0]))
        declare = bool(options.get("declare", True))
        self._send(reencode(payload, encoding, declare), head_only)

    def _fault_body(self, options: dict[str, Any], split: Any, head_only: bool) -> None:
        body = options.get("body", b"")
        data = body.encode("utf-8") if isinstance(body, str) else bytes(body)
        content_type = str(options.get("content_type", HTML_TYPE))
        self._send(Payload(int(options.get("code", 200)), data, content_type), head_only, compress=False)


def huge_page_chunks(size: int) -> Iterator[bytes]:
    """A valid HTML document of exactly ``size`` bytes (at least its head and tail), in chunks."""
    head = b'<!DOCTYPE html><html lang="en"><head><meta charset="UTF-8"><title>Huge page</title></head><body>'
    tail = b"</body></html>"
    line = b"<p>" + b"Huge page filler text. " * 40 + b"</p>\n"
    yield head
    remaining = max(0, size - len(head) - len(tail))
    block = line * (STREAM_CHUNK // len(line) + 1)
    while remaining > 0:
        piece = block[: min(remaining, len(block))]
        remaining -= len(piece)
        yield piece
    yield tail


def reencode(payload: Payload, encoding: str, declare: bool) -> Payload:
    """The page in a legacy Arabic charset, declared (header and meta) or not declared at all."""
    text = payload.body.decode("utf-8")
    meta = f'<meta charset="{encoding}">'.encode("ascii") if declare else b""
    body = CHARSET_META.sub(meta, text.encode(encoding, errors="xmlcharrefreplace"), count=1)
    content_type = f"text/html; charset={encoding}" if declare else "text/html"
    return Payload(200, body, content_type, payload.mtime)


class MirrorServer:
    """A threaded HTTP server for a mirror directory, on a loopback address (see the module docstring)."""

    def __init__(
        self,
        root: Path | str | None = None,
        port: int = 0,
        host: str = DEFAULT_HOST,
        *,
        verbose: bool = False,
        origin: str = ORIGIN,
    ) -> None:
        if not ipaddress.ip_address(host).is_loopback:
            raise ValueError(f"the mirror server only listens on a loopback address, not {host!r}")
        self.root = Path(root) if root is not None else DEMO_SITE_DIR
        if not self.root.is_dir():
            raise FileNotFoundError(f"mirror root {self.root} is not a directory")
        self.root = self.root.resolve()
        self.host = host
        self.port = port
        self.verbose = verbose
        self.origin = origin
        self._lock = threading.Lock()
        self._requests: Counter[str] = Counter()
        self._faults: list[Fault] = []
        self._connections: set[socket.socket] = set()
        self._stopping = threading.Event()
        self._httpd: _HTTPServer | None = None
        self._thread: threading.Thread | None = None

    # Life cycle ---------------------------------------------------------------------------------------

    def start(self) -> MirrorServer:
        if self._httpd is not None:
            return self
        self._stopping.clear()
        httpd = _HTTPServer((self.host, self.port), MirrorRequestHandler)
        httpd.mirror = self
        self._httpd = httpd
        self.port = httpd.server_address[1]
        self._thread = threading.Thread(target=httpd.serve_forever, name=f"mirror-{self.port}", daemon=True)
        self._thread.start()
        logger.info("mirror of %s serving at %s", self.root, self.base_url)
        return self

    def stop(self) -> None:
        if self._httpd is None:
            return
        self._stopping.set()
        self._httpd.shutdown()
        self._httpd.server_close()
        with self._lock:
            connections = list(self._connections)
        for connection in connections:
            try:
                connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                logger.debug("connection already closed at stop of %s", self.base_url)
        if self._thread is not None:
            self._thread.join()
        self._httpd = None
        self._thread = None
        logger.info("mirror at %s stopped", self.base_url)

    def __enter__(self) -> MirrorServer:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def url(self, path: str = "/") -> str:
        """Absolute URL of a path on this server (``path`` may also be a public ``https://arab.press`` URL)."""
        return self.base_url + path.removeprefix(self.origin)

    # Counters -----------------------------------------------------------------------------------------

    @property
    def requests(self) -> Counter[str]:
        """Requests per path so far (percent-decoded, without query): a snapshot."""
        with self._lock:
            return Counter(self._requests)

    def request_count(self, path: str) -> int:
        """Requests for one path (given percent-encoded or not, or as a full URL of the mirror)."""
        path = urlsplit(path).path if "://" in path else path
        with self._lock:
            return self._requests[unquote(path)]

    def reset_requests(self) -> None:
        with self._lock:
            self._requests.clear()

    def _count(self, path: str) -> None:
        with self._lock:
            self._requests[path] += 1

    def _track(self, connection: socket.socket, *, opened: bool) -> None:
        with self._lock:
            if opened:
                self._connections.add(connection)
            else:
                self._connections.discard(connection)

    # Faults -------------------------------------------------------------------------------------------

    def set_fault(self, path: str, kind: str, **options: Any) -> None:
        """Make requests for ``path`` misbehave (see the module docstring for kinds and options)."""
        check_fault(kind, options)
        times = options.pop("times", None)
        with self._lock:
            self._faults = [fault for fault in self._faults if fault.pattern != unquote(path)]
            self._faults.append(Fault(unquote(path), kind, options, times))
        logger.debug("fault %s set on %s%s", kind, self.base_url, path)

    def clear_faults(self, path: str | None = None) -> None:
        """Remove every fault, or the fault of one path."""
        with self._lock:
            if path is None:
                self._faults.clear()
            else:
                self._faults = [fault for fault in self._faults if fault.pattern != unquote(path)]

    @property
    def faults(self) -> list[Fault]:
        with self._lock:
            return list(self._faults)

    def _take_fault(self, path: str) -> Fault | None:
        with self._lock:
            for fault in self._faults:
                if not fault.matches(path):
                    continue
                if fault.remaining is not None:
                    fault.remaining -= 1
                    if fault.remaining <= 0:
                        self._faults.remove(fault)
                return fault
        return None

    # Content ------------------------------------------------------------------------------------------

    def _file_for(self, decoded_path: str) -> Path | None:
        """The file under the root for a decoded URL path, or None (never outside the root)."""
        if "\x00" in decoded_path or any(part == ".." for part in decoded_path.split("/")):
            return None
        candidate = self.root / decoded_path.lstrip("/")
        if decoded_path.endswith("/"):
            for index in DIRECTORY_INDEXES:
                if (candidate / index).is_file():
                    return candidate / index
            return None
        return candidate if candidate.is_file() else None

    def _is_directory_page(self, decoded_path: str) -> bool:
        return not decoded_path.endswith("/") and self._file_for(decoded_path + "/") is not None

    def _read(self, file: Path, status: int = 200) -> Payload:
        content_type = CONTENT_TYPES.get(file.suffix, DEFAULT_CONTENT_TYPE)
        payload = Payload(status, file.read_bytes(), content_type, file.stat().st_mtime)
        if payload.is_text:
            payload.body = self.rewrite(payload.body)
        return payload

    def rewrite(self, body: bytes) -> bytes:
        """Replace the public origin with this server's base URL (also in JSON's escaped form)."""
        origin, base = self.origin.encode(), self.base_url.encode()
        body = body.replace(origin, base)
        return body.replace(origin.replace(b"/", b"\\/"), base.replace(b"/", b"\\/"))

    def resolve(self, raw_path: str, query: str = "") -> Payload:
        """The normal answer for a path: the page, a 301 to the canonical trailing slash, or a 404."""
        decoded = unquote(raw_path)
        file = self._file_for(decoded)
        if file is not None:
            return self._read(file)
        if self._is_directory_page(decoded):
            location = f"{self.base_url}{raw_path}/" + (f"?{query}" if query else "")
            return Payload(301, headers={"Location": location})
        return self.not_found()

    def not_found(self) -> Payload:
        page = self.root / NOT_FOUND_FILE
        if page.is_file():
            return self._read(page, status=404)
        return Payload(404, b"<!DOCTYPE html><title>Not found</title><h1>Not found</h1>")

    def error_page(self, code: int) -> Payload:
        body = f"<!DOCTYPE html><html><head><title>Error {code}</title></head><body><h1>Error {code}</h1></body></html>"
        return Payload(code, body.encode("utf-8"))
