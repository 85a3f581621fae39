"""Waking a run's workers when the frontier changes, instead of leaving them to Scrapy's 5-second engine heartbeat.

A Scrapy engine asks its scheduler for the next request when one of its own requests finishes or every 5 s (its
heartbeat). With a shared queue, a worker that found the queue empty is not told when another worker pushes
a request, nor when the last busy worker goes idle and the run is done: it used to wait for its next heartbeat,
up to 5 s each time (the 2-worker crawls' 5-second shutdown). Now every change a waiting worker cares about
is published on the run's channel (``…:wake``, Redis pub/sub): a request pushed to an empty queue, a worker
turning idle, a worker leaving. Each worker listens on a thread and asks its engine for the next request at
once (which also re-checks, when it is idle, whether the run is done). The heartbeat stays as the fallback.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from arabpress_crawler.distributed.keys import RunKeys

logger = logging.getLogger(__name__)

#: How long the listening thread blocks on the channel between checks that it should stop.
LISTEN_SECONDS = 1.0


def wake(server: Any, keys: RunKeys, why: str) -> None:
    """Tell the run's workers that the frontier changed (``why``: queued, idle, left)."""
    server.publish(keys.wake, why)


class Wakeup:
    """Listens on the run's channel in a thread; ``on_wake`` runs in the reactor's thread for each message."""

    def __init__(self, server: Any, keys: RunKeys, on_wake: Callable[[], None]) -> None:
        self.server = server
        self.keys = keys
        self.on_wake = on_wake
        self._thread: Any = None

    def start(self) -> None:
        """Subscribe before returning: nothing published after this is missed."""
        pubsub = self.server.pubsub(ignore_subscribe_messages=True)
        pubsub.subscribe(**{self.keys.wake: self._message})
        self._thread = pubsub.run_in_thread(sleep_time=LISTEN_SECONDS, daemon=True)

    def _message(self, message: Any) -> None:
        from twisted.internet import reactor

        reactor.callFromThread(self.on_wake)  # type: ignore[attr-defined]

    def stop(self) -> None:
        """Stop listening (the thread ends within :data:`LISTEN_SECONDS`; not waited for: it is a daemon)."""
        if self._thread is not None:
            self._thread.stop(timeout=0)
            self._thread = None


def schedule_next_request(engine: Any) -> None:
    """Ask a Scrapy engine for its next request now (Scrapy has no public call for it: its slot's ``nextcall``,
    as the engine's own heartbeat does; without one, nothing happens and the heartbeat does it)."""
    slot = getattr(engine, "_slot", None)
    nextcall = getattr(slot, "nextcall", None)
    if nextcall is not None and getattr(slot, "closing", None) is None:
        nextcall.schedule()
