"""Extraction of every page of the demo mirror, compared with the mirror's content model.

The content model (:func:`arabpress_mirror.content.demo_articles`) holds the true value of every field
of every rendered article page; this compares field by field. The renamed tests rename every class and id
of the seed page programmatically and check that title, body and date still come out through the metadata
and generic layers.
"""

from __future__ import annotations

import hashlib
from functools import cache
from pathlib import Path
from urllib.parse import unquote, urlsplit, urlunsplit

import pytest
from lxml import html as lxml_html
from scrapy.http import HtmlResponse

from arabpress_crawler.pages.article import ArticlePage
from arabpress_crawler.pages.listing import ListingPage
from arabpress_mirror.content import MirrorArticle, demo_articles, seed_article

SITE = Path(__file__).resolve().parent.parent / "arabpress_mirror" / "site"
ORIGIN = "https://arab.press"
ARTICLES = demo_articles()
FIELDS = (
    "title",
    "subtitle",
    "body",
    "authors",
    "published_at",
    "modified_at",
    "section",
    "tags",
    "image_url",
    "language",
)
SEED_PARAGRAPHS = 14
SEED_RELATED = 50
NOT_ARTICLE_PAGES = ("404.html",)


def page_file(path: str) -> Path:
    return SITE / unquote(path).strip("/") / "index.html"


@cache
def page_bytes(path: str) -> bytes:
    return page_file(path).read_bytes()


def response_for(url: str, body: bytes) -> HtmlResponse:
    return HtmlResponse(url, body=body, encoding="utf-8")


def without_fragment(url: str) -> str:
    return urlunsplit(urlsplit(url)._replace(fragment=""))


def without_query(url: str) -> str:
    return urlunsplit(urlsplit(url)._replace(query=""))


def expected_related(article: MirrorArticle) -> list[tuple[str, str, int]]:
    """The related headlines as the page writes them: hrefs as written (tracking parameters kept), no fragment."""
    return [
        (title, without_fragment(href), position)
        for position, ((title, _), href) in enumerate(
            zip(article.related, article.related_hrefs, strict=True), 1
        )
    ]


@pytest.mark.parametrize("article", ARTICLES, ids=lambda article: f"{article.kind}:{unquote(article.path)}")
def test_every_mirror_article_matches_the_content_model(article: MirrorArticle) -> None:
    page = ArticlePage(response_for(article.url, page_bytes(article.path)))
    item = page.to_item()
    assert item is not None, f"{article.url}: not an article ({page.not_article_reason})"
    mismatches = [
        f"{field}: expected {getattr(article, field)!r}, got {getattr(item, field)!r}"
        for field in FIELDS
        if getattr(item, field) != getattr(article, field)
    ]
    if item.url != article.canonical_url:
        mismatches.append(f"url: expected {article.canonical_url!r}, got {item.url!r}")
    related = [(headline.title, headline.url, headline.position) for headline in item.related]
    if related != expected_related(article):
        mismatches.append(f"related: expected {expected_related(article)!r}, got {related!r}")
    assert not mismatches, f"{article.url}:\n" + "\n".join(mismatches)
    assert set(item.extraction.values()) <= {"site", "metadata"}, "the mirror never needs the generic layer"
    assert item.extraction["body"] == "site"


def test_seed_article_in_full() -> None:
    seed = seed_article()
    item = ArticlePage(response_for(seed.url, page_bytes(seed.path))).to_item()
    assert item is not None
    assert item.title == "Russia, Turkey, Syria Defence Ministers Meet For Talks After Over 10 Years"
    assert item.subtitle == seed.subtitle
    paragraphs = item.body.split("\n\n")
    assert len(paragraphs) == SEED_PARAGRAPHS
    assert paragraphs[0].startswith("The defence ministers of Russia, Turkey and Syria met in Moscow")
    assert paragraphs[-1] == '"We want to take a step as Syria, Turkey and Russia," he said at the time.'
    for noise in (
        "Newsletter",
        "Related Articles",
        "0:00",
        "Close",
        "×",
        "Advertisement",
        "Share:",
        "adsbygoogle",
    ):
        assert noise not in item.body
    assert [headline.title for headline in item.related] == seed_related_titles()
    assert [headline.position for headline in item.related] == list(range(1, SEED_RELATED + 1))
    assert item.published_at.startswith("2022-12"), (
        "the masthead's 2025 date must never be the publication date"
    )


def seed_related_titles() -> list[str]:
    lines = (SITE.parent / "content" / "seed-article-page.txt").read_text(encoding="utf-8").splitlines()
    start = lines.index("Related Articles") + 1
    titles = [line for line in lines[start:] if line and line not in {"Arab Press", "0:00", "Close", "×"}]
    assert len(titles) == SEED_RELATED
    return titles


def test_related_urls_are_what_the_spider_follows() -> None:
    seed = seed_article()
    page = ArticlePage(response_for(seed.url, page_bytes(seed.path)))
    assert page.related_urls() == [url for _, url, _ in expected_related(seed)]
    assert all(url.startswith(ORIGIN + "/20") for url in page.related_urls())


def test_relative_links_resolve_against_the_mirror_origin() -> None:
    """Served by the mirror at 127.0.0.1, every link resolves to the server's own origin."""
    seed = seed_article()
    local = "http://127.0.0.1:8765"
    body = page_bytes(seed.path).replace(ORIGIN.encode(), local.encode())
    item = ArticlePage(response_for(local + seed.path, body)).to_item()
    assert item is not None
    assert item.url == local + seed.path
    assert all(headline.url.startswith(local + "/") for headline in item.related)


# -- every class name and id renamed ------------------------------------------------------------------------


def renamed(body: bytes, drop_metadata: bool = False) -> bytes:
    """``body`` with every class name and id replaced by an opaque token; optionally without metadata."""
    tree = lxml_html.fromstring(body)
    for element in tree.iter():
        if not isinstance(element.tag, str):
            continue
        for attribute in ("class", "id"):
            value = element.get(attribute)
            if value:
                tokens = (f"x{hashlib.sha1(token.encode()).hexdigest()[:8]}" for token in value.split())
                element.set(attribute, " ".join(tokens))
    if drop_metadata:
        for element in tree.xpath(
            "//script[@type='application/ld+json'] | //meta[@property or @name] | //time"
        ):
            element.getparent().remove(element)
    return lxml_html.tostring(tree, encoding="utf-8", doctype="<!DOCTYPE html>")


def test_renamed_seed_page_still_gives_title_body_and_date() -> None:
    seed = seed_article()
    page = ArticlePage(response_for(seed.url, renamed(page_bytes(seed.path))))
    assert page.profile is None, "with every class renamed the site profile must not apply"
    item = page.to_item()
    assert item is not None
    assert item.title == seed.title
    assert item.body == seed.body
    assert item.published_at == seed.published_at
    assert item.extraction["title"] == "metadata"
    assert item.extraction["published_at"] == "metadata"
    assert item.extraction["body"] == "generic"
    assert "site" not in item.extraction.values()
    assert [headline.title for headline in item.related] == seed_related_titles()


def test_renamed_seed_page_without_metadata_falls_back_to_the_generic_layer() -> None:
    seed = seed_article()
    item = ArticlePage(response_for(seed.url, renamed(page_bytes(seed.path), drop_metadata=True))).to_item()
    assert item is not None
    assert item.title == seed.title
    assert seed.body in item.body, "every paragraph, in order"
    for noise in ("Newsletter", "Related Articles", "Advertisement", "Share:", "Saturday, Nov 08, 2025"):
        assert noise not in item.body
    assert item.published_at == "2022-12-28", "the day of the URL, never the masthead's"
    assert {item.extraction[field] for field in ("title", "body", "published_at")} == {"generic"}


# -- listing pages ------------------------------------------------------------------------------------------


def mirror_listing_pages() -> list[tuple[str, Path]]:
    article_files = {page_file(article.path) for article in ARTICLES}
    pages = []
    for path in sorted(SITE.rglob("index.html")):
        if path in article_files:
            continue
        relative = path.parent.relative_to(SITE).as_posix()
        url_path = "/" if relative == "." else f"/{relative}/"
        pages.append((ORIGIN + url_path, path))
    return pages


@pytest.mark.parametrize(("url", "path"), mirror_listing_pages(), ids=lambda value: str(value)[len(ORIGIN) :])
def test_mirror_pages_that_are_not_articles(url: str, path: Path) -> None:
    page = ArticlePage(response_for(url, path.read_bytes()))
    assert not page.is_article(), f"{url} must not be taken for an article"
    assert page.to_item() is None
    known = {article.url for article in ARTICLES}
    for link in ListingPage(response_for(url, path.read_bytes())).article_urls():
        # Links may carry tracking parameters (the spider canonicalises them); the page itself must exist.
        assert without_query(link) in known, f"{url} links to {link}, which is not an article of the mirror"


def test_error_page_is_not_an_article() -> None:
    page = ArticlePage(response_for(ORIGIN + "/no-such-page/", (SITE / "404.html").read_bytes()))
    assert not page.is_article()


def test_listings_reach_every_original_article() -> None:
    """Home, sections and their pagination together link every original article."""
    found: set[str] = set()
    for url, path in mirror_listing_pages():
        found.update(map(without_query, ListingPage(response_for(url, path.read_bytes())).article_urls()))
    originals = {article.url for article in ARTICLES if article.kind == "article"}
    assert originals <= found
