"""The mirror server's answer cache (used by the benchmark): a page asked for again is answered from memory with
the same bytes, ETag and gzip form; an edited file is read again; the cache keeps to its size; it is off unless
asked for. Everything runs on 127.0.0.1 against a small mirror written here."""

from __future__ import annotations

import gzip
import http.client
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from arabpress_mirror.cache import PayloadCache, signature
from arabpress_mirror.responses import Payload
from arabpress_mirror.server import MirrorServer

PAGE = "<!DOCTYPE html><html><head><title>{title}</title></head><body><p>{text}</p></body></html>"


def write_page(root: Path, path: str, title: str, text: str) -> Path:
    file = root / path.strip("/") / "index.html"
    file.parent.mkdir(parents=True, exist_ok=True)
    file.write_text(PAGE.format(title=title, text=text), encoding="utf-8")
    return file


@pytest.fixture()
def mirror(tmp_path: Path) -> Path:
    for number in range(1, 4):
        write_page(tmp_path, f"/news/story-{number}/", f"Story {number}", f"Text of https://arab.press story {number}. " * 40)
    return tmp_path


@pytest.fixture()
def cached(mirror: Path) -> Iterator[MirrorServer]:
    with MirrorServer(mirror, cache_bytes=1024 * 1024) as running:
        yield running


def get(server: MirrorServer, path: str, headers: dict[str, str] | None = None) -> tuple[http.client.HTTPResponse, bytes]:
    connection = http.client.HTTPConnection(server.host, server.port, timeout=10)
    try:
        connection.request("GET", path, headers=headers or {})
        response = connection.getresponse()
        return response, response.read()
    finally:
        connection.close()


def test_a_page_asked_again_is_answered_from_memory_with_the_same_bytes(cached: MirrorServer) -> None:
    first, first_body = get(cached, "/news/story-1/", {"Accept-Encoding": "gzip"})
    again, again_body = get(cached, "/news/story-1/", {"Accept-Encoding": "gzip"})
    assert (cached.cache.misses, cached.cache.hits) == (1, 1)
    assert again_body == first_body
    assert again.getheader("ETag") == first.getheader("ETag")
    assert again.getheader("Content-Encoding") == "gzip"
    text = gzip.decompress(again_body).decode("utf-8")
    assert "<title>Story 1</title>" in text and "https://arab.press" not in text and cached.base_url in text


def test_plain_and_gzip_answers_of_a_cached_page_agree(cached: MirrorServer) -> None:
    _, zipped = get(cached, "/news/story-2/", {"Accept-Encoding": "gzip"})
    plain_response, plain = get(cached, "/news/story-2/")
    assert plain_response.getheader("Content-Encoding") is None
    assert gzip.decompress(zipped) == plain
    assert cached.cache.hits == 1


def test_a_conditional_request_for_a_cached_page_gets_304(cached: MirrorServer) -> None:
    first, _ = get(cached, "/news/story-3/")
    response, body = get(cached, "/news/story-3/", {"If-None-Match": first.getheader("ETag") or ""})
    assert response.status == 304 and body == b""


def test_an_edited_page_is_read_again(cached: MirrorServer, mirror: Path) -> None:
    first, _ = get(cached, "/news/story-1/")
    file = write_page(mirror, "/news/story-1/", "Story 1", "Edited text, the same length? no: longer than before " * 50)
    stat = file.stat()
    os.utime(file, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    response, body = get(cached, "/news/story-1/")
    assert b"Edited text" in body
    assert response.getheader("ETag") != first.getheader("ETag")


def test_an_edit_that_keeps_the_size_is_seen_through_the_modified_time(cached: MirrorServer, mirror: Path) -> None:
    get(cached, "/news/story-2/")
    file = mirror / "news" / "story-2" / "index.html"
    before = file.stat()
    file.write_bytes(file.read_bytes().replace(b"Story 2", b"Story 9"))
    os.utime(file, ns=(before.st_atime_ns, before.st_mtime_ns + 1_000_000))
    _, body = get(cached, "/news/story-2/")
    assert b"<title>Story 9</title>" in body


def test_warm_reads_the_mirror_into_the_cache(mirror: Path) -> None:
    with MirrorServer(mirror, cache_bytes=1024 * 1024) as server:
        assert server.warm() == 3
        get(server, "/news/story-1/")
        get(server, "/news/story-3/")
        assert server.cache.hits == 2


def test_the_cache_is_off_unless_asked_for(mirror: Path) -> None:
    with MirrorServer(mirror) as server:
        get(server, "/news/story-1/")
        get(server, "/news/story-1/")
        assert not server.cache.enabled
        assert len(server.cache) == 0 and server.warm() == 0


def test_least_recently_used_entries_leave_when_the_cache_is_full(tmp_path: Path) -> None:
    cache = PayloadCache(max_bytes=2500)
    files = []
    for number in range(3):
        file = tmp_path / f"page-{number}.txt"
        file.write_bytes(b"x" * 1000)
        files.append(file)
        cache.put((file, 200), signature(file.stat()), Payload(200, b"x" * 1000, "application/octet-stream"))
    assert len(cache) == 2 and cache.size == 2000
    assert cache.get((files[0], 200), signature(files[0].stat())) is None
    assert cache.get((files[2], 200), signature(files[2].stat())) is not None


def test_a_body_larger_than_the_cache_is_not_kept(tmp_path: Path) -> None:
    cache = PayloadCache(max_bytes=100)
    file = tmp_path / "big.txt"
    file.write_bytes(b"y" * 500)
    cache.put((file, 200), signature(file.stat()), Payload(200, b"y" * 500, "application/octet-stream"))
    assert len(cache) == 0 and cache.size == 0
