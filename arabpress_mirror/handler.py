"""The request handler of the mirror server: one instance per connection (HTTP/1.1 keep-alive), answering each
request with the page, a conditional ``304``, a gzip variant, or the answer of a fault switch.
"""

from __future__ import annotations

import logging
import socket
import struct
import sys
from email.utils import formatdate, parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlsplit

from arabpress_mirror.faults import FAULT_ANSWERS
from arabpress_mirror.responses import Payload, accepts_gzip, parse_etags

if TYPE_CHECKING:
    from arabpress_mirror.server import MirrorServer

logger = logging.getLogger(__name__)

#: Idle keep-alive connections are closed after this many seconds.
CONNECTION_IDLE_TIMEOUT = 30
#: Pending connections the kernel queues (the stdlib default of 5 drops bursts from a concurrent crawl).
LISTEN_BACKLOG = 128


class MirrorHTTPServer(ThreadingHTTPServer):
    """The listening socket of a :class:`~arabpress_mirror.server.MirrorServer` (one thread per connection)."""

    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = LISTEN_BACKLOG
    mirror: MirrorServer

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that hung up mid-answer (a crawler stopped, a request cancelled) is a debug line, not the
        traceback socketserver prints for it; any other error keeps its traceback."""
        error = sys.exc_info()[1]
        if isinstance(error, (ConnectionResetError, BrokenPipeError)):
            logger.debug("client %s hung up: %s", client_address, error)
            return
        super().handle_error(request, client_address)


class MirrorRequestHandler(BaseHTTPRequestHandler):
    """Answers one connection's requests for the :class:`MirrorServer` that owns the server socket."""

    protocol_version = "HTTP/1.1"
    # Headers and body go out in separate writes: with Nagle's algorithm on, the body of a response on a
    # kept-alive connection waits for the client's delayed ACK (~40 ms on Linux loopback) before it is sent.
    disable_nagle_algorithm = True
    server_version = "nginx"
    sys_version = ""
    timeout = CONNECTION_IDLE_TIMEOUT
    server: MirrorHTTPServer

    @property
    def mirror(self) -> MirrorServer:
        return self.server.mirror

    def setup(self) -> None:
        super().setup()
        self.mirror.track_connection(self.connection, opened=True)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            self.mirror.track_connection(self.connection, opened=False)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 (stdlib signature)
        if self.mirror.verbose:
            super().log_message(format, *args)

    def do_GET(self) -> None:  # noqa: N802 (stdlib naming)
        self._handle(head_only=False)

    def do_HEAD(self) -> None:  # noqa: N802 (stdlib naming)
        self._handle(head_only=True)

    def _handle(self, head_only: bool) -> None:
        split = urlsplit(self.path)
        path = unquote(split.path or "/")
        self.mirror.count_request(path)
        fault = self.mirror.fault_switches.take(path)
        if fault is None:
            self.send_payload(self.mirror.resolve(split.path or "/", split.query), head_only)
            return
        logger.debug("fault %s on %s", fault.kind, self.path)
        FAULT_ANSWERS[fault.kind](self, fault.options, split, head_only)

    # Sending ------------------------------------------------------------------------------------------

    def send_payload(self, payload: Payload, head_only: bool, *, compress: bool = True) -> None:
        """Send ``payload`` (or ``304`` when the client's validators match), gzipped when the client accepts."""
        body = payload.body
        etag = payload.etag() if payload.status == 200 else None
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
            body = payload.gzipped()
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

    def send_error_page(self, code: int, head_only: bool, headers: dict[str, str] | None = None) -> None:
        """An error status with the theme's 404 page (404, 410) or a plain error page."""
        payload = self.mirror.not_found() if code in (404, 410) else self.mirror.error_page(code)
        payload.status = code
        payload.headers.update(headers or {})
        self.send_payload(payload, head_only)

    def drop_connection(self, *, reset: bool) -> None:
        """Close the connection without (more of) a response; with ``reset`` the peer gets a TCP RST."""
        self.close_connection = True
        if reset:
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        try:
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            logger.debug("connection already closed while dropping %s", self.path)
