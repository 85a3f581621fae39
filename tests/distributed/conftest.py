"""A real Redis (Debian's ``redis-server``) on a Unix socket in a temporary folder, for the session.

Skipped with one line where ``redis-server`` or the ``[distributed]`` extra is missing (``.ci/run`` installs
``redis-server`` when it runs as root).
"""

from __future__ import annotations

import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

START_LIMIT_SECONDS = 30


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    server_binary = shutil.which("redis-server")
    if server_binary is None:
        pytest.skip("redis-server is not installed (apt-get install redis-server; .ci/run does it as root)")
    redis = pytest.importorskip("redis", reason="the [distributed] extra is not installed")
    pytest.importorskip("scrapy_redis", reason="the [distributed] extra is not installed")
    folder = Path(tmp_path_factory.mktemp("redis"))
    socket = folder / "redis.sock"
    process = subprocess.Popen(
        [server_binary, "--port", "0", "--unixsocket", str(socket), "--unixsocketperm", "700", "--save", "",
         "--appendonly", "no", "--dir", str(folder), "--daemonize", "no", "--loglevel", "warning"],
        stdout=subprocess.DEVNULL, stderr=(folder / "redis.log").open("w"),
    )  # fmt: skip
    url = f"unix://{socket}"
    try:
        deadline = time.monotonic() + START_LIMIT_SECONDS
        while True:
            try:
                redis.Redis.from_url(url).ping()
                break
            except redis.exceptions.ConnectionError:
                if process.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"redis-server did not start: {(folder / 'redis.log').read_text()}")
                time.sleep(0.05)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=START_LIMIT_SECONDS)


@pytest.fixture
def server(redis_url: str):  # noqa: ANN201
    import redis

    client = redis.Redis.from_url(redis_url)
    client.flushall()
    yield client
    client.close()


def served_mirror(tmp_path_factory: pytest.TempPathFactory, name: str, articles: int, seed: int) -> Iterator[Any]:
    """A generated mirror of ``articles`` posts, served on 127.0.0.1 (for a module-scoped fixture to yield from)."""
    from arabpress_mirror.generate import generate_mirror
    from arabpress_mirror.server import MirrorServer

    root = tmp_path_factory.mktemp(name) / "site"
    generate_mirror(root, articles, seed=seed)
    with MirrorServer(root) as server:
        yield server
