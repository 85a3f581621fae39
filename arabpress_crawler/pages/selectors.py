"""Site profiles: what a template's selectors are (:class:`SiteProfile`) and how they are compiled.

The site layer of :mod:`arabpress_crawler.pages.article` reads pages through a :class:`SiteProfile`; the
Arab Press profiles themselves live in :mod:`arabpress_crawler.site` with everything else the project knows
about the site. A profile applies to a page only when its ``marker`` matches, so the metadata and generic
layers take over on a template no profile knows.

Selectors are written as CSS (or XPath where CSS cannot say it) and compiled to :class:`lxml.etree.XPath`
at import time; a selector that does not compile fails the import loudly. A union of tag/class selectors is
evaluated by one walk in Python (:class:`SimpleUnion`), the body's text blocks by :func:`paragraph_blocks`:
the same elements as their XPath (tests/test_pages_speed_paths.py), for less time on an article page.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import cssselect
from cssselect import HTMLTranslator
from lxml import etree

_TRANSLATOR = HTMLTranslator()


def css(expression: str) -> etree.XPath:
    """Compile a CSS selector, relative to the element it is applied to."""
    if not expression.strip():
        raise ValueError("empty CSS selector in the site profile")
    return etree.XPath(_TRANSLATOR.css_to_xpath(expression, prefix="descendant-or-self::"))


def xpath(expression: str) -> etree.XPath:
    """Compile an XPath expression."""
    if not expression.strip():
        raise ValueError("empty XPath selector in the site profile")
    return etree.XPath(expression)


def css_union(*expressions: str) -> etree.XPath:
    """Compile several CSS selectors into one XPath that returns matches in document order.

    A union of selectors that each name only a tag and/or classes (``figure``, ``.ad-slot``,
    ``h1.entry-title``) is evaluated as one walk of the elements instead (:class:`SimpleUnion`).
    """
    if not expressions:
        raise ValueError("empty selector group in the site profile")
    parts = [
        _TRANSLATOR.css_to_xpath(expression, prefix="descendant-or-self::") for expression in expressions
    ]
    compounds = [_simple_compound(expression) for expression in expressions]
    if all(compound is not None for compound in compounds):
        return SimpleUnion(" | ".join(parts), [compound for compound in compounds if compound is not None])
    return etree.XPath(" | ".join(parts))


#: What XPath's ``normalize-space()`` takes as space, to split a ``class`` attribute as cssselect's XPath does.
XML_SPACE = re.compile(r"[ \t\r\n]+")


def _simple_compound(expression: str) -> tuple[str | None, frozenset[str]] | None:
    """``(tag or None, classes)`` of a CSS selector that names only a tag and/or classes, else ``None``."""
    try:
        (selector,) = cssselect.parse(expression)
    except ValueError:  # a group ("a, b"): cssselect.parse returns several
        return None
    tree, classes = selector.parsed_tree, set()
    while isinstance(tree, cssselect.parser.Class):
        classes.add(tree.class_name)
        tree = tree.selector
    if selector.pseudo_element is not None or not isinstance(tree, cssselect.parser.Element):
        return None
    if tree.namespace is not None or (tree.element is None and not classes):  # a namespace, or ``*`` alone
        return None
    # HTMLTranslator compares element names in lower case (lxml's HTML tags are), classes as written.
    return (tree.element.lower() if tree.element else None), frozenset(classes)


class SimpleUnion(etree.XPath):
    """The XPath of a :func:`css_union` of tag/class selectors, evaluated as one walk in Python.

    ``descendant-or-self::`` the elements matching any of the selectors, in document order: what libxml2
    gives, but reading each element once instead of once a selector (a union of 18 selectors on the body
    of an article costs a third of the XPath's time). ``.path`` is the XPath, as for any other selector.
    """

    def __init__(self, path: str, compounds: list[tuple[str | None, frozenset[str]]]) -> None:
        super().__init__(path)
        #: Tags matched whatever their classes; classes matched on any tag; the selectors that need both.
        self.tags = frozenset(tag for tag, classes in compounds if tag is not None and not classes)
        self.classes = frozenset(
            next(iter(classes)) for tag, classes in compounds if tag is None and len(classes) == 1
        )
        self.others = tuple(
            (tag, classes)
            for tag, classes in compounds
            if not (tag is not None and not classes) and not (tag is None and len(classes) == 1)
        )
        self.any_tag = any(tag is None for tag, _ in compounds)

    def __call__(self, element: Any, **_variables: Any) -> list[etree._Element]:  # type: ignore[override]
        if _variables:
            return super().__call__(element, **_variables)  # type: ignore[no-any-return]
        found: list[etree._Element] = []
        tags, classes, others = self.tags, self.classes, self.others
        walk = element.iter() if self.any_tag else element.iter(*{tag for tag, _ in self.others} | tags)
        for node in walk:
            tag = node.tag
            if not isinstance(tag, str):  # comments, processing instructions, entities
                continue
            if tag in tags:
                found.append(node)
                continue
            value = node.get("class")
            if not value:
                continue
            tokens = XML_SPACE.split(value)
            if (classes and not classes.isdisjoint(tokens)) or any(
                (name is None or name == tag) and wanted.issubset(tokens) for name, wanted in others
            ):
                found.append(node)
        return found


def css_matches(*expressions: str) -> etree.XPath:
    """Compile several CSS selectors into one XPath that says whether any of them matches (a boolean).

    Cheaper than testing :func:`css_union` for emptiness: the selectors are tried in order, and the
    first that matches ends the evaluation (XPath's ``or`` does not evaluate its right operand then).
    """
    if not expressions:
        raise ValueError("empty selector group in the site profile")
    parts = [
        f"boolean({_TRANSLATOR.css_to_xpath(expression, prefix='descendant-or-self::')})"
        for expression in expressions
    ]
    return etree.XPath(" or ".join(parts))


#: Block elements that hold one paragraph of body text each.
PARAGRAPH_TAGS = ("p", "h2", "h3", "h4", "h5", "h6", "li", "blockquote", "pre")
_IS_PARAGRAPH = " or ".join(f"self::{tag}" for tag in PARAGRAPH_TAGS)
#: Containers that hold running text directly in "div soup" markup (text not wrapped in ``<p>``).
CONTAINER_TAGS = ("div", "section", "article", "main")
_IS_BLOCK = " or ".join(f"self::{tag}" for tag in PARAGRAPH_TAGS + CONTAINER_TAGS)
#: The innermost text blocks under an element, in document order: paragraph-like elements (a ``<li>`` that
#: wraps a ``<p>`` yields the ``<p>``), and containers with text of their own and no blocks inside. The
#: reference of :func:`paragraph_blocks`, which the site layer reads.
PARAGRAPHS = xpath(
    f".//*[{_IS_PARAGRAPH}][not(descendant::*[{_IS_PARAGRAPH}])]"
    f" | .//*[{' or '.join(f'self::{tag}' for tag in CONTAINER_TAGS)}][text()[normalize-space()]]"
    f"[not(descendant::*[{_IS_BLOCK}])]"
)

_PARAGRAPH_TAGS = frozenset(PARAGRAPH_TAGS)
_CONTAINER_TAGS = frozenset(CONTAINER_TAGS)
_BLOCK_TAGS = _PARAGRAPH_TAGS | _CONTAINER_TAGS
#: XPath's ``normalize-space()`` strips these only.
_XML_SPACE_CHARS = " \t\r\n"


def paragraph_blocks(container: etree._Element) -> list[etree._Element]:
    """``PARAGRAPHS(container)``, read in two walks of its elements rather than by libxml2.

    The XPath asks, for each element, whether a block lies anywhere under it: a walk from the last element
    to the first sees every element's descendants before the element, and marks their parents as it goes.
    """
    elements = list(container.iter(etree.Element))[1:]  # .//*: the container itself is not one
    has_paragraph: set[etree._Element] = set()
    has_block: set[etree._Element] = set()
    for element in reversed(elements):
        tag = element.tag
        if tag in _PARAGRAPH_TAGS or element in has_paragraph:
            has_paragraph.add(element.getparent())
        if tag in _BLOCK_TAGS or element in has_block:
            has_block.add(element.getparent())
    blocks = []
    for element in elements:
        tag = element.tag
        if tag in _PARAGRAPH_TAGS:
            if element not in has_paragraph:
                blocks.append(element)
        elif tag in _CONTAINER_TAGS and element not in has_block and _has_own_text(element):
            blocks.append(element)
    return blocks


def _has_own_text(element: etree._Element) -> bool:
    """``text()[normalize-space()]``: a text node of the element's own that is not only space."""
    if element.text and element.text.strip(_XML_SPACE_CHARS):
        return True
    return any(child.tail and child.tail.strip(_XML_SPACE_CHARS) for child in element)


#: Elements whose text is never page text.
NON_TEXT_TAGS = frozenset({"script", "style", "noscript", "template", "svg", "iframe", "button", "form"})


@dataclass(frozen=True)
class SiteProfile:
    """The selectors of one site template. Every field is a compiled selector or pattern."""

    name: str
    #: True only on pages of this template (an article or a listing of the site).
    marker: etree.XPath
    #: ``<body>`` classes of pages that are not articles: listings (home, archive, search, pagination),
    #: static pages and the error page.
    not_article_body_classes: frozenset[str]
    article: etree.XPath
    title: etree.XPath
    subtitle: etree.XPath
    body: etree.XPath
    #: Removed from the body before paragraphs are read: newsletter, player, share, "Read also", ads…
    boilerplate: etree.XPath
    authors: etree.XPath
    published: etree.XPath
    modified: etree.XPath
    section: etree.XPath
    tags: etree.XPath
    image: etree.XPath
    #: The related lists of the page (few elements); their items and links are read in one walk of each list
    #: (:meth:`related_links`): a descendant XPath step over thousands of items costs quadratic time in
    #: libxml2's node-set merging, a walk costs linear time.
    related_lists: etree.XPath
    #: The tag and class of an item of a related list (``("li", "related-post")``).
    related_item: tuple[str, str]
    next_page: etree.XPath
    #: Path of an article link on this site (:data:`arabpress_crawler.site.ARTICLE_LINK_PATH`).
    article_path: re.Pattern[str]


def related_links(profile: SiteProfile, root: etree._Element) -> Iterator[etree._Element]:
    """The links (``a[href]``) of the items of the profile's related lists, in page order, each once."""
    tag, class_name = profile.related_item
    seen: set[etree._Element] = set()
    for related_list in profile.related_lists(root):
        for item in related_list.iter(tag):
            if class_name in (item.get("class") or "").split():
                for link in item.iter("a"):
                    if link.get("href") is not None and link not in seen:
                        seen.add(link)
                        yield link


def profile_for(root: etree._Element) -> SiteProfile | None:
    """The first profile of :data:`arabpress_crawler.site.PROFILES` whose marker matches the page, or ``None``
    for a page in an unknown template."""
    from arabpress_crawler.site import PROFILES  # the site module builds its profiles with this module

    for profile in PROFILES:
        if profile.marker(root):
            return profile
    return None
