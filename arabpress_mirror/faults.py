"""Fault switches of the mirror server: what can be set on a path, how ``--fault`` specs are read, the switches
set on one server, and the answer each kind of fault gives.

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

import logging
import random
import re
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from typing import TYPE_CHECKING, Any
from urllib.parse import SplitResult, parse_qs, unquote

from arabpress_mirror.responses import HTML_TYPE, Payload

if TYPE_CHECKING:
    from arabpress_mirror.handler import MirrorRequestHandler as Handler

logger = logging.getLogger(__name__)

CHARSET_ENCODINGS = ("windows-1256", "iso-8859-6")
CHARSET_META = re.compile(rb'<meta charset="UTF-8">', re.IGNORECASE)
MEGABYTE = 1024 * 1024
STREAM_CHUNK = 64 * 1024


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


class FaultSwitches:
    """The switches set on one server (thread-safe): one per path pattern, the latest wins."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._faults: list[Fault] = []

    def set(self, path: str, kind: str, options: dict[str, Any]) -> None:
        """Set ``kind`` on ``path`` (checked first; ``times=K`` in ``options`` limits it to K requests)."""
        check_fault(kind, options)
        options = dict(options)
        times = options.pop("times", None)
        pattern = unquote(path)
        with self._lock:
            self._faults = [fault for fault in self._faults if fault.pattern != pattern]
            self._faults.append(Fault(pattern, kind, options, times))

    def clear(self, path: str | None = None) -> None:
        """Remove every switch, or the switch of one path."""
        with self._lock:
            if path is None:
                self._faults.clear()
            else:
                self._faults = [fault for fault in self._faults if fault.pattern != unquote(path)]

    def snapshot(self) -> list[Fault]:
        with self._lock:
            return list(self._faults)

    def take(self, path: str) -> Fault | None:
        """The switch for a request of ``path``, counting the request against its ``times``."""
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


# Checking and reading switches ----------------------------------------------------------------------------


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


# What each kind answers -------------------------------------------------------------------------------------

#: A fault kind's options, as given to ``set_fault`` (without ``times``).
Options = dict[str, Any]
#: The answer of one fault kind: it writes the response (or drops the connection) through the handler.
FaultAnswer = Callable[["Handler", Options, SplitResult, bool], None]


def _retry_after(code: int) -> FaultAnswer:
    def answer(handler: Handler, options: Options, split: SplitResult, head_only: bool) -> None:
        handler.send_error_page(code, head_only, {"Retry-After": str(options.get("retry_after", 1))})

    return answer


def _slow(handler: Handler, options: Options, split: SplitResult, head_only: bool) -> None:
    if handler.mirror.stopping.wait(float(options.get("seconds", 2.0))):
        handler.drop_connection(reset=False)
        return
    handler.send_payload(handler.mirror.resolve(split.path or "/", split.query), head_only)


def _truncate(handler: Handler, options: Options, split: SplitResult, head_only: bool) -> None:
    payload = handler.mirror.resolve(split.path or "/", split.query)
    cut = int(len(payload.body) * float(options.get("fraction", 0.5)))
    handler.send_response(payload.status)
    handler.send_header("Content-Type", payload.content_type)
    handler.send_header("Content-Length", str(len(payload.body)))
    handler.end_headers()
    if not head_only:
        handler.wfile.write(payload.body[:cut])
    handler.drop_connection(reset=False)


def _reset(handler: Handler, options: Options, split: SplitResult, head_only: bool) -> None:
    handler.drop_connection(reset=True)


def _stall(handler: Handler, options: Options, split: SplitResult, head_only: bool) -> None:
    seconds = options.get("seconds")
    handler.mirror.stopping.wait(None if seconds is None else float(seconds))
    handler.drop_connection(reset=False)


def _status(handler: Handler, options: Options, split: SplitResult, head_only: bool) -> None:
    handler.send_error_page(int(options.get("code", 500)), head_only)


def _redirect(handler: Handler, options: Options, split: SplitResult, head_only: bool) -> None:
    target = str(options["target"])
    location = handler.mirror.base_url + target if target.startswith("/") else target
    handler.send_payload(Payload(int(options.get("code", 301)), headers={"Location": location}), head_only)


def _redirect_loop(handler: Handler, options: Options, split: SplitResult, head_only: bool) -> None:
    hop = int(parse_qs(split.query).get("loop", ["0"])[0] or 0) + 1
    location = f"{handler.mirror.base_url}{split.path}?loop={hop}"
    handler.send_payload(Payload(302, headers={"Location": location}), head_only)


def _binary(handler: Handler, options: Options, split: SplitResult, head_only: bool) -> None:
    noise = random.Random(options.get("seed", 0)).randbytes(int(options.get("size", 4096)))
    handler.send_payload(Payload(200, noise, HTML_TYPE), head_only, compress=False)


def _huge(handler: Handler, options: Options, split: SplitResult, head_only: bool) -> None:
    size = int(float(options.get("megabytes", 20)) * MEGABYTE)
    handler.send_response(200)
    handler.send_header("Content-Type", HTML_TYPE)
    handler.send_header("Content-Length", str(size))
    handler.end_headers()
    if head_only:
        return
    try:
        for chunk in huge_page_chunks(size):
            if handler.mirror.stopping.is_set():
                handler.drop_connection(reset=False)
                return
            handler.wfile.write(chunk)
    except (BrokenPipeError, ConnectionResetError):
        logger.debug("client stopped reading the huge page %s", handler.path)
        handler.close_connection = True


def _charset(handler: Handler, options: Options, split: SplitResult, head_only: bool) -> None:
    payload = handler.mirror.resolve(split.path or "/", split.query)
    if payload.status != 200 or not payload.is_text:
        handler.send_payload(payload, head_only)
        return
    encoding = str(options.get("encoding", CHARSET_ENCODINGS[0]))
    declare = bool(options.get("declare", True))
    handler.send_payload(reencode(payload, encoding, declare), head_only)


def _body(handler: Handler, options: Options, split: SplitResult, head_only: bool) -> None:
    body = options.get("body", b"")
    data = body.encode("utf-8") if isinstance(body, str) else bytes(body)
    content_type = str(options.get("content_type", HTML_TYPE))
    handler.send_payload(
        Payload(int(options.get("code", 200)), data, content_type), head_only, compress=False
    )


#: Every fault kind and the answer it gives, in the order of the table above.
FAULT_ANSWERS: dict[str, FaultAnswer] = {
    "503": _retry_after(503),
    "429": _retry_after(429),
    "slow": _slow,
    "truncate": _truncate,
    "reset": _reset,
    "stall": _stall,
    "status": _status,
    "redirect": _redirect,
    "redirect-loop": _redirect_loop,
    "binary": _binary,
    "huge": _huge,
    "charset": _charset,
    "body": _body,
}
FAULT_KINDS = tuple(FAULT_ANSWERS)


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
