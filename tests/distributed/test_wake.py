"""Waking a run's workers and its writer by message, not by timer (``wake.py``, ``feed.announce_left``)."""

from __future__ import annotations

import pickle
from typing import Any

from scrapy import Request

from arabpress_crawler.distributed.feed import announce_left, beat, serve_redis
from arabpress_crawler.distributed.frontier import mark_idle
from arabpress_crawler.run_record import RunCounters

from .test_frontier import BASE, queue

MESSAGE_WAIT_SECONDS = 5


def messages(listener: Any) -> list[str]:
    """What was published on the channel so far (each wait ends as soon as nothing more is there)."""
    found = []
    while (message := listener.get_message(ignore_subscribe_messages=True, timeout=0.2)) is not None:
        found.append(message["data"].decode())
    return found


def subscribed(server: Any, channel: str) -> Any:
    listener = server.pubsub()
    listener.subscribe(channel)
    assert listener.get_message(timeout=MESSAGE_WAIT_SECONDS)["type"] == "subscribe"
    return listener


def test_a_request_pushed_to_an_empty_queue_and_a_worker_turning_idle_are_announced_once(redis_url: str, server: Any) -> None:
    first, second = queue(redis_url, server, "w1"), queue(redis_url, server, "w2")
    listener = subscribed(server, first.keys.wake)
    first.push(Request(f"{BASE}/2025/01/01/one/"))
    first.push(Request(f"{BASE}/2025/01/01/two/"))  # the queue was not empty: nobody is waiting for it
    assert messages(listener) == ["queued"]
    second.pop(), second.pop()
    first.push(Request(f"{BASE}/2025/01/01/three/"))  # empty again: announced again
    assert messages(listener) == ["queued"]
    mark_idle(second)
    mark_idle(second)  # still idle (its heartbeat refreshing the mark): no news
    assert messages(listener) == ["idle"]
    second.pop()  # busy again
    mark_idle(second)
    assert messages(listener) == ["idle"]


def test_a_worker_that_leaves_tells_the_writer_which_stops_on_it(redis_url: str, server: Any, tmp_path: Any) -> None:
    from arabpress_crawler.writer.server import Writer

    worker = queue(redis_url, server, "w1")
    keys = worker.keys
    announce_left(server, keys, "w1")  # no writer beats: nothing is sent, nothing is left behind
    assert not server.exists(keys.batches)
    beat(server, keys)
    announce_left(server, keys, "w1")
    assert pickle.loads(server.lindex(keys.batches, 0)) == ("w1", None)
    left: list[str] = []
    writer = Writer(str(tmp_path / "arabpress.db"))
    writer.open()
    serve_redis(writer, server, keys, 1, done=lambda: bool(left), counters=RunCounters(), on_left=left.append)
    assert left == ["w1"]
    assert not server.exists(keys.batches) and not server.exists(keys.writing)
