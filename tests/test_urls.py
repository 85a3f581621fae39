"""URL canonicalisation and site helpers."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from arabpress_crawler.urls import canonicalize_url, is_article_url, is_listing_url, is_same_site

BASE = "https://arab.press/"
ARTICLE = "https://arab.press/2025/11/08/russia-turkey-syria-talks/"


@pytest.mark.parametrize(
    "url",
    [
        ARTICLE,
        "HTTPS://Arab.Press/2025/11/08/russia-turkey-syria-talks/",
        "https://arab.press:443/2025/11/08/russia-turkey-syria-talks/",
        "https://arab.press/2025/11/08/russia-turkey-syria-talks",
        "https://arab.press/2025/11/08/russia-turkey-syria-talks/#comments",
        "https://arab.press/2025/11/08/russia-turkey-syria-talks/?utm_source=fb&utm_medium=social",
        "https://arab.press/2025/11/08/russia-turkey-syria-talks/?fbclid=abc&gclid=x&mc_cid=1&mc_eid=2",
        "https://arab.press/2025/11/08/russia-turkey-syria-talks/?_ga=1.2&igshid=q&ref=home",
        "https://arab.press/2025/11/08/russia-turkey-syria-talks/amp/",
        "https://arab.press/2025/11/08/russia-turkey-syria-talks/amp",
        "https://arab.press/2025/11/08/russia-turkey-syria-talks/?amp=1",
        "https://amp.arab.press/2025/11/08/russia-turkey-syria-talks/",
        "https://arab.press/2025/11/08/russia-turkey-syria-talks/print/",
        "https://arab.press/2025/11/08/russia-turkey-syria-talks/?print=1",
        "/2025/11/08/russia-turkey-syria-talks/?utm_campaign=x",
        "  https://arab.press/2025/11/08/russia-turkey-syria-talks/  ",
    ],
)
def test_variants_resolve_to_the_canonical_url(url: str) -> None:
    assert canonicalize_url(url, base=BASE) == ARTICLE


def test_meaningful_query_parameters_stay_sorted() -> None:
    assert (
        canonicalize_url("https://arab.press/?s=syria&p=12&utm_source=x")
        == "https://arab.press/?p=12&s=syria"
    )


def test_arabic_slugs_are_percent_encoded_once_in_upper_case() -> None:
    raw = canonicalize_url("https://arab.press/2025/01/02/سلام/")
    encoded_lower = canonicalize_url("https://arab.press/2025/01/02/%d8%b3%d9%84%d8%a7%d9%85/")
    assert raw == encoded_lower == "https://arab.press/2025/01/02/%D8%B3%D9%84%D8%A7%D9%85/"


def test_files_keep_their_bare_form() -> None:
    assert canonicalize_url("https://arab.press/post-sitemap.xml") == "https://arab.press/post-sitemap.xml"
    assert canonicalize_url("https://arab.press/wp-content/uploads/2025/11/a.jpg") == (
        "https://arab.press/wp-content/uploads/2025/11/a.jpg"
    )


def test_non_default_ports_stay() -> None:
    assert canonicalize_url("http://127.0.0.1:8123/2025/01/02/x") == "http://127.0.0.1:8123/2025/01/02/x/"
    assert canonicalize_url("http://127.0.0.1:80/a/") == "http://127.0.0.1/a/"


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(1)",
        "data:text/html,hi",
        "mailto:editor@arab.press",
        "tel:+961",
        "ftp://arab.press/x",
        "",
        None,
    ],
)
def test_non_web_urls_are_rejected(url: str | None) -> None:
    assert canonicalize_url(url, base=BASE) is None


def test_malformed_urls_give_none() -> None:
    assert canonicalize_url("http://arab.press:99999999/") is None
    assert canonicalize_url("http://[::1/") is None


def test_same_site_ignores_scheme_www_amp_and_default_ports() -> None:
    assert is_same_site("http://www.arab.press/x", "https://arab.press/")
    assert is_same_site("https://amp.arab.press/x", "https://arab.press:443/")
    assert not is_same_site("https://arab.press.evil.com/", "https://arab.press/")
    assert not is_same_site("http://127.0.0.1:8001/", "http://127.0.0.1:8002/")
    assert not is_same_site("javascript:void(0)", BASE)


def test_listing_and_article_urls() -> None:
    assert is_article_url(ARTICLE)
    assert not is_listing_url(ARTICLE)
    for url in [
        BASE,
        "https://arab.press/category/politics/page/2/",
        "https://arab.press/tag/syria/",
        "https://arab.press/author/ali/",
        "https://arab.press/feed/",
        "https://arab.press/post-sitemap.xml",
    ]:
        assert is_listing_url(url), url
        assert not is_article_url(url), url


# Tabs and newlines are excluded: like browsers, urlsplit drops them, so "/\n/host" links to //host.
PATH_SEGMENT = st.text(
    alphabet=st.characters(blacklist_categories=["Cs"], blacklist_characters="/?#\\\t\n\r"), max_size=12
)
any_url_text = st.text(max_size=60) | st.builds(
    lambda scheme, host, segments, query, fragment: (
        f"{scheme}://{host}/{'/'.join(segments)}?{query}#{fragment}"
    ),
    st.sampled_from(["http", "https", "HTTP", "javascript", "ftp"]),
    st.sampled_from(
        ["arab.press", "ARAB.press:443", "amp.arab.press", "127.0.0.1:8080", "www.arab.press", "[::1]"]
    ),
    st.lists(PATH_SEGMENT | st.sampled_from(["amp", "print", "..", "."]), max_size=4),
    st.text(max_size=20),
    st.text(max_size=5),
)


@settings(max_examples=400, deadline=None)
@given(any_url_text)
def test_canonicalize_is_idempotent_and_never_raises(text: str) -> None:
    once = canonicalize_url(text, base=BASE)
    if once is not None:
        assert canonicalize_url(once) == once
        assert urlsplit(once).scheme in {"http", "https"}
        assert "#" not in once


@settings(max_examples=300, deadline=None)
@given(st.lists(PATH_SEGMENT, max_size=4), st.text(max_size=20))
def test_relative_links_stay_on_the_site(segments: list[str], query: str) -> None:
    relative = "/" + "/".join(segments) + ("?" + query if query else "")
    assume(not relative.startswith("//"))  # "//host/…" is a network-path reference to another site
    canonical = canonicalize_url(relative, base=BASE)
    assert canonical is not None
    assert is_same_site(canonical, BASE)
