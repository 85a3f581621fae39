"""Property tests (hypothesis, derandomised) of the cleaners, the URL canonicaliser and the date parser.

What must hold for any input, Arabic, markup and control characters included: nothing raises, cleaning and
normalising twice gives what once gave, canonical URLs are fixed points that stay on the site they came from
and are never ``javascript:``/``data:``, and dates come out as ISO forms that parse to themselves, never in
the future.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from arabpress_crawler.dates import date_from_url, normalize_date
from arabpress_crawler.text import (
    INVISIBLE_CHARACTERS,
    clean_body,
    clean_list,
    clean_text,
    content_hash,
    normalize_for_search,
    remove_invisible,
    words,
)
from arabpress_crawler.urls import canonicalize_url, is_same_site

CATEGORY = "properties"

EXAMPLES = 400
FROZEN_NOW = datetime(2025, 11, 8, 12, 0, tzinfo=UTC)
ISO_FORM = re.compile(r"^\d{4}-\d{2}-\d{2}(?:T\d{2}:\d{2}:\d{2}Z)?$")
SITES = ("https://arab.press", "http://127.0.0.1:8765", "https://www.arab.press")

PROPERTY_SETTINGS = settings(
    derandomize=True,
    database=None,
    deadline=None,
    max_examples=EXAMPLES,
    suppress_health_check=[HealthCheck.too_slow],
)

#: Pieces of text the crawler meets: markup, entities, Arabic with diacritics and tatweel, invisible and
#: bidi characters, odd whitespace, Arabic-Indic digits.
FRAGMENTS = (
    "<p>", "</p>", "<br>", "<br/>", "<script>alert(1)</script>", "<style>p{}</style>", "<!-- c -->", "<b>", "</b>",
    "&amp;", "&lt;", "&gt;", "&lt;b&gt;", "&nbsp;", "&#1575;", "&#x627;", "&bogus;", "&", "<", ">", "a < b",
    "السلام", "عَلَيْكُمْ", "مـــرحبا", "أإآٱ", "٠١٢٣٤٥٦٧٨٩", "۰۱۲۳", "Ünïcödé", "ﷺ", "ﻻ", "ǅ", "ﬁ", "ß",
    "\u200b", "\u200f", "\u202e", "\u2067", "\ufeff", "\u00ad", "\x00", "\x07", "\x1b", "\x7f", "\x85",
    " ", "\t", "\n", "\r\n", "\r", "\n\n", "\u00a0", "\u2003", "\u3000", "Read also: x", "Advertisement",
)  # fmt: skip

texts = st.one_of(
    st.text(max_size=200),
    st.lists(st.one_of(st.sampled_from(FRAGMENTS), st.text(max_size=4)), max_size=25).map("".join),
)


# -- text ----------------------------------------------------------------------------------------------------


@PROPERTY_SETTINGS
@given(texts)
def test_clean_text_is_idempotent_and_tidy(value: str) -> None:
    """``clean_text``: never raises; cleaning twice gives what once gave; no invisible or control characters
    and no edge or repeated whitespace remain."""
    once = clean_text(value)
    if once is None:
        return
    assert clean_text(once) == once
    assert remove_invisible(once) == once
    assert not any(char in INVISIBLE_CHARACTERS for char in once)
    assert once == once.strip() and "  " not in once and "\n" not in once


@PROPERTY_SETTINGS
@given(texts)
def test_clean_body_is_idempotent(value: str) -> None:
    """``clean_body``: never raises; idempotent; paragraphs separated by exactly one blank line."""
    once = clean_body(value)
    if once is None:
        return
    assert clean_body(once) == once
    assert "\n\n\n" not in once and once == once.strip()


@PROPERTY_SETTINGS
@given(st.lists(texts, max_size=6))
def test_clean_list_is_idempotent(values: list[str]) -> None:
    """``clean_list`` (authors, tags): never raises; idempotent; no empty entries."""
    once = clean_list(values)
    assert clean_list(once) == once
    assert all(once)


@PROPERTY_SETTINGS
@given(texts)
def test_normalize_for_search_is_idempotent(value: str) -> None:
    """``normalize_for_search``: never raises; idempotent; the hash of a normalised text is the text's hash."""
    once = normalize_for_search(value)
    assert normalize_for_search(once) == once
    assert words(once) == words(value)
    assert content_hash(once, once) == content_hash(value, value)


# -- URLs ----------------------------------------------------------------------------------------------------

url_text = st.text(
    alphabet=st.one_of(st.characters(), st.sampled_from("/?#&=%:;@.-_~+ ")), max_size=40
)
paths = st.lists(url_text.map(lambda s: s.replace("/", "")), max_size=5).map(lambda parts: "/" + "/".join(parts))
queries = st.one_of(
    st.just(""),
    st.lists(st.tuples(st.sampled_from(["utm_source", "fbclid", "amp", "id", "p", "q", "gclid"]), url_text),
             max_size=3).map(lambda pairs: "?" + "&".join(f"{k}={v}" for k, v in pairs)),  # fmt: skip
)
fragments = st.one_of(st.just(""), url_text.map(lambda s: "#" + s))
variants = st.sampled_from(["", "amp/", "print/"])


@st.composite
def site_urls(draw: st.DrawFn) -> tuple[str, str]:
    """(a URL on one of :data:`SITES`, that site)."""
    site = draw(st.sampled_from(SITES))
    parts = urlsplit(site)
    host = draw(st.sampled_from([parts.netloc, parts.netloc.upper(), parts.netloc + "."]))
    scheme = draw(st.sampled_from([parts.scheme, parts.scheme.upper()]))
    url = f"{scheme}://{host}{draw(paths)}{draw(variants)}{draw(queries)}{draw(fragments)}"
    return url, site


@PROPERTY_SETTINGS
@given(st.one_of(st.text(max_size=120), url_text))
def test_canonicalize_url_never_raises(value: str) -> None:
    """``canonicalize_url`` on arbitrary Unicode: ``None`` or an http(s) URL that is its own canonical form."""
    canonical = canonicalize_url(value)
    if canonical is None:
        return
    assert urlsplit(canonical).scheme in ("http", "https")
    assert canonicalize_url(canonical) == canonical


@PROPERTY_SETTINGS
@given(site_urls())
def test_canonical_url_is_a_fixed_point_on_the_same_site(case: tuple[str, str]) -> None:
    """A URL of the site canonicalises to a URL of the same site, which canonicalises to itself."""
    url, site = case
    canonical = canonicalize_url(url)
    if canonical is None:
        return
    assert canonicalize_url(canonical) == canonical
    assert is_same_site(canonical, site), f"{url!r} became {canonical!r}, off {site}"
    assert "#" not in canonical and "utm_source=" not in canonical


@PROPERTY_SETTINGS
@given(st.sampled_from(SITES), paths, queries, fragments)
def test_relative_links_stay_on_the_site(site: str, path: str, query: str, fragment: str) -> None:
    """A relative link (``/path``, ``path``) resolved against a page of the site stays on that site."""
    href = (path + query + fragment).lstrip("/")
    for link in (href, "/" + href):
        if link.startswith("//"):
            continue
        canonical = canonicalize_url(link, base=site + "/2025/01/01/page/")
        assert canonical is None or is_same_site(canonical, site), f"{link!r} left {site}: {canonical!r}"


@PROPERTY_SETTINGS
@given(st.sampled_from(["javascript", "JavaScript", " javascript", "data", "DATA", "vbscript", "mailto", "file"]),
       url_text)  # fmt: skip
def test_script_and_data_urls_are_never_canonical(scheme: str, rest: str) -> None:
    """``javascript:``, ``data:``, ``vbscript:``, ``mailto:``, ``file:`` links have no canonical URL."""
    assert canonicalize_url(f"{scheme}:{rest}") is None
    assert canonicalize_url(f"{scheme}:{rest}", base=SITES[0] + "/") is None


# -- dates ---------------------------------------------------------------------------------------------------

ARABIC_DIGITS = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")
date_words = st.sampled_from(
    ["28", "2022", "12", "Dec", "December", "ديسمبر", "كانون الأول", "10:30", "PM", "م", "ص", "GMT+3", "+03:00",
     "Z", "T", "/", "-", ".", ",", " ", "31", "02", "30", "2099", "1066", "00", "24:00", "13", "0", "th", "of"]
)  # fmt: skip
date_like = st.lists(date_words, max_size=10).map("".join)


@PROPERTY_SETTINGS
@given(st.one_of(st.text(max_size=80), date_like))
def test_normalize_date_gives_credible_iso_fixed_points(value: str) -> None:
    """``normalize_date``: never raises; ``None`` or an ISO form that normalises to itself, never later
    than now + 1 day, never before 1900; Arabic-Indic digits read as ASCII ones."""
    result = normalize_date(value, now=FROZEN_NOW)
    assert normalize_date(value.translate(ARABIC_DIGITS), now=FROZEN_NOW) == result
    if result is None:
        return
    assert ISO_FORM.match(result), result
    assert normalize_date(result, now=FROZEN_NOW) == result
    moment = datetime.fromisoformat(result.replace("Z", "+00:00"))
    moment = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    assert moment <= FROZEN_NOW + timedelta(days=1)
    assert moment.year >= 1900


@PROPERTY_SETTINGS
@given(st.one_of(st.text(max_size=80), paths, site_urls().map(lambda case: case[0])))
def test_date_from_url_never_raises(value: str) -> None:
    """``date_from_url``: never raises; ``None`` or a credible day that normalises to itself."""
    day = date_from_url(value, now=FROZEN_NOW)
    if day is not None:
        assert normalize_date(day, now=FROZEN_NOW) == day
