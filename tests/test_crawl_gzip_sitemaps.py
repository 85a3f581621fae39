"""Gzipped sitemaps are read as sitemaps: a ``.xml.gz`` file, and a gzip body under an ``.xml`` URL.

WordPress plugins and CDNs serve both. The mirror serves a ``.gz`` file as it is (``application/octet-stream``,
no ``Content-Encoding``), so Scrapy hands the spider the compressed bytes, as a real server does.
"""

from __future__ import annotations

import gzip
import re
from pathlib import Path

import pytest
from conftest import read_rows

from arabpress_crawler.spiders import SITEMAP_LASTMOD_STAT
from arabpress_crawler.urls import canonicalize_url

pytestmark = pytest.mark.slow

ORIGIN = "https://arab.press"


def test_gzipped_sitemaps_are_read(site_copy: Path, serve, temp_db: Path, crawl) -> None:
    server = serve(site_copy)
    # The files hold the server's own URLs: the mirror rewrites the public origin in text, not in gzip.
    post = (site_copy / "post-sitemap.xml").read_text(encoding="utf-8").replace(ORIGIN, server.base_url)
    (site_copy / "post-sitemap.xml.gz").write_bytes(gzip.compress(post.encode(), mtime=0))
    (site_copy / "post-sitemap.xml").unlink()
    news = (site_copy / "news-sitemap.xml").read_text(encoding="utf-8").replace(ORIGIN, server.base_url)
    (site_copy / "news-sitemap.xml").unlink()
    (site_copy / "news-sitemap.xml.gz").write_bytes(gzip.compress(news.encode(), mtime=0))
    index = site_copy / "sitemap_index.xml"
    index.write_text(index.read_text(encoding="utf-8").replace("post-sitemap.xml", "post-sitemap.xml.gz")
                     .replace("news-sitemap.xml", "news-sitemap.xml.gz"), encoding="utf-8")

    run = crawl(server.base_url, temp_db)

    assert run.returncode == 0, run.stderr
    assert server.request_count("/post-sitemap.xml.gz") == 1
    assert server.request_count("/news-sitemap.xml.gz") == 1
    log = temp_db.with_suffix(".log").read_text(encoding="utf-8")
    assert "not a sitemap" not in log
    recorded = {key.removeprefix(SITEMAP_LASTMOD_STAT) for key in run.stats() if key.startswith(SITEMAP_LASTMOD_STAT)}
    assert recorded == {f"{server.base_url}/post-sitemap.xml.gz", f"{server.base_url}/news-sitemap.xml.gz"}
    listed = {canonicalize_url(loc) for loc in re.findall(r"<loc>([^<]+)</loc>", post + news)}
    from_sitemap = {row["url"] for row in read_rows(temp_db, "SELECT url FROM articles WHERE sitemap_lastmod IS NOT NULL")}
    assert from_sitemap and from_sitemap <= listed


def test_a_gzip_body_under_an_xml_url_is_read(site_copy: Path, serve, temp_db: Path, crawl) -> None:
    server = serve(site_copy)
    post = (site_copy / "post-sitemap.xml").read_text(encoding="utf-8").replace(ORIGIN, server.base_url)
    (site_copy / "post-sitemap.xml").write_bytes(gzip.compress(post.encode(), mtime=0))

    run = crawl(server.base_url, temp_db)

    assert run.returncode == 0, run.stderr
    assert "not a sitemap" not in temp_db.with_suffix(".log").read_text(encoding="utf-8")
    assert f"{SITEMAP_LASTMOD_STAT}{server.base_url}/post-sitemap.xml" in run.stats()
    # Every entry of the gzipped post sitemap was read (whether an article's row keeps the sitemap's lastmod
    # depends on whether its page was parsed after the sitemap: a race of the crawl's order, not of gzip).
    listed = len(re.findall(r"<loc>", post))
    assert listed > 0 and run.stats()["arabpress/sitemaps/entries"] >= listed
