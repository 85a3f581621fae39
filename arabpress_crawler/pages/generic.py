"""The generic layer: template-free extraction with trafilatura and htmldate, the last resort for each field.

trafilatura finds the main text of any news page by its structure (paragraph density, link density), so the
article still comes out when every class name and id of the template changes. It is slow next to the
site layer, so it runs only when it is asked for a field (:attr:`GenericLayer.document` is computed lazily).
Cheap fields (the URL's own date, the language from the script, the fetched URL) do not need it.
"""

from __future__ import annotations

import copy
import logging
from datetime import UTC, datetime
from functools import cached_property

import htmldate
import trafilatura
from lxml import etree
from trafilatura.settings import Document

from arabpress_crawler.dates import FUTURE_MARGIN, date_from_url, normalize_date
from arabpress_crawler.items import RelatedHeadline
from arabpress_crawler.pages.common import (
    PARAGRAPH_SEPARATOR,
    absolute_url,
    collapse_whitespace,
    element_text,
    guess_language,
    unique,
)
from arabpress_crawler.pages.selectors import xpath

logger = logging.getLogger(__name__)

#: Page chrome removed before searching the page for a date, so the masthead's "today" is never taken.
CHROME = xpath(
    "//header[not(ancestor::article)] | //nav | //footer[not(ancestor::article)] | //aside"
    " | //*[@role='banner' or @role='navigation' or @role='contentinfo' or @role='complementary']"
)
#: Text nodes that may hold the article's written date: those of the article first, else of the whole page.
_VISIBLE = "[not(ancestor::script or ancestor::style or ancestor::noscript)]"
#: Texts after the headline (the byline), nearest first; then texts before it, nearest first (a date line
#: above the headline). Pages without ``<h1>``: the article's texts, else the page's.
TEXT_AFTER_HEADLINE = xpath(f"(//h1)[1]/following::text(){_VISIBLE}")
TEXT_BEFORE_HEADLINE = xpath(f"(//h1)[1]/preceding::text(){_VISIBLE}")
TEXT_IN_ARTICLE = xpath(f"//article//text(){_VISIBLE} | //main//text(){_VISIBLE}")
TEXT_IN_BODY = xpath(f"//body//text(){_VISIBLE}")
#: How many texts around the headline are searched for a date.
DATE_TEXTS_AFTER_HEADLINE = 60
DATE_TEXTS_BEFORE_HEADLINE = 10
#: A written date is a short text of its own ("Published 28 December 2022"), not a sentence that cites one.
MIN_DATE_TEXT_CHARS = 8
MAX_DATE_TEXT_CHARS = 80
#: Text sampled to guess the language from the script.
LANGUAGE_SAMPLE = xpath("//title//text() | //h1//text() | //p//text()")
LANGUAGE_SAMPLE_CHARS = 4000
#: Short text-only elements that may head a list of related articles.
HEADING_CANDIDATES = xpath(
    "//body//*[not(*)][not(self::script or self::style or self::button or self::option)]"
    "[string-length(normalize-space()) > 2][string-length(normalize-space()) < 40]"
)
#: Headings of related-article lists, compared after :func:`_heading_key`.
RELATED_HEADINGS = frozenset(
    {
        "related articles",
        "related",
        "related stories",
        "related news",
        "related posts",
        "related content",
        "more stories",
        "more on this story",
        "you may also like",
        "مقالات ذات صلة",
        "اخبار ذات صلة",
        "مواضيع ذات صلة",
        "موضوعات ذات صلة",
        "ذات صلة",
        "اقرا ايضا",
        "اقرا ايضاً",
    }
)
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
#: A line of running text (a real paragraph) has at least this many characters.
RUNNING_TEXT_CHARS = 60
#: This many short lines before the first or after the last paragraph are page crumbs, not article text.
NOISY_EDGE_LINES = 3
#: Byline words trafilatura sometimes takes for an author's name.
NOT_AUTHOR_NAMES = frozenset(
    {"by", "and", "published", "updated", "posted", "last updated", "بقلم", "نشر", "تحديث"}
)
#: How many levels above a related heading its list of links may start.
RELATED_CONTAINER_LEVELS = 3
#: A list needs at least this many links to count as a related-articles list.
MIN_RELATED_LINKS = 2
#: Headline links of a list: links in list items or in headings.
LIST_ITEM_LINKS = xpath(
    ".//li//a[@href] | .//*[self::h2 or self::h3 or self::h4 or self::h5][.//a]//a[@href]"
)
_HEADING_FOLD = str.maketrans({"أ": "ا", "إ": "ا", "آ": "ا", ":": None, "：": None})


def _heading_key(text: str) -> str:
    return collapse_whitespace(text).lower().translate(_HEADING_FOLD).strip(" .-–—")


def _is_boilerplate_line(line: str) -> bool:
    key = _heading_key(line)
    return key in BOILERPLATE_LINES or key.startswith(READ_ALSO_PREFIXES)


def _trim_noisy_edges(lines: list[str]) -> list[str]:
    """Drop the menu and footer crumbs trafilatura keeps from some layouts (old table pages, mostly).

    Short lines before the first and after the last paragraph of running text are dropped when there are
    at least :data:`NOISY_EDGE_LINES` of them; fewer are taken as a real short opening or closing line.
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


def without_chrome(root: etree._Element) -> etree._Element:
    """A copy of the page without its chrome (site header, navigation, footer, sidebars)."""
    tree = copy.deepcopy(root)
    for element in CHROME(tree):
        parent = element.getparent()
        if parent is not None:
            parent.remove(element)
    return tree


def written_date(tree: etree._Element) -> str | None:
    """The date written out nearest after the headline ("٢٨ كانون الأول ٢٠٢٢", "28 December 2022").

    A masthead's "today" comes before the headline and is only reached when nothing follows it.
    htmldate does not read Arabic month names; this does (see :func:`normalize_date`).
    """
    after = TEXT_AFTER_HEADLINE(tree)
    if after:
        before = TEXT_BEFORE_HEADLINE(tree)[::-1]
        texts = after[:DATE_TEXTS_AFTER_HEADLINE] + before[:DATE_TEXTS_BEFORE_HEADLINE]
    else:
        texts = TEXT_IN_ARTICLE(tree) or TEXT_IN_BODY(tree)
    for text in texts:
        value = collapse_whitespace(str(text))
        if MIN_DATE_TEXT_CHARS <= len(value) <= MAX_DATE_TEXT_CHARS:
            found = normalize_date(value)
            if found:
                return found
    return None


def htmldate_date(tree: etree._Element, url: str | None) -> str | None:
    """The publication day htmldate finds (its extensive search over markup and text)."""
    latest = datetime.now(UTC) + FUTURE_MARGIN
    try:
        found = htmldate.find_date(
            tree, extensive_search=True, original_date=True, url=url, max_date=latest.strftime("%Y-%m-%d")
        )
    except ValueError:  # htmldate refuses some malformed trees; a date is then simply not found
        logger.debug("htmldate could not read %s", url)
        return None
    return normalize_date(found)


class GenericLayer:
    """Fields of any news page, found without knowing its template."""

    name = "generic"

    def __init__(self, root: etree._Element, url: str, thorough: bool = True) -> None:
        self.root = root
        self.base_url = url
        #: When ``False``, optional fields are not looked for with trafilatura (see :mod:`.article`).
        self.thorough = thorough

    @cached_property
    def document(self) -> Document | None:
        """trafilatura's extraction of the page (main text and metadata), computed on first use."""
        logger.debug("Running trafilatura on %s", self.base_url)
        document = trafilatura.bare_extraction(
            copy.deepcopy(self.root),
            url=self.base_url,
            with_metadata=True,
            include_comments=False,
            include_tables=False,
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
        document = self.document
        return (collapse_whitespace(document.title) or None) if document else None

    def body(self) -> str | None:
        document = self.document
        if document is None or not document.text:
            return None
        paragraphs = [collapse_whitespace(line) for line in document.text.splitlines()]
        kept = _trim_noisy_edges([line for line in paragraphs if line and not _is_boilerplate_line(line)])
        return PARAGRAPH_SEPARATOR.join(kept) or None

    def published_at(self) -> str | None:
        """The URL's date, else the first date written in the article, else htmldate's, never the masthead's."""
        from_url = date_from_url(self.base_url)
        if from_url:
            return from_url
        tree = without_chrome(self.root)
        return written_date(tree) or htmldate_date(tree, self.base_url)

    def authors(self) -> list[str]:
        document = self._optional()
        if document is None or not document.author:
            return []
        names = (collapse_whitespace(name) for name in document.author.split(";"))
        return unique(name for name in names if name.lower() not in NOT_AUTHOR_NAMES)

    def section(self) -> str | None:
        document = self._optional()
        if document is None or not document.categories:
            return None
        return collapse_whitespace(document.categories[0]) or None

    def tags(self) -> list[str]:
        document = self._optional()
        if document is None or not document.tags:
            return []
        return unique(collapse_whitespace(tag) for tag in document.tags)

    def image_url(self) -> str | None:
        document = self._optional()
        if document is None or not document.image:
            return None
        return absolute_url(self.base_url, document.image)

    def language(self) -> str | None:
        sample = "".join(str(text) for text in LANGUAGE_SAMPLE(self.root))[:LANGUAGE_SAMPLE_CHARS]
        return guess_language(sample)

    def related(self) -> list[RelatedHeadline]:
        """Links listed under a "Related articles" / "مقالات ذات صلة" heading, in page order."""
        if not self.thorough:
            return []
        for heading in HEADING_CANDIDATES(self.root):
            if _heading_key(element_text(heading)) in RELATED_HEADINGS:
                headlines = self._links_after(heading)
                if len(headlines) >= MIN_RELATED_LINKS:
                    return headlines
        return []

    @cached_property
    def _order(self) -> dict[etree._Element, int]:
        """Document order of every element, to tell what comes after a heading."""
        return {element: index for index, element in enumerate(self.root.iter())}

    def _links_after(self, heading: etree._Element) -> list[RelatedHeadline]:
        container = heading
        for _ in range(RELATED_CONTAINER_LEVELS):
            container = container.getparent()
            if container is None:
                return []
            links = [link for link in LIST_ITEM_LINKS(container) if self._order[link] > self._order[heading]]
            if len(links) >= MIN_RELATED_LINKS:
                return self._headlines(links)
        return []

    def _headlines(self, links: list[etree._Element]) -> list[RelatedHeadline]:
        headlines: list[RelatedHeadline] = []
        seen: set[str] = set()
        for link in links:
            url, title = absolute_url(self.base_url, link.get("href")), element_text(link)
            if url and title and url not in seen and url != self.base_url:
                seen.add(url)
                headlines.append(RelatedHeadline(title=title, url=url, position=len(headlines) + 1))
        return headlines
