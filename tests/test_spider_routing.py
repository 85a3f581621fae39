"""Routing of the ``articles`` spider: what it follows, what it never requests, and backfill."""

from __future__ import annotations

import pytest
from conftest import read_rows

from arabpress_mirror.content import seed_article
from arabpress_mirror.layout import url_to_file

pytestmark = pytest.mark.slow

RELATED_LIST = '<ul class="related-posts">'
HOME_MAIN = "</main>"


def trap_links(offsite_base: str) -> dict[str, str]:
    """Links the spider must never request: label -> href."""
    return {
        "javascript": "javascript:window.location='/2025/01/01/js-story/'",
        "data": "data:text/html;base64,PGgxPmhpPC9oMT4=",
        "mailto": "mailto:desk@arab.press",
        "other port": f"{offsite_base}/2025/01/02/offsite-story-on-another-port/",
        "other host": "https://example.invalid/2025/01/03/offsite-story/",
        "tag": "https://arab.press/tag/syria/",
        "author": "https://arab.press/author/layla-haddad/",
        "pagination": "https://arab.press/category/technology/page/2/",
    }


def plant_links(page, links: dict[str, str], marker: str) -> None:
    html = page.read_text(encoding="utf-8")
    items = "".join(f'<li class="related-post"><a href="{href}">Trap: {label}</a></li>' for label, href in links.items())
    if marker == RELATED_LIST:
        html = html.replace(marker, marker + items, 1)
    else:
        html = html.replace(marker, f"<ul>{items}</ul>" + marker, 1)
    page.write_text(html, encoding="utf-8")


def test_offsite_unsafe_listing_and_disallowed_links_are_never_followed(site_copy, serve, temp_db, crawl):
    offsite = serve(site_copy)  # a second server: any request it gets is an offsite request
    seed = seed_article()
    disallowed = seed.related[1][1].removeprefix("https://arab.press")
    robots = site_copy / "robots.txt"
    robots.write_text(robots.read_text().replace("Disallow: /wp-admin/", f"Disallow: /wp-admin/\nDisallow: {disallowed}"))
    links = trap_links(offsite.base_url)
    plant_links(url_to_file(site_copy, seed.path), links, RELATED_LIST)
    plant_links(site_copy / "index.html", links, HOME_MAIN)
    server = serve(site_copy)

    run = crawl(server.base_url, temp_db)

    assert run.returncode == 0, run.stderr
    requested = server.requests
    assert requested[seed.path] == 1, "the page with the traps was crawled"
    assert requested[disallowed] == 0, "robots.txt Disallow was not obeyed"
    assert sum(offsite.requests.values()) == 0, "a link to another port was followed"
    assert not [path for path in requested if path.startswith(("/tag/", "/author/", "/2025/01/0"))]
    assert requested["/category/technology/page/2/"] == 0  # pagination is for --backfill
    stored = {row["url"] for row in read_rows(temp_db, "SELECT url FROM articles")}
    assert not [url for url in stored if disallowed in url or "/tag/" in url or "/author/" in url]
    assert all(url.startswith(server.base_url + "/") for url in stored)
    assert len(stored) == 61  # the 62 rows of a full crawl but the disallowed article
    assert run.stats()["robotstxt/forbidden"] >= 1


def test_backfill_walks_pagination_without_refetching_known_articles(crawled_mirror, crawled_db_copy, crawl):
    server = crawled_mirror.server
    assert crawled_mirror.requests.get("/page/2/", 0) == 0  # an ordinary run reads first pages only
    before = server.requests
    run = crawl(server.base_url, crawled_db_copy, "--backfill")
    assert run.returncode == 0, run.stderr
    fetched = server.requests - before
    assert fetched["/page/2/"] == 1 and fetched["/page/7/"] == 1
    assert fetched["/category/technology/page/2/"] == 1
    assert run.stats().get("arabpress/articles/requested", 0) == 0
