"""The article header read by position, for templates with neither metadata nor known class names.

Under a headline, whatever the markup, a reader sees the same things in the same places:

* the **standfirst**: the first block of text under the headline, a sentence or two, that is neither the
  byline nor a date line nor the body's first paragraph (:func:`unmarked_standfirst`);
* the **byline line**: a short line that opens with "By"/"بقلم"/"كتب"… and names people, often with the date
  after a separator ("By Nadia Karim and Omar Farouk · 3 May 2024") (:func:`byline_line_names`).

Each is looked for among the elements of the article header (:attr:`.regions.ArticleRegions.header`), in one
pass over them: the work is linear in the size of the header.
"""

from __future__ import annotations

import logging
import re

from lxml import etree

from arabpress_crawler.dates import normalize_date
from arabpress_crawler.pages.bylines import BYLINE_PREFIX, names_from_byline
from arabpress_crawler.pages.common import element_text, short_element_text
from arabpress_crawler.pages.regions import ArticleRegions, class_matches
from arabpress_crawler.pages.selectors import xpath

logger = logging.getLogger(__name__)

#: Byline-looking lines that name no one ("From the section …", "From our correspondent").
NOT_PEOPLE_PREFIXES = ("from ",)
#: Lower-case words of names written in Latin letters.
NAME_PARTICLES = frozenset(
    {
        "al",
        "el",
        "bin",
        "ibn",
        "bint",
        "abu",
        "de",
        "da",
        "del",
        "della",
        "di",
        "du",
        "la",
        "le",
        "van",
        "von",
        "der",
        "den",
    }
)
LATIN_LETTER = re.compile("[A-Za-z]")
#: A byline line is at most this long ("By … · 28 December 2022"); longer texts are sentences.
MAX_BYLINE_CHARS = 120
#: A standfirst is a sentence or two: at least and at most this many characters.
MIN_STANDFIRST_CHARS = 20
MAX_STANDFIRST_CHARS = 400
#: A standfirst ends as a sentence does, or has at least this many words.
SENTENCE_ENDINGS = (".", "!", "?", "؟", "…", "۔", '"', "”", "»")
MIN_STANDFIRST_WORDS = 8
#: Elements that may hold a standfirst.
STANDFIRST_TAGS = frozenset({"p", "div", "h2", "h3", "span", "strong", "em"})
#: Elements whose text is never a standfirst (captions, media, forms).
#: Class words of byline boxes, whose lines (a role, a place) are not a standfirst.
BYLINE_CLASS_WORDS = ("byline", "author", "writer", "contributor", "reporter", "journalist")
#: Metadata descriptions: a page that has one gets its subtitle from the metadata layer.
DESCRIPTION = xpath(
    "//meta[@name='description' or @property='og:description' or @name='twitter:description'][@content != '']"
)
NOT_STANDFIRST_TAGS = frozenset(
    {"figure", "figcaption", "time", "a", "button", "form", "ul", "ol", "li", "table"}
)


def _ancestors(element: etree._Element, levels: int) -> list[etree._Element]:
    return list(element.iterancestors())[:levels]


def _after_headline(regions: ArticleRegions) -> list[etree._Element]:
    """Elements of the article header after the headline (and outside it), in page order."""
    headline = regions.headline
    if headline is None:
        return []
    start = regions.position(headline) + sum(1 for _ in headline.iter(etree.Element))
    return [element for element in regions.header if regions.position(element) >= start]


def _is_byline_text(text: str) -> bool:
    return 0 < len(text) <= MAX_BYLINE_CHARS and BYLINE_PREFIX.match(text) is not None


def byline_line_names(regions: ArticleRegions) -> list[str]:
    """The names of the first byline line under the headline ("By …", "بقلم …", "كتب: …"), else ``[]``."""
    for element in _after_headline(regions):
        if element.tag in NOT_STANDFIRST_TAGS - {"time"}:
            continue
        text = short_element_text(element, MAX_BYLINE_CHARS)  # a byline line is short: no container read
        if text and _is_byline_text(text) and not text.lower().startswith(NOT_PEOPLE_PREFIXES):
            names = [name for name in names_from_byline(text) if looks_like_person(name)]
            if names:
                return names
    return []


def looks_like_person(name: str) -> bool:
    """A name written in Latin letters has every word capitalised but its particles ("Nadia Karim", "Ahmed
    bin Rashid"); "the section" or "Software Engineer on Google Play" is not a person. Arabic script has no
    case: any name passes."""
    if not LATIN_LETTER.search(name):
        return True
    return all(
        word[0].isupper() or word.lower() in NAME_PARTICLES for word in name.split() if word[0].isalpha()
    )


def byline_elements(regions: ArticleRegions, not_byline_words: tuple[str, ...] = ()) -> list[etree._Element]:
    """The outermost elements of the article header marked as bylines (class words such as ``byline``,
    ``author``), except those also marked with ``not_byline_words`` (avatars, biographies).

    One pass over the header; an element inside a byline already found is skipped by looking up its
    ancestors in a set, so the work is linear in the header's size (not quadratic in the bylines found).
    """
    found: list[etree._Element] = []
    inside: set[etree._Element] = set()
    for element in regions.header:
        if element.tag in ("time", "img", "svg") or (
            inside and any(a in inside for a in element.iterancestors())
        ):
            continue
        if class_matches(element, BYLINE_CLASS_WORDS) and not class_matches(element, not_byline_words):
            found.append(element)
            inside.add(element)
    return found


def _is_sentence(text: str) -> bool:
    """A sentence ends with its punctuation or runs to a few words; a short label ("Evolve: Shared Mutable
    History", a second title) is not a standfirst."""
    return text.rstrip().endswith(SENTENCE_ENDINGS) or len(text.split()) >= MIN_STANDFIRST_WORDS


def unmarked_standfirst(regions: ArticleRegions) -> str | None:
    """The first text block under the headline when it is a sentence or two, not a byline or date line.

    Only a block outside the body's own container counts: a short first line of the body is the body's. A
    page that describes itself in metadata (``description``/``og:description``) is left to that: this is
    for pages without metadata. Lines of a byline box (the author's role, the place) are never a standfirst.
    """
    if DESCRIPTION(regions.root):
        return None
    first = regions.first_paragraph
    body_parent = first.getparent() if first is not None else None
    for element in _after_headline(regions):
        if element.tag not in STANDFIRST_TAGS or any(child.tag in STANDFIRST_TAGS for child in element):
            continue
        text = element_text(element)
        if not text:
            continue
        if element.getparent() is body_parent:
            return None
        if (
            _is_byline_text(text)
            or element.find(".//a") is not None
            or normalize_date(text) is not None
            or any(class_matches(node, BYLINE_CLASS_WORDS) for node in (element, *_ancestors(element, 2)))
        ):
            continue  # the byline and its lines, a kicker, a section link or a date line
        if MIN_STANDFIRST_CHARS <= len(text) <= MAX_STANDFIRST_CHARS and _is_sentence(text):
            return text
        return None
    return None
