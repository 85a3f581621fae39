"""The web archive of a real crawl of the mirror: warcio reads it back, and it holds what the server sent."""

from __future__ import annotations

import gzip
import urllib.request
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from conftest import read_rows
from warcio.archiveiterator import ArchiveIterator

from arabpress_crawler.archive.reader import iter_responses, read_response
from arabpress_crawler.db.archive import record_of
from arabpress_crawler.urls import canonicalize_url
from arabpress_mirror.content import KIND_ARTICLE, demo_articles
from arabpress_mirror.edit import edit_article
from arabpress_mirror.server import MirrorServer

if TYPE_CHECKING:
    from collections.abc import Callable

    from conftest import CrawledMirror, CrawlRun

pytestmark = pytest.mark.slow

#: Headers that describe the page (not the moment it was sent), compared with a fresh fetch.
CORRECTION = "A correction was added to this article after publication."
STABLE_HEADERS = ("Content-Type", "Content-Encoding", "Content-Length", "ETag", "Last-Modified", "Vary")


def archive_files(db: Path) -> list[Path]:
    return sorted((db.parent / "archive").glob("*.warc.gz"))


def fetch(url: str) -> tuple[dict[str, str], bytes]:
    """The page as the mirror sends it to a client that accepts gzip: headers, and the body decoded."""
    request = urllib.request.Request(url, headers={"Accept-Encoding": "gzip"})
    with urllib.request.urlopen(request, timeout=10) as answer:
        headers = {name.lower(): value for name, value in answer.headers.items()}
        body = answer.read()
    if headers.get("content-encoding") == "gzip":
        body = gzip.decompress(body)
    return headers, body


def test_warcio_reads_every_file_to_its_end(crawled_mirror: CrawledMirror) -> None:
    paths = archive_files(crawled_mirror.db)
    assert paths, "the crawl wrote a web archive beside the database"
    assert not list((crawled_mirror.db.parent / "archive").glob("*.open")), "closed at the end of the crawl"
    types: list[str] = []
    for path in paths:
        with path.open("rb") as handle:
            for record in ArchiveIterator(handle, check_digests=True):
                types.append(record.rec_type)
                record.content_stream().read()
    assert types[0] == "warcinfo"
    assert types.count("response") == types.count("request")
    stats = crawled_mirror.run.stats()
    assert types.count("response") == stats["arabpress/archive/records"]


def test_only_article_pages_are_archived_by_default(crawled_mirror: CrawledMirror) -> None:
    urls = [archived.url for path in archive_files(crawled_mirror.db) for _, _, archived in iter_responses(path)]
    assert urls
    for url in urls:
        assert "/category/" not in url and not url.endswith((".xml", "/feed/", "robots.txt")), url
    stored = read_rows(crawled_mirror.db, "SELECT count(*) AS n FROM articles")[0]["n"]
    assert len(urls) >= stored, "every stored article came from an archived response"


def test_records_hold_what_the_server_sent(crawled_mirror: CrawledMirror) -> None:
    for path in archive_files(crawled_mirror.db):
        for _, _, archived in iter_responses(path):
            headers, body = fetch(archived.url)
            assert archived.body == body, f"body of {archived.url} differs from what the server sends"
            for name in STABLE_HEADERS:
                assert archived.header(name) == headers.get(name.lower()), f"{name} of {archived.url}"


def test_no_archive_writes_none(mirror: MirrorServer, crawl: Callable[..., CrawlRun], tmp_path: Path) -> None:
    run = crawl(mirror.base_url, tmp_path / "plain.db", "--no-archive", "--max-pages", "5")
    assert run.returncode == 0, run.stderr
    assert not (tmp_path / "archive").exists()
    assert "arabpress/archive/records" not in run.stats()


def test_an_edited_article_points_at_its_new_record_and_its_revision_at_the_old(
    site_copy: Path, serve: Callable[[Path], MirrorServer], temp_db: Path, crawl: Callable[..., CrawlRun]
) -> None:
    server = serve(site_copy)
    assert crawl(server.base_url, temp_db).returncode == 0
    target = next(a for a in demo_articles() if a.kind == KIND_ARTICLE and a.language == "en")
    url = canonicalize_url(server.url(target.url))
    before = read_rows(temp_db, "SELECT * FROM articles WHERE url = ?", (url,))[0]
    edit_article(site_copy, target.path, paragraphs=[*target.paragraphs[:-1], CORRECTION], when="2025-11-10T08:00:00Z")

    assert crawl(server.base_url, temp_db).returncode == 0

    after = read_rows(temp_db, "SELECT * FROM articles WHERE url = ?", (url,))[0]
    [revision] = read_rows(temp_db, "SELECT * FROM article_revisions WHERE url = ?", (url,))
    assert revision["reason"] == "crawl"
    assert revision["archive_record_id"] == before["archive_record_id"] != after["archive_record_id"]
    assert revision["parser_version"] == before["parser_version"]
    assert CORRECTION.encode() in read_response(record_of(after), temp_db.parent).body
    assert CORRECTION.encode() not in read_response(record_of(revision), temp_db.parent).body
    assert after["archive_file"] != before["archive_file"], "each crawl writes its own file"
