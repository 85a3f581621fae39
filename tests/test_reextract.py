"""``arabpress reextract``: today's page objects over the archived responses, with the mirror server stopped.

One crawl of the demo mirror (module fixture) by a server that is stopped right after; each test works on a
copy of its database and archive. The page-object change is simulated by patching ``ArticlePage.to_item``.
"""

from __future__ import annotations

import json
import shutil
import socket
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from conftest import copy_db, read_rows, run_crawl_cli

from arabpress_crawler.archive.reader import read_response
from arabpress_crawler.cli import cli
from arabpress_crawler.db.archive import record_of
from arabpress_crawler.extraction_version import extraction_version
from arabpress_crawler.pages.article import ArticlePage
from arabpress_mirror.server import DEMO_SITE_DIR, MirrorServer

pytestmark = pytest.mark.slow

MARK = " (re-extracted)"
NEW_TITLE_WORD = "Zebracornish"
COMPARED_COLUMNS = (
    "url, title, subtitle, body, authors, published_at, modified_at, section, tags, image_url, language,"
    " word_count, content_hash, extraction, fetched_at, archive_file, archive_offset, archive_record_id"
)


@dataclass(frozen=True)
class Crawled:
    db: Path
    base_url: str


@pytest.fixture(scope="module")
def crawled(tmp_path_factory: pytest.TempPathFactory) -> Crawled:
    db = tmp_path_factory.mktemp("reextract") / "arabpress.db"
    with MirrorServer(DEMO_SITE_DIR) as server:
        run = run_crawl_cli(server.base_url, db)
        base_url = server.base_url
    assert run.returncode == 0, run.stderr
    return Crawled(db, base_url)


@pytest.fixture
def db(crawled: Crawled, tmp_path: Path) -> Path:
    """A private copy of the crawled database and its archive."""
    shutil.copytree(crawled.db.parent / "archive", tmp_path / "archive")
    return copy_db(crawled.db, tmp_path / "arabpress.db")


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[Any]]:
    """Any attempt to open a connection fails the test (and is recorded)."""
    attempts: list[Any] = []

    def refuse(self: socket.socket, address: Any) -> None:
        attempts.append(address)
        raise AssertionError(f"reextract tried to connect to {address}")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    yield attempts


def reextract(db: Path, *options: str) -> dict[str, Any]:
    result = CliRunner().invoke(cli, ["reextract", "--db", str(db), "--json", *options], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def rows(db: Path) -> dict[str, dict[str, Any]]:
    return {row["url"]: row for row in read_rows(db, f"SELECT {COMPARED_COLUMNS} FROM articles")}


def simulate_extractor_change(monkeypatch: pytest.MonkeyPatch, title_url: str) -> None:
    """Arabic articles' section computed differently; one article's title too."""
    original = ArticlePage.to_item

    def to_item(self: ArticlePage) -> Any:
        item = original(self)
        if item is not None and item.language == "ar":
            item.section = (item.section or "") + MARK
        if item is not None and item.url == title_url:
            item.title = f"{item.title} {NEW_TITLE_WORD}"
            item.extraction = {"title": "metadata", **{k: v for k, v in item.extraction.items() if k != "title"}}
        return item

    monkeypatch.setattr(ArticlePage, "to_item", to_item)


def test_every_stored_article_points_at_its_response_record(db: Path) -> None:
    stored = read_rows(db, "SELECT * FROM articles")
    assert stored and all(row["archive_file"] for row in stored), "every article row points at a record"
    assert len({(row["archive_file"], row["archive_offset"]) for row in stored}) == len(stored), "one record each"
    for row in stored:
        archived = read_response(record_of(row), db.parent)
        assert archived.record_id == row["archive_record_id"]
        assert archived.url == row["fetched_url"] or archived.url.rstrip("/") + "/" == row["url"]
        assert row["parser_version"] == extraction_version()


def test_unchanged_code_changes_nothing(db: Path, no_network: list[Any]) -> None:
    before = rows(db)
    report = reextract(db)
    assert report["outcomes"] == {"unchanged": len(before)}
    assert report["fields"] == {}
    assert rows(db) == before
    assert read_rows(db, "SELECT count(*) AS n FROM article_revisions")[0]["n"] == 0
    assert no_network == []


def test_a_changed_page_object_updates_exactly_the_affected_rows(
    db: Path, monkeypatch: pytest.MonkeyPatch, no_network: list[Any]
) -> None:
    before = rows(db)
    arabic = {url for url, row in before.items() if row["language"] == "ar"}
    title_url = next(url for url, row in sorted(before.items()) if row["language"] == "en")
    assert arabic, "the demo mirror has Arabic articles"
    simulate_extractor_change(monkeypatch, title_url)

    report = reextract(db)

    after = rows(db)
    changed = {url for url in before if after[url] != before[url]}
    assert changed == arabic | {title_url}
    for url in arabic:
        assert after[url]["section"] == before[url]["section"] + MARK
        assert {k: v for k, v in after[url].items() if k != "section"} == {
            k: v for k, v in before[url].items() if k != "section"
        }
    assert after[title_url]["title"].endswith(NEW_TITLE_WORD)
    assert after[title_url]["content_hash"] != before[title_url]["content_hash"]
    extraction = json.loads(after[title_url]["extraction"])
    assert extraction["title"] == "metadata"
    assert after[title_url]["extraction"] == json.dumps(extraction, ensure_ascii=False, sort_keys=True), (
        "JSON written as the crawl writes it"
    )
    assert report["outcomes"] == {"changed": len(changed), "unchanged": len(before) - len(changed)}
    assert report["fields"] == {"section": len(arabic), "title": 1, "content_hash": 1, "extraction": 1}

    revisions = read_rows(db, "SELECT * FROM article_revisions ORDER BY url")
    assert {row["url"] for row in revisions} == changed
    for revision in revisions:
        assert revision["reason"] == "reextract"
        assert revision["replaced_by_version"] == extraction_version()
        assert revision["archive_record_id"] == before[revision["url"]]["archive_record_id"]
        changes = json.loads(revision["changes"])
        assert changes.keys() <= {"section", "title", "content_hash", "extraction"}
        assert revision["title"] == before[revision["url"]]["title"], "the revision keeps the earlier values"
    search = read_rows(db, "SELECT a.url FROM articles_fts JOIN articles_search s ON s.article_rowid = articles_fts.rowid"
                           " JOIN articles a ON a.url = s.url WHERE articles_fts MATCH ?", (NEW_TITLE_WORD.lower(),))
    assert [row["url"] for row in search] == [title_url], "the search index follows the new title"

    second = reextract(db)
    assert second["outcomes"] == {"unchanged": len(before)}
    assert rows(db) == after
    assert len(read_rows(db, "SELECT id FROM article_revisions")) == len(revisions)
    assert no_network == []


def test_dry_run_reports_and_writes_nothing(db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    before = rows(db)
    simulate_extractor_change(monkeypatch, "none")
    report = reextract(db, "--dry-run")
    assert report["dry_run"] is True
    assert report["fields"]["section"] == report["outcomes"]["changed"] > 0
    assert rows(db) == before
    assert read_rows(db, "SELECT count(*) AS n FROM article_revisions")[0]["n"] == 0


def test_since_and_url_choose_the_articles(db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    stored = read_rows(db, "SELECT url, published_at FROM articles ORDER BY published_at")
    middle = stored[len(stored) // 2]["published_at"][:10]
    expected = sum(1 for row in stored if row["published_at"][:10] >= middle)
    assert reextract(db, "--since", middle, "--dry-run")["articles"] == expected
    assert reextract(db, "--url", stored[0]["url"] + "?utm_source=x", "--dry-run")["articles"] == 1


def test_a_missing_archive_file_is_counted_and_reported_by_check(db: Path) -> None:
    victim = read_rows(db, "SELECT archive_file FROM articles LIMIT 1")[0]["archive_file"]
    (db.parent / victim).unlink()
    report = reextract(db)
    assert report["outcomes"]["record_missing"] >= 1
    check = CliRunner().invoke(cli, ["check", "--db", str(db)])
    assert check.exit_code == 1
    assert f"point at the archive file {victim}, which is missing" in check.output


def test_user_errors_are_one_line(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["reextract", "--db", str(tmp_path / "none.db")])
    assert result.exit_code == 1
    assert result.output.startswith("Error: no database at") and "Traceback" not in result.output
    result = CliRunner().invoke(cli, ["reextract", "--db", str(tmp_path / "none.db"), "--since", "soon"])
    assert result.exit_code == 2 and "YYYY-MM-DD" in result.output


def test_exports_leave_raw_pages_out_unless_asked(db: Path, tmp_path: Path) -> None:
    plain, with_html = tmp_path / "plain.jsonl", tmp_path / "html.jsonl"
    for output, extra in ((plain, []), (with_html, ["--with-html"])):
        result = CliRunner().invoke(cli, ["export", "--db", str(db), "--format", "jsonl", "-o", str(output), *extra])
        assert result.exit_code == 0, result.output
    plain_rows = [json.loads(line) for line in plain.read_text(encoding="utf-8").splitlines()]
    html_rows = [json.loads(line) for line in with_html.read_text(encoding="utf-8").splitlines()]
    assert plain_rows and all("html" not in row and "<html" not in json.dumps(row) for row in plain_rows)
    assert len(html_rows) == len(plain_rows)
    for row in html_rows:
        assert row["html"].lstrip().lower().startswith("<!doctype html"), row["url"]
        assert (row["title"] or "")[:20] in row["html"] or row["language"] == "ar"
    refused = CliRunner().invoke(cli, ["export", "--db", str(db), "--table", "related", "--with-html"])
    assert refused.exit_code == 1 and "--table articles" in refused.output


def test_worker_processes_give_the_same_report(db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    simulate_extractor_change(monkeypatch, "none")
    one = reextract(db, "--dry-run")
    two = reextract(db, "--dry-run", "--jobs", "2")
    assert {key: two[key] for key in ("articles", "outcomes", "fields")} == {
        key: one[key] for key in ("articles", "outcomes", "fields")
    }
    assert one["outcomes"]["changed"] > 0


def simulate_republication(monkeypatch: pytest.MonkeyPatch, copy_url: str, title: str, body: str) -> None:
    """Today's extractor reads ``copy_url``'s page as having this title and body (another article's text)."""
    original = ArticlePage.to_item

    def to_item(self: ArticlePage) -> Any:
        item = original(self)
        if item is not None and item.url == copy_url:
            item.title, item.body = title, body
        return item

    monkeypatch.setattr(ArticlePage, "to_item", to_item)


def original_and_copy(db: Path) -> tuple[dict[str, Any], dict[str, Any]]:
    """The earliest published original and a later original nothing points at (same language)."""
    rows_ = read_rows(db, "SELECT url, title, body, language, published_at FROM articles WHERE duplicate_of IS NULL"
                          " AND url NOT IN (SELECT duplicate_of FROM articles WHERE duplicate_of IS NOT NULL)"
                          " AND published_at IS NOT NULL ORDER BY published_at, url")
    first = rows_[0]
    later = next(row for row in rows_[1:] if row["language"] == first["language"]
                 and row["published_at"] > first["published_at"])
    return first, later


def test_a_body_that_now_equals_an_earlier_article_becomes_its_alias(
    db: Path, monkeypatch: pytest.MonkeyPatch, no_network: list[Any]
) -> None:
    first, later = original_and_copy(db)
    simulate_republication(monkeypatch, later["url"], first["title"], first["body"])

    report = reextract(db)

    assert read_rows(db, "SELECT url FROM articles WHERE url = ?", (later["url"],)) == [], "no second row"
    aliases = read_rows(db, "SELECT url, kind FROM url_aliases WHERE alias_url = ?", (later["url"],))
    assert aliases == [{"url": first["url"], "kind": "content"}], "recorded as the crawl records the same text"
    revisions = read_rows(db, "SELECT reason, title, body FROM article_revisions WHERE url = ?", (later["url"],))
    assert revisions == [{"reason": "reextract", "title": later["title"], "body": later["body"]}]
    assert report["outcomes"]["alias"] == 1
    assert reextract(db)["outcomes"] == {"unchanged": report["articles"] - 1}, "a second run changes nothing"


def test_a_body_that_now_nearly_equals_an_earlier_article_becomes_its_near_duplicate(
    db: Path, monkeypatch: pytest.MonkeyPatch, no_network: list[Any]
) -> None:
    from arabpress_crawler.pipelines.dedupe import signature

    first, later = original_and_copy(db)
    words = first["body"].split()
    edited = " ".join([*words[:-1], "Zebracornish"])
    simulate_republication(monkeypatch, later["url"], first["title"], edited)

    report = reextract(db)

    row = read_rows(db, "SELECT duplicate_of, body FROM articles WHERE url = ?", (later["url"],))[0]
    assert row == {"duplicate_of": first["url"], "body": edited}
    assert report["fields"]["duplicate_of"] == 1
    stored = read_rows(db, "SELECT minhash FROM article_fingerprints WHERE url = ?", (later["url"],))
    expected = signature(first["title"], edited)
    assert expected is not None and stored == [{"minhash": expected.astype("<u4").tobytes()}], (
        "the fingerprint follows the re-extracted text"
    )
    changes = json.loads(read_rows(db, "SELECT changes FROM article_revisions WHERE url = ?", (later["url"],))[0]
                         ["changes"])
    assert changes["duplicate_of"] is None, "the revision keeps the earlier decision"
    second = reextract(db)
    assert second["outcomes"] == {"unchanged": report["articles"]} and second["fields"] == {}
