"""The run's request queue in Redis, with leases: a popped request belongs to its worker until it is done.

``pop`` moves a request atomically (``LMOVE``) from the queue to the worker's lease list; ``release`` removes it
once it is done: failed in the downloader, or its response's items committed by the writer (:mod:`.leases`). A worker keeps a heartbeat key alive; :meth:`LeasedQueue.recover` moves the leases of every worker
whose heartbeat expired (killed, machine gone) back to the queue, so another worker fetches them.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from scrapy_redis.queue import Base

from arabpress_crawler.distributed import membership
from arabpress_crawler.distributed.keys import HEARTBEAT_TTL_SECONDS, RUN_TTL_SECONDS, RunKeys
from arabpress_crawler.distributed.settings import run_keys, worker_of
from arabpress_crawler.distributed.wake import wake

if TYPE_CHECKING:
    from scrapy import Request, Spider

logger = logging.getLogger(__name__)

#: ``request.meta`` key holding the encoded request as it sits in the lease list.
LEASE_META = "arabpress_lease"
#: ``request.meta`` key: the request got a response (its lease is held past the downloader, :mod:`.leases`).
DOWNLOADED_META = "arabpress_downloaded"


#: How long a worker the coordinator has started but which has not joined yet counts as alive (start-up on a
#: loaded machine takes seconds; one that dies before joining is let go by the coordinator as soon as it exits).
STARTUP_TTL_SECONDS = 120


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def expect_workers(server: Any, keys: RunKeys, workers: list[str]) -> None:
    """Count ``workers`` in the run, alive and busy, before they have started: the run is not done while one of
    them has still to join (a worker that joined after the others had finished the run found its keys deleted
    and crawled it again: 2 workers fetched twice a page cap's worth)."""
    pipe = server.pipeline()
    pipe.sadd(keys.workers, *workers)
    pipe.expire(keys.workers, RUN_TTL_SECONDS)
    for worker in workers:
        pipe.set(keys.alive(worker), 1, ex=STARTUP_TTL_SECONDS)
    pipe.execute()


class LeasedQueue(Base):
    """FIFO queue of the run with per-worker leases (see the module docstring)."""

    def __init__(self, server: Any, spider: Spider, key: str, serializer: Any = None) -> None:
        super().__init__(server, spider, key, serializer)
        self.keys: RunKeys = run_keys(spider.settings)
        self.worker = worker_of(spider.settings)
        #: Why this worker may not join the run (:mod:`.membership`: it is done), or ``None`` once it has joined.
        self.refused: str | None = None
        self.join(writer=membership.needs_writer(spider.settings.getdict("ITEM_PIPELINES")))

    def join(self, *, writer: bool = False) -> None:
        """Register this worker in the run and start its heartbeat, unless the run is done (``refused`` then:
        nothing is pushed or popped, and the worker closes at its first idle moment)."""
        answer = membership.join(self.server, self.keys, self.worker, writer=writer)
        if answer != membership.JOINED:
            self.refused = membership.refusal(self.keys, answer)
            logger.warning("%s", self.refused)
            return
        self.heartbeat()

    def heartbeat(self) -> None:
        if self.refused is not None:
            return
        self.server.set(self.keys.alive(self.worker), 1, ex=HEARTBEAT_TTL_SECONDS)

    def __len__(self) -> int:
        return int(self.server.llen(self.key))

    def push(self, request: Request) -> None:
        replaced = request.meta.pop(LEASE_META, None)  # a redirect or a retry carries its original's lease
        request.meta.pop(DOWNLOADED_META, None)
        if self.refused is not None:  # the run is done: nothing starts it again
            return
        pipe = self.server.pipeline()
        pipe.lpush(self.key, self._encode_request(request))
        pipe.expire(self.key, RUN_TTL_SECONDS)
        if replaced is not None:  # the replacement is queued: the original's lease can go
            pipe.lrem(self.keys.leases(self.worker), 1, replaced)
        length, *_ = pipe.execute()
        if length == 1:  # the queue was empty: workers that found it so are waiting
            wake(self.server, self.keys, "queued")

    def pop(self, timeout: int = 0) -> Request | None:
        if self.refused is not None:
            return None
        leases = self.keys.leases(self.worker)
        data = self.server.lmove(self.key, leases, "RIGHT", "LEFT")
        if data is None:
            return None
        pipe = self.server.pipeline()
        pipe.expire(leases, RUN_TTL_SECONDS)
        pipe.delete(self.keys.idle(self.worker))  # busy from now until its engine is idle again
        pipe.execute()
        request = self._decode_request(data)
        request.meta[LEASE_META] = data
        return request

    def release(self, request: Request) -> None:
        """The request is done (it failed in the downloader): drop its lease."""
        data = request.meta.pop(LEASE_META, None)
        if data is not None:
            self.release_data(data)

    def release_data(self, data: bytes) -> None:
        """Drop the lease of the request encoded as ``data`` (the items of its response are committed)."""
        self.server.lrem(self.keys.leases(self.worker), 1, data)

    def leased(self) -> int:
        """Requests leased by any worker of the run."""
        return sum(int(self.server.llen(self.keys.leases(_text(w)))) for w in self.server.smembers(self.keys.workers))

    def recover(self) -> int:
        """Put the leases of dead workers back on the queue; how many requests went back."""
        returned = 0
        for member in self.server.smembers(self.keys.workers):
            worker = _text(member)
            if worker == self.worker or self.server.exists(self.keys.alive(worker)):
                continue
            while self.server.lmove(self.keys.leases(worker), self.key, "RIGHT", "RIGHT") is not None:
                returned += 1
            self.server.srem(self.keys.workers, worker)
            self.server.delete(self.keys.idle(worker))
            if returned:
                logger.warning("Worker %s is gone: %d requests it had leased went back to the queue", worker, returned)
        return returned

    def clear(self) -> None:
        """Nothing: the queue is the run's (the last worker deletes the run's keys)."""
