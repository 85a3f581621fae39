"""The generic layer: template-free heuristics, trafilatura and htmldate, the last resort for each field.

trafilatura finds the main text of any news page by its structure (paragraph density, link density), so the
article still comes out when every class name and id of the template changes. It is slow next to the
site layer, so it runs only when it is asked for a field (:attr:`GenericLayer.document` is computed lazily).
It reads a copy of the page without what a reader never sees (:func:`drop_hidden`).

Before trafilatura, cheap heuristics read what most templates share without knowing their class names
(:mod:`.regions`): the standfirst under the headline (class words such as ``subtitle``, ``standfirst``,
``lead``), the byline's names (the article header's, else the first byline elsewhere on the page: an author
box under the article), visible breadcrumbs and ``/category/…``/``/tag/…`` links of the article, and
the related list under its heading (:mod:`.related`). Cheap fields (the URL's own date, the language from
the script, the fetched URL) do not need trafilatura either.
"""

from __future__ import annotations

import logging
import re
from datetime import UTC, datetime
from functools import cached_property

import htmldate
import trafilatura
from lxml import etree
from trafilatura.settings import Document

from arabpress_crawler.dates import FUTURE_MARGIN, date_from_url, normalize_date
from arabpress_crawler.items import RelatedHeadline
from arabpress_crawler.pages.bylines import BYLINE_PREFIX, drop_noise, names_from_byline
from arabpress_crawler.pages.common import (
    PARAGRAPH_SEPARATOR,
    absolute_url,
    collapse_whitespace,
    element_text,
    guess_language,
    unique,
)
from arabpress_crawler.pages.dating import article_date
from arabpress_crawler.pages.header import (
    BYLINE_CLASS_WORDS,
    byline_elements,
    byline_line_names,
    looks_like_person,
    unmarked_standfirst,
)
from arabpress_crawler.pages.limits import copy_without_link_farms
from arabpress_crawler.pages.metadata import microdata_name
from arabpress_crawler.pages.recovery import formulas_as_text, with_blocks_between_paragraphs
from arabpress_crawler.pages.regions import ArticleRegions, class_matches
from arabpress_crawler.pages.related import RelatedFinder, heading_key
from arabpress_crawler.pages.selectors import xpath
from arabpress_crawler.pages.structure import RUNNING_TEXT_CHARS, headline_title
from arabpress_crawler.pages.taxonomy import path_section, path_tags, section_from_crumbs, visible_breadcrumbs
from arabpress_crawler.pages.titles import shared_words, strip_title_suffix

logger = logging.getLogger(__name__)

#: This many short lines before the first or after the last paragraph of a table layout are page crumbs.
NOISY_EDGE_LINES = 3
#: A table cell longer than this holds running text, not data.
LAYOUT_CELL_CHARS = 200
#: Tables that lay out a pre-CSS page rather than hold data: on a page without any ``<p>`` (paragraphs written
#: as ``<br><br>``), tables around another table, a heading or a cell of running text. Later layouts are read
#: well by trafilatura as they are, and their tables are data.
LAYOUT_TABLES = xpath(
    "//body[not(.//p)]//table"
    f"[.//table or .//h1 or .//h2 or .//td[string-length(normalize-space()) > {LAYOUT_CELL_CHARS}]]"
)
#: What a reader never sees: the ``hidden`` attribute, an inline ``display: none`` or ``visibility: hidden``
#: (the XPath finds the candidates, the pattern reads their style: four times cheaper than XPath string tests).
MAYBE_HIDDEN = xpath("//*[@style or @hidden]")
HIDDEN_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.IGNORECASE)
#: Text sampled to guess the language from the script: the text of the ``<title>``, ``<h1>`` and ``<p>`` elements
#: in page order (XPath's ``//title//text() | //h1//text() | //p//text()``), its first characters only.
LANGUAGE_SAMPLE_TAGS = ("title", "h1", "p")
LANGUAGE_SAMPLE_CHARS = 4000
_TEXTS = xpath("descendant::text()")
#: Lines trafilatura may keep from ad slots and share bars; dropped from a generic body (compared folded).
BOILERPLATE_LINES = frozenset(
    {
        "advertisement",
        "advertisements",
        "sponsored",
        "ad",
        "share",
        "share this article",
        "print",
        "إعلان",
        "اعلان",
        "شارك",
        "مشاركة",
        "طباعة",
    }
)
#: Openings of "Read also" teasers that trafilatura may keep inside a body (compared folded).
READ_ALSO_PREFIXES = (
    "read also",
    "read more",
    "see also",
    "also read",
    "اقرا ايضا",
    "اقرا ايضاً",
    "اقرا كذلك",
)
#: Bylines anywhere on the page: microdata authors, ``rel="author"`` links, elements classed as a byline
#: (``yline``: byline, Byline, FeatureByline), as the author (a class ending ``-author``: post-author,
#: meta--author) or as the author's name (``uthor`` and ``ame``: author-name, authorName); a few tests per
#: element, as this reads every element of the page. Not those of comments, sidebars and related lists (class
#: or id words of the element or an ancestor).
_OUTSIDE_PAGE_FURNITURE = (
    "[not(ancestor-or-self::*[contains(@class, 'comment') or contains(@id, 'comment') or @itemprop='comment'"
    " or contains(@class, 'sidebar') or contains(@id, 'sidebar') or contains(@class, 'related')])]"
)
PAGE_BYLINES = xpath(
    "//*[@itemprop='author' or @rel='author' or contains(@class, 'yline') or contains(concat(@class, ' '), '-author ')"
    " or (contains(@class, 'uthor') and contains(@class, 'ame'))]"
    + _OUTSIDE_PAGE_FURNITURE
)
#: Class words of author boxes that are not the byline (biographies, avatars).
NOT_BYLINE_CLASS_WORDS = ("avatar", "bio", "description", "image", "photo", "social")
#: Links to an author's page (their text is the name).
AUTHOR_PATH = ("/author/", "/authors/", "/writer/", "/writers/", "/profile/", "/كتاب/", "/الكاتب/")
#: A standfirst is a sentence or two: at least and at most this many characters.
MIN_STANDFIRST_CHARS = 20
MAX_STANDFIRST_CHARS = 600
SITE_NAME = xpath("//meta[@property='og:site_name']/@content")
PAGE_TITLE = xpath("//head/title/text()")
#: Images of the article header: the lead image is the first that is not an avatar, a logo or an icon.
IMAGE_TAGS = frozenset({"img", "amp-img"})
IMAGE_SOURCE_ATTRIBUTES = ("data-src", "data-lazy-src", "src", "srcset", "data-srcset")
NOT_LEAD_IMAGE_WORDS = ("avatar", "gravatar", "logo", "icon", "emoji", "sprite", "pixel", "author", "profile")
#: Images narrower or lower than this (in their width/height attributes) are icons and avatars.
MIN_LEAD_IMAGE_PIXELS = 150
#: Parts of a byline that are not names: dates, roles, places, avatars (class words).
BYLINE_SKIP_CLASS_WORDS = ("date", "time", "role", "job", "position", "location", "place", "avatar", "bio")
#: Parts of a byline marked as the name itself (``.byline__name``, ``.author-name``, hCard's ``.fn``).
NAME_CLASS_WORDS = ("name",)
NAME_CLASS_PARTS = ("fn",)


def _is_boilerplate_line(line: str) -> bool:
    key = heading_key(line)
    return key in BOILERPLATE_LINES or key.startswith(READ_ALSO_PREFIXES)


def _trim_noisy_edges(lines: list[str]) -> list[str]:
    """Drop the menu and footer crumbs trafilatura keeps from table layouts.

    Short lines before the first and after the last paragraph of running text are dropped when there are
    at least :data:`NOISY_EDGE_LINES` of them; fewer are taken as a real short opening or closing line.
    Only on pages laid out in tables: elsewhere short edge lines are real (a list of ingredients).
    """
    long_lines = [index for index, line in enumerate(lines) if len(line) >= RUNNING_TEXT_CHARS]
    if not long_lines:
        return lines
    start, end = long_lines[0], long_lines[-1] + 1
    if start < NOISY_EDGE_LINES:
        start = 0
    if len(lines) - end < NOISY_EDGE_LINES:
        end = len(lines)
    return lines[start:end]


def drop_hidden(tree: etree._Element) -> None:
    """Take out of ``tree`` what a reader never sees: elements with the ``hidden`` attribute or an inline
    ``display: none`` / ``visibility: hidden`` (a closed dialog, a template's unused block, text kept for
    scripts). The text that follows one (its tail) stays."""
    for element in MAYBE_HIDDEN(tree):
        parent = element.getparent()
        if parent is None or (element.get("hidden") is None and not HIDDEN_STYLE.search(element.get("style", ""))):
            continue
        if element.tail:
            previous = element.getprevious()
            if previous is not None:
                previous.tail = (previous.tail or "") + element.tail
            else:
                parent.text = (parent.text or "") + element.tail
        parent.remove(element)


def htmldate_date(tree: etree._Element, url: str | None) -> str | None:
    """The publication day htmldate finds in the markup (its extensive search over the text costs ~30 ms a
    page; :mod:`.dating` has read the text near the headline already)."""
    latest = datetime.now(UTC) + FUTURE_MARGIN
    try:
        found = htmldate.find_date(
            tree, extensive_search=False, original_date=True, url=url, max_date=latest.strftime("%Y-%m-%d")
        )
    except ValueError:  # htmldate refuses some malformed trees; a date is then simply not found
        logger.debug("htmldate could not read %s", url)
        return None
    return normalize_date(found)


class GenericLayer:
    """Fields of any news page, found without knowing its template."""

    name = "generic"

    def __init__(
        self,
        root: etree._Element,
        url: str,
        thorough: bool = True,
        regions: ArticleRegions | None = None,
    ) -> None:
        self.root = root
        self.base_url = url
        #: When ``False``, optional fields are not looked for (a known template's page, see :mod:`.article`).
        self.thorough = thorough
        self.regions = regions if regions is not None else ArticleRegions(root)
        #: The page is laid out in tables (set when trafilatura has read it).
        self.laid_out_in_tables = False
        #: The copy of the page trafilatura read (set when it has read it).
        self.read_tree: etree._Element | None = None

    @cached_property
    def document(self) -> Document | None:
        """trafilatura's extraction of the page (main text and metadata), computed on first use."""
        logger.debug("Running trafilatura on %s", self.base_url)
        tree = copy_without_link_farms(self.root, self.base_url, self.regions.link_farms)
        # As trafilatura's own parser does: a comment between two paragraphs' texts cuts what it reads
        etree.strip_elements(tree, etree.Comment, etree.ProcessingInstruction, with_tail=False)
        drop_hidden(tree)
        formulas_as_text(tree)
        # A pre-CSS page laid out in tables: its text is read best with tables left out (trafilatura then
        # reads the layout as blocks through its fallback extractors); any other page keeps its data tables.
        self.laid_out_in_tables = bool(LAYOUT_TABLES(tree))
        self.read_tree = tree
        document = trafilatura.bare_extraction(
            tree,
            url=self.base_url,
            with_metadata=False,  # the metadata layer reads it; trafilatura's (and its htmldate) cost a third
            include_comments=False,
            include_tables=not self.laid_out_in_tables,
            include_images=False,
            deduplicate=False,
        )
        if not isinstance(document, Document):
            logger.info("trafilatura found no main text on %s", self.base_url)
            return None
        return document

    def _optional(self) -> Document | None:
        """The trafilatura document for an optional field: only when the page is read thoroughly."""
        return self.document if self.thorough or "document" in self.__dict__ else None

    def url(self) -> str | None:
        return absolute_url(self.base_url, self.base_url)

    def title(self) -> str | None:
        """The headline a reader sees (``<h1>``), else a legacy headline (:func:`.structure.headline_title`),
        else the ``<title>`` without its site-name part.

        An ``<h1>`` that shares no word with the ``<title>`` is a section or page heading ("Health
        Center"), not the story's headline: the ``<title>`` is then the better witness.
        """
        visible, titles = self.visible_headline(), self.page_titles()
        if visible and titles and not shared_words(visible, titles[0]):
            return titles[0]
        if visible:
            return visible
        page_title = titles[0] if titles else None
        return headline_title(self.root, self.regions.headline, page_title) or page_title

    def visible_headline(self) -> str | None:
        """The text of the page's ``<h1>`` headline (not a logo), if it has one."""
        headline = self.regions.headline
        return (element_text(headline) or None) if headline is not None and headline.tag == "h1" else None

    def page_titles(self) -> list[str]:
        """The ``<title>`` without a site-name part (empty when the page has none)."""
        titles = PAGE_TITLE(self.root)
        title = strip_title_suffix(collapse_whitespace(str(titles[0]))) if titles else ""
        return [title] if title else []

    def body(self) -> str | None:
        document = self.document
        if document is None or not document.text:
            return None
        paragraphs = [collapse_whitespace(line.strip(" |")) for line in document.text.splitlines()]
        kept = [line for line in paragraphs if line and not _is_boilerplate_line(line)]
        if self.read_tree is not None:
            kept = with_blocks_between_paragraphs(self.read_tree, kept)
        if self.laid_out_in_tables:
            kept = _trim_noisy_edges(kept)
        return PARAGRAPH_SEPARATOR.join(kept) or None

    def published_at(self) -> str | None:
        """The URL's date, else the first date written in the article, else htmldate's, never the masthead's."""
        return date_from_url(self.base_url) or article_date(
            self.root, self.base_url, self.regions, htmldate_date
        )

    def subtitle(self) -> str | None:
        """The visible standfirst just under the headline (``.subtitle``, ``.standfirst``, ``.lead``, ``.dek``…)."""
        headline = self.regions.headline
        if not self.thorough or headline is None:
            return None
        title = element_text(headline)
        for element in self.regions.header:
            if self.regions.position(element) <= self.regions.position(headline):
                continue
            if not self.regions.is_standfirst(element) or class_matches(element, BYLINE_CLASS_WORDS):
                continue
            text = element_text(element)
            if _looks_like_standfirst(text, title):
                return text
        return unmarked_standfirst(self.regions)

    def authors(self) -> list[str]:
        """The names of the article header's byline, else of its "By …" line, else of the first byline
        elsewhere on the page (:func:`page_byline_names`); "Staff"-style names only alone."""
        if not self.thorough:
            return []
        names = self._byline_names() or byline_line_names(self.regions) or page_byline_names(self.root)
        return drop_noise(names, _site_name(self.root))

    def _byline_names(self) -> list[str]:
        texts = (text for byline in self._bylines() for text in _byline_texts(byline))
        return unique(name for text in texts for name in names_from_byline(text))

    def _bylines(self) -> list[etree._Element]:
        """The outermost byline elements of the article header."""
        return byline_elements(self.regions, NOT_BYLINE_CLASS_WORDS)

    def section(self) -> str | None:
        """The visible breadcrumbs' last crumb, a section link of the article, else trafilatura's category."""
        if not self.thorough:
            return None
        title = element_text(self.regions.headline) if self.regions.headline is not None else None
        crumbs = visible_breadcrumbs(self.root, self.base_url, self.regions)
        section = section_from_crumbs(crumbs, title, self.base_url) or path_section(
            self.regions, self.base_url
        )
        if section:
            return section
        document = self.document
        if document is None or not document.categories:
            return None
        return collapse_whitespace(document.categories[0]) or None

    def tags(self) -> list[str]:
        """Links to tag and topic pages in the article, else trafilatura's tags."""
        if not self.thorough:
            return []
        tags = path_tags(self.regions, self.base_url)
        if tags:
            return tags
        document = self.document
        if document is None or not document.tags:
            return []
        return unique(collapse_whitespace(tag) for tag in document.tags)

    def image_url(self) -> str | None:
        """The lead image between the headline and the body, else trafilatura's image."""
        lead = self._lead_image() if self.thorough else None
        if lead:
            return lead
        document = self._optional()
        if document is None or not document.image:
            return None
        return absolute_url(self.base_url, document.image)

    def _lead_image(self) -> str | None:
        headline = self.regions.headline
        after = self.regions.position(headline) if headline is not None else -1
        for element in self.regions.header:
            if (
                element.tag in IMAGE_TAGS
                and self.regions.position(element) > after
                and _is_content_image(element)
            ):
                for name in IMAGE_SOURCE_ATTRIBUTES:
                    url = absolute_url(self.base_url, (element.get(name) or "").split(" ")[0])
                    if url:
                        return url
        return None

    def language(self) -> str | None:
        return guess_language(language_sample(self.root))

    def related(self) -> list[RelatedHeadline]:
        """Links listed under a "Related" / "You may also like" / "ذات صلة" heading, in page order."""
        if not self.thorough:
            return []
        return RelatedFinder(self.root, self.base_url, self.regions).headlines()


def language_sample(root: etree._Element, limit: int = LANGUAGE_SAMPLE_CHARS) -> str:
    """The first ``limit`` characters of the text of the page's :data:`LANGUAGE_SAMPLE_TAGS` elements, in page
    order, each text once (an element inside another one read already is not read again). Read element by
    element only until ``limit``: a long page's paragraphs past it are never read."""
    parts: list[str] = []
    size = 0
    read: etree._Element | None = None  # the last element read: the elements inside it follow it
    for element in root.iter(*LANGUAGE_SAMPLE_TAGS):
        if read is not None and any(ancestor is read for ancestor in element.iterancestors()):
            continue
        read = element
        for text in _TEXTS(element):
            parts.append(str(text))
            size += len(text)
        if size >= limit:
            break
    return "".join(parts)[:limit]


def _looks_like_standfirst(text: str, title: str) -> bool:
    """A sentence or two that is not the headline, a byline or a date line."""
    if not MIN_STANDFIRST_CHARS <= len(text) <= MAX_STANDFIRST_CHARS or text == title:
        return False
    return not BYLINE_PREFIX.match(text) and normalize_date(text) is None


def _is_content_image(image: etree._Element) -> bool:
    """Not an avatar, logo, icon or tracking pixel (by its class, source, link or declared size)."""
    described = " ".join(
        value.lower()
        for value in (
            image.get("class"),
            image.get("src"),
            image.get("data-src"),
            image.getparent().get("href"),
        )
        if value
    )
    if any(word in described for word in NOT_LEAD_IMAGE_WORDS):
        return False
    for name in ("width", "height"):
        value = (image.get(name) or "").strip().removesuffix("px")
        if value.isdigit() and int(value) < MIN_LEAD_IMAGE_PIXELS:
            return False
    return not (image.get("src") or "").startswith("data:") or bool(image.get("data-src"))


def page_byline_names(root: etree._Element) -> list[str]:
    """The names of the first byline of the page outside its comments, sidebars and related lists: a
    microdata author or an element classed as a byline or an author's name, wherever the template puts it
    (an author box under the article, a ``<footer>`` line). The last resort: one XPath, no copy of the page.
    """
    for byline in PAGE_BYLINES(root):
        texts = [microdata_name(byline)] if byline.get("itemprop") == "author" else _byline_texts(byline)
        # The whole text first ("By Jane Doe and Omar Farouk"); else its pieces, one per element, where a
        # date or a note runs on after the name ("By <b>Jane Doe</b><br>March 25, 2015").
        for pieces in (texts, [str(piece) for piece in byline.itertext()]):
            names = [name for text in pieces for name in names_from_byline(text) if looks_like_person(name)]
            if names:
                return unique(names)
    return []


def _byline_texts(byline: etree._Element) -> list[str]:
    """The texts of a byline that hold the names: its author links, else its parts marked as names, else its
    whole text without dates, roles and places."""
    parts = [link for link in byline.iter("a") if _is_author_link(link)] or [
        part
        for part in byline.iter(etree.Element)
        if part is not byline and class_matches(part, NAME_CLASS_WORDS, NAME_CLASS_PARTS)
    ]
    if parts:
        return [element_text(part) for part in parts]
    skip = frozenset(
        part
        for part in byline.iter(etree.Element)
        if part.tag == "time" or class_matches(part, BYLINE_SKIP_CLASS_WORDS)
    )
    return [element_text(byline, skip=skip)]


def _is_author_link(link: etree._Element) -> bool:
    href = (link.get("href") or "").lower()
    return "author" in (link.get("rel") or "").lower().split() or any(part in href for part in AUTHOR_PATH)


def _site_name(root: etree._Element) -> str | None:
    values = SITE_NAME(root)
    return collapse_whitespace(str(values[0])) if values else None
