"""The parts of an article page found by structure alone, whatever its template.

The metadata and generic layers read fields off templates they do not know through these regions:

* the **headline**: the page's ``<h1>`` (the one inside ``<article>``/``<main>`` first; never a logo);
* the **first paragraph**: the first paragraph of running text after the headline that opens a run of
  paragraphs (a standfirst, marked or not, stands alone beside the headline);
* the **article header**: from the headline's block (the largest element around the headline that does not
  reach into the body) to the first paragraph. Bylines, standfirsts, category labels and dates sit there;
* the **article region**: the smallest element that holds both the headline and the body: tags, the
  "Related" block and the article's footer sit there;
* the **chrome**: site header (masthead), navigation, sidebars, site footer. Nothing is read from it, so
  the masthead's "today" or the menu's sections are never taken for the article's.

All of it is computed lazily and only on pages whose template the site layer does not know.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from functools import cached_property
from urllib.parse import urlsplit

from lxml import etree

from arabpress_crawler.pages.common import collapse_whitespace
from arabpress_crawler.pages.limits import link_farms
from arabpress_crawler.pages.selectors import xpath
from arabpress_crawler.pages.structure import CHROME, RUNNING_TEXT_CHARS, title_element

logger = logging.getLogger(__name__)

HEADLINES = xpath("//h1")
HEADLINE_FALLBACK = xpath("//*[@itemprop='headline'][not(self::meta)]")
#: Sidebars marked only by a class or id (``td-main-sidebar``, ``#secondary-sidebar``)…
SIDEBAR_CANDIDATES = xpath("//*[@class or @id][contains(@class, 'sidebar') or contains(@id, 'sidebar')]")
#: …but not a page-level flag such as ``<body class="has-sidebar">``.
SIDEBAR_FLAG_PREFIXES = ("has-", "no-", "with-", "without-")
NEVER_CHROME_TAGS = frozenset({"html", "body", "main", "article"})
#: Paragraphs after the headline that may open the body.
FOLLOWING_PARAGRAPHS = xpath("following::p")
#: How many paragraphs after the headline are looked at to find the body's first.
MAX_PARAGRAPHS_SEARCHED = 40
#: How many levels above the headline its block may reach (when no body paragraph bounds it).
MAX_HEADER_LEVELS = 3
#: Without a body paragraph to stop at, the article header ends this many elements after the headline block.
MAX_HEADER_FOLLOWING = 40
#: Class/id words of logos and site names: an ``<h1>`` inside them is not the headline.
LOGO_WORDS = ("logo", "site-title", "site-name", "brand", "masthead")
#: Class/id words of a standfirst (as substrings) and short ones that must be a whole part of a class name.
STANDFIRST_SUBSTRINGS = ("subtitle", "sub-title", "standfirst", "excerpt", "summary", "strapline")
STANDFIRST_PARTS = ("lead", "dek", "deck", "intro", "sapo")
STANDFIRST_ITEMPROPS = frozenset({"alternativeHeadline", "description", "abstract"})
#: Wrappers that may hold one paragraph each (component-based pages: ``div.text-block > p``).
PARAGRAPH_WRAPPERS = frozenset({"div", "section", "blockquote"})
#: Elements a paragraph's wrapper never is: they hold the whole article or page.
REGION_TAGS = frozenset({"article", "main", "body", "html"})
#: A wrapper may add this many characters of its own to its paragraph (a label, spacing).
WRAPPER_SLACK = 20
#: Attributes that name what an element is: classes, ids, and the component names of component-built pages
#: (``data-component="byline-block"``, ``data-testid="AuthorByline"``, ``data-gu-name="standfirst"``).
NAMING_ATTRIBUTES = ("class", "id", "data-component", "data-testid", "data-gu-name")
_CLASS_PARTS = re.compile(r"[\s_\-]+")
_MAX_LEVELS_FOR_CLASS = 2


def class_words(element: etree._Element) -> str:
    """The element's ``class``, ``id`` and component names (``data-component``…), lower-cased, as one string."""
    return " ".join(element.get(name) or "" for name in NAMING_ATTRIBUTES).lower().strip()


def class_matches(element: etree._Element, substrings: tuple[str, ...], parts: tuple[str, ...] = ()) -> bool:
    """The class or id contains one of ``substrings``, or has one of ``parts`` as a whole ``-``/``_`` part."""
    words = class_words(element)
    if not words:
        return False
    if any(substring in words for substring in substrings):
        return True
    return bool(parts) and not set(_CLASS_PARTS.split(words)).isdisjoint(parts)


_TEXT_LENGTH = etree.XPath("string-length(normalize-space())")


def text_length(element: etree._Element) -> int:
    """The length of the element's text, whitespace runs counted as one space (computed in libxml2)."""
    return int(_TEXT_LENGTH(element))


def is_running_text(element: etree._Element) -> bool:
    """The element's text is long enough to be a paragraph of an article."""
    return text_length(element) >= RUNNING_TEXT_CHARS


def is_paragraph_block(element: etree._Element | None) -> bool:
    """A paragraph of a body: a ``<p>`` of running text, or a wrapper holding just one."""
    if element is None or not isinstance(element.tag, str) or not is_running_text(element):
        return False
    if element.tag == "p":
        return True
    return element.tag in PARAGRAPH_WRAPPERS and len(element.findall(".//p")) == 1


def paragraph_block(paragraph: etree._Element) -> etree._Element:
    """The outermost wrapper around ``paragraph`` that holds nothing else (``div.text-block > div > p``)."""
    block, length = paragraph, text_length(paragraph)
    parent = block.getparent()
    while (
        parent is not None and parent.tag not in REGION_TAGS and text_length(parent) <= length + WRAPPER_SLACK
    ):
        block, parent = parent, parent.getparent()
    return block


def opens_a_run(paragraph: etree._Element) -> bool:
    """Another paragraph block follows ``paragraph``'s block among its siblings: the start of a body."""
    return any(is_paragraph_block(sibling) for sibling in paragraph_block(paragraph).itersiblings())


def _is_logo(headline: etree._Element) -> bool:
    """The ``<h1>`` is the site's name in the masthead (some themes write the logo as ``<h1>``)."""
    for element in (headline, *list(headline.iterancestors())[:_MAX_LEVELS_FOR_CLASS]):
        if class_matches(element, LOGO_WORDS):
            return True
    for link in headline.iter("a"):
        href = link.get("href") or ""
        if urlsplit(href).path in ("", "/") and not urlsplit(href).query and href.strip() not in ("", "#"):
            return True
    return any(ancestor.tag in ("nav", "footer", "aside") for ancestor in headline.iterancestors())


def find_headline(root: etree._Element) -> etree._Element | None:
    """The article's headline element: an ``<h1>`` in ``<article>``/``<main>`` first, never a logo."""
    candidates = [
        h1 for h1 in HEADLINES(root) if collapse_whitespace(h1.xpath("string()")) and not _is_logo(h1)
    ]
    for h1 in candidates:
        if any(ancestor.tag in ("article", "main") for ancestor in h1.iterancestors()):
            return h1
    if candidates:
        return candidates[0]
    fallback = HEADLINE_FALLBACK(root)
    return fallback[0] if fallback else title_element(root)


class ArticleRegions:
    """The headline, article header, article region and chrome of one page (see the module docstring)."""

    def __init__(self, root: etree._Element) -> None:
        self.root = root
        #: Document order of the elements read so far (see :meth:`position`).
        self._positions: dict[etree._Element, int] = {}
        self._scan = root.iter(etree.Element)
        self._scanned = 0
        #: :meth:`in_chrome` of the elements asked about and their ancestors.
        self._in_chrome: dict[etree._Element, bool] = {}

    @cached_property
    def headline(self) -> etree._Element | None:
        return find_headline(self.root)

    @cached_property
    def _headline_ancestors(self) -> frozenset[etree._Element]:
        if self.headline is None:
            return frozenset()
        return frozenset([self.headline, *self.headline.iterancestors()])

    def contains_headline(self, element: etree._Element) -> bool:
        """``element`` is the headline or one of its ancestors."""
        return element in self._headline_ancestors

    @cached_property
    def link_farms(self) -> list[etree._Element]:
        """The page's link farms (:func:`.limits.link_farms`), found once: the copies of the page read by
        trafilatura and by htmldate both leave them out."""
        return link_farms(self.root)

    @cached_property
    def _page_chrome(self) -> frozenset[etree._Element]:
        """Elements of the page chrome; never an element around the headline."""
        found = [*CHROME(self.root), *(e for e in SIDEBAR_CANDIDATES(self.root) if _is_sidebar(e))]
        return frozenset(
            element
            for element in found
            if element not in self._headline_ancestors and element.tag not in NEVER_CHROME_TAGS
        )

    @cached_property
    def chrome(self) -> frozenset[etree._Element]:
        """The page chrome, less the ``<header>``/``<footer>`` elements of the article region (a theme without
        ``<article>`` puts the tags in a ``<footer>`` of its content column)."""
        article = self.article
        if article.tag in ("body", "html"):
            return self._page_chrome
        inside = frozenset(article.iter("header", "footer"))
        return frozenset(element for element in self._page_chrome if element not in inside)

    def in_chrome(self, element: etree._Element) -> bool:
        """``element`` is inside the site header, navigation, a sidebar or the site footer."""
        chrome = self.chrome
        if not chrome:
            return False
        known = self._in_chrome
        path = []
        node: etree._Element | None = element
        found = False
        while node is not None:
            if node in known:
                found = known[node]
                break
            if node in chrome:
                found = True
                break
            path.append(node)
            node = node.getparent()
        for visited in path:  # the answer for each element on the way up: siblings share their ancestors
            known[visited] = found
        return found

    def is_standfirst(self, element: etree._Element) -> bool:
        """``element`` is marked as a standfirst and sits beside the headline rather than inside the body."""
        marked = element.get("itemprop") in STANDFIRST_ITEMPROPS or class_matches(
            element, STANDFIRST_SUBSTRINGS, STANDFIRST_PARTS
        )
        if not marked or element in self._headline_ancestors:
            return False
        parent = element.getparent()
        if parent is None or parent in self._headline_ancestors:
            return True
        # A "lead" paragraph among the body's paragraphs is the body's first paragraph, not a standfirst.
        return not any(is_running_text(p) for p in parent.iter("p") if not _inside(p, element))

    @cached_property
    def first_paragraph(self) -> etree._Element | None:
        """The first paragraph of the body: running text after the headline, outside chrome and standfirst."""
        if self.headline is None:
            return None
        for paragraph in FOLLOWING_PARAGRAPHS(self.headline)[:MAX_PARAGRAPHS_SEARCHED]:
            if not is_running_text(paragraph) or _inside_any(paragraph, self._page_chrome):
                continue
            if any(self.is_standfirst(node) for node in (paragraph, *_ancestors(paragraph, 2))):
                continue
            if opens_a_run(paragraph):
                return paragraph
        return None

    @cached_property
    def header_block(self) -> etree._Element | None:
        """The largest element around the headline that does not reach into the body."""
        if self.headline is None:
            return None
        body_ancestors = (
            frozenset(self.first_paragraph.iterancestors()) if self.first_paragraph is not None else None
        )
        block = self.headline
        for _ in range(MAX_HEADER_LEVELS):
            parent = block.getparent()
            if parent is None or parent.tag in ("body", "html"):
                break
            if body_ancestors is not None and parent in body_ancestors:
                break
            if body_ancestors is None and block.tag in ("article", "main"):
                break
            block = parent
        return block

    def position(self, element: etree._Element) -> int:
        """Document order of ``element`` among the page's elements (``-1`` for an element not in the page).

        Positions are found by reading the page in document order only as far as the element asked for (the
        article header and the elements before it, on most pages), never by a map of the whole document: a
        page with 100,000 links after its header costs nothing for them.
        """
        known = self._positions.get(element)
        if known is not None:
            return known
        if not self._in_page(element):
            return -1
        positions, scanned = self._positions, self._scanned
        for found in self._scan:
            positions[found] = scanned
            scanned += 1
            if found is element:
                break
        self._scanned = scanned
        return positions.get(element, -1)

    def _in_page(self, element: etree._Element) -> bool:
        if element is self.root:
            return True
        if not isinstance(element.tag, str) or element.getroottree().getroot() is not self._document_root:
            return False
        return self.root is self._document_root or self.root in element.iterancestors()

    @cached_property
    def _document_root(self) -> etree._Element:
        return self.root.getroottree().getroot()

    @cached_property
    def header(self) -> list[etree._Element]:
        """Elements of the article header in document order: the headline's block and what follows it up to
        the first paragraph (chrome and the body's containers left out)."""
        block = self.header_block
        if block is None:
            return []
        start = self.position(block)
        block_size = sum(1 for _ in block.iter(etree.Element))
        first_paragraph = self.first_paragraph
        if first_paragraph is not None:
            body_ancestors = frozenset(first_paragraph.iterancestors())
            end: int | None = None  # the first paragraph follows the headline: found on the way
        else:
            end, body_ancestors = block_size + MAX_HEADER_FOLLOWING, frozenset()
        elements = []
        for offset, element in enumerate(self._from(block)):
            if element is first_paragraph:
                end = offset
            if offset >= block_size and end is not None and offset >= end:
                break
            self._positions[element] = start + offset
            elements.append(element)
        return [
            element for element in elements if element not in body_ancestors and not self.in_chrome(element)
        ]

    def _from(self, element: etree._Element) -> Iterator[etree._Element]:
        """``element`` and every element of the page after it, in document order."""
        yield from element.iter(etree.Element)
        node: etree._Element | None = element
        while node is not None and node is not self.root:
            for sibling in node.itersiblings(etree.Element):
                yield from sibling.iter(etree.Element)
            node = node.getparent()

    @cached_property
    def article(self) -> etree._Element:
        """The smallest element holding headline and body; else the headline's ``<article>``/``<main>``."""
        if self.headline is not None and self.first_paragraph is not None:
            body_ancestors = set(self.first_paragraph.iterancestors())
            for ancestor in self.headline.iterancestors():
                if ancestor in body_ancestors:
                    return ancestor
        if self.headline is not None:
            for ancestor in self.headline.iterancestors():
                if ancestor.tag in ("article", "main"):
                    return ancestor
        for tag in ("article", "main", "body"):
            found = self.root.find(f".//{tag}")
            if found is not None:
                return found
        return self.root

    def after_header(self, element: etree._Element) -> bool:
        """``element`` comes after the start of the article header (or the page has no header)."""
        if self.header_block is None:
            return True
        return self.position(element) >= self.position(self.header_block)


def _inside_any(element: etree._Element, containers: frozenset[etree._Element]) -> bool:
    if not containers:
        return False
    node: etree._Element | None = element
    while node is not None:
        if node in containers:
            return True
        node = node.getparent()
    return False


def _is_sidebar(element: etree._Element) -> bool:
    tokens = class_words(element).split()
    return any("sidebar" in token and not token.startswith(SIDEBAR_FLAG_PREFIXES) for token in tokens)


def _ancestors(element: etree._Element, levels: int) -> list[etree._Element]:
    return list(element.iterancestors())[:levels]


def _inside(element: etree._Element, container: etree._Element) -> bool:
    return element is container or container in element.iterancestors()
