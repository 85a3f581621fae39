"""The site module: one definition of the site's URLs, "same site", "listing URL" and its template profiles."""

from __future__ import annotations

from pathlib import Path

import pytest
from scrapy.http import HtmlResponse

from arabpress_crawler import site
from arabpress_crawler.pages import common, listing
from arabpress_crawler.pages.listing import ListingPage
from arabpress_crawler.pages.selectors import profile_for
from arabpress_crawler.pages.snapshot import load_case
from arabpress_crawler.spiders import articles
from arabpress_crawler.urls import is_article_url, is_listing_url, is_same_site

FIXTURES = Path(__file__).parent / "fixtures"
PACKAGE = Path(site.__file__).parent


@pytest.mark.parametrize(
    ("url", "article"),
    [
        ("https://arab.press/2022/12/28/slug/", True),
        ("https://arab.press/2022/12/28/slug/amp/", True),  # the AMP copy is the same article
        ("https://arab.press/2022/12/28/slug/amp/amp/", True),  # canonicalised to the article too
        ("https://arab.press/2022/12/28/", False),
        ("https://arab.press/category/gulf/", False),
    ],
)
def test_the_url_helpers_and_the_listing_pages_agree_on_article_urls(url: str, article: bool) -> None:
    page = ListingPage(HtmlResponse("https://arab.press/", body=b"<html><body></body></html>"))
    assert is_article_url(url) is article
    assert page.is_article_url(url) is (article and not url.endswith("amp/amp/"))  # links as written


def test_an_amp_link_path_is_an_article_link_but_not_a_canonical_article_path() -> None:
    assert site.is_article_link_path("/2022/12/28/slug/amp/")
    assert not site.ARTICLE_PATH.match("/2022/12/28/slug/amp/")
    assert site.ARTICLE_PATH.match("/2022/12/28/slug/")


@pytest.mark.parametrize(
    ("url", "base", "same"),
    [
        ("http://www.arab.press/x", "https://arab.press/", True),
        ("https://m.arab.press/x", "https://arab.press/", True),
        ("https://amp.arab.press/x", "https://www.arab.press/", True),
        ("https://news.arab.press/x", "https://arab.press/", False),  # a subdomain is another site
        ("http://127.0.0.1:8001/x", "http://127.0.0.1:8002/", False),
        ("https://amp.com/x", "https://com/", False),
    ],
)
def test_one_definition_of_same_site(url: str, base: str, same: bool) -> None:
    assert is_same_site(url, base) is same
    assert common.same_site(url, base) is same
    assert not hasattr(listing, "same_site")


@pytest.mark.parametrize(
    ("url", "is_listing"),
    [
        ("https://arab.press/", True),
        ("https://arab.press/feed/", True),
        ("https://arab.press/post-sitemap2.xml", True),
        ("https://arab.press/topics/water/", True),
        ("https://arab.press/?s=", True),
        ("https://news.example/world/page/3", True),
        ("https://arab.press/2022/12/28/slug/", False),
        ("https://arab.press/news.php?id=100405", False),
    ],
)
def test_one_definition_of_a_listing_url(url: str, is_listing: bool) -> None:
    assert is_listing_url(url) is is_listing
    assert common.looks_like_listing_url(url) is is_listing


def test_the_spider_reads_the_site_module() -> None:
    assert articles.POST_SITEMAP is site.POST_SITEMAP
    source = Path(articles.__file__).read_text(encoding="utf-8")
    for literal in ('"/feed/"', '"/robots.txt"', "post-sitemap", "/category/"):
        assert literal not in source.split('"""', 2)[-1], literal


def test_a_later_profile_is_derived_from_the_earlier_one() -> None:
    derived = site.derive(site.ARAB_PRESS_2025, "arab-press-2026", subtitle=site.ARAB_PRESS_2025.title)
    assert derived.name == "arab-press-2026"
    assert derived.body is site.ARAB_PRESS_2025.body
    assert derived.subtitle is site.ARAB_PRESS_2025.title
    assert site.ARAB_PRESS_2025_AMP.body is site.ARAB_PRESS_2025.body
    assert site.profile_named("arab-press-2025") is site.ARAB_PRESS_2025
    with pytest.raises(KeyError, match="arab-press-2025"):
        site.profile_named("nope")


def test_pages_choose_their_profile() -> None:
    _, amp = load_case(FIXTURES / "mirror-seed-amp")
    _, article = load_case(FIXTURES / "mirror-seed-article")
    _, section = load_case(FIXTURES / "mirror-section-page-1")
    _, other = load_case(FIXTURES / "listing-other-site-section")
    assert profile_for(amp.selector.root) is site.ARAB_PRESS_2025_AMP
    assert profile_for(article.selector.root) is site.ARAB_PRESS_2025
    assert ListingPage(section).profile is site.ARAB_PRESS_2025
    assert ListingPage(other).profile is site.DEFAULT_PROFILE  # no profile knows it: the default one


def test_no_module_but_the_site_module_spells_the_site_paths_and_furniture() -> None:
    for path in PACKAGE.rglob("*.py"):
        if path.name == "site.py" or "demo" in path.parts:
            continue
        text = path.read_text(encoding="utf-8")
        assert "بالشعب و للشعب" not in text, path
        assert "post-sitemap" not in text.replace("``post-sitemap", ""), path


def test_the_site_furniture_never_stays_in_a_generic_body() -> None:
    from arabpress_crawler.pages.structure import body_after_headline

    lines = [
        "Jordan Valley farmers switch to drip irrigation",
        "Newsletter",
        "A" * 80,
        "0:00",
        "B" * 80,
        "© 2025",
    ]
    assert body_after_headline(lines, "Jordan Valley farmers switch to drip irrigation") == [
        "A" * 80,
        "B" * 80,
    ]


def test_the_fast_listing_and_same_site_checks_agree_with_the_canonical_url_on_every_saved_link() -> None:
    from urllib.parse import parse_qsl, urlsplit

    from arabpress_crawler.pages.common import absolute_url
    from arabpress_crawler.urls import LISTING_PATH_RE, LISTING_QUERY_KEYS, canonicalize_url

    def listing_by_canonical_url(url: str) -> bool:
        canonical = canonicalize_url(url)
        if canonical is None:
            return False
        parts = urlsplit(canonical)
        query = parse_qsl(parts.query, keep_blank_values=True)
        return bool(LISTING_PATH_RE.search(parts.path)) or any(
            name in LISTING_QUERY_KEYS for name, _ in query
        )

    checked = 0
    for case in sorted(FIXTURES.glob("*/meta.json")):
        meta, response = load_case(case.parent)
        if meta["kind"] == "feed":
            continue
        for href in response.xpath("//a/@href").getall():
            url = absolute_url(meta["url"], href)
            if url:
                assert is_listing_url(url) is listing_by_canonical_url(url), url
                canonical = canonicalize_url(url)
                assert is_same_site(url, meta["url"]) is bool(
                    canonical and is_same_site(canonical, meta["url"])
                )
                checked += 1
    assert checked > 1000
