"""Answers kept in memory with their ETag and gzip form, as a front cache (or nginx's ``gzip_static``) keeps
them: a page asked for again is sent without reading, rewriting, hashing and compressing it again.

The cache is off unless the server is given a size (``MirrorServer(cache_bytes=…)``). The benchmark turns it on:
there the mirror server stands in for a remote site, and its per-request work would otherwise take a share of
the cores the crawl being measured runs on. An entry is used only while the file's ``(mtime_ns, size, inode)``
is unchanged, so an edited page (``arabpress_mirror.edit``, the benchmark's edit rounds) is read again. Least
recently used entries leave first once the cached bodies (plain + gzip) pass the size.
"""

from __future__ import annotations

import os
import threading
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path

from arabpress_mirror.responses import Payload

#: What identifies a file's content without reading it.
Signature = tuple[int, int, int]


def signature(stat: os.stat_result) -> Signature:
    return (stat.st_mtime_ns, stat.st_size, stat.st_ino)


@dataclass(frozen=True)
class Entry:
    signature: Signature
    payload: Payload
    size: int


class PayloadCache:
    """Payloads by (file, status), bounded by the bytes of their bodies; thread-safe."""

    def __init__(self, max_bytes: int = 0) -> None:
        self.max_bytes = max_bytes
        self._entries: OrderedDict[tuple[Path, int], Entry] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    @property
    def enabled(self) -> bool:
        return self.max_bytes > 0

    def __len__(self) -> int:
        return len(self._entries)

    @property
    def size(self) -> int:
        """Bytes of the cached bodies (plain and gzip)."""
        return self._bytes

    def get(self, key: tuple[Path, int], current: Signature) -> Payload | None:
        """The cached payload of ``key`` if the file still has the ``current`` signature."""
        with self._lock:
            entry = self._entries.get(key)
            if entry is None or entry.signature != current:
                self.misses += 1
                return None
            self._entries.move_to_end(key)
            self.hits += 1
            return entry.payload

    def put(self, key: tuple[Path, int], current: Signature, payload: Payload) -> None:
        """Keep ``payload`` with its ETag and gzip body computed now (not kept when larger than the cache)."""
        if not self.enabled:
            return
        payload.etag()
        if payload.is_text and payload.body:
            payload.gzipped()
        size = len(payload.body) + len(payload.gzip_body or b"")
        if size > self.max_bytes:
            return
        with self._lock:
            old = self._entries.pop(key, None)
            if old is not None:
                self._bytes -= old.size
            self._entries[key] = Entry(current, payload, size)
            self._bytes += size
            while self._bytes > self.max_bytes:
                _, evicted = self._entries.popitem(last=False)
                self._bytes -= evicted.size
