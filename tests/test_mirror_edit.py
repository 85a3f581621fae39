"""edit_article rewrites a page of a mirror copy as a WordPress edit would, and the server notices."""

from __future__ import annotations

import http.client
import json
import re
import shutil
from pathlib import Path

import pytest
from lxml import html

from arabpress_mirror.content import ORIGIN, demo_articles
from arabpress_mirror.edit import edit_article
from arabpress_mirror.layout import DEMO_SITE_DIR, url_to_file
from arabpress_mirror.server import MirrorServer

ARTICLES = demo_articles()
SEED = ARTICLES[0]
ARABIC = next(article for article in ARTICLES if article.language == "ar" and article.kind == "article")
WHEN = "2025-11-10T08:00:00Z"


@pytest.fixture
def site(tmp_path: Path) -> Path:
    return Path(shutil.copytree(DEMO_SITE_DIR, tmp_path / "site"))


def page(site: Path, path: str) -> html.HtmlElement:
    return html.fromstring(url_to_file(site, path).read_text(encoding="utf-8"))


def news_article(root: html.HtmlElement) -> dict:
    graph = json.loads(root.xpath('//script[@type="application/ld+json"]/text()')[0])["@graph"]
    return next(node for node in graph if node["@type"] == "NewsArticle")


def sitemap_lastmod(site: Path, url: str) -> str:
    text = (site / "post-sitemap.xml").read_text(encoding="utf-8")
    return re.search(rf"<loc>{re.escape(url)}</loc>\s*<lastmod>([^<]+)</lastmod>", text).group(1)


def test_edit_replaces_body_and_bumps_modified_dates(site: Path) -> None:
    new_body = ["A corrected first paragraph.", "A second paragraph.", "A third, added paragraph."]
    result = edit_article(site, SEED.path, paragraphs=new_body, when=WHEN)
    assert result.modified_at == WHEN
    root = page(site, SEED.path)
    assert [p.text_content() for p in root.xpath('//div[@class="entry-content"]/p')] == new_body
    assert root.cssselect("div.entry-content div.ad-slot"), "the traps of the body stay in place"
    assert root.xpath("//meta[@property='article:modified_time']/@content") == ["2025-11-10T08:00:00+00:00"]
    updated = root.cssselect("time.updated")[0]
    assert (updated.get("datetime"), updated.text_content()) == (
        "2025-11-10T08:00:00+00:00",
        "November 10, 2025",
    )
    assert root.xpath("//meta[@property='article:published_time']/@content") == ["2022-12-28T17:30:00+00:00"]
    node = news_article(root)
    assert node["dateModified"] == "2025-11-10T08:00:00+00:00"
    assert node["datePublished"] == "2022-12-28T17:30:00+00:00"
    assert root.cssselect("h1.entry-title")[0].text_content() == SEED.title


def test_edit_changes_the_title_everywhere_on_the_page(site: Path) -> None:
    edit_article(site, SEED.path, title="Defence Ministers Meet in Moscow", when=WHEN)
    root = page(site, SEED.path)
    assert root.cssselect("h1.entry-title")[0].text_content() == "Defence Ministers Meet in Moscow"
    assert root.cssselect("span.current-title")[0].text_content() == "Defence Ministers Meet in Moscow"
    assert root.xpath("//meta[@property='og:title']/@content") == [
        "Defence Ministers Meet in Moscow - Arab Press"
    ]
    assert news_article(root)["headline"] == "Defence Ministers Meet in Moscow"
    paragraphs = [p.text_content() for p in root.xpath('//div[@class="entry-content"]/p')]
    assert paragraphs == SEED.paragraphs


def test_edit_also_rewrites_the_amp_twin_and_the_sitemaps(site: Path) -> None:
    result = edit_article(site, SEED.path, paragraphs=["Only paragraph."], when=WHEN)
    amp = page(site, SEED.path + "amp/")
    assert [p.text_content() for p in amp.xpath('//div[@class="entry-content"]/p')] == ["Only paragraph."]
    assert sitemap_lastmod(site, SEED.url) == "2025-11-10T08:00:00+00:00"
    other = ARTICLES[1]
    assert sitemap_lastmod(site, other.url) == other.modified_at.replace("Z", "+00:00")
    index = (site / "sitemap_index.xml").read_text(encoding="utf-8")
    assert f"<loc>{ORIGIN}/post-sitemap.xml</loc>\n<lastmod>2025-11-10T08:00:00+00:00</lastmod>" in index
    assert {file.name for file in result.files} >= {"post-sitemap.xml", "sitemap_index.xml", "index.html"}


def test_edit_of_an_arabic_article_shows_an_arabic_date(site: Path) -> None:
    edit_article(site, ARABIC.path, paragraphs=["فقرة جديدة."], when=WHEN)
    root = page(site, ARABIC.path)
    assert root.cssselect("time.updated")[0].text_content() == "١٠ نوفمبر ٢٠٢٥"
    assert (root.get("lang"), root.get("dir")) == ("ar", "rtl")


def test_server_sees_the_edit(site: Path) -> None:
    with MirrorServer(site) as server:
        connection = http.client.HTTPConnection(server.host, server.port, timeout=10)
        connection.request("GET", SEED.path)
        first = connection.getresponse()
        first.read()
        etag, last_modified = first.getheader("ETag"), first.getheader("Last-Modified")
        edit_article(site, SEED.path, paragraphs=["Changed."], when=WHEN)
        connection.request("GET", SEED.path, headers={"If-None-Match": etag})
        by_etag = connection.getresponse()
        assert by_etag.status == 200 and b"<p>Changed.</p>" in by_etag.read()
        connection.request("GET", SEED.path, headers={"If-Modified-Since": last_modified})
        by_date = connection.getresponse()
        by_date.read()
        assert by_date.status == 200 and by_date.getheader("Last-Modified") != last_modified
        connection.close()


def test_edit_of_a_missing_page_fails(site: Path) -> None:
    with pytest.raises(FileNotFoundError):
        edit_article(site, "/2025/01/01/no-such-article/", paragraphs=["x"])
