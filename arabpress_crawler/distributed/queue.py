"""The run's request queue in Redis, with leases: a popped request belongs to its worker until it is done.

``pop`` moves a request atomically (``LMOVE``) from the queue to the worker's lease list; ``release`` removes it
once it is done: failed in the downloader, or its response's items committed by the writer (:mod:`.leases`). A worker keeps a heartbeat key alive; :meth:`LeasedQueue.recover` moves the leases of every worker
whose heartbeat expired (killed, machine gone) back to the queue, so another worker fetches them. A worker let go
so while it was only slow is back among the run's workers when it pops again (both steps are Lua scripts), so
what it leases afterwards is recovered in turn.

:class:`LeasedScheduler` queues a request in one step: a Lua script adds its fingerprint to the run's ``…:seen``
set and pushes it only if the fingerprint was new. scrapy-redis's scheduler made two round trips (the dupefilter's
``SADD``, then the queue's ``LPUSH``): a worker killed between them left the URL seen and queued nowhere, every
other worker dropped the link as a duplicate, and the run ended without the page (``tests/distributed/test_enqueue.py``).
The queue is the run's own key, ``…:requests`` (scrapy-redis's default, ``<spider>:requests``, was one list for every
run and site on the server).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from scrapy_redis.queue import Base
from scrapy_redis.scheduler import Scheduler

from arabpress_crawler.distributed import membership
from arabpress_crawler.distributed.keys import HEARTBEAT_TTL_SECONDS, RUN_TTL_SECONDS, RunKeys
from arabpress_crawler.distributed.settings import run_keys, worker_of
from arabpress_crawler.distributed.wake import wake
from arabpress_crawler.spiders import STAT_PREFIX

if TYPE_CHECKING:
    from scrapy import Request, Spider

logger = logging.getLogger(__name__)

#: The spider's count of article requests, and of article links decided already (``arabpress_crawler.spiders``).
REQUESTED_STAT = f"{STAT_PREFIX}/articles/requested"
SEEN_STAT = f"{STAT_PREFIX}/skipped/seen"
#: ``request.meta`` key holding the encoded request as it sits in the lease list.
LEASE_META = "arabpress_lease"
#: ``request.meta`` key: the request got a response (its lease is held past the downloader, :mod:`.leases`).
DOWNLOADED_META = "arabpress_downloaded"


#: KEYS: the queue, the run's seen set, the worker's leases; ARGV: the encoded request, its fingerprint ("": not
#: filtered), ttl, the lease it replaces (""). The queue's length, or 0 when the fingerprint was seen already.
PUSH_SCRIPT = """
if ARGV[2] ~= '' then
  if redis.call('SADD', KEYS[2], ARGV[2]) == 0 then return 0 end
  redis.call('EXPIRE', KEYS[2], tonumber(ARGV[3]))
end
local length = redis.call('LPUSH', KEYS[1], ARGV[1])
redis.call('EXPIRE', KEYS[1], tonumber(ARGV[3]))
if ARGV[4] ~= '' then redis.call('LREM', KEYS[3], 1, ARGV[4]) end
return length
"""

#: KEYS: the queue, the worker's leases, its idle key, the run's workers, the run's done marker; ARGV: worker, ttl.
#: The request moved to the worker's leases (nil when the queue is empty). The worker is busy from now until its
#: engine is idle again, and a member of the run: one given up for dead while it was only slow (its heartbeat
#: expired, :meth:`LeasedQueue.recover` let it go) is back, so what it leases now is recovered if it dies.
POP_SCRIPT = """
local data = redis.call('LMOVE', KEYS[1], KEYS[2], 'RIGHT', 'LEFT')
if not data then return false end
redis.call('EXPIRE', KEYS[2], tonumber(ARGV[2]))
redis.call('DEL', KEYS[3])
if redis.call('EXISTS', KEYS[5]) == 0 and redis.call('SADD', KEYS[4], ARGV[1]) == 1 then
  redis.call('EXPIRE', KEYS[4], tonumber(ARGV[2]))
end
return data
"""

#: KEYS: the worker's alive key, its leases, the queue, the run's workers, its idle key; ARGV: worker. How many
#: requests went back to the queue, -1 when the worker is alive. One step, so a slow worker's pop (which puts it
#: back in the run) comes wholly before (its lease goes back too) or after (it stays a member).
RECOVER_SCRIPT = """
if redis.call('EXISTS', KEYS[1]) == 1 then return -1 end
local moved = 0
while redis.call('LMOVE', KEYS[2], KEYS[3], 'RIGHT', 'RIGHT') do moved = moved + 1 end
redis.call('SREM', KEYS[4], ARGV[1])
redis.call('DEL', KEYS[5])
return moved
"""

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

    def __init__(self, server: Any, spider: Spider, key: str = "", serializer: Any = None) -> None:
        keys = run_keys(spider.settings)
        super().__init__(server, spider, keys.requests, serializer)  # not scrapy-redis's ``key``: the run's own
        self.keys: RunKeys = keys
        self._push = server.register_script(PUSH_SCRIPT)
        self._pop = server.register_script(POP_SCRIPT)
        self._recover = server.register_script(RECOVER_SCRIPT)
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

    def push(self, request: Request, fingerprint: str | None = None) -> bool:
        """Queue ``request``; with a ``fingerprint``, only if the run has not seen it, marking it seen in the same
        step (a kill leaves both done or neither). Whether it was queued."""
        replaced = request.meta.pop(LEASE_META, None)  # a redirect or a retry carries its original's lease
        request.meta.pop(DOWNLOADED_META, None)
        if self.refused is not None:  # the run is done: nothing starts it again
            return False
        length = int(
            self._push(
                keys=[self.key, self.keys.seen, self.keys.leases(self.worker)],
                args=[self._encode_request(request), fingerprint or "", RUN_TTL_SECONDS, replaced or ""],
            )
        )
        if length == 1:  # the queue was empty: workers that found it so are waiting
            wake(self.server, self.keys, "queued")
        return length > 0

    def pop(self, timeout: int = 0) -> Request | None:
        if self.refused is not None:
            return None
        keys = self.keys
        data = self._pop(
            keys=[self.key, keys.leases(self.worker), keys.idle(self.worker), keys.workers, keys.done],
            args=[self.worker, RUN_TTL_SECONDS],
        )
        if data is None:
            return None
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
            if worker == self.worker:
                continue
            keys = self.keys
            moved = int(
                self._recover(
                    keys=[keys.alive(worker), keys.leases(worker), self.key, keys.workers, keys.idle(worker)],
                    args=[worker],
                )
            )
            if moved > 0:
                logger.warning("Worker %s is gone: %d requests it had leased went back to the queue", worker, moved)
                returned += moved
        return returned

    def clear(self) -> None:
        """Nothing: the queue is the run's (the last worker deletes the run's keys)."""


class LeasedScheduler(Scheduler):
    """scrapy-redis's scheduler whose requests are marked seen and queued in one step (see the module docstring)."""

    queue: LeasedQueue

    def open(self, spider: Spider) -> None:
        super().open(spider)
        if not isinstance(self.queue, LeasedQueue) or getattr(self.df, "key", None) != self.queue.keys.seen:
            raise ValueError("LeasedScheduler needs the LeasedQueue and the run's dupefilter (worker_settings())")

    def enqueue_request(self, request: Request) -> bool:
        fingerprint = None if request.dont_filter else self.df.request_fingerprint(request)
        if not self.queue.push(request, fingerprint):
            if fingerprint is not None and self.queue.refused is None:
                self.df.log(request, self.spider)
                self._count_seen(request)
            return False
        if self.stats:
            self.stats.inc_value("scheduler/enqueued/redis")
        return True

    def _count_seen(self, request: Request) -> None:
        """An article request another worker queued first: the spider counted it as requested, the run counts it
        as seen (the run's stats sum the workers': it was counted once per worker that found the link)."""
        if self.stats and "canonical_url" in request.meta:
            self.stats.inc_value(REQUESTED_STAT, -1)
            self.stats.inc_value(SEEN_STAT)
