"""Joining and leaving a run, atomically against its end: a worker that comes late never starts the run again.

A run is done once its last worker has left (or, all of them killed, once its writer finds none alive): the
frontier keys are deleted then, so a worker joining afterwards used to find an empty frontier, push the start
pages again and crawl the whole site, until it found the writer gone. Two states now say "done":

* while the writer still commits the last batches, the run's ``…:done`` marker: set by the last worker as it
  leaves (in the same Lua script that removes it from the run) or by the writer when it finds no worker alive;
* once the coordinator has closed the run and deleted its keys, the writer's heartbeat is gone: a worker that
  sends its items to a writer (every worker ``arabpress worker`` starts) has nothing to join.

:func:`join` checks both and adds the worker to the run in one Lua script, so a worker either joins a run that
is not done (and keeps it from being done until it leaves) or is refused; :func:`leave` removes a worker and
marks the run done when it was the last. A refused worker exits at once with one line (:func:`refusal`) and
status 0, having fetched nothing. No key is added for this beyond the run's own (``…:done`` expires, and the
coordinator deletes it with the others).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from arabpress_crawler.distributed.keys import RUN_TTL_SECONDS, RunKeys

#: What :func:`join` answers.
JOINED = "joined"
DONE = "done"
NO_WRITER = "no-writer"

#: The store stage, or the worker's pipeline that sends items to the run's writer (the writer addon turns the one
#: into the other): a worker with either enabled needs a writer.
WRITER_STAGES = frozenset(
    {"arabpress_crawler.pipelines.store.StorePipeline", "arabpress_crawler.distributed.feed.RedisWriterPipeline"}
)

#: KEYS: done, writer, workers; ARGV: worker, ttl, "1" when the worker needs a writer.
JOIN_SCRIPT = """
if redis.call('EXISTS', KEYS[1]) == 1 then return 'done' end
if ARGV[3] == '1' and redis.call('EXISTS', KEYS[2]) == 0 then return 'no-writer' end
redis.call('SADD', KEYS[3], ARGV[1])
redis.call('EXPIRE', KEYS[3], tonumber(ARGV[2]))
return 'joined'
"""

#: KEYS: workers, writer, done; ARGV: worker, ttl. 1 when the worker was the run's last.
LEAVE_SCRIPT = """
redis.call('SREM', KEYS[1], ARGV[1])
if redis.call('SCARD', KEYS[1]) > 0 then return 0 end
if redis.call('EXISTS', KEYS[2]) == 1 then redis.call('SET', KEYS[3], 1, 'EX', tonumber(ARGV[2])) end
return 1
"""

#: KEYS: workers, done; ARGV: the alive key's prefix (``…:alive:``), ttl. 1 (and the run marked done) when no
#: worker of the run beats.
CLOSE_SCRIPT = """
for _, worker in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  if redis.call('EXISTS', ARGV[1] .. worker) == 1 then return 0 end
end
redis.call('SET', KEYS[2], 1, 'EX', tonumber(ARGV[2]))
return 1
"""


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def needs_writer(pipelines: Mapping[Any, Any]) -> bool:
    """Whether a worker with these ``ITEM_PIPELINES`` sends its items to the run's writer."""
    return any(order is not None and str(path) in WRITER_STAGES for path, order in pipelines.items())


def join(server: Any, keys: RunKeys, worker: str, *, writer: bool) -> str:
    """Add ``worker`` to the run unless the run is done; :data:`JOINED`, :data:`DONE` or :data:`NO_WRITER`."""
    answer = server.eval(JOIN_SCRIPT, 3, keys.done, keys.writer, keys.workers, worker, RUN_TTL_SECONDS, int(writer))
    return _text(answer)


def can_join(server: Any, keys: RunKeys, *, writer: bool) -> str:
    """What :func:`join` would answer now, without joining (a worker's check before it starts Scrapy)."""
    if server.exists(keys.done):
        return DONE
    if writer and not server.exists(keys.writer):
        return NO_WRITER
    return JOINED


def leave(server: Any, keys: RunKeys, worker: str) -> bool:
    """Remove ``worker`` from the run; when it was the last and a writer still commits, mark the run done."""
    return bool(server.eval(LEAVE_SCRIPT, 3, keys.workers, keys.writer, keys.done, worker, RUN_TTL_SECONDS))


def close(server: Any, keys: RunKeys) -> bool:
    """The writer's side: whether no worker of the run beats; if so the run is marked done (no one joins now)."""
    return bool(server.eval(CLOSE_SCRIPT, 2, keys.workers, keys.done, keys.alive(""), RUN_TTL_SECONDS))


def refusal(keys: RunKeys, answer: str) -> str:
    """The one line a worker that may not join says before it exits."""
    if answer == DONE:
        return f"run {keys.run} on {keys.site} is done (its last worker has left): nothing to fetch, this worker exits"
    return (
        f"run {keys.run} on {keys.site} has no writer: it has ended (or was never started with this Redis);"
        " nothing to fetch, this worker exits"
    )
