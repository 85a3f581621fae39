"""Queueing a request in a run, against a real Redis: what a worker killed in the middle of it leaves.

A worker SIGKILLed at any point of the scheduler's ``enqueue_request`` must leave the request either queued or
not seen at all: a request marked seen by the run's dupefilter but never queued was dropped as a duplicate by
every other worker that found the link, and the run ended without the page (the CI failure of session 5:
``test_held_leases.py`` lost one article in about one run in seven under load, the held worker having been
killed between its ``SADD`` to ``…:seen`` and its ``LPUSH`` to the queue). The kill is simulated before each Redis
round trip the enqueue makes in turn (what a kill at any instant leaves: a command sent is executed, a
``MULTI``/``EXEC`` block or a script entirely or not at all).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from types import SimpleNamespace
from typing import Any

import pytest
from scrapy import Request
from scrapy.settings import Settings
from scrapy.utils.misc import load_object

from arabpress_crawler.distributed.settings import run_keys, worker_settings

BASE = "http://127.0.0.1:8765"
URL = f"{BASE}/2018/08/22/aleppo-the-transport-agency-inspected-the-book-fair/"


class Killed(BaseException):
    """The worker's process ends here (SIGKILL): nothing after this point runs."""


@contextmanager
def killed_before_round_trip(monkeypatch: pytest.MonkeyPatch, number: int) -> Iterator[None]:
    """Raise :class:`Killed` instead of making the ``number``-th Redis round trip (a command, a pipeline)."""
    from redis.client import Pipeline, Redis

    trips = 0
    command, execute = Redis.execute_command, Pipeline.execute

    def trip() -> None:
        nonlocal trips
        trips += 1
        if trips == number:
            raise Killed

    def counted_command(self: Any, *args: Any, **options: Any) -> Any:
        trip()
        return command(self, *args, **options)

    def counted_execute(self: Any, *args: Any, **options: Any) -> Any:
        trip()
        return execute(self, *args, **options)

    with monkeypatch.context() as patch:
        patch.setattr(Redis, "execute_command", counted_command)
        patch.setattr(Pipeline, "execute", counted_execute)
        yield


def scheduler(redis_url: str, run: str, worker: str) -> Any:
    """The scheduler a worker of ``run`` uses (the one its settings name), opened."""
    settings = Settings({"ARABPRESS_BASE_URL": BASE, **worker_settings(redis_url, run, worker=worker)})
    spider = SimpleNamespace(name="articles", settings=settings, log=lambda *args, **kwargs: None)
    opened = load_object(settings["SCHEDULER"]).from_settings(settings)
    opened.open(spider)
    return opened


def test_a_worker_killed_while_it_queues_a_request_leaves_it_queued_or_unseen(
    redis_url: str, server: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    kill_points = 0
    for number in range(1, 20):
        run = f"run-{number}"
        first, second = scheduler(redis_url, run, "w1"), scheduler(redis_url, run, "w2")
        try:
            with killed_before_round_trip(monkeypatch, number):
                first.enqueue_request(Request(URL))
        except Killed:
            kill_points += 1
        else:
            break  # the enqueue made fewer round trips: every kill point was tried
        keys = run_keys(first.spider.settings)
        server.delete(keys.alive("w1"))  # its heartbeat expires
        second.enqueue_request(Request(URL))  # the other worker finds the same link
        second.queue.recover()
        popped = second.next_request()
        assert popped is not None, f"killed before round trip {number}: {URL} is seen but queued nowhere"
        assert popped.url == URL
        assert second.next_request() is None, f"killed before round trip {number}: {URL} queued twice"
    assert kill_points >= 2  # at least: before the first write, and after it


def test_the_queue_of_a_run_is_the_runs_own_key(redis_url: str, server: Any) -> None:
    """Each run has its queue, ``arabpress:<site>:<run>:requests`` (scrapy-redis's ``<spider>:requests`` was one
    queue for every run and site on the Redis server: a dead run's requests went to the next run)."""
    first, other = scheduler(redis_url, "run-a", "w1"), scheduler(redis_url, "run-b", "w1")
    assert first.enqueue_request(Request(URL))
    assert other.next_request() is None
    assert len(other) == 0 and len(first) == 1
    assert server.llen(run_keys(first.spider.settings).requests) == 1
    assert first.next_request().url == URL


class Counted:
    """The stats a worker's spider keeps, as far as the scheduler touches them."""

    def __init__(self, values: dict[str, int]) -> None:
        self.values = dict(values)

    def inc_value(self, key: str, count: int = 1, start: int = 0) -> None:
        self.values[key] = self.values.get(key, start) + count


def test_an_article_request_another_worker_queued_first_counts_as_seen_not_requested(
    redis_url: str, server: Any
) -> None:
    """Each worker's spider counts ``articles/requested`` as it yields the request; the run's stats are the sum
    over workers, so an article two workers found was counted twice (a 2-worker crawl reported ~2× the articles
    one process "saw"). The one the run's dupefilter drops is counted as ``skipped/seen`` instead."""
    workers = [scheduler(redis_url, "run-count", name) for name in ("w1", "w2")]
    for worker in workers:
        worker.stats = Counted({"arabpress/articles/requested": 1})  # the spider counted its request
    meta = {"canonical_url": URL}
    assert workers[0].enqueue_request(Request(URL, meta=meta))
    assert not workers[1].enqueue_request(Request(URL, meta=meta))
    assert workers[1].enqueue_request(Request(f"{BASE}/robots.txt"))  # not an article: counted as before
    requested = sum(worker.stats.values.get("arabpress/articles/requested", 0) for worker in workers)
    assert requested == 1
    assert workers[1].stats.values.get("arabpress/skipped/seen") == 1
