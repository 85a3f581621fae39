"""The shared frontier's parts against a real Redis: canonical fingerprints, run keys, leases, global politeness."""

from __future__ import annotations

import threading
from types import SimpleNamespace
from typing import Any

import pytest
from scrapy import Request
from scrapy.settings import Settings

from arabpress_crawler.distributed.dupefilter import CanonicalDupeFilter
from arabpress_crawler.distributed.frontier import run_is_done
from arabpress_crawler.distributed.keys import RUN_TTL_SECONDS
from arabpress_crawler.distributed.queue import LeasedQueue
from arabpress_crawler.distributed.settings import run_keys, worker_settings
from arabpress_crawler.distributed.throttle import SiteClock

BASE = "http://127.0.0.1:8765"


def spider(redis_url: str, run: str = "run-1", worker: str = "w1") -> Any:
    settings = Settings({"ARABPRESS_BASE_URL": BASE, **worker_settings(redis_url, run, worker=worker)})
    return SimpleNamespace(name="articles", settings=settings)


def queue(redis_url: str, server: Any, worker: str, run: str = "run-1") -> LeasedQueue:
    owner = spider(redis_url, run, worker)
    return LeasedQueue(server, owner, run_keys(owner.settings).requests)


def test_fingerprints_are_canonical_urls_in_an_expiring_key_of_the_site_and_run(redis_url: str, server: Any) -> None:
    seen = CanonicalDupeFilter.from_spider(spider(redis_url))
    assert seen.key == "arabpress:127.0.0.1:8765:run-1:seen"
    assert not seen.request_seen(Request(f"{BASE}/2025/01/02/story/?utm_source=feed#top"))
    assert seen.request_seen(Request(f"{BASE}/2025/01/02/story/"))  # the same article, another spelling
    assert not seen.request_seen(Request(f"{BASE}/2025/01/02/other/"))
    assert 0 < server.ttl(seen.key) <= RUN_TTL_SECONDS
    seen.close("finished")  # one worker closing leaves the run's set to the others
    assert server.scard(seen.key) == 2
    other_run = CanonicalDupeFilter.from_spider(spider(redis_url, run="run-2"))
    assert not other_run.request_seen(Request(f"{BASE}/2025/01/02/story/"))  # the next run starts afresh


def test_requests_leased_by_a_dead_worker_go_back_to_the_queue(redis_url: str, server: Any) -> None:
    first, second = queue(redis_url, server, "w1"), queue(redis_url, server, "w2")
    urls = [f"{BASE}/2025/01/0{n}/story-{n}/" for n in range(1, 6)]
    for url in urls:
        first.push(Request(url))
    popped = [first.pop() for _ in range(3)]
    assert [request.url for request in popped] == urls[:3]
    first.release(popped[0])  # done: no longer leased
    assert first.leased() == 2 and len(first) == 2
    assert second.recover() == 0  # the first worker is alive: its leases stay
    server.delete(first.keys.alive("w1"))  # its heartbeat expires (killed)
    assert second.recover() == 2
    rest = [second.pop() for _ in range(4)]
    assert sorted(request.url for request in rest) == sorted(urls[1:])
    assert second.pop() is None
    assert server.smembers(first.keys.workers) == {b"w2"}


def test_a_worker_given_up_for_dead_while_only_slow_is_back_in_the_run_when_it_pops_again(
    redis_url: str, server: Any
) -> None:
    """A worker whose heartbeat expired while it was only slow (a stalled event loop) had its leases requeued and
    left the run's workers; what it popped afterwards sat in a lease list nobody looked at: killed then, those
    requests were lost, and the others found the run done without them."""
    first, second = queue(redis_url, server, "w1"), queue(redis_url, server, "w2")
    urls = [f"{BASE}/2025/01/0{n}/story-{n}/" for n in (1, 2)]
    for url in urls:
        first.push(Request(url))
    first.pop()
    server.delete(first.keys.alive("w1"))  # stalled past its heartbeat
    assert second.recover() == 1  # given up for dead: its lease goes back
    first.heartbeat()  # it was only slow
    assert first.pop().url == urls[0]  # and takes the first request again
    second.release(second.pop())  # the other one is done
    server.delete(first.keys.alive("w1"))  # now it is killed
    server.set(first.keys.idle("w2"), 1)
    assert not run_is_done(second)  # its lease counts
    assert second.recover() == 1  # and goes back
    assert second.pop().url == urls[0]
    assert second.pop() is None


def test_a_run_is_done_only_when_nothing_is_queued_or_leased_and_every_live_worker_is_idle(
    redis_url: str, server: Any
) -> None:
    first, second = queue(redis_url, server, "w1"), queue(redis_url, server, "w2")
    keys = first.keys
    assert not run_is_done(first)  # both live, neither idle yet (the other may be about to seed the queue)
    server.set(keys.idle("w1"), 1)
    server.set(keys.idle("w2"), 1)
    assert run_is_done(first)
    first.push(Request(f"{BASE}/a/"))
    assert not run_is_done(second)
    request = second.pop()  # leased, and the second worker is busy again
    assert not server.exists(keys.idle("w2"))
    assert not run_is_done(first)
    second.release(request)
    assert not run_is_done(first)  # still busy with the page's callback
    server.set(keys.idle("w2"), 1)
    assert run_is_done(first)


@pytest.mark.parametrize("workers", [1, 4])
def test_the_site_clock_spaces_every_workers_slots_by_the_delay(redis_url: str, server: Any, workers: int) -> None:
    interval = 0.25
    slots: list[int] = []
    lock = threading.Lock()

    def reserve(count: int) -> None:
        import redis

        clock = SiteClock(redis.Redis.from_url(redis_url), "arabpress:127.0.0.1:8765:throttle", interval)
        for _ in range(count):
            slot, wait = clock.reserve()
            assert wait >= 0
            with lock:
                slots.append(slot)

    threads = [threading.Thread(target=reserve, args=(40 // workers,)) for _ in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    slots.sort()
    assert len(slots) == 40
    gaps = [later - earlier for earlier, later in zip(slots, slots[1:], strict=False)]
    assert min(gaps) >= interval * 1000  # N workers together: one request per delay, never more
