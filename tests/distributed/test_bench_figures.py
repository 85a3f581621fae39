"""The distributed bench's arithmetic: the timeline split, CPU per page, and the ceiling the curve draws."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.distributed import Crawl, ceiling, cpu_row, curve_rows


def crawl(workers: int, *, worker: float = 3.0, writer: float = 1.0, redis: float = 0.2) -> Crawl:
    """A crawl of 1,000 pages whose workers spent ``worker`` ms a page, the writer ``writer``, Redis ``redis``."""
    pages = 1_000
    stats = {
        "arabpress/cpu/worker_seconds": 1.5 + worker * pages / 1000, "arabpress/cpu/worker_startup_seconds": 1.5,
        "arabpress/cpu/writer_seconds": 0.5 + writer * pages / 1000, "arabpress/cpu/writer_startup_seconds": 0.5,
    }  # fmt: skip
    return Crawl(workers=workers, started=100.0, first=102.0, last=112.0, ended=113.0, requests=1_001, pages=pages,
                 cpu_command=2.0 + (worker + writer) * pages / 1000, cpu_server=0.4, cpu_redis=redis * pages / 1000,
                 stats=stats)  # fmt: skip


def test_the_timeline_is_split_at_the_first_and_last_request_and_the_steady_rate_leaves_both_ends_out() -> None:
    measured = crawl(1)
    assert measured.wall == pytest.approx(13.0)
    assert measured.steady == pytest.approx(10.0)
    assert measured.steady_rate == pytest.approx(100.0)  # 1,000 intervals between 1,001 requests in 10 s


def test_cpu_per_page_of_each_role_leaves_start_up_apart() -> None:
    measured = crawl(2)
    assert measured.per_page(measured.cpu("worker")) == pytest.approx(3.0)
    assert measured.per_page(measured.cpu("writer")) == pytest.approx(1.0)
    assert measured.cpu("worker_startup") == pytest.approx(1.5)
    row = cpu_row(measured, cores=2)
    assert row[1:6] == ["3.00", "2.0 s", "1.00", "0.20", "0.40"]
    # Every process without start-up: 2 + 4 (command) + 0.4 (server) + 0.2 (Redis) - 2 (start-up) = 4.6 s.
    assert measured.cores_allow(2) == pytest.approx(2 * 1000 / 4.6)


def test_the_ceiling_is_n_times_the_worker_rate_until_the_writer_or_redis_binds() -> None:
    base = crawl(1, worker=4.0, writer=1.0, redis=0.5)  # 250 pages/s a worker, 1,000 the writer, 2,000 Redis
    assert ceiling(base, 1) == (pytest.approx(250.0), "workers")
    assert ceiling(base, 2) == (pytest.approx(500.0), "workers")
    assert ceiling(base, 8) == (pytest.approx(1000.0), "writer")
    busy_redis = crawl(1, worker=4.0, writer=0.1, redis=2.0)
    assert ceiling(busy_redis, 4) == (pytest.approx(500.0), "redis-server")


def test_the_curve_puts_each_measured_worker_count_beside_its_ceiling_and_extends_it() -> None:
    rows = curve_rows([crawl(0), crawl(1, worker=4.0), crawl(2, worker=4.0)], cores=2)
    assert [row[0] for row in rows] == ["1", "2", "8", "16"]
    assert rows[1][3] == "500 (workers)"
    assert rows[2][1] == "not run" and rows[2][3] == "1000 (writer)"


def test_the_served_mirror_reports_when_its_first_and_last_requests_since_a_reset_arrived(demo_site: Path) -> None:
    import time
    import urllib.request

    from bench.mirror_server import ServedMirror

    with ServedMirror(demo_site) as server:
        urllib.request.urlopen(server.base_url + "/robots.txt").read()
        server.reset()
        assert server.times().count == 0 and server.times().first is None
        before = time.monotonic()
        for path in ("/", "/robots.txt", "/"):
            urllib.request.urlopen(server.base_url + path).read()
        after = time.monotonic()
        timed = server.times()
    assert timed.count == 3
    assert timed.first is not None and timed.last is not None
    assert before <= timed.first <= timed.last <= after  # the same monotonic clock as this process's
    assert timed.cpu > 0
