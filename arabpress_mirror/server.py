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

Fault switches (``set_fault``, ``--fault PATH=KIND[:OPTION=VALUE,...]``) are described in
:mod:`arabpress_mirror.faults`; the request handler is :mod:`arabpress_mirror.handler`.
"""

from __future__ import annotations

import ipaddress
import logging
import socket
import threading
from collections import Counter
from pathlib import Path
from types import TracebackType
from typing import Any
from urllib.parse import unquote, urlsplit

from arabpress_mirror.cache import PayloadCache, signature
from arabpress_mirror.content import ORIGIN
from arabpress_mirror.faults import Fault, FaultSwitches
from arabpress_mirror.handler import MirrorHTTPServer, MirrorRequestHandler
from arabpress_mirror.layout import DEMO_SITE_DIR, DIRECTORY_INDEXES, NOT_FOUND_FILE
from arabpress_mirror.responses import CONTENT_TYPES, DEFAULT_CONTENT_TYPE, Payload

logger = logging.getLogger(__name__)

DEFAULT_HOST = "127.0.0.1"


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
        cache_bytes: int = 0,
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
        self.fault_switches = FaultSwitches()
        #: Answers kept with their ETag and gzip form (off unless ``cache_bytes``; see :mod:`arabpress_mirror.cache`).
        self.cache = PayloadCache(cache_bytes)
        self._connections: set[socket.socket] = set()
        #: Set while the server stops: stalled and slow answers end early.
        self.stopping = threading.Event()
        self._httpd: MirrorHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # Life cycle ---------------------------------------------------------------------------------------

    def start(self) -> MirrorServer:
        if self._httpd is not None:
            return self
        self.stopping.clear()
        httpd = MirrorHTTPServer((self.host, self.port), MirrorRequestHandler)
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
        self.stopping.set()
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

    def count_request(self, path: str) -> None:
        with self._lock:
            self._requests[path] += 1

    def track_connection(self, connection: socket.socket, *, opened: bool) -> None:
        with self._lock:
            if opened:
                self._connections.add(connection)
            else:
                self._connections.discard(connection)

    # Faults -------------------------------------------------------------------------------------------

    def set_fault(self, path: str, kind: str, **options: Any) -> None:
        """Make requests for ``path`` misbehave (kinds and options: :mod:`arabpress_mirror.faults`)."""
        self.fault_switches.set(path, kind, options)
        logger.debug("fault %s set on %s%s", kind, self.base_url, path)

    def clear_faults(self, path: str | None = None) -> None:
        """Remove every fault, or the fault of one path."""
        self.fault_switches.clear(path)

    @property
    def faults(self) -> list[Fault]:
        return self.fault_switches.snapshot()

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
        stat = file.stat()
        if self.cache.enabled:
            cached = self.cache.get((file, status), signature(stat))
            if cached is not None:
                return cached
        content_type = CONTENT_TYPES.get(file.suffix, DEFAULT_CONTENT_TYPE)
        payload = Payload(status, file.read_bytes(), content_type, stat.st_mtime)
        if payload.is_text:
            payload.body = self.rewrite(payload.body)
        # The stat taken before the read: a file edited meanwhile is read again next time.
        self.cache.put((file, status), signature(stat), payload)
        return payload

    def warm(self) -> int:
        """Read every page of the mirror into the cache (until it is full); the number of files read."""
        read = 0
        for file in sorted(self.root.rglob("*")):
            if not self.cache.enabled or self.cache.size >= self.cache.max_bytes:
                break
            if file.is_file() and file.suffix in CONTENT_TYPES:
                self._read(file)
                read += 1
        return read

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
