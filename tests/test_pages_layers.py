"""Unit tests of the extraction layers on small hand-written pages: metadata, site, generic, listing, feeds."""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scrapy.http import HtmlResponse, TextResponse, XmlResponse

from arabpress_crawler.pages.article import ArticlePage, looks_like_listing_url
from arabpress_crawler.pages.common import absolute_url, guess_language, primary_language
from arabpress_crawler.pages.dating import ArticleDating
from arabpress_crawler.pages.listing import FeedPage, ListingPage
from arabpress_crawler.pages.metadata import MetadataLayer, parse_json_ld
from arabpress_crawler.pages.refusals import Refusal
from arabpress_crawler.pages.regions import ArticleRegions
from arabpress_crawler.pages.selectors import profile_for
from arabpress_crawler.pages.site import body_paragraphs
from arabpress_crawler.site import ARAB_PRESS_2025

URL = "https://news.example/2023/05/14/story/"
PARAGRAPH = "This is a sentence of running text that is long enough to count as a paragraph of an article."


def response(html: str, url: str = URL) -> HtmlResponse:
    return HtmlResponse(url, body=html.encode("utf-8"), encoding="utf-8")


def page_with(head: str = "", body: str = "", lang: str = "en") -> str:
    return f'<!DOCTYPE html><html lang="{lang}"><head><meta charset="utf-8">{head}</head><body>{body}</body></html>'


def json_ld(data: object) -> str:
    return f'<script type="application/ld+json">{json.dumps(data, ensure_ascii=False)}</script>'


def metadata(head: str, body: str = "", lang: str = "en") -> MetadataLayer:
    return MetadataLayer(response(page_with(head, body, lang)).selector.root, URL)


# -- metadata layer -------------------------------------------------------------------------------------------


def test_json_ld_graph_with_id_references() -> None:
    graph = {
        "@context": "https://schema.org",
        "@graph": [
            {"@type": "WebPage", "@id": URL},
            {
                "@type": "NewsArticle",
                "headline": "Headline",
                "author": {"@id": "#person"},
                "image": {"@id": "#image"},
                "datePublished": "2023-05-14T10:00:00+03:00",
                "keywords": "one, two ,three",
                "articleSection": ["Gulf", "Business"],
            },
            {"@type": "Person", "@id": "#person", "name": "Layla Haddad"},
            {"@type": "ImageObject", "@id": "#image", "contentUrl": "/img/a.jpg"},
        ],
    }
    layer = metadata(json_ld(graph))
    assert layer.has_article_type()
    assert layer.title() == "Headline"
    assert layer.authors() == ["Layla Haddad"]
    assert layer.image_url() == "https://news.example/img/a.jpg"
    assert layer.published_at() == "2023-05-14T07:00:00Z"
    assert layer.tags() == ["one", "two", "three"]
    assert layer.section() == "Gulf"


@pytest.mark.parametrize(
    "data",
    [
        [{"@type": "BreadcrumbList"}, {"@type": "ReportageNewsArticle", "headline": "Headline"}],
        {"@type": "WebPage", "mainEntity": {"@type": ["Article", "NewsArticle"], "headline": "Headline"}},
        {"@type": "http://schema.org/BlogPosting", "headline": ["Headline", "Other"]},
        {"@type": "schema:OpinionNewsArticle", "name": {"@value": "Headline"}},
    ],
)
def test_json_ld_article_in_any_shape(data: object) -> None:
    layer = metadata(json_ld(data))
    assert layer.has_article_type()
    assert layer.title() == "Headline"


@pytest.mark.parametrize(
    "text",
    [
        '{"@type": "NewsArticle", "headline": "Broken"',
        "not json at all",
        '"a string"',
        "[1, null, true]",
        '{"@graph": "not a list"}',
        '{"@type": 7, "headline": {"no": "name"}}',
        "",
    ],
)
def test_json_ld_that_is_broken_or_oddly_shaped_is_skipped(text: str) -> None:
    layer = metadata(f'<script type="application/ld+json">{text}</script>')
    assert not layer.has_article_type()
    assert layer.title() is None
    assert layer.authors() == []
    assert layer.published_at() is None


def test_json_ld_repairs_comment_wrappers_and_trailing_commas() -> None:
    text = '<!--\n{"@type": "NewsArticle", "headline": "Fixed", "keywords": ["a", "b",],},\n-->'
    assert parse_json_ld(text, URL) == {"@type": "NewsArticle", "headline": "Fixed", "keywords": ["a", "b"]}


def test_opengraph_and_article_meta() -> None:
    head = (
        '<meta property="og:type" content="article">'
        '<meta property="og:title" content="Headline | The Site">'
        '<meta property="og:site_name" content="The Site">'
        '<meta property="og:description" content="A standfirst.">'
        '<meta property="article:published_time" content="2023-05-14T08:00:00Z">'
        '<meta property="article:modified_time" content="2023-05-15">'
        '<meta property="article:tag" content="Oil, Gas">'
        '<meta property="article:tag" content="Energy">'
        '<meta property="article:author" content="https://facebook.com/someone">'
        '<meta name="author" content="Omar Farouk">'
        '<meta property="og:image" content="//cdn.news.example/a.jpg">'
    )
    layer = metadata(head)
    assert layer.has_article_type()
    assert layer.title() == "Headline"
    assert layer.subtitle() == "A standfirst."
    assert layer.published_at() == "2023-05-14T08:00:00Z"
    assert layer.modified_at() == "2023-05-15"
    assert layer.tags() == ["Oil, Gas", "Energy"]
    assert layer.authors() == ["Omar Farouk"]
    assert layer.image_url() == "https://cdn.news.example/a.jpg"


def test_description_cut_off_as_an_excerpt_is_not_a_standfirst() -> None:
    assert metadata('<meta name="description" content="The first words of the body […]">').subtitle() is None


def test_time_element_of_the_article_not_of_the_masthead() -> None:
    body = (
        '<header><time datetime="2025-11-08">Saturday</time></header>'
        '<article><h1>Title</h1><time datetime="2022-12-28T10:00:00+02:00">28 Dec</time></article>'
    )
    assert metadata("", body).published_at() == "2022-12-28T08:00:00Z"


def test_canonical_and_language() -> None:
    head = '<link rel="Canonical" href="/2023/05/14/story/">' + json_ld(
        {"@type": "Article", "inLanguage": "ar"}
    )
    layer = metadata(head, lang="")
    assert layer.url() == "https://news.example/2023/05/14/story/"
    assert layer.language() == "ar", "inLanguage when <html lang> is empty"
    assert metadata("", lang="en-GB").language() == "en"
    assert metadata('<meta property="og:locale" content="ar_AR">', lang="").language() == "ar"


# -- helpers --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("href", "expected"),
    [
        ("/a/b/#comments", "https://news.example/a/b/"),
        ("https://other.example/x?utm_source=y", "https://other.example/x?utm_source=y"),
        ("/الأخبار/سد", "https://news.example/%D8%A7%D9%84%D8%A3%D8%AE%D8%A8%D8%A7%D8%B1/%D8%B3%D8%AF"),
        ("/%d9%85/", "https://news.example/%d9%85/"),
        ("javascript:void(0)", None),
        ("mailto:desk@news.example", None),
        ("#top", None),
        ("   ", None),
        (None, None),
    ],
)
def test_absolute_url(href: str | None, expected: str | None) -> None:
    assert absolute_url(URL, href) == expected


def test_language_helpers() -> None:
    assert primary_language("en-US") == "en"
    assert primary_language("ar_SA") == "ar"
    assert primary_language("x") is None
    assert primary_language(None) is None
    assert guess_language("عرب برس: بالشعب و للشعب") == "ar"
    assert guess_language("Arab Press ٢٠٢٢") == "en"
    assert guess_language("2022 ...") is None


# -- site layer -----------------------------------------------------------------------------------------------


def test_body_paragraphs_skip_boilerplate_and_read_div_soup() -> None:
    html = page_with(
        body='<div class="entry-content"><p>One <b>bold</b><br>line</p>'
        '<div class="read-also"><p>Read also: <a href="/x">X</a></p></div>'
        "<section><div>Two, straight in a div</div></section>"
        '<figure><img src="a.jpg"><figcaption>Caption</figcaption></figure>'
        '<div class="share-buttons"><a href="#">Share</a></div><script>var x = 1;</script>'
        '<ul><li>Three</li><li><p>Four</p></li></ul><div class="ad-slot">Advertisement</div></div>'
    )
    container = response(html).selector.root.xpath("//div[@class='entry-content']")[0]
    assert body_paragraphs(container, ARAB_PRESS_2025.boilerplate) == [
        "One bold line",
        "Two, straight in a div",
        "Three",
        "Four",
    ]


def test_site_profile_applies_only_to_its_template() -> None:
    assert profile_for(
        response(
            page_with(body='<header class="site-header"><div class="header-date">x</div></header>')
        ).selector.root
    )
    assert (
        profile_for(
            response(page_with(body='<article class="post type-post"><p>x</p></article>')).selector.root
        )
        is None
    )


# -- article or not -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "listing"),
    [
        ("https://arab.press/category/gulf/", True),
        ("https://arab.press/category/gulf/page/3/", True),
        ("https://arab.press/tag/%d8%b2/", True),
        ("https://arab.press/author/omar-farouk/", True),
        ("https://arab.press/page/2/", True),
        ("https://arab.press/?s=syria", True),
        ("https://arab.press/2022/12/28/slug/", False),
        ("https://arab.press/2022/12/28/slug/amp/", False),
        ("https://news.example/world/story-123", False),
    ],
)
def test_listing_urls(url: str, listing: bool) -> None:
    assert looks_like_listing_url(url) is listing


def test_generic_article_signals() -> None:
    paragraphs = "".join(f"<p>{PARAGRAPH}</p>" for _ in range(4))
    assert ArticlePage(response(page_with(body=f"<h1>Title</h1>{paragraphs}"))).is_article()
    assert ArticlePage(
        response(page_with(body=f'<div itemprop="articleBody">{PARAGRAPH}</div>'))
    ).is_article()
    teasers = "".join(
        f'<article><h2><a href="/a{i}">Teaser {i}</a></h2><p>{PARAGRAPH}</p></article>' for i in range(5)
    )
    listing = ArticlePage(response(page_with(body=teasers)))
    assert not listing.is_article()
    assert listing.refusal is Refusal.TEASERS
    assert listing.not_article_reason == Refusal.TEASERS.message


def test_weak_hints_never_refuse_an_article() -> None:
    """og:type website, several <article> elements (story and teasers), or little markup: still an article."""
    paragraphs = "".join(f"<p>{PARAGRAPH}</p>" for _ in range(4))
    website = page_with('<meta property="og:type" content="website">', f"<h1>About</h1>{paragraphs}")
    assert ArticlePage(response(website)).is_article()
    story_and_teasers = (
        f"<article><h1>Story</h1>{paragraphs}</article>"
        + "".join(f'<article><h3><a href="/a{i}">Teaser {i}</a></h3></article>' for i in range(6))
    )
    assert ArticlePage(response(page_with(body=story_and_teasers))).is_article()
    bare = "<html><body><p>" + "One line of text, and another. " * 3 + "</p></body></html>"
    assert ArticlePage(response(bare)).is_article()


def test_refusals_need_positive_evidence() -> None:
    """A section page of a grid of teasers with pagination; a JSON-LD collection; a page with no text."""
    grid = "".join(
        f'<div class="card"><h3><a href="/news/{i}">Headline {i}</a></h3><p>{PARAGRAPH}</p></div>' for i in range(3)
    )
    section = page_with(body=f'<h1>World</h1>{grid}<a rel="next" href="?page=2">More</a>')
    assert ArticlePage(response(section)).refusal is Refusal.TEASERS
    collection = page_with(
        '<script type="application/ld+json">{"@type": "CollectionPage", "name": "World"}</script>',
        f"<h1>World</h1>{grid}",
    )
    assert ArticlePage(response(collection)).refusal is Refusal.COLLECTION
    assert ArticlePage(response("<html><body><div></div></body></html>")).refusal is Refusal.NO_TEXT


def test_not_an_article_gives_no_item() -> None:
    page = ArticlePage(
        response(page_with(body="<p>Nothing here</p>"), url="https://arab.press/category/gulf/")
    )
    assert page.to_item() is None
    assert page.not_article_reason


# -- generic layer --------------------------------------------------------------------------------------------


def test_generic_article_with_arabic_date_and_related_list() -> None:
    body = (
        '<div class="top">السبت ٨ نوفمبر ٢٠٢٥</div><h1>عنوان الخبر</h1><div class="d">الأربعاء ٢٨ كانون الأول ٢٠٢٢</div>'
        + "".join(f"<p>{'نص عربي طويل بما يكفي ليكون فقرة من فقرات المقال. ' * 3}</p>" for _ in range(4))
        + '<div><span>اقرأ أيضاً</span><ul><li><a href="/news/a">أ</a></li><li><a href="/news/b">ب</a></li>'
        + '<li><a href="/news">الأخبار</a></li></ul></div>'  # a section link is not a related headline
    )
    item = ArticlePage(
        response(page_with(body=body, lang=""), url="https://news.example/story?id=1")
    ).to_item()
    assert item is not None
    assert item.published_at == "2022-12-28", "the date after the headline, not the masthead's"
    assert item.language == "ar"
    assert item.extraction["language"] == "generic"
    assert [(h.title, h.url, h.position) for h in item.related] == [
        ("أ", "https://news.example/news/a", 1),
        ("ب", "https://news.example/news/b", 2),
    ]


def test_written_date_falls_back_to_before_the_headline() -> None:
    root = response(
        page_with(body="<div>Published 3 May 2021</div><h1>Title</h1><p>No date here.</p>")
    ).selector.root
    dating = ArticleDating(root, "https://news.example/story", ArticleRegions(root))
    assert dating.written_date() == "2021-05-03"


# -- listing pages and feeds ----------------------------------------------------------------------------------


def test_listing_article_urls_and_next_page() -> None:
    body = (
        '<a href="/2023/05/14/one/">One</a><a href="/2023/05/14/one/#comments">One again</a>'
        '<a href="https://arab.press/2023/05/13/two/?utm_source=x">Two</a>'
        '<a href="https://other.example/2023/05/12/three/">Elsewhere</a>'
        '<a href="/category/gulf/">Gulf</a><a href="/2023/05/14/one/amp/">AMP</a>'
        '<a class="next page-numbers" href="/page/2/">Next</a>'
    )
    listing = ListingPage(response(page_with(body=body), url="https://arab.press/"))
    assert listing.article_urls() == [
        "https://arab.press/2023/05/14/one/",
        "https://arab.press/2023/05/13/two/?utm_source=x",
        "https://arab.press/2023/05/14/one/amp/",
    ]
    assert listing.next_page_url() == "https://arab.press/page/2/"
    assert (
        ListingPage(response(page_with(body="<p>end</p>"), url="https://arab.press/page/9/")).next_page_url()
        is None
    )


def test_rss_feed_entries() -> None:
    rss = (
        '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel>'
        "<item><title>عنوان</title><link>https://arab.press/2022/12/28/a/</link>"
        "<pubDate>Wed, 28 Dec 2022 10:30:00 +0300</pubDate></item>"
        "<item><title>No date</title><guid>https://arab.press/2022/12/27/b/</guid></item>"
        "</channel></rss>"
    )
    entries = FeedPage(XmlResponse("https://arab.press/feed/", body=rss.encode())).entries()
    assert [(e.url, e.title, e.published_at) for e in entries] == [
        ("https://arab.press/2022/12/28/a/", "عنوان", "2022-12-28T07:30:00Z"),
        ("https://arab.press/2022/12/27/b/", "No date", None),
    ]


def test_atom_feed_entries() -> None:
    atom = (
        '<feed xmlns="http://www.w3.org/2005/Atom"><entry><title>A</title>'
        '<link rel="alternate" href="https://news.example/a"/><published>2023-05-14T10:00:00Z</published></entry></feed>'
    )
    entries = FeedPage(XmlResponse("https://news.example/atom", body=atom.encode())).entries()
    assert [(e.url, e.published_at) for e in entries] == [("https://news.example/a", "2023-05-14T10:00:00Z")]


def test_feed_that_is_not_xml_has_no_entries() -> None:
    assert FeedPage(TextResponse("https://news.example/feed", body=b"<html>oops")).entries() == []


# -- robustness -----------------------------------------------------------------------------------------------

_FRAGMENTS = st.sampled_from(
    [
        "<p>",
        "</p>",
        "<div>",
        "</div>",
        "<article>",
        "<h1>",
        "</h1>",
        "<time datetime='2022-12-28'>",
        '<script type="application/ld+json">{"@type": "NewsArticle", "headline": [',
        "</script>",
        '<meta property="og:type" content="article">',
        '<a href="/2022/12/28/x/">x</a>',
        '<a href="javascript:1">',
        PARAGRAPH,
        "٢٨ ديسمبر ٢٠٢٢",
        "&amp;",
        "\x00",
        "<br>",
    ]
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_FRAGMENTS, max_size=40))
def test_page_objects_never_raise_on_broken_html(fragments: list[str]) -> None:
    html = "".join(fragments)
    page = ArticlePage(response(html))
    item = page.to_item()
    assert item is None or item.url.startswith("https://")
    page.related_urls()
    listing = ListingPage(response(html))
    listing.article_urls()
    listing.next_page_url()
