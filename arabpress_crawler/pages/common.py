"""Small pure helpers shared by the extraction layers: element text, whitespace, absolute URLs, language.

Text is kept faithful to the page: whitespace is collapsed, nothing else changes (no digit conversion, no
transliteration, no removal of characters). Deeper cleaning belongs to the clean pipeline.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from typing import Any
from urllib.parse import unquote, urljoin, urlsplit, urlunsplit

import lxml.html
from lxml import etree
from parsel import Selector
from parsel.selector import create_root_node
from scrapy.http import HtmlResponse, TextResponse, XmlResponse
from scrapy.utils.response import get_base_url
from w3lib.url import safe_url_string

from arabpress_crawler.arabic import ARABIC_LETTER
from arabpress_crawler.pages.selectors import NON_TEXT_TAGS
from arabpress_crawler.text import collapse_whitespace
from arabpress_crawler.urls import is_listing_url, is_same_site


def parsed_root(response: TextResponse) -> etree._Element:
    """The parsed document of ``response``, as ``response.selector.root`` would give it, but not cached on it.

    Scrapy caches ``response.selector`` on the response, and the selector keeps the response: a reference
    cycle, so the page's whole lxml tree outlives its processing until Python's cyclic garbage collector
    gets to it. Over a crawl those trees pile up in the oldest generation, whose full collections then
    dominate the crawl's time (measured: ~19% of the crawler's CPU at 10,000 pages) and its memory. A
    selector of our own (same document, type and base URL) holds no response: the tree goes as soon as the
    page object does.
    """
    if isinstance(response, XmlResponse):
        kind: str | None = "xml"
    elif isinstance(response, HtmlResponse):
        kind = "html"
    else:
        kind = None
    if kind is None or not response.body:  # as Scrapy does: parsel decides from the text
        return Selector(text=response.text, type=kind, base_url=get_base_url(response)).root
    # From the bytes in the response's encoding, as parsel reads them (it decodes itself what lxml cannot):
    # no decoded copy of a large page (``response.text``, up to 4 bytes a character) held beside its tree.
    base_url = get_base_url(response)
    if kind == "html":  # parsel's own reading of the bytes (``Selector(body=…, type="html")``), our parser
        return create_root_node(
            "", parser_cls=HtmlParser, base_url=base_url, body=response.body, encoding=response.encoding
        )
    return Selector(body=response.body, encoding=response.encoding, type=kind, base_url=base_url).root


class HtmlParser(etree.HTMLParser):
    """``lxml.html.HTMLParser`` with its element classes chosen in C rather than by a Python callback.

    lxml calls the class lookup of ``lxml.html`` (Python) each time it hands out an element it has not handed
    out yet: ~70 times on an article page, ~4% of the page object's time. Every element is an
    :class:`lxml.html.HtmlElement` (``text_content()``…) as there; only the form classes of ``lxml.html``
    (``FormElement``, ``InputElement``…), which nothing here reads, are not used. Same parse, same tree.
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.set_element_class_lookup(_HTML_CLASSES)


_HTML_CLASSES = etree.ElementDefaultClassLookup(
    element=lxml.html.HtmlElement,
    comment=lxml.html.HtmlComment,
    pi=lxml.html.HtmlProcessingInstruction,
    entity=lxml.html.HtmlEntity,
)


#: A browser removes ASCII tabs and newlines from anywhere in a URL (WHATWG URL standard), so
#: ``java&#9;script:`` is a ``javascript:`` link, not a relative one.
_URL_TAB_OR_NEWLINE = re.compile(r"[\t\n\r]")
_LATIN_LETTER = re.compile("[A-Za-z]")
#: Schemes a link may have to be kept.
LINK_SCHEMES = ("http", "https", "file")
#: Separator of body paragraphs.
PARAGRAPH_SEPARATOR = "\n\n"

#: First path segments of section, tag and author pages (``/section/world``, Arabic ``/وسم/مياه``); a link
#: of at most two segments under one of them is a listing, not an article.
LISTING_SEGMENTS = frozenset(
    {
        "category",
        "categories",
        "section",
        "sections",
        "tag",
        "tags",
        "topic",
        "topics",
        "author",
        "authors",
        "search",
        "page",
        "قسم",
        "تصنيف",
        "وسم",
        "كاتب",
    }
)
#: A single path segment without one of these characters is a section (``/news``, ``/الأخبار``), not an article.
_SLUG_MARK = re.compile(r"[-_.\d]")
#: Characters of a link's path, query and fragment that neither ``urljoin`` nor w3lib's ``safe_url_string``
#: changes (no ``;``: ``urljoin`` drops an empty path parameter; no ``'`` in the query: w3lib escapes it).
_PLAIN_PATH_CHARS = r"A-Za-z0-9\-._~!$&'()*+,=:@/%"
_PLAIN_QUERY_CHARS = r"A-Za-z0-9\-._~!$&()*+,;=:@/?%"
#: An absolute ``http(s)`` link that resolves to itself (fragment dropped) whatever the page's URL: lower-case
#: ASCII host, no user info, a port without leading zeros, a path, a non-empty query if any, and nothing
#: w3lib would escape or a browser would strip. Anything else takes the full resolution.
_PLAIN_ABSOLUTE_URL = re.compile(
    r"(?P<url>https?://"
    r"(?!xn--)[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.(?!xn--)[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)*"
    r"(?::(?P<port>[1-9][0-9]{0,4}))?"
    f"/[{_PLAIN_PATH_CHARS}]*"
    f"(?:\\?[{_PLAIN_QUERY_CHARS}]+)?)"
    r"(?:#[\x21-\x7e]*)?"
)
#: The largest TCP port: a link with a larger one is not usable.
MAX_PORT = 65535
#: Links to files, not pages.
FILE_SUFFIXES = (".jpg", ".jpeg", ".png", ".gif", ".webp", ".svg", ".pdf", ".xml", ".rss", ".mp3", ".mp4")


def _iter_text(element: etree._Element, skip: frozenset[etree._Element]) -> Iterator[str]:
    if element.text:
        yield element.text
    for child in element:
        if isinstance(child.tag, str) and child.tag.lower() == "br":
            yield " "
        elif isinstance(child.tag, str) and child.tag.lower() not in NON_TEXT_TAGS and child not in skip:
            yield from _iter_text(child, skip)
        if child.tail:
            yield child.tail


def element_text(element: etree._Element, skip: frozenset[etree._Element] = frozenset()) -> str:
    """The visible text of ``element`` (scripts, buttons and the ``skip`` elements left out), one line."""
    if not len(element):  # no children (a link, a heading): its own text is all of it
        return collapse_whitespace(element.text)
    return collapse_whitespace("".join(_iter_text(element, skip)))


def short_element_text(element: etree._Element, limit: int) -> str | None:
    """:func:`element_text` of ``element`` when it is at most ``limit`` characters long, else ``None``.

    Read only as far as needed: past ``limit`` visible (non-blank) characters the text is longer than
    ``limit`` whatever follows, so a container of the page's text is not read to its end, and asking this of
    every element of a region costs time linear in its size rather than in its size times its depth.
    """
    if not len(element):
        text = collapse_whitespace(element.text)
    else:
        pieces = []
        visible = 0
        for piece in _iter_text(element, frozenset()):
            pieces.append(piece)
            visible += len("".join(piece.split()))
            if visible > limit:
                return None
        text = collapse_whitespace("".join(pieces))
    return text if len(text) <= limit else None


def lead_text(element: etree._Element) -> str:
    """The words just before ``element`` (its previous sibling, else its parent's opening text) and its own
    text, one line: the label of a date or a time ("Updated: <time>…</time>", "اليوم: …")."""
    previous = element.getprevious()
    if previous is not None:
        before = f"{element_text(previous)} {previous.tail or ''}"
    else:
        parent = element.getparent()
        before = (parent.text or "") if parent is not None else ""
    return collapse_whitespace(f"{before} {element_text(element)}")


def first_text(elements: Iterable[etree._Element | str]) -> str | None:
    """The first non-empty text among ``elements`` (elements or attribute values), else ``None``."""
    for element in elements:
        text = collapse_whitespace(element if isinstance(element, str) else element_text(element))
        if text:
            return text
    return None


def unique(values: Iterable[str]) -> list[str]:
    """Non-empty ``values`` in first-seen order, without repeats."""
    seen: dict[str, None] = {}
    for value in values:
        if value and value not in seen:
            seen[value] = None
    return list(seen)


def absolute_url(base: str, href: str | None) -> str | None:
    """``href`` resolved against ``base``, fragment dropped; ``None`` for empty, ``javascript:``, ``mailto:``…

    Non-ASCII characters are percent-encoded as a browser does (UTF-8); existing escapes are kept as written.
    A link that is already a plain absolute ``http(s)`` URL (:func:`plain_absolute_url`) resolves to itself
    without its fragment; any other link takes :func:`absolute_url_reference`, which gives the same result
    for plain links too.
    """
    return plain_absolute_url(href) or absolute_url_reference(base, href)


def plain_absolute_url(href: str | None) -> str | None:
    """``href`` without its fragment when it is a plain absolute ``http(s)`` URL, else ``None`` (fast path)."""
    plain = _PLAIN_ABSOLUTE_URL.fullmatch(href) if href else None
    if plain is None or int(plain["port"] or 0) > MAX_PORT:
        return None
    return plain["url"]


def absolute_url_reference(base: str, href: str | None) -> str | None:
    """:func:`absolute_url` in full for any link: ``urljoin``, w3lib's ``safe_url_string``, the scheme check."""
    href = collapse_whitespace(_URL_TAB_OR_NEWLINE.sub("", href or ""))
    if not href or href.startswith("#"):
        return None
    try:
        parts = urlsplit(safe_url_string(urljoin(base, href)))
    except ValueError:  # malformed (e.g. a bad IPv6 host): not a link we can use
        return None
    if parts.scheme not in LINK_SCHEMES:
        return None
    return urlunsplit(parts._replace(fragment=""))


def looks_like_listing_url(url: str) -> bool:
    """The URL is a section, tag, author, search, pagination, feed or sitemap page
    (:func:`arabpress_crawler.urls.is_listing_url`, the one definition)."""
    return is_listing_url(url)


def same_site(url: str, base: str) -> bool:
    """``url`` and ``base`` are on one site (:func:`arabpress_crawler.urls.is_same_site`, the one definition)."""
    return is_same_site(url, base)


def _without_query(url: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(query="", fragment="")).rstrip("/")


def is_article_link(url: str, page_url: str) -> bool:
    """``url`` (absolute) looks like another article of the page's site: not its home, a listing or a file."""
    if not same_site(url, page_url) or _without_query(url) == _without_query(page_url):
        return False
    path = unquote(urlsplit(url).path)
    segments = [segment for segment in path.split("/") if segment]
    if not segments or looks_like_listing_url(url) or path.lower().endswith(FILE_SUFFIXES):
        return False
    page_segments = [segment for segment in unquote(urlsplit(page_url).path).split("/") if segment]
    if page_segments[: len(segments)] == segments:
        return False  # /business/energy/ above /business/energy/<article>: a section of the page's own path
    if segments[0].lower() in LISTING_SEGMENTS and len(segments) <= 2:
        return False
    return len(segments) > 1 or bool(_SLUG_MARK.search(segments[0]))


def primary_language(tag: str | None) -> str | None:
    """``"en"`` for ``en-US``, ``"ar"`` for ``ar_SA``…; ``None`` when ``tag`` is not a language tag."""
    subtag = re.split(r"[-_]", collapse_whitespace(tag).lower(), maxsplit=1)[0]
    return subtag if re.fullmatch(r"[a-z]{2,3}", subtag) else None


def guess_language(text: str | None) -> str | None:
    """``"ar"`` or ``"en"`` from the script most letters of ``text`` are written in; ``None`` without letters."""
    if not text:
        return None
    arabic = len(ARABIC_LETTER.findall(text))
    latin = len(_LATIN_LETTER.findall(text))
    if arabic == latin == 0:
        return None
    return "ar" if arabic > latin else "en"
