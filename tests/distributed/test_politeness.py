"""Politeness is global: 4 workers with a delay of 1 s make at most 1.05 requests a second, as the server sees them.

End to end: ``arabpress crawl --redis URL --workers 4`` with ``DOWNLOAD_DELAY`` 1 s (AutoThrottle off, so 1 s
is the delay, not its floor, and 8 concurrent requests allowed per worker) over a small generated mirror whose
server records when each request arrived. Four processes each keeping Scrapy's own delay would make about
4 requests a second; the site's clock in Redis (``arabpress_crawler.distributed.throttle``) spaces every request
of every worker by the delay. The figure is taken over the whole crawl (about 20 requests, 20 s): a slow machine
only spaces requests further apart.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import clean_env, run_crawl_cli

from arabpress_mirror.generate import generate_mirror
from arabpress_mirror.server import MirrorServer

DELAY_SECONDS = 1.0
MAX_RATE = 1.05  # requests per second (issue 13)
WORKERS = 4


class TimedMirror(MirrorServer):
    """The mirror server, with the time each request arrived (its request log)."""

    def __init__(self, root: Path) -> None:
        super().__init__(root)
        self.times: list[float] = []
        self._times_lock = threading.Lock()

    def count_request(self, path: str) -> None:
        with self._times_lock:
            self.times.append(time.monotonic())
        super().count_request(path)


@pytest.fixture
def timed(tmp_path: Path) -> Iterator[TimedMirror]:
    generate_mirror(tmp_path / "site", 6, seed=3)
    with TimedMirror(tmp_path / "site") as server:
        yield server


def test_four_workers_with_a_delay_of_one_second_make_at_most_one_request_a_second(
    redis_url: str, server: Any, timed: TimedMirror, tmp_path: Path
) -> None:
    env = clean_env(ARABPRESS_DOWNLOAD_DELAY=str(DELAY_SECONDS), ARABPRESS_AUTOTHROTTLE="0", ARABPRESS_CONCURRENCY="8")
    crawl = run_crawl_cli(
        timed.base_url, tmp_path / "polite.db", "--backfill", "--no-fail-on-warnings", "--redis", redis_url,
        "--workers", str(WORKERS), mirror_profile=False, env=env,
    )  # fmt: skip
    assert crawl.returncode == 0, crawl.stdout + crawl.stderr
    times = sorted(timed.times)
    assert len(times) >= 15, f"too few requests to measure a rate: {timed.requests}"
    rate = (len(times) - 1) / (times[-1] - times[0])
    assert rate <= MAX_RATE, f"{len(times)} requests in {times[-1] - times[0]:.1f} s: {rate:.2f} req/s"
