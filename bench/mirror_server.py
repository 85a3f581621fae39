"""The mirror server in its own process, with its request counter readable from the harness.

The benchmark must not share a process (or its GIL) with the crawls it measures, so the harness starts
:class:`arabpress_mirror.server.MirrorServer` in a child process and talks to it over stdin/stdout,
one line each way:

==========  ===========================================================
command     answer
==========  ===========================================================
``counts``  one JSON object: path → number of requests since the last reset
``times``   one JSON object: ``count``, ``first`` and ``last`` (``time.monotonic()`` of the first and last
            request since the last reset: the same clock in every process of the machine) and ``cpu`` (the
            server process's user + system seconds so far)
``reset``   ``ok`` (the counter and the times are cleared)
``cache``   one JSON object: ``entries``' ``bytes``, ``hits`` and ``misses`` of the server's answer cache
``stop``    ``ok``, then the process exits (end of stdin does the same)
==========  ===========================================================

The server keeps its answers in memory with their ETag and gzip form (:mod:`arabpress_mirror.cache`, up to
``--cache-mib``, default :data:`CACHE_MIB`) and reads the whole mirror into that cache before it says it is
ready: it stands in for a remote site, so the CPU it spends per request is work the measured crawl would not
share its cores with against the real site; reading, hashing and compressing each page on every request was
~0.2 ms of the ~0.4 ms per request it cost. On start the child prints ``ready <base_url>``. Usage from the harness::

    with ServedMirror(root) as server:
        ...crawl server.base_url...
        counts = server.counts()
"""

from __future__ import annotations

import argparse
import json
import logging
import resource
import subprocess
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

from arabpress_mirror.server import MirrorServer
from bench import ROOT

logger = logging.getLogger(__name__)

READY = "ready"
OK = "ok"
STOP_TIMEOUT_SECONDS = 10
#: Size of the server's answer cache (a 10,000-article mirror takes ~190 MiB, 50,000 ~950 MiB).
CACHE_MIB = 1024
MIB = 1024 * 1024


@dataclass(frozen=True)
class RequestTimes:
    """When the requests since the last reset arrived, and the server's CPU seconds so far."""

    count: int
    first: float | None  # time.monotonic() of the first request
    last: float | None
    cpu: float

    @property
    def span(self) -> float:
        """Seconds from the first request to the last (0 with fewer than two)."""
        return self.last - self.first if self.first is not None and self.last is not None else 0.0


class TimedMirrorServer(MirrorServer):
    """The mirror server with the arrival time of the first and last request since the last reset."""

    def __init__(self, root: Path, port: int = 0, cache_mib: int = CACHE_MIB) -> None:
        super().__init__(root, port=port, cache_bytes=cache_mib * MIB)
        self._times_lock = threading.Lock()
        self.timed = RequestTimes(0, None, None, 0.0)

    def count_request(self, path: str) -> None:
        now = time.monotonic()
        with self._times_lock:
            first = self.timed.first if self.timed.first is not None else now
            self.timed = RequestTimes(self.timed.count + 1, first, now, 0.0)
        super().count_request(path)

    def reset_requests(self) -> None:
        with self._times_lock:
            self.timed = RequestTimes(0, None, None, 0.0)
        super().reset_requests()

    def times(self) -> RequestTimes:
        usage = resource.getrusage(resource.RUSAGE_SELF)
        with self._times_lock:
            return RequestTimes(self.timed.count, self.timed.first, self.timed.last, usage.ru_utime + usage.ru_stime)


class ServerProcessError(RuntimeError):
    """The server process did not start or did not answer."""


class ServedMirror:
    """A mirror directory served by a child process on 127.0.0.1."""

    def __init__(self, root: Path, port: int = 0) -> None:
        self.root = root
        self.port = port
        self.process: subprocess.Popen[str] | None = None
        self.base_url = ""

    def start(self) -> ServedMirror:
        command = [sys.executable, "-m", "bench.mirror_server", "--root", str(self.root), "--port", str(self.port)]
        self.process = subprocess.Popen(
            command, cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, bufsize=1
        )
        line = self._read_line()
        word, _, url = line.partition(" ")
        if word != READY or not url:
            self.stop()
            raise ServerProcessError(f"the mirror server for {self.root} did not start (said {line!r})")
        self.base_url = url
        logger.info("mirror of %s served at %s (pid %d)", self.root, self.base_url, self.process.pid)
        return self

    def _send(self, command: str) -> str:
        if self.process is None or self.process.stdin is None:
            raise ServerProcessError("the mirror server is not running")
        self.process.stdin.write(command + "\n")
        self.process.stdin.flush()
        return self._read_line()

    def _read_line(self) -> str:
        assert self.process is not None and self.process.stdout is not None
        line = self.process.stdout.readline()
        if not line:
            raise ServerProcessError(f"the mirror server for {self.root} exited (code {self.process.poll()})")
        return line.strip()

    def counts(self) -> Counter[str]:
        """Requests per path since the last :meth:`reset`."""
        return Counter(json.loads(self._send("counts")))

    def times(self) -> RequestTimes:
        """Arrival of the first and last request since the last :meth:`reset`, and the server's CPU seconds."""
        return RequestTimes(**json.loads(self._send("times")))

    def cache(self) -> dict[str, int]:
        """Entries, bytes, hits and misses of the server's answer cache."""
        return dict(json.loads(self._send("cache")))

    def reset(self) -> None:
        if self._send("reset") != OK:
            raise ServerProcessError("the mirror server did not reset its counter")

    def stop(self) -> None:
        if self.process is None:
            return
        process, self.process = self.process, None
        if process.stdin is not None:
            try:
                process.stdin.write("stop\n")
                process.stdin.close()
            except BrokenPipeError:
                logger.debug("mirror server for %s had already exited", self.root)
        try:
            process.wait(timeout=STOP_TIMEOUT_SECONDS)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if process.stdout is not None:
            process.stdout.close()

    def __enter__(self) -> ServedMirror:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()


def serve(root: Path, port: int, cache_mib: int = CACHE_MIB) -> None:
    """The child's side: serve ``root`` and answer commands on stdin until ``stop`` or end of input."""
    with TimedMirrorServer(root, port=port, cache_mib=cache_mib) as server:
        server.warm()
        print(f"{READY} {server.base_url}", flush=True)
        for line in sys.stdin:
            command = line.strip()
            if command == "counts":
                print(json.dumps(dict(server.requests)), flush=True)
            elif command == "times":
                timed = server.times()
                print(json.dumps({"count": timed.count, "first": timed.first, "last": timed.last, "cpu": timed.cpu}), flush=True)
            elif command == "cache":
                cache = server.cache
                print(json.dumps({"entries": len(cache), "bytes": cache.size, "hits": cache.hits,
                                  "misses": cache.misses}), flush=True)
            elif command == "reset":
                server.reset_requests()
                print(OK, flush=True)
            elif command == "stop":
                print(OK, flush=True)
                break
            else:
                print(json.dumps({"error": f"unknown command {command!r}"}), flush=True)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Serve a mirror for the benchmark (see bench/mirror_server.py).")
    parser.add_argument("--root", type=Path, required=True, help="rendered mirror directory")
    parser.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (0: any free port)")
    parser.add_argument("--cache-mib", type=int, default=CACHE_MIB,
                        help=f"answers kept in memory, MiB (0: none; default {CACHE_MIB})")
    args = parser.parse_args(argv)
    serve(args.root, args.port, args.cache_mib)


if __name__ == "__main__":
    main()
