"""The packaged demo mirror: the seed page reads like the real one, the traps are there, feeds and sitemaps
are valid, and the content model is the truth of the rendered pages."""

from __future__ import annotations

import json
import re
from email.utils import parsedate_to_datetime
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from lxml import etree, html

from arabpress_mirror.content import (
    BROKEN_LINK_PATH,
    KIND_AMP,
    KIND_EDITED_COPY,
    KIND_REPUBLISHED,
    ORIGIN,
    SEED_TEXT_FILE,
    demo_articles,
    seed_page,
)
from arabpress_mirror.layout import DEMO_SITE_DIR, url_to_file
from arabpress_mirror.render import SITEMAP_MAX_URLS, SiteRenderer

SHARED_SEED = Path(__file__).resolve().parents[2] / "shared" / "seed" / "arabpress-article-page.txt"
INVISIBLE_TAGS = {"script", "style", "noscript", "template", "head", "title", "meta", "link"}
BLOCK_TAGS = {
    "html", "body", "div", "p", "h1", "h2", "h3", "h4", "h5", "h6", "header", "footer", "main", "nav",
    "section", "article", "aside", "figure", "figcaption", "ul", "ol", "li", "form", "table", "tr",
    "blockquote", "pre", "br",
}  # fmt: skip
#: The theme's stylesheet lays these out as a column (display: flex), so each child is a line of its own.
FLEX_COLUMN_CLASSES = {"audio-player"}
ARABIC_INDIC_DIGITS = re.compile("[٠-٩]")
SITEMAP_NS = {"sm": "http://www.sitemaps.org/schemas/sitemap/0.9"}
NEWS_NS = {"sm": SITEMAP_NS["sm"], "news": "http://www.google.com/schemas/sitemap-news/0.9"}


def visible_lines(markup: str) -> list[str]:
    """The text a reader sees, one line per block (scripts, styles and ``hidden`` elements skipped)."""
    root = html.fromstring(markup)
    pieces: list[str] = []

    def inline(text: str | None) -> str:
        return re.sub(r"\s+", " ", text or "")

    def walk(element: etree._Element, block: bool) -> None:
        if (
            not isinstance(element.tag, str)
            or element.tag in INVISIBLE_TAGS
            or element.get("hidden") is not None
        ):
            pieces.append(inline(element.tail))
            return
        if block:
            pieces.append("\n")
        pieces.append(inline(element.text))
        flex = FLEX_COLUMN_CLASSES & set((element.get("class") or "").split())
        for child in element:
            walk(child, block=bool(flex) or child.tag in BLOCK_TAGS)
        if block:
            pieces.append("\n")
        pieces.append(inline(element.tail))

    walk(root, block=True)
    lines = (line.strip() for line in "".join(pieces).split("\n"))
    return [line for line in lines if line]


def read_page(url_or_path: str) -> str:
    return url_to_file(DEMO_SITE_DIR, url_or_path.removeprefix(ORIGIN)).read_text(encoding="utf-8")


def parse_page(url_or_path: str) -> html.HtmlElement:
    return html.fromstring(read_page(url_or_path))


def graph_nodes(root: html.HtmlElement) -> list[dict]:
    scripts = root.xpath('//script[@type="application/ld+json"]/text()')
    return [node for script in scripts for node in json.loads(script).get("@graph", [])]


ARTICLES = demo_articles()
SEED = ARTICLES[0]
POSTS = [article for article in ARTICLES if article.kind != KIND_AMP]


def test_packaged_seed_text_is_the_shared_seed() -> None:
    if not SHARED_SEED.exists():
        pytest.skip("the shared seed file is not beside this checkout")
    assert SEED_TEXT_FILE.read_text(encoding="utf-8") == SHARED_SEED.read_text(encoding="utf-8")


def test_seed_page_visible_text_contains_every_seed_line_in_order() -> None:
    lines = visible_lines(read_page(SEED.path))
    seed_lines = [
        line.strip() for line in SEED_TEXT_FILE.read_text(encoding="utf-8").splitlines() if line.strip()
    ]
    position = 0
    for seed_line in seed_lines:
        assert seed_line in lines[position:], f"seed line missing or out of order: {seed_line!r}"
        position = lines.index(seed_line, position) + 1


def test_seed_article_holds_the_seed_text() -> None:
    seed = seed_page()
    assert SEED.title == "Russia, Turkey, Syria Defence Ministers Meet For Talks After Over 10 Years"
    assert len(SEED.paragraphs) == 14
    assert [title for title, _ in SEED.related] == seed.related_headlines
    assert len(SEED.related) == 50
    assert SEED.published_at.startswith("2022-12-28")
    assert seed.masthead[2] == "Saturday, Nov 08, 2025"


def test_seed_page_masthead_date_differs_from_publication_date() -> None:
    root = parse_page(SEED.path)
    assert root.cssselect("div.header-date")[0].text_content() == "Saturday, Nov 08, 2025"
    published = root.cssselect("time.entry-date.published")[0].get("datetime")
    assert published.startswith("2022-12-28")


@pytest.mark.parametrize("article", ARTICLES, ids=lambda article: article.path[:60])
def test_rendered_article_matches_its_content_model(article) -> None:
    root = parse_page(article.path)
    assert root.cssselect("link[rel=canonical]")[0].get("href") == article.canonical_url
    assert root.cssselect("h1.entry-title")[0].text_content() == article.title
    assert root.cssselect("span.current-title")[0].text_content() == article.title
    assert root.cssselect("p.entry-subtitle")[0].text_content() == article.subtitle
    paragraphs = [p.text_content() for p in root.xpath('//div[@class="entry-content"]/p')]
    assert paragraphs == article.paragraphs
    assert [a.text_content() for a in root.cssselect("a.author-name")] == article.authors
    assert [a.text_content() for a in root.cssselect("span.tags-links a[rel=tag]")] == article.tags
    assert root.cssselect("span.cat-links a")[0].text_content() == article.section
    assert root.cssselect("time.entry-date.published")[0].get("datetime") == article.published_at.replace(
        "Z", "+00:00"
    )
    assert root.cssselect("time.updated")[0].get("datetime") == article.modified_at.replace("Z", "+00:00")
    related = [
        (a.text_content(), a.get("href")) for a in root.cssselect("ul.related-posts li.related-post a")
    ]
    assert related == list(zip([title for title, _ in article.related], article.related_hrefs, strict=True))
    assert root.get("lang") == ("ar" if article.language == "ar" else "en-US")


@pytest.mark.parametrize("article", ARTICLES, ids=lambda article: article.path[:60])
def test_article_metadata_signals(article) -> None:
    root = parse_page(article.path)
    meta = {m.get("property"): m.get("content") for m in root.xpath("//meta[@property]")}
    assert meta["og:type"] == "article"
    assert meta["og:url"] == article.canonical_url
    assert meta["og:image"] == article.image_url
    assert meta["article:published_time"] == article.published_at.replace("Z", "+00:00")
    assert meta["article:modified_time"] == article.modified_at.replace("Z", "+00:00")
    assert meta["article:section"] == article.section
    assert root.xpath("//meta[@property='article:tag']/@content") == article.tags
    news = [node for node in graph_nodes(root) if node["@type"] == "NewsArticle"]
    assert len(news) == 1
    node = news[0]
    assert node["headline"] == article.title
    assert node["datePublished"] == article.published_at.replace("Z", "+00:00")
    assert node["dateModified"] == article.modified_at.replace("Z", "+00:00")
    assert [author["name"] for author in node["author"]] == article.authors
    assert node["articleSection"] == [article.section]
    assert node["keywords"] == article.tags
    assert node["image"]["url"] == article.image_url
    assert node["mainEntityOfPage"]["@id"] == article.canonical_url
    assert node["inLanguage"] == ("ar" if article.language == "ar" else "en-US")


def test_lead_images_are_valid_png_files() -> None:
    for article in ARTICLES:
        data = url_to_file(DEMO_SITE_DIR, urlsplit(article.image_url).path).read_bytes()
        assert data.startswith(b"\x89PNG\r\n\x1a\n"), article.image_url


def test_at_least_eight_arabic_articles_with_arabic_dates() -> None:
    arabic = [article for article in POSTS if article.language == "ar"]
    assert len(arabic) >= 8
    for article in arabic:
        root = parse_page(article.path)
        assert (root.get("lang"), root.get("dir")) == ("ar", "rtl")
        visible_date = root.cssselect("time.entry-date.published")[0].text_content()
        assert ARABIC_INDIC_DIGITS.search(visible_date), visible_date
        assert not re.search(r"[0-9]", visible_date), visible_date
        assert re.search(
            "يناير|فبراير|مارس|أبريل|مايو|يونيو|يوليو|أغسطس|سبتمبر|أكتوبر|نوفمبر|ديسمبر", visible_date
        )


def test_arabic_text_carries_tashkeel_and_tatweel() -> None:
    text = " ".join(" ".join([a.title, *a.paragraphs]) for a in POSTS if a.language == "ar")
    assert re.search("[\u064b-\u0652]", text), "no diacritics (tashkeel) in the Arabic articles"
    assert "\u0640" in text, "no tatweel in the Arabic articles"


def test_every_related_link_resolves_except_the_broken_one() -> None:
    broken = []
    for article in ARTICLES:
        for _, url in article.related:
            if not url_to_file(DEMO_SITE_DIR, urlsplit(url).path).is_file():
                broken.append(urlsplit(url).path)
    assert broken and set(broken) == {BROKEN_LINK_PATH}


def test_tracking_parameters_and_fragments_appear_in_links() -> None:
    hrefs = [href for article in ARTICLES for href in article.related_hrefs]
    assert any("utm_source=" in href for href in hrefs)
    assert any("fbclid=" in href for href in hrefs)
    assert any("#" in href for href in hrefs)
    home_links = parse_page("/").xpath("//main//h2[@class='entry-title']/a/@href")
    assert any("utm_" in href or "fbclid" in href or "#" in href for href in home_links)


def test_copies_amp_republished_and_edited() -> None:
    by_kind = {
        kind: [a for a in ARTICLES if a.kind == kind]
        for kind in (KIND_AMP, KIND_REPUBLISHED, KIND_EDITED_COPY)
    }
    originals = {article.path: article for article in ARTICLES if article.kind == "article"}
    for amp in by_kind[KIND_AMP]:
        assert amp.path.endswith("/amp/") and amp.canonical_url == ORIGIN + amp.original_path
        assert parse_page(amp.path).get("amp") is not None
        original_page = parse_page(amp.original_path)
        assert original_page.cssselect("link[rel=amphtml]")[0].get("href") == amp.url
    republished = by_kind[KIND_REPUBLISHED][0]
    assert republished.paragraphs == originals[republished.original_path].paragraphs
    assert republished.canonical_url == republished.url != ORIGIN + republished.original_path
    edited = by_kind[KIND_EDITED_COPY][0]
    original = originals[edited.original_path]
    changed = [(a, b) for a, b in zip(edited.paragraphs, original.paragraphs, strict=True) if a != b]
    assert len(changed) == 1
    assert len(set(changed[0][0].split()) ^ set(changed[0][1].split())) == 2  # one word swapped


def test_body_traps_are_inside_entry_content() -> None:
    found = {"read-also": 0, "ad-slot": 0, "share-buttons": 0, "script": 0, "figure": 0}
    for article in ARTICLES:
        content = parse_page(article.path).cssselect("div.entry-content")[0]
        found["read-also"] += len(content.cssselect("div.read-also"))
        found["ad-slot"] += len(content.cssselect("div.ad-slot"))
        found["share-buttons"] += len(content.cssselect("div.share-buttons"))
        found["script"] += len(content.cssselect("script"))
        found["figure"] += len(content.cssselect("figure figcaption"))
    assert all(count > 0 for count in found.values()), found


def test_listing_pages_carry_no_article_signals() -> None:
    renderer = SiteRenderer(ARTICLES)
    listings = list(renderer.listings())
    assert {listing.base_path.split("/")[1] for listing in listings} >= {"", "category", "tag", "author"}
    for listing in listings:
        for number in range(1, listing.page_count + 1):
            root = parse_page(listing.page_path(number))
            assert root.xpath("//meta[@property='og:type']/@content") == ["website"], listing.base_path
            assert {node["@type"] for node in graph_nodes(root)} & {"NewsArticle", "Article"} == set()
            assert "CollectionPage" in {node["@type"] for node in graph_nodes(root)}
            assert not root.xpath("//meta[@property='article:published_time']")


def test_section_pagination_links_every_post() -> None:
    renderer = SiteRenderer(ARTICLES)
    technology = next(item for item in renderer.listings() if item.base_path == "/category/technology/")
    assert technology.page_count >= 2
    seen, path = [], "/category/technology/"
    while path:
        root = parse_page(path)
        seen += [urlsplit(href).path for href in root.xpath("//main//h2[@class='entry-title']/a/@href")]
        next_links = root.xpath("//link[@rel='next']/@href")
        path = urlsplit(next_links[0]).path if next_links else None
    assert seen == [urlsplit(post.url).path for post in technology.posts]


def test_feed_is_rss_with_dates() -> None:
    root = etree.parse(str(DEMO_SITE_DIR / "feed" / "index.rss")).getroot()
    assert root.tag == "rss" and root.get("version") == "2.0"
    items = root.findall("channel/item")
    assert len(items) == 10
    newest = sorted(POSTS, key=lambda post: post.published_at, reverse=True)[:10]
    assert [item.findtext("link") for item in items] == [post.url for post in newest]
    for item in items:
        assert parsedate_to_datetime(item.findtext("pubDate")).tzinfo is not None


def test_sitemaps_list_every_post_with_lastmod() -> None:
    index = etree.parse(str(DEMO_SITE_DIR / "sitemap_index.xml")).getroot()
    locs = index.xpath("//sm:sitemap/sm:loc/text()", namespaces=SITEMAP_NS)
    assert f"{ORIGIN}/post-sitemap.xml" in locs and f"{ORIGIN}/news-sitemap.xml" in locs
    posts = etree.parse(str(DEMO_SITE_DIR / "post-sitemap.xml")).getroot()
    entries = {
        url.findtext("sm:loc", namespaces=SITEMAP_NS): url.findtext("sm:lastmod", namespaces=SITEMAP_NS)
        for url in posts.findall("sm:url", namespaces=SITEMAP_NS)
    }
    assert entries == {post.url: post.modified_at.replace("Z", "+00:00") for post in POSTS}
    assert len(entries) <= SITEMAP_MAX_URLS
    news = etree.parse(str(DEMO_SITE_DIR / "news-sitemap.xml")).getroot()
    titles = news.xpath("//news:title/text()", namespaces=NEWS_NS)
    assert titles and set(titles) <= {post.title for post in POSTS}


def test_robots_txt() -> None:
    robots = (DEMO_SITE_DIR / "robots.txt").read_text(encoding="utf-8")
    assert "Disallow: /wp-admin/" in robots.splitlines()
    assert f"Sitemap: {ORIGIN}/sitemap_index.xml" in robots.splitlines()


def test_about_page_says_bodies_are_placeholder_text() -> None:
    text = " ".join(visible_lines(read_page("/about/")))
    assert "placeholder text" in text
    assert "Russia, Turkey and Syria" in text
