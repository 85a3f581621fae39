"""An article fetched before the sitemap that lists it still gets the sitemap's ``<lastmod>``.

Articles are found on the home page and the feed as soon as the crawl starts; the post sitemap arrives three
requests later (robots, index, sitemap), so on a fast or loaded crawl some of its articles were parsed before it.
Their rows used to keep no ``sitemap_lastmod`` (the value the next run compares the sitemap with); the run now
records the lastmods that came after their pages and writes them when it closes.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from conftest import read_rows

from arabpress_crawler.urls import canonicalize_url

pytestmark = pytest.mark.slow

ORIGIN = "https://arab.press"
ENTRY = re.compile(r"<loc>([^<]+)</loc>\s*<lastmod>([^<]+)</lastmod>")


def test_articles_parsed_before_their_sitemap_keep_its_lastmod(site_copy: Path, serve, temp_db: Path, crawl) -> None:
    server = serve(site_copy)
    server.set_fault("/post-sitemap.xml", "slow", seconds=3.0)  # every page the home page and feed list comes first
    post = (site_copy / "post-sitemap.xml").read_text(encoding="utf-8")
    listed = {canonicalize_url(loc.replace(ORIGIN, server.base_url)): lastmod for loc, lastmod in ENTRY.findall(post)}

    run = crawl(server.base_url, temp_db)

    assert run.returncode == 0, run.stderr
    assert server.request_count("/post-sitemap.xml") == 1
    rows = {row["url"]: row["sitemap_lastmod"] for row in read_rows(temp_db, "SELECT url, sitemap_lastmod FROM articles")}
    stored = {url: lastmod for url, lastmod in listed.items() if url in rows}
    assert len(stored) >= 5, "the sitemap lists articles the crawl stored"
    assert {url: rows[url] for url in stored} == stored
