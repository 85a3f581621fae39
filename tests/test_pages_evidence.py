"""Choices made on evidence (issue 16): the body with the most evidence, the title a reader sees, legacy
layout tables, and refusals counted by reason in the crawl's stats."""

from __future__ import annotations

import json

from scrapy.http import HtmlResponse, Request
from scrapy.utils.test import get_crawler

from arabpress_crawler.pages.article import ArticlePage
from arabpress_crawler.pages.titles import seen_title, strip_title_suffix
from arabpress_crawler.spiders.articles import ArticleLink, ArticlesSpider, Source

URL = "https://news.example/world/story-123"
PARAGRAPHS = [
    f"Paragraph {n} of the story tells what happened in the valley, who said what, and why it matters now."
    for n in range(1, 7)
]


def response(html: str, url: str = URL) -> HtmlResponse:
    return HtmlResponse(url, body=html.encode("utf-8"), encoding="utf-8")


def article_page(head: str = "", before: str = "", after: str = "") -> str:
    body = "".join(f"<p>{text}</p>" for text in PARAGRAPHS)
    return (
        f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">{head}</head><body>'
        f"<main><article><h1>Farmers turn to solar pumps</h1>{before}{body}{after}</article></main></body></html>"
    )


def json_ld(data: dict[str, object]) -> str:
    return f'<script type="application/ld+json">{json.dumps(data)}</script>'


def test_a_json_ld_article_body_cut_to_a_teaser_loses_to_the_visible_text() -> None:
    teaser = {"@type": "NewsArticle", "headline": "Farmers turn to solar pumps", "articleBody": PARAGRAPHS[0]}
    item = ArticlePage(response(article_page(json_ld(teaser)))).to_item()
    assert item is not None
    assert all(text in item.body for text in PARAGRAPHS)
    assert item.extraction["body"] == "generic"


def test_a_full_json_ld_article_body_is_kept_when_the_visible_text_is_a_fraction_of_it() -> None:
    full = {
        "@type": "NewsArticle",
        "headline": "Farmers turn to solar pumps",
        "articleBody": "\n".join(PARAGRAPHS),
    }
    html = article_page(json_ld(full)).replace("".join(f"<p>{t}</p>" for t in PARAGRAPHS[1:]), "")
    item = ArticlePage(response(html)).to_item()
    assert item is not None
    assert all(text in item.body for text in PARAGRAPHS)


def test_the_title_is_the_headline_a_reader_sees() -> None:
    # A JSON-LD headline that is a description, not a wording of the <h1>, gives way to the <h1>'s title.
    assert seen_title(["a country in the south-west Pacific", "New Zealand"], "New Zealand") == "New Zealand"
    # An editor's variant of the headline stands.
    assert (
        seen_title(
            ["Seven secrets hotel owners keep", "The seven secrets hotel owners keep"],
            "The seven secrets hotel owners keep",
        )
        == "Seven secrets hotel owners keep"
    )
    assert seen_title(["Farmers turn to solar pumps | Valley Times"], "Farmers turn to solar pumps") == (
        "Farmers turn to solar pumps"
    )
    assert strip_title_suffix("Farmers turn to solar pumps as wells run dry - Valley Times") == (
        "Farmers turn to solar pumps as wells run dry"
    )
    head = json_ld({"@type": "NewsArticle", "headline": "Water, energy and the valley's growers"}) + (
        '<meta property="og:title" content="Farmers turn to solar pumps | Valley Times">'
    )
    item = ArticlePage(response(article_page(head))).to_item()
    assert item is not None and item.title == "Farmers turn to solar pumps"


def test_a_legacy_layout_table_gives_only_the_story_cell() -> None:
    story = "<br><br>".join(PARAGRAPHS)
    html = (
        "<html><head><title>Valley Times - Farmers turn to solar pumps</title></head><body>"
        '<table width="980"><tr><td class="menu"><a href="/">Home</a> | <a href="/local">Local news</a></td></tr>'
        '<tr><td width="700"><table><tr><td><h1>Farmers turn to solar pumps</h1></td></tr>'
        f"<tr><td>{story}</td></tr></table></td>"
        '<td class="side"><b>Most read</b><br><a href="/n/1">Prices of vegetables rise in the central market</a></td></tr>'
        '<tr><td class="footer">All rights reserved, Valley Times newspaper and its owners</td></tr></table>'
        "</body></html>"
    )
    item = ArticlePage(response(html)).to_item()
    assert item is not None
    assert all(text in item.body for text in PARAGRAPHS)
    for chrome in ("Local news", "Most read", "Prices of vegetables", "All rights reserved"):
        assert chrome not in item.body


def test_the_spider_counts_refusals_by_reason() -> None:
    crawler = get_crawler(ArticlesSpider, {"ARABPRESS_BASE_URL": "https://arab.press"})
    spider = ArticlesSpider.from_crawler(crawler)
    grid = "".join(
        f'<div class="card"><h3><a href="https://arab.press/2024/06/0{n}/story-{n}/">Story {n}</a></h3>'
        f"<p>{PARAGRAPHS[n]}</p></div>"
        for n in range(1, 6)
    )
    html = f"<html><body><h1>Water</h1>{grid}</body></html>"
    url = "https://arab.press/2024/06/01/water-special/"
    request = Request(
        url, meta={"article_link": ArticleLink(url, Source.LISTING, depth=1), "canonical_url": url}
    )
    page = HtmlResponse(url, body=html.encode("utf-8"), encoding="utf-8", request=request)
    assert list(spider.parse_article(page)) == []
    assert crawler.stats.get_value("arabpress/articles/refused/teasers") == 1


def test_each_field_is_declared_once_with_existing_layers_and_post_processing() -> None:
    from arabpress_crawler.pages.article import FIELDS, GenericLayer, MetadataLayer, SiteLayer

    names = [spec.name for spec in FIELDS]
    assert len(names) == len(set(names))
    layer_classes = {"site": SiteLayer, "metadata": MetadataLayer, "generic": GenericLayer}
    for spec in FIELDS:
        assert any(hasattr(layer_classes[layer], spec.name) for layer in spec.layers), spec.name
        assert spec.post is None or callable(getattr(ArticlePage, spec.post, None)), spec.post


# -- the byline outside the article header --------------------------------------------------------------------


def _authors(after: str) -> list[str]:
    item = ArticlePage(response(article_page(after=after))).to_item()
    assert item is not None
    return item.authors


def test_a_byline_whose_date_runs_on_after_the_name_gives_the_name() -> None:
    byline = '<div class="story-byline">By <b>Selma Darwish</b><br>March 25, 2015</div>'
    assert _authors(byline) == ["Selma Darwish"]


def test_a_microdata_author_with_a_note_after_the_name_gives_the_name() -> None:
    byline = (
        '<p>Filed by <span itemprop="author" class="signature"><a href="/writers/nour-haddad/">Nour Haddad</a>'
        " (with reporting by the desk in Amman)</span></p>"
    )
    assert _authors(byline) == ["Nour Haddad"]


def test_the_byline_of_a_comment_or_a_related_teaser_is_not_the_author() -> None:
    comments = '<section id="comments"><div class="note"><span class="byline">By Tarek Aziz</span></div></section>'
    teasers = '<div class="related-posts"><span class="author-name">Huda Salem</span></div>'
    assert _authors(comments + teasers) == []


def test_an_author_link_or_an_element_classed_as_the_author_names_the_author() -> None:
    author_link = '<p>Story and photos: <a rel="author" href="/people/rami-khoury">Rami Khoury</a></p>'
    meta_line = '<div class="meta"><span class="meta-item--author">Samir Kassab</span><span>4 min read</span></div>'
    assert _authors(author_link) == ["Rami Khoury"]
    assert _authors(meta_line) == ["Samir Kassab"]
