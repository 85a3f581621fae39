"""Real crawls of the demo mirror: what is stored, what a second run fetches, edits, --since, --max-pages."""

from __future__ import annotations

import json
import re
import subprocess
import sys

import pytest
from conftest import ROOT, clean_env, read_rows

from arabpress_crawler.urls import canonicalize_url
from arabpress_mirror.content import (
    KIND_AMP,
    KIND_ARTICLE,
    KIND_EDITED_COPY,
    KIND_REPUBLISHED,
    demo_articles,
    seed_article,
    seed_page,
)
from arabpress_mirror.edit import edit_article

pytestmark = pytest.mark.slow

#: Request paths of article pages (and their AMP twins) on the mirror.
ARTICLE_REQUEST = re.compile(r"^/\d{4}/\d{2}/\d{2}/[^/]+/(?:amp/)?$")
LISTING_PATH = re.compile(r"/(?:category|tag|author|page|feed)/|\.xml$")


def local(server, public_url: str) -> str:
    """The canonical URL the crawl stores for a public ``https://arab.press`` URL of the mirror."""
    return canonicalize_url(server.url(public_url))


def resolve(db, url: str) -> str | None:
    """Where a link ends up in the database: its canonical row, or the row its alias points to."""
    canonical = canonicalize_url(url)
    if read_rows(db, "SELECT 1 FROM articles WHERE url = ?", (canonical,)):
        return canonical
    alias = read_rows(db, "SELECT url FROM url_aliases WHERE alias_url = ?", (canonical,))
    return alias[0]["url"] if alias else None


def test_full_crawl_stores_every_mirror_article_once(crawled_mirror):
    server, db = crawled_mirror.server, crawled_mirror.db
    stored = {row["url"]: row for row in read_rows(db, "SELECT url, title, duplicate_of FROM articles")}
    articles = demo_articles()
    originals = [a for a in articles if a.kind == KIND_ARTICLE]
    edited = next(a for a in articles if a.kind == KIND_EDITED_COPY)

    assert set(stored) == {local(server, a.url) for a in originals} | {local(server, edited.url)}
    for article in originals:
        row = stored[local(server, article.url)]
        assert row["title"] == article.title
        assert row["duplicate_of"] is None, article.url
    assert stored[local(server, edited.url)]["duplicate_of"] == local(server, edited.original_path)
    assert crawled_mirror.run.last_run()["status"] == "finished"


def test_copies_and_decorated_links_resolve_to_their_originals(crawled_mirror):
    server, db = crawled_mirror.server, crawled_mirror.db
    articles = demo_articles()
    for article in articles:
        if article.kind in (KIND_AMP, KIND_REPUBLISHED):
            assert resolve(db, server.url(article.url)) == local(server, article.original_path), article.url
    republished = next(a for a in articles if a.kind == KIND_REPUBLISHED)
    assert read_rows(db, "SELECT url FROM url_aliases WHERE alias_url = ?", (local(server, republished.url),))
    decorated = [
        (href, url)
        for a in articles
        for href, (_, url) in zip(a.related_hrefs, a.related, strict=True)
        if href != url and a.kind == KIND_ARTICLE
    ]
    assert any("utm_" in href for href, _ in decorated) and any("fbclid" in href for href, _ in decorated)
    for href, url in decorated:
        if "riyadh-metro-extends-night-service" not in url:  # the broken link: a 404, never stored
            assert resolve(db, server.url(href)) == local(server, url), href


def test_seed_article_keeps_its_50_related_headlines_in_order(crawled_mirror):
    server, db = crawled_mirror.server, crawled_mirror.db
    seed = seed_article()
    related = read_rows(
        db,
        "SELECT r.position, r.title, h.title AS headline FROM related_headlines r"
        " JOIN headlines h ON h.url = r.headline_url WHERE r.article_url = ? ORDER BY r.position",
        (local(server, seed.url),),
    )
    assert [row["title"] for row in related] == seed_page().related_headlines
    assert [row["position"] for row in related] == list(range(1, 51))


def test_listing_pages_are_read_but_never_stored(crawled_mirror):
    requested = crawled_mirror.requests
    assert requested["/"] == 1 and requested["/feed/"] == 1
    assert requested["/sitemap_index.xml"] == 1 and requested["/post-sitemap.xml"] == 1
    assert any(path.startswith("/category/") for path in requested)
    urls = [row["url"] for row in read_rows(crawled_mirror.db, "SELECT url FROM articles")]
    assert not [url for url in urls if LISTING_PATH.search(url)]
    # Each article page is fetched once, AMP twins never (their canonical is already known).
    assert all(count == 1 for path, count in requested.items() if ARTICLE_REQUEST.match(path))
    assert not [path for path in requested if path.endswith("/amp/")]


def test_second_crawl_of_unchanged_mirror_fetches_no_article_page(crawled_mirror, crawled_db_copy, crawl):
    server = crawled_mirror.server
    before = server.requests
    run = crawl(server.base_url, crawled_db_copy)
    assert run.returncode == 0, run.stderr
    fetched = server.requests - before
    assert not [path for path in fetched if ARTICLE_REQUEST.match(path)]
    assert fetched["/feed/"] == 1 and fetched["/post-sitemap.xml"] == 1  # discovery pages are always read
    record = run.last_run()
    assert record["status"] == "finished"
    assert (record["articles_new"], record["articles_updated"]) == (0, 0)
    stats = run.stats()
    assert stats.get("arabpress/articles/requested", 0) == 0
    assert stats["arabpress/skipped/known"] == len(read_rows(crawled_db_copy, "SELECT url FROM articles")) + len(
        read_rows(crawled_db_copy, "SELECT alias_url FROM url_aliases")
    )


def test_refresh_rechecks_every_article_with_a_conditional_get(crawled_mirror, crawled_db_copy, crawl):
    server = crawled_mirror.server
    stored = read_rows(crawled_db_copy, "SELECT count(*) AS n FROM articles")[0]["n"]
    before = server.requests
    run = crawl(server.base_url, crawled_db_copy, "--refresh")
    assert run.returncode == 0, run.stderr
    fetched = server.requests - before
    assert sum(count for path, count in fetched.items() if ARTICLE_REQUEST.match(path)) >= stored
    stats = run.stats()
    assert stats["downloader/response_status_count/304"] >= stored  # the mirror answered "not modified"
    assert stats["arabpress/articles/not_modified"] == stats["downloader/response_status_count/304"]
    record = run.last_run()
    assert (record["articles_new"], record["articles_updated"]) == (0, 0)
    assert record["articles_unchanged"] == stats["arabpress/articles/not_modified"]


def test_an_edit_updates_exactly_that_row_and_writes_one_revision(site_copy, serve, temp_db, crawl):
    server = serve(site_copy)
    assert crawl(server.base_url, temp_db).returncode == 0
    target = next(a for a in demo_articles() if a.kind == KIND_ARTICLE and a.language == "en" and a.related)
    before = {row["url"]: row for row in read_rows(temp_db, "SELECT url, body, content_hash FROM articles")}
    new_paragraphs = [*target.paragraphs[:-1], "A correction was added to this article after publication."]
    edit_article(site_copy, target.path, paragraphs=new_paragraphs, when="2025-11-10T08:00:00Z")

    run = crawl(server.base_url, temp_db)

    assert run.returncode == 0, run.stderr
    after = {row["url"]: row for row in read_rows(temp_db, "SELECT url, body, content_hash FROM articles")}
    changed = [url for url in after if after[url]["content_hash"] != before[url]["content_hash"]]
    assert changed == [local(server, target.url)]
    assert after[changed[0]]["body"].endswith("A correction was added to this article after publication.")
    revisions = read_rows(temp_db, "SELECT url, body FROM article_revisions")
    assert [(r["url"], r["body"]) for r in revisions] == [(changed[0], before[changed[0]]["body"])]
    assert (run.last_run()["articles_new"], run.last_run()["articles_updated"]) == (0, 1)


def test_since_skips_older_articles_before_fetching(mirror, temp_db, crawl):
    since = "2025-10-01"
    before = mirror.requests
    run = crawl(mirror.base_url, temp_db, "--since", since)
    assert run.returncode == 0, run.stderr
    published = [row["published_at"] for row in read_rows(temp_db, "SELECT published_at FROM articles")]
    expected = [a for a in demo_articles() if a.kind == KIND_ARTICLE and a.published_at[:10] >= since]
    assert published and min(published)[:10] >= since
    assert len(published) >= len(expected)
    fetched = mirror.requests - before
    old_pages = [path for path in fetched if ARTICLE_REQUEST.match(path) and path[1:11].replace("/", "-") < since]
    assert old_pages == []
    assert run.stats()["arabpress/skipped/old"] > 0


def test_max_pages_bounds_the_article_pages_fetched(mirror, temp_db, crawl):
    before = mirror.requests
    run = crawl(mirror.base_url, temp_db, "--max-pages", "5")
    assert run.returncode == 0, run.stderr
    fetched = mirror.requests - before
    assert sum(count for path, count in fetched.items() if ARTICLE_REQUEST.match(path)) == 5
    stored = read_rows(temp_db, "SELECT count(*) AS n FROM articles")[0]["n"]
    assert 1 <= stored <= 5
    assert run.stats()["arabpress/skipped/max_pages"] > 0
    assert "ETA" not in run.stdout + run.stderr  # the live line is for terminals only
    assert run.stderr == ""  # Scrapy's log goes to the log file
    assert "pages fetched" in run.stdout  # the summary table


def test_scrapy_crawl_with_feed_export_works_from_the_repo_root(mirror, tmp_path):
    output = tmp_path / "items.jsonl"
    completed = subprocess.run(
        [
            sys.executable, "-m", "scrapy", "crawl", "articles",
            "-a", f"base_url={mirror.base_url}", "-a", "max_depth=1",
            "-s", f"ARABPRESS_DB={tmp_path / 'scrapy.db'}", "-s", "ARABPRESS_PROFILE=mirror", "-s", "LOG_LEVEL=WARNING",
            "-O", str(output),
        ],
        cwd=ROOT, env=clean_env(), capture_output=True, text=True, timeout=180,
    )  # fmt: skip
    assert completed.returncode == 0, completed.stderr
    text = output.read_text(encoding="utf-8")
    items = [json.loads(line) for line in text.splitlines()]
    items = [item for item in items if "title" in item]  # articles (the dedupe pipeline also passes aliases on)
    assert len(items) >= 60
    assert any(item.get("language") == "ar" for item in items)
    assert "\\u06" not in text  # Arabic written as UTF-8, not \u escapes
    assert all(item["fetched_at"] and item["fetched_url"] for item in items)
