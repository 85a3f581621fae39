"""A mirror server that holds its first answer for one path until the test opens a gate.

A crawl of it cannot finish while the gate is closed, so a test knows for certain that the crawl is running
(it holds the database's lock) while it starts a second one; opening the gate lets the first crawl finish.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from arabpress_mirror.responses import Payload
from arabpress_mirror.server import MirrorServer

GATED_PATH = "/feed/"
#: Only stops a hung test: the gate is always opened by the test.
GATE_TIMEOUT_SECONDS = 120


class GatedMirror(MirrorServer):
    """The mirror of ``root``, holding the first answer for :data:`GATED_PATH` until :attr:`gate` is set."""

    def __init__(self, root: Path) -> None:
        super().__init__(root)
        self.gate = threading.Event()
        self.held = threading.Event()  # set when a request waits at the gate
        self._gated_once = threading.Lock()

    def resolve(self, raw_path: str, query: str = "") -> Payload:
        if raw_path == GATED_PATH and self._gated_once.acquire(blocking=False):
            self.held.set()
            self.gate.wait(GATE_TIMEOUT_SECONDS)
        return super().resolve(raw_path, query)


@contextmanager
def gated_mirror(root: Path) -> Iterator[GatedMirror]:
    """A started :class:`GatedMirror`; the gate is opened and the server stopped on the way out."""
    server = GatedMirror(root).start()
    try:
        yield server
    finally:
        server.gate.set()
        server.stop()
