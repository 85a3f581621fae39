"""Fast paths of the page objects give exactly what their reference (slow) paths give.

* :func:`~arabpress_crawler.pages.common.plain_absolute_url`, the shortcut of ``absolute_url`` for links that
  are already plain absolute ``http(s)`` URLs, against ``absolute_url_reference`` (``urljoin`` + w3lib):
  property tests over generated links, and every link of the golden fixtures and of the demo mirror;
* ``collapse_whitespace`` (``str.split``) against the regular expression it replaced;
* ``element_text`` of an element without children against the full walk of its text;
* the canonical links read without XPath, the meta tags read without XPath, and ``og:type`` read without building every meta value, against the
  XPath selection they replaced, on every saved page;
* the site profile's marker (a boolean XPath) and its selector groups without the selectors another one of the
  group contains, against the full unions, on every saved page;
* unions of tag/class selectors walked in Python (``SimpleUnion``) and the body's text blocks
  (``paragraph_blocks``) against their XPath, on every saved page.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree, html

from arabpress_crawler.pages.common import (
    _iter_text,
    absolute_url,
    absolute_url_reference,
    collapse_whitespace,
    element_text,
    plain_absolute_url,
)
from arabpress_crawler.pages.metadata import MetadataLayer, canonical_hrefs
from arabpress_crawler.pages.selectors import (
    PARAGRAPHS,
    SimpleUnion,
    css_matches,
    css_union,
    paragraph_blocks,
)
from arabpress_crawler.site import ARAB_PRESS_2025
from arabpress_mirror.layout import DEMO_SITE_DIR

FIXTURES = Path(__file__).parent / "fixtures"
#: Page URLs links are resolved against: both schemes, a port, a query, a non-ASCII path.
BASES = (
    "https://arab.press/2022/12/28/slug/",
    "http://arab.press/2022/12/28/slug/",
    "http://127.0.0.1:8765/2022/12/28/slug/?amp=1",
    "https://www.example.com/%D8%A7/page.php?id=3",
    "http://www.alwatan-news.example/news.php?id=48213",
)
#: Many examples: each is cheap, and a rare character class is what such a test must reach.
EXAMPLES = 2000

# -- generated links ------------------------------------------------------------------------------------

#: Characters a link may hold, plain or not: every ASCII class w3lib or urljoin treats specially, spaces,
#: tabs, a backslash, brackets, non-ASCII letters and a lone surrogate.
TRICKY_CHARS = "aZ09-._~!$&'()*+,;=:@/?#%[]|\\\"<>^`{} \t\n\u00a0é\u0627\ud800"
PLAIN_PATH_CHARS = "abcXYZ019-._~!$&'()*+,=:@/%"
PLAIN_QUERY_CHARS = "abcXYZ019-._~!$&()*+,;=:@/?%"
PLAIN_FRAGMENT_CHARS = "".join(chr(code) for code in range(0x21, 0x7F))

SCHEMES = st.sampled_from(["http", "https", "HTTP", "Https", "ftp", "file", "javascript", "mailto", ""])
LABEL = st.text(alphabet="abz09-_AZ", min_size=0, max_size=8) | st.sampled_from(
    ["xn--mgbh0fb", "xn--a", "ab--cd", "www", "arab", "press", "127", "0x7f", "-a", "a-"]
)
HOSTS = st.lists(LABEL, min_size=1, max_size=4).map(".".join) | st.sampled_from(
    ["arab.press", "127.0.0.1", "[::1]", "user@arab.press", "arab.press.", "", "ARAB.PRESS", "عرب.com"]
)
PORTS = (
    st.none()
    | st.integers(min_value=0, max_value=70_000).map(str)
    | st.sampled_from(["", "0080", "443", "80", "65535", "65536", "x"])
)
TRICKY_TEXT = st.text(alphabet=TRICKY_CHARS, max_size=12)
PATH_SEGMENTS = st.lists(
    TRICKY_TEXT | st.sampled_from([".", "..", "%2e", "%2E%2e", "a;", ";b", "%zz", "%", "%d8%a7"]), max_size=5
).map("/".join)


@st.composite
def links(draw: st.DrawFn) -> str:
    """A link that may or may not be a plain absolute URL: every part drawn from tricky alternatives."""
    scheme = draw(SCHEMES)
    host = draw(HOSTS)
    port = draw(PORTS)
    authority = f"{host}:{port}" if port is not None else host
    path = draw(st.sampled_from(["", "/", "//"])) + draw(PATH_SEGMENTS)
    query = draw(st.none() | TRICKY_TEXT)
    fragment = draw(st.none() | TRICKY_TEXT)
    link = f"{scheme}://{authority}{path}" if scheme else draw(st.sampled_from(["//", "/", ""])) + path
    if query is not None:
        link += f"?{query}"
    if fragment is not None:
        link += f"#{fragment}"
    return draw(st.sampled_from(["", " ", "\t"])) + link + draw(st.sampled_from(["", " ", "\n"]))


ALPHANUMERIC = "abcxyz0189"
#: A host label w3lib leaves as it is: lower-case letters, digits and inner hyphens (no IDNA ``xn--``).
PLAIN_LABEL = st.builds(
    "{}{}{}".format,
    st.sampled_from(ALPHANUMERIC),
    st.text(alphabet=ALPHANUMERIC + "-", max_size=6),
    st.sampled_from(ALPHANUMERIC),
).filter(lambda label: not label.startswith("xn--")) | st.sampled_from(ALPHANUMERIC)


@st.composite
def plain_links(draw: st.DrawFn) -> str:
    """A link of the form the fast path takes: lower-case host, optional port, path, query and fragment."""
    host = ".".join(draw(st.lists(PLAIN_LABEL, min_size=1, max_size=4)))
    port = draw(st.none() | st.integers(min_value=1, max_value=65_535))
    link = f"{draw(st.sampled_from(['http', 'https']))}://{host}" + (f":{port}" if port else "")
    link += "/" + draw(st.text(alphabet=PLAIN_PATH_CHARS, max_size=40))
    query = draw(st.none() | st.text(alphabet=PLAIN_QUERY_CHARS, min_size=1, max_size=20))
    fragment = draw(st.none() | st.text(alphabet=PLAIN_FRAGMENT_CHARS, max_size=10))
    return link + (f"?{query}" if query else "") + (f"#{fragment}" if fragment is not None else "")


@st.composite
def near_plain_links(draw: st.DrawFn) -> str:
    """A plain link with one character inserted, replaced or upper-cased: the links just outside the fast path."""
    link = draw(plain_links())
    index = draw(st.integers(min_value=0, max_value=len(link) - 1))
    change = draw(st.sampled_from(["insert", "replace", "upper"]))
    if change == "upper":
        return link[:index] + link[index].upper() + link[index + 1 :]
    extra = draw(st.sampled_from(TRICKY_CHARS + "ABZ0-."))
    return link[:index] + extra + link[index + (change == "replace") :]


@settings(max_examples=EXAMPLES, deadline=None)
@given(link=links() | plain_links() | near_plain_links(), base=st.sampled_from(BASES))
def test_absolute_url_equals_the_reference_on_any_link(link: str, base: str) -> None:
    assert absolute_url(base, link) == absolute_url_reference(base, link)


@settings(max_examples=EXAMPLES, deadline=None)
@given(link=plain_links(), base=st.sampled_from(BASES))
def test_plain_links_take_the_fast_path_and_equal_the_reference(link: str, base: str) -> None:
    fast = plain_absolute_url(link)
    assert fast is not None, f"{link!r} should take the fast path"
    assert fast == absolute_url_reference(base, link)
    assert "#" not in fast


def test_fast_path_leaves_out_links_it_cannot_copy() -> None:
    """Links the reference changes (or refuses) are not taken by the fast path."""
    for link in (
        "https://ARAB.press/a/",  # the host is lower-cased
        "https://Arab.press/a/",
        "https://arab.press:0443/a",  # the port loses its leading zero
        "https://arab.press:99999/a",  # no such port: no URL at all
        "https://arab.press/a;",  # urljoin drops an empty path parameter
        "https://arab.press/a?",  # an empty query is dropped
        "https://arab.press?x=1",  # w3lib adds the path "/"
        "https://arab.press/a?b='1",  # w3lib escapes a quote in the query
        "https://arab.press/é/",  # non-ASCII is percent-encoded
        " https://arab.press/a/",  # whitespace is stripped
        "https://xn--mgbh0fb.com/a",  # IDNA labels go through w3lib's host encoding
        "/2022/12/28/slug/",  # relative
    ):
        assert plain_absolute_url(link) is None, link


# -- every link of the saved pages --------------------------------------------------------------------


def saved_pages() -> list[Path]:
    """Every golden fixture page and every page of the demo mirror."""
    return sorted(FIXTURES.glob("*/page.html")) + sorted(DEMO_SITE_DIR.rglob("*.html"))


def test_every_link_of_the_saved_pages_resolves_as_the_reference() -> None:
    links = set()
    for path in saved_pages():
        root = html.fromstring(path.read_bytes())
        links.update(str(value) for value in root.xpath("//@href | //@src | //@content"))
    taken = [link for link in links if plain_absolute_url(link) is not None]
    assert len(taken) > len(links) // 4, "most absolute links of the pages should take the fast path"
    mismatches = [
        (base, link)
        for link in sorted(links)
        for base in BASES
        if absolute_url(base, link) != absolute_url_reference(base, link)
    ]
    assert not mismatches


# -- text ------------------------------------------------------------------------------------------------

#: Every character Python counts as whitespace, and a few that it does not (zero-width space, BOM).
WHITESPACE = "".join(chr(code) for code in range(sys.maxunicode + 1) if chr(code).isspace()) + "\u200b\ufeff"


@settings(max_examples=EXAMPLES, deadline=None)
@given(value=st.text(alphabet=st.sampled_from(WHITESPACE) | st.characters(), max_size=40) | st.none())
def test_collapse_whitespace_equals_the_regular_expression(value: str | None) -> None:
    expected = re.sub(r"\s+", " ", value).strip() if value else ""
    assert collapse_whitespace(value) == expected


LEAF_TAGS = st.sampled_from(["a", "p", "h1", "span", "li", "time", "script", "button"])
LEAF_TEXT = st.text(alphabet=st.sampled_from(" \t\n\u00a0aZé\u0627&<"), max_size=20)


@settings(max_examples=EXAMPLES // 4, deadline=None)
@given(tag=LEAF_TAGS, text=LEAF_TEXT, tail=LEAF_TEXT)
def test_text_of_an_element_without_children_equals_the_full_walk(tag: str, text: str, tail: str) -> None:
    element = html.fromstring(f"<div><{tag}></{tag}></div>").find(tag)
    element.text, element.tail = text or None, tail or None
    assert element_text(element) == collapse_whitespace("".join(_iter_text(element, frozenset())))


# -- meta tags -------------------------------------------------------------------------------------------

#: The XPath the meta tags were selected with before they were read with ``iter("meta")``.
META_TAGS = "//meta[@content][@property or @name or @itemprop]"


def meta_by_xpath(root: html.HtmlElement) -> dict[str, list[str]]:
    values: dict[str, list[str]] = {}
    for element in root.xpath(META_TAGS):
        key = (
            (element.get("property") or element.get("name") or element.get("itemprop") or "").strip().lower()
        )
        content = collapse_whitespace(element.get("content"))
        if key and content:
            values.setdefault(key, []).append(content)
    return values


def test_meta_tags_and_og_type_equal_the_xpath_selection_on_every_saved_page() -> None:
    for path in saved_pages():
        root = html.fromstring(path.read_bytes())
        expected = meta_by_xpath(root)
        layer = MetadataLayer(root, "https://arab.press/")
        assert layer.meta == expected, path
        og_type = expected.get("og:type", [None])[0]
        assert layer.og_type() == (og_type.lower() if og_type else None), path


def test_meta_tags_without_content_or_key_are_left_out() -> None:
    root = html.fromstring(
        "<html><head><meta name='a' content=''><meta content='x'><meta property='' name=' OG:Type ' "
        "content=' Article '><meta itemprop='b' content=' \n '><meta property='og:type' content='website'>"
        "</head><body></body></html>"
    )
    layer = MetadataLayer(root, "https://arab.press/")
    assert layer.meta == meta_by_xpath(root) == {"og:type": ["Article", "website"]}
    assert layer.og_type() == "article"


# -- site profile ----------------------------------------------------------------------------------------

#: The profile's groups as first written; each left-out selector is contained in another of its group.
FULL_GROUPS = {
    "marker": css_union("header.site-header div.header-date", "body div.page-title-bar span.current-title"),
    "title": css_union("header.entry-header h1.entry-title", "h1.entry-title", "span.current-title"),
    "tags": css_union("footer.entry-footer span.tags-links a[rel=tag]", "span.tags-links a"),
    "boilerplate": css_union(
        *("div.read-also", ".read-also", "div.ad-slot", ".ad-slot", "div.share-buttons", ".share-buttons"),
        *(".newsletter-box", ".audio-player", ".related-articles", ".related-posts", "figure", "figcaption"),
        *("script", "style", "noscript", "template", "iframe", "aside", "form"),
    ),
}


def test_profile_selectors_equal_the_full_unions_on_every_element_of_the_saved_pages() -> None:
    checked = 0
    for path in saved_pages():
        root = html.fromstring(path.read_bytes())
        assert ARAB_PRESS_2025.marker(root) is bool(FULL_GROUPS["marker"](root)), path
        for element in root.iter("article", "div", "body"):
            for name in ("title", "tags", "boilerplate"):
                assert getattr(ARAB_PRESS_2025, name)(element) == FULL_GROUPS[name](element), (path, name)
                checked += 1
    assert checked > 1000


def test_css_matches_says_whether_any_selector_matches() -> None:
    root = html.fromstring("<html><body><div class='a'><p class='b'>x</p></div></body></html>")
    assert css_matches("div.a p.b", "span.c")(root) is True
    assert css_matches("span.c", "div.a p.b")(root) is True
    assert css_matches("span.c", "div.b")(root) is False


# -- unions of tag/class selectors walked in Python ------------------------------------------------------

SIMPLE_GROUPS = (
    ("h1.entry-title", "span.current-title"),
    ("*.a", "p.a.b", "span", ".c"),
    ("figure", ".read-also", "i.a"),
)


def test_simple_unions_walk_the_elements_and_equal_their_xpath() -> None:
    root = html.fromstring(
        "<div class='c'><p class='a\tb'>x</p><!-- a comment --><p class='a\xa0b'>y</p><span>z</span>"
        "<i class='A a'></i><figure class=' read-also '><i class='b\na'></i></figure><b class='ab'></b></div>"
    )
    for group in SIMPLE_GROUPS:
        union = css_union(*group)
        assert isinstance(union, SimpleUnion), group
        for element in root.iter(etree.Element):
            assert union(element) == etree.XPath(union.path)(element), (group, element.tag)
    assert [e.tag for e in css_union("*.a", "p.a.b", "span", ".c")(root)] == ["div", "p", "span", "i", "i"]
    assert not isinstance(css_union("*", "p"), SimpleUnion)  # every element: left to libxml2
    assert not isinstance(css_union("div p", "span"), SimpleUnion)  # a combinator


def test_profile_simple_unions_equal_their_xpath_on_every_element_of_the_saved_pages() -> None:
    unions = {name: getattr(ARAB_PRESS_2025, name) for name in ("title", "boilerplate")}
    assert all(isinstance(union, SimpleUnion) for union in unions.values())
    checked = 0
    for path in saved_pages():
        root = html.fromstring(path.read_bytes())
        for element in root.iter("html", "article", "div", "body", "main"):
            for name, union in unions.items():
                assert union(element) == etree.XPath(union.path)(element), (path, name)
                checked += 1
    assert checked > 1000


def test_paragraph_blocks_equal_their_xpath() -> None:
    root = html.fromstring(
        "<div><div>own text<p>a</p></div><div> \n <!-- c --> tail of a comment</div><div>\xa0</div>"
        "<div> \t </div><section><span>in a span</span></section><li><p>p in li</p></li><li>li</li>"
        "<article><main>deep <b>x</b></main></article><blockquote><div><h2>h</h2></div></blockquote></div>"
    )
    for element in root.iter(etree.Element):
        assert paragraph_blocks(element) == PARAGRAPHS(element), element.tag
    texts = [" ".join(block.text_content().split()) for block in paragraph_blocks(root)]
    # "\xa0" is text to XPath's normalize-space(); a <section> holding only a <span> has none of its own
    assert texts == ["a", "tail of a comment", "", "p in li", "li", "deep x", "h"]


def test_paragraph_blocks_equal_their_xpath_on_every_element_of_the_saved_pages() -> None:
    checked = 0
    for path in saved_pages():
        root = html.fromstring(path.read_bytes())
        for element in root.iter("html", "article", "div", "body", "main", "section"):
            assert paragraph_blocks(element) == PARAGRAPHS(element), path
            checked += 1
    assert checked > 1000


_UPPER = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
#: The XPath ``MetadataLayer.url`` read the canonical links with, before ``canonical_hrefs``.
CANONICAL_XPATH = etree.XPath(
    f"//link[@href][contains(concat(' ', normalize-space(translate(@rel, '{_UPPER}', '{_UPPER.lower()}')),"
    " ' '), ' canonical ')]/@href"
)


def test_canonical_links_equal_the_xpath_selection() -> None:
    root = html.fromstring(
        "<html><head><link rel='stylesheet' href='s'><link rel='Canonical' href='a'><link rel='canonical'>"
        "<link rel='x\tCANONICAL\n' href=''><link rel='canonical-ish' href='b'><link rel='\xa0canonical' href='c'>"
        "</head><body><link rel='alternate canonical' href='d'></body></html>"
    )
    assert list(canonical_hrefs(root)) == [str(href) for href in CANONICAL_XPATH(root)] == ["a", "", "d"]
    checked = 0
    for path in saved_pages():
        root = html.fromstring(path.read_bytes())
        assert list(canonical_hrefs(root)) == [str(href) for href in CANONICAL_XPATH(root)], path
        checked += 1
    assert checked > 20
