"""The date written with the article, never the masthead's, on any template, in any script or digit system.

A news page shows many dates: the masthead's "today" (``Saturday, Nov 08, 2025``, ``اليوم: الأحد ٩ آذار
٢٠٢٥``), a breaking-news ticker's timestamps, the dates of teasers in "Most read" lists, and the article's own
date. Only the last is the publication date. It is the one *written with the article*:

1. in the byline and the lines under the headline (``By … · 12 March 2023``, ``كتب: … | ۱۲ سبتمبر ۲۰۲۳``,
   a ``<time>`` without ``datetime``), nearest first;
2. else in a date line just above the headline inside the headline's own block (``Politics | April 4, 2024``).

Everything else is page furniture and never dates the article: the page chrome (:data:`.structure.CHROME`),
anything before the headline outside its block (mastheads, tickers, sidebars of table layouts), a date
labelled "today"/"اليوم", and a date beside a link to another article (a teaser's date). A page whose only
dates are furniture gets no date, and a warning says so: no date is better than a wrong one.

The generic layer asks :func:`article_date`; the metadata layer asks :func:`article_time` for the first
``<time datetime>`` of the article (never the masthead's).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable, Iterator
from itertools import islice
from urllib.parse import urlsplit

from lxml import etree

from arabpress_crawler import arabic, site
from arabpress_crawler.dates import normalize_date
from arabpress_crawler.pages.common import absolute_url, collapse_whitespace, is_article_link, lead_text
from arabpress_crawler.pages.limits import copy_without_link_farms
from arabpress_crawler.pages.regions import ArticleRegions
from arabpress_crawler.pages.selectors import xpath
from arabpress_crawler.pages.structure import CHROME

logger = logging.getLogger(__name__)

_VISIBLE = "[not(ancestor::script or ancestor::style or ancestor::noscript or ancestor::template)]"
TEXT_BEFORE = xpath(f"preceding::text(){_VISIBLE}")
TEXT_IN_ARTICLE = xpath(f"//article//text(){_VISIBLE} | //main//text(){_VISIBLE}")
TIMES = xpath("//time[@datetime]")
#: How many texts after the headline are read for its date (the byline sits within the first few).
DATE_TEXTS_AFTER_HEADLINE = 60
#: Elements whose text a reader never sees (the ``_VISIBLE`` test, for texts read without XPath).
_HIDING_TAGS = frozenset(("script", "style", "noscript", "template"))
#: How many texts above the headline (inside its block) are read for a date line.
DATE_TEXTS_ABOVE_HEADLINE = 10
#: Those texts (a reverse axis: the nearest ones; given in page order).
TEXTS_ABOVE = xpath(f"preceding::text(){_VISIBLE}[position() <= {DATE_TEXTS_ABOVE_HEADLINE}]")
#: A written date is a short text of its own ("Published 28 December 2022"), not a sentence that cites one.
MIN_DATE_TEXT_CHARS = 8
MAX_DATE_TEXT_CHARS = 80
#: Labels of the masthead's date (compared folded, at the start of the date's text or just before it).
TODAY_LABELS = ("today", "اليوم")
#: A teaser's box (a ticker entry, a "most read" item) is at most this long; a date in one is the teaser's.
MAX_TEASER_CHARS = 200
#: A teaser's link is a headline: at least this long or this many words (an author's name is shorter).
MIN_TEASER_HEADLINE_CHARS = 25
MIN_TEASER_HEADLINE_WORDS = 4
#: Author pages: a link to one is the byline's.
AUTHOR_PATH = re.compile(r"/(?:author|authors|writer|writers|profile|people|staff|byline)/", re.IGNORECASE)
#: How many element siblings above the headline's block may hold its date line.
DATE_SIBLINGS_ABOVE_HEADLINE = 2

#: Marks the headline's block for the time of a copy, to find it in the copy.
BLOCK_MARK = "data-arabpress-headline-block"
#: Called with a copy of the page without its furniture and the page URL, when no written date is found.
Fallback = Callable[[etree._Element, str], str | None]


def _owner(text: etree._ElementUnicodeResult) -> etree._Element | None:
    """The element a text node belongs to (a tail belongs to its element's parent)."""
    parent = text.getparent()
    if parent is not None and text.is_tail:
        return parent.getparent()
    return parent


def _visible_texts_after(element: etree._Element) -> Iterator[tuple[str, etree._Element | None]]:
    """The visible texts after ``element`` and its content, in page order (``following::text()`` of
    ``_VISIBLE``), each with :func:`_owner`'s element; read as they are asked for, not to the page's end."""
    hidden = any(ancestor.tag in _HIDING_TAGS for ancestor in element.iterancestors())
    node: etree._Element | None = element
    while node is not None:
        parent = node.getparent()
        if node.tail and not hidden:
            yield node.tail, parent
        for sibling in node.itersiblings():
            if not hidden:
                yield from _visible_texts_in(sibling, parent)
        node = parent
        if node is not None and node.tag in _HIDING_TAGS:
            hidden = any(ancestor.tag in _HIDING_TAGS for ancestor in node.iterancestors())


def _visible_texts_in(
    element: etree._Element, parent: etree._Element | None
) -> Iterator[tuple[str, etree._Element | None]]:
    """The visible texts of ``element`` (not hidden itself by its ancestors) and its tail, with their owners."""
    if isinstance(element.tag, str) and element.tag not in _HIDING_TAGS:
        if element.text:
            yield element.text, element
        for child in element:
            yield from _visible_texts_in(child, element)
    if element.tail:
        yield element.tail, parent


def _text_length(element: etree._Element) -> int:
    return len(collapse_whitespace(element.xpath("string()")))


class ArticleDating:
    """The article's written dates, and the furniture dates around them, of one page."""

    def __init__(self, root: etree._Element, url: str, regions: ArticleRegions) -> None:
        self.root = root
        self.url = url
        self.regions = regions
        self.furniture: list[str] = []

    def _is_home_link(self, link: etree._Element) -> bool:
        href = link.get("href")
        if href is None:
            return False
        url = absolute_url(self.url, href)
        return bool(url) and urlsplit(url).path in ("", "/") and not urlsplit(url).query

    def _is_teaser(self, element: etree._Element) -> bool:
        """``element`` sits in a small box with a headline link to another article: a ticker entry or a
        teaser. An author's link (a short name, an author page) is the byline's, not a teaser's."""
        node: etree._Element | None = element
        while (
            node is not None and node.tag not in ("body", "html") and _text_length(node) <= MAX_TEASER_CHARS
        ):
            for link in node.iter("a"):
                text = collapse_whitespace(link.xpath("string()"))
                if len(text) < MIN_TEASER_HEADLINE_CHARS and len(text.split()) < MIN_TEASER_HEADLINE_WORDS:
                    continue
                url = absolute_url(self.url, link.get("href"))
                if url and is_article_link(url, self.url) and not AUTHOR_PATH.search(url):
                    return True
            node = node.getparent()
        return False

    def _above_headline(self, element: etree._Element, block: etree._Element | None) -> bool:
        """``element`` is in the headline's block, or in one of the few element siblings just above it."""
        if block is None:
            return False
        if element is block or block in element.iterancestors():
            return True
        above = list(block.itersiblings(preceding=True))[:DATE_SIBLINGS_ABOVE_HEADLINE]
        return any(element is sibling or sibling in element.iterancestors() for sibling in above)

    def _in_masthead_block(self, element: etree._Element, block: etree._Element | None) -> bool:
        """A block between ``element`` and the headline's ``block`` holds the site's logo (a link home) or
        shows the site's name or slogan (:data:`arabpress_crawler.site.MASTHEAD_TEXTS`)."""
        for node in (element, *element.iterancestors()):
            if node is block or node.tag in ("body", "html"):
                return False
            if any(self._is_home_link(link) for link in node.iter("a")):
                return True
            if _text_length(node) <= MAX_TEASER_CHARS and any(
                text in node.xpath("string()") for text in site.MASTHEAD_TEXTS
            ):
                return True
        return False

    @staticmethod
    def _labelled_today(text: str, element: etree._Element) -> bool:
        """The date is labelled as today's ("Today:", "اليوم:") in its own text or just before it."""
        return arabic.fold(f"{lead_text(element)} {text}").startswith(TODAY_LABELS)

    def _date_of(self, text: str) -> str | None:
        value = collapse_whitespace(str(text))
        if not MIN_DATE_TEXT_CHARS <= len(value) <= MAX_DATE_TEXT_CHARS:
            return None
        return normalize_date(value)

    def _furniture(self, value: str, text: str, url: str) -> None:
        logger.debug("Furniture date %r (%s) not taken on %s", text, value, url)
        self.furniture.append(collapse_whitespace(text))

    def written_date(self) -> str | None:
        """The date written with the article (byline, date line above the headline); furniture never."""
        headline = self.regions.headline
        if headline is None:
            return self._date_in_article()
        found = self._first_article_date(islice(_visible_texts_after(headline), DATE_TEXTS_AFTER_HEADLINE))
        if found:
            return found
        block = self.regions.header_block
        for text in TEXTS_ABOVE(headline)[::-1]:
            value = self._date_of(text)
            element = _owner(text)
            if value is None or element is None:
                continue
            if (
                not self._above_headline(element, block)
                or self.regions.in_chrome(element)
                or self._in_masthead_block(element, block.getparent() if block is not None else None)
                or self._labelled_today(text, element)
            ):
                self._furniture(value, text, self.url)
                continue
            return value
        self._note_furniture_before(headline)
        return None

    def _note_furniture_before(self, headline: etree._Element) -> None:
        """Remember the dates above the headline (beyond the few read), for the warning."""
        if self.furniture:
            return
        for text in TEXT_BEFORE(headline):
            value = self._date_of(text)
            if value is not None:
                self._furniture(value, text, self.url)

    def _date_in_article(self) -> str | None:
        """Without a headline: a date in ``<article>``/``<main>`` outside chrome and teasers, else none."""
        return self._first_article_date((text, _owner(text)) for text in TEXT_IN_ARTICLE(self.root))

    def _first_article_date(self, texts: Iterable[tuple[str, etree._Element | None]]) -> str | None:
        """The first date among ``texts`` (each with its owner element) that is not in the chrome, a teaser's
        or labelled "today"."""
        for text, element in texts:
            value = self._date_of(text)
            if value is None or element is None:
                continue
            if (
                self.regions.in_chrome(element)
                or self._is_teaser(element)
                or self._labelled_today(text, element)
            ):
                self._furniture(value, text, self.url)
                continue
            return value
        return None

    def without_furniture(self) -> etree._Element:
        """A copy of the page without chrome and without what comes before the headline's block."""
        block = self.regions.header_block
        if block is not None:
            block.set(BLOCK_MARK, "")
        try:
            # no link lists of thousands (found once per page), no huge scripts
            tree = copy_without_link_farms(self.root, self.url, self.regions.link_farms)
        finally:
            if block is not None:
                del block.attrib[BLOCK_MARK]
        kept: set[etree._Element] = set()
        if block is not None:
            found = tree.xpath(f"//*[@{BLOCK_MARK}]")
            node = found[0] if found else None
            if node is not None:
                del node.attrib[BLOCK_MARK]
            kept = set(node.iterancestors()) | {node} if node is not None else set()
            while node is not None and node.tag not in ("body", "html"):
                parent = node.getparent()
                for sibling in list(node.itersiblings(preceding=True)):
                    parent.remove(sibling)
                node = parent
        for element in CHROME(tree):
            parent = element.getparent()
            if parent is not None and element not in kept:
                parent.remove(element)
        return tree

    def time_datetime(self) -> str | None:
        """The first ``<time datetime>`` of the article: after the headline or in its block, not a teaser's."""
        headline = self.regions.headline
        block = self.regions.header_block
        start = (
            self.regions.position(block if block is not None else headline) if headline is not None else -1
        )
        for time in TIMES(self.root):
            if self.regions.in_chrome(time) or self._is_teaser(time):
                continue
            if headline is None:
                if not any(ancestor.tag in ("article", "main") for ancestor in time.iterancestors()):
                    continue
            elif self.regions.position(time) < start:
                continue
            value = normalize_date(time.get("datetime"))
            if value:
                return value
        return None


def article_date(
    root: etree._Element, url: str, regions: ArticleRegions, fallback: Fallback | None
) -> str | None:
    """The written date of the article, else ``fallback`` on the page without its furniture, else ``None``.

    When no date is found but furniture dates were seen (the masthead's "today"), a warning names them.
    """
    dating = ArticleDating(root, url, regions)
    found = dating.written_date()
    if found is None and fallback is not None:
        found = fallback(dating.without_furniture(), url)
    if found is None and dating.furniture:
        logger.warning(
            "No publication date on %s: its only date is the masthead's or a teaser's (%r), not taken",
            url,
            dating.furniture[0],
        )
    return found


def article_time(root: etree._Element, url: str, regions: ArticleRegions) -> str | None:
    """The article's first ``<time datetime>`` (never the masthead's, a ticker's or a teaser's)."""
    return ArticleDating(root, url, regions).time_datetime()
