"""Related headlines found by the heading above them, whatever the template.

A related list is a heading ("Related", "You may also like", "More on this story", "ذات صلة", "اقرأ أيضاً"…,
compared case-insensitively and without hamza forms or diacritics) followed by a block of links: a list, a
grid of cards with or without thumbnails, ``<article>`` teasers. The block is the smallest element around
the heading that holds enough article links after it. Each card counts once (its image link, title link and
"3 comments" link point to the same URL); its title is the text of its headline link, else its longest
link text, its ``title`` attribute, its heading, or its image's ``alt``.

A "Read also" box set between two paragraphs of the body is part of the text, not the related list.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache

from lxml import etree

from arabpress_crawler import arabic
from arabpress_crawler.items import RelatedHeadline
from arabpress_crawler.pages.common import absolute_url, collapse_whitespace, element_text, is_article_link
from arabpress_crawler.pages.limits import RELATED_BLOCK_LINKS_READ, RELATED_LINKS_READ
from arabpress_crawler.pages.regions import ArticleRegions, class_matches, is_paragraph_block, is_running_text
from arabpress_crawler.pages.selectors import xpath

logger = logging.getLogger(__name__)

#: Elements that may head a related list…
_HEADING_CANDIDATE_TAGS = (
    "h2 h3 h4 h5 h6 div span p strong b em a header li label legend summary section".split()
)
#: …when short (their whole text is compared): between 3 and 59 characters once whitespace is collapsed. The
#: tag is tested by name in one string (cheaper in libxml2 than a ``self::`` step per tag), the length once.
_HEADING_TEST = (
    f"[contains('|{'|'.join(_HEADING_CANDIDATE_TAGS)}|', concat('|', local-name(), '|'))]"
    "[floor((string-length(normalize-space()) - 3) div 57) = 0]"
)
HEADING_CANDIDATES = xpath(f"//body/descendant::*{_HEADING_TEST}")
_NODES_HEADINGS = xpath(f"$nodes/descendant-or-self::*{_HEADING_TEST}")
_IS_HEADING = xpath(f"boolean(self::*{_HEADING_TEST})")
_SUBTREE_SIZE = xpath("count(descendant::*)")
_BODIES = xpath("//body")
#: A page of more elements than this (a list of thousands of links) is read for headings a part at a time,
#: as the reading goes on: blocks of consecutive elements of at most this many elements each.
HEADING_CHUNK_ELEMENTS = 20_000
#: The page has more elements than that (libxml2 stops counting there).
_HUGE_PAGE = xpath(f"boolean(/descendant::*[{HEADING_CHUNK_ELEMENTS + 1}])")


def heading_candidates(root: etree._Element) -> Iterator[etree._Element]:
    """The elements of :data:`HEADING_CANDIDATES`, in page order, found as they are asked for on a huge page:
    one whose related heading comes before a list of 100,000 links is not read past the heading."""
    bodies = _BODIES(root) if _HUGE_PAGE(root) else []
    if len(bodies) != 1 or _SUBTREE_SIZE(bodies[0]) <= HEADING_CHUNK_ELEMENTS:
        yield from HEADING_CANDIDATES(root)
        return
    yield from _headings_under(bodies[0])


def _headings_under(parent: etree._Element) -> Iterator[etree._Element]:
    """The heading candidates among ``parent``'s descendants, in page order, a block of children at a time."""
    batch: list[etree._Element] = []
    size = 0
    for child in parent.iterchildren(etree.Element):
        child_size = int(_SUBTREE_SIZE(child)) + 1
        if size + child_size > HEADING_CHUNK_ELEMENTS and batch:
            yield from _NODES_HEADINGS(parent, nodes=batch)
            batch, size = [], 0
        if child_size > HEADING_CHUNK_ELEMENTS:
            if _IS_HEADING(child):
                yield child
            yield from _headings_under(child)
        else:
            batch.append(child)
            size += child_size
    if batch:
        yield from _NODES_HEADINGS(parent, nodes=batch)


def _folded_pattern(pattern: str) -> re.Pattern[str]:
    """``pattern`` compiled with its Arabic letters folded as :func:`heading_key` folds the text it is matched on."""
    return re.compile(pattern.translate(arabic.WORD_FOLD_TABLE))


_EDGE = " .:：-–—|›»«>→←+"
#: Headings that name a related list outright ("Related topics" heads tags, not headlines)…
STRONG_HEADINGS = _folded_pattern(
    r"^(?:related(?: articles?| stories| story| news| posts?| content| coverage| reading| links)?"
    r"|(?:you (?:may|might) (?:also )?(?:like|enjoy|be interested in))"
    r"|more on this (?:story|topic)|recommended(?: for you| articles| stories| reading)?"
    r"|(?:also read|read also|see also|read next|further reading|more like this)"
    r"|(?:مقالات|اخبار|مواضيع|موضوعات|تقارير|قصص|مقالات اخري)? ?ذات صلة(?: بالموضوع)?"
    r"|اقرا ايضا|اقرا كذلك|قد يعجبك(?: ايضا)?|اخترنا لك|شاهد ايضا|مواضيع مشابهة|اخبار مشابهة)$"
)
#: …and headings that often do, but also head other blocks ("Read more", "More from Sport", "المزيد").
WEAK_HEADINGS = _folded_pattern(
    r"^(?:read more|more (?:stories|news|articles|from|on|in|about)(?: .{1,40})?|المزيد(?: من .{1,40})?"
    r"|اقرا المزيد)$"
)
#: Link texts that are not a headline: "Read more" buttons and comment counts.
NOT_A_TITLE = _folded_pattern(
    r"^(?:read more|continue reading|more|details|more (?:in|from|on) .{1,40}|المزيد(?: من .{1,40})?|اقرا المزيد"
    r"|التفاصيل|\d+(?: ?comments?| ?تعليقات?)?)$"
)
#: How many levels above its heading a related block may start.
MAX_BLOCK_LEVELS = 4
#: A related block has at least this many article links.
MIN_RELATED_LINKS = 2
#: How many levels above a link its card may reach.
MAX_CARD_LEVELS = 4
HEADING_TAGS = frozenset({"h2", "h3", "h4", "h5", "h6"})
#: Headings a link may wrap (``<a><h3>…</h3></a>``).
LINK_HEADING_TAGS = frozenset({"h2", "h3", "h4"})
#: At most this many candidate headings are tried (each costs a walk of its block).
MAX_HEADINGS_TRIED = 20
#: How many heading texts' strength is remembered (short texts: a few hundred kB at most).
HEADING_TEXTS_CACHED = 8192
TITLE_CLASS_WORDS = ("title", "headline")
_TITLE_PRIORITY = {"headline-link": 0, "link": 1, "title-attribute": 2, "card-heading": 3, "image-alt": 4}


def heading_key(text: str) -> str:
    """``text`` folded for comparison: lower case, one alef and yeh form, no diacritics or edge marks."""
    return arabic.fold(collapse_whitespace(text), ta_marbuta=False).strip(_EDGE)


@lru_cache(maxsize=HEADING_TEXTS_CACHED)
def heading_strength(text: str) -> int | None:
    """0 for a heading that names a related list, 1 for one that may, ``None`` otherwise (remembered for the
    last :data:`HEADING_TEXTS_CACHED` texts: a site repeats its menus and footers on every page)."""
    key = heading_key(text)
    if STRONG_HEADINGS.match(key):
        return 0
    if WEAK_HEADINGS.match(key):
        return 1
    return None


@dataclass
class _Entry:
    url: str
    title: str = ""
    priority: int = len(_TITLE_PRIORITY)

    def offer(self, title: str, source: str) -> None:
        """Keep ``title`` when its source ranks higher, or when it is a longer plain link text."""
        title = collapse_whitespace(title)
        if not title or NOT_A_TITLE.match(heading_key(title)):
            return
        priority = _TITLE_PRIORITY[source]
        longer_link_text = source == "link" and priority == self.priority and len(title) > len(self.title)
        if priority < self.priority or longer_link_text:
            self.title, self.priority = title, priority


class RelatedFinder:
    """The related list of one page, found from its heading."""

    def __init__(self, root: etree._Element, url: str, regions: ArticleRegions) -> None:
        self.root = root
        self.base_url = url
        self.regions = regions
        self._urls: dict[etree._Element, str | None] = {}
        self._article_urls: dict[str, bool] = {}

    def headlines(self) -> list[RelatedHeadline]:
        """The related headlines in page order, or ``[]`` when the page has no related list."""
        for tried, heading in enumerate(self._headings()):
            if tried >= MAX_HEADINGS_TRIED:
                break
            links = self._block_links(heading)
            if links is None:
                continue
            headlines = self._headlines(links)
            if len(headlines) >= MIN_RELATED_LINKS:
                logger.debug(
                    "Related list %r with %d links on %s",
                    element_text(heading),
                    len(headlines),
                    self.base_url,
                )
                return headlines
        return []

    def _headings(self) -> Iterator[etree._Element]:
        """Candidate headings: strong ones first, those after the headline before those above it.

        Strong headings after the headline come first, in page order: each is given as soon as it is found,
        so a page whose related list is under such a heading is not read further for headings.
        """
        headline = self.regions.headline
        headline_position = self.regions.position(headline) if headline is not None else -1
        later = []
        for element in heading_candidates(self.root):
            strength = heading_strength(element_text(element))
            if strength is None or self._in_navigation(element):
                continue
            position = self.regions.position(element)
            if strength == 0 and position >= headline_position:
                yield element
            else:
                later.append(((position < headline_position, strength, position), element))
        yield from (element for _, element in sorted(later, key=lambda pair: pair[0]))

    def _in_navigation(self, element: etree._Element) -> bool:
        """Inside a menu or the masthead (a "More" menu entry, "Read more" in the site header)."""
        for ancestor in element.iterancestors():
            if ancestor.tag == "nav" or ancestor.get("role") in ("navigation", "banner", "menu", "menubar"):
                return True
            if ancestor.tag == "header" and ancestor in self.regions.chrome:
                return True
        return False

    def _block_links(self, heading: etree._Element) -> list[etree._Element] | None:
        """The links after ``heading`` in the smallest block around it that has enough of them."""
        if _is_inline_box(heading, heading):
            return None
        container = heading
        for _ in range(MAX_BLOCK_LEVELS):
            container = container.getparent()
            if container is None or container.tag in ("body", "html"):
                return None
            if _is_inline_box(container, heading):
                return None
            links = self._links_after(container, heading)
            if len({self._url(link) for link in links}) >= MIN_RELATED_LINKS:
                return links
            if self.regions.contains_headline(container):
                return None  # climbed up to the whole article: the heading heads nothing
        return None

    def _links_after(self, container: etree._Element, heading: etree._Element) -> list[etree._Element]:
        """The article links of ``container`` after ``heading`` and what it holds, up to the next heading."""
        links = []
        for element in _after(heading, container):
            if _is_next_heading(element, heading):
                break
            if element.tag == "a" and self._is_article_link(element) and not _in_paragraph(element):
                links.append(element)
                if len(links) >= RELATED_BLOCK_LINKS_READ:
                    break  # enough for the longest list a page gives (cards repeat their link)
        return links

    def _url(self, link: etree._Element) -> str | None:
        """The absolute URL of ``link`` (computed once per link: a block is read at several levels)."""
        if link in self._urls:
            return self._urls[link]
        return self._urls.setdefault(link, absolute_url(self.base_url, link.get("href")))

    def _is_article_link(self, link: etree._Element) -> bool:
        url = self._url(link)
        if not url:
            return False
        known = self._article_urls.get(url)
        if known is None:
            known = self._article_urls[url] = is_article_link(url, self.base_url)
        return known

    def _headlines(self, links: list[etree._Element]) -> list[RelatedHeadline]:
        entries: dict[str, _Entry] = {}
        urls = {link: self._url(link) or "" for link in links}
        cards = _Cards(urls)
        for link in links:
            if len(entries) >= RELATED_LINKS_READ and urls[link] not in entries:
                break  # the page object cuts the list and reports it
            entry = entries.setdefault(urls[link], _Entry(urls[link]))
            source = "headline-link" if _is_headline_link(link) else "link"
            entry.offer(element_text(link), source)
            entry.offer(link.get("title") or "", "title-attribute")
            card = cards.card(link)
            heading = _card_heading(card) if card is not None else None
            if heading is not None:
                entry.offer(element_text(heading), "card-heading")
            for image in link.iter("img", "amp-img"):
                entry.offer(image.get("alt") or "", "image-alt")
        titled = [entry for entry in entries.values() if entry.title][:RELATED_LINKS_READ]
        return [RelatedHeadline(title=e.title, url=e.url, position=i) for i, e in enumerate(titled, 1)]


def _after(heading: etree._Element, container: etree._Element) -> Iterator[etree._Element]:
    """The elements of ``container`` after ``heading`` and its descendants, in document order."""
    node = heading
    while node is not container:
        for sibling in node.itersiblings(etree.Element):
            yield from sibling.iter(etree.Element)
        parent = node.getparent()
        if parent is None:
            return
        node = parent


def _nearest_with_text(element: etree._Element, forward: bool) -> etree._Element | None:
    sibling = element.getnext() if forward else element.getprevious()
    while sibling is not None and (not isinstance(sibling.tag, str) or not _has_text(sibling)):
        sibling = sibling.getnext() if forward else sibling.getprevious()
    return sibling


def _has_text(element: etree._Element) -> bool:
    """``element`` holds some text besides whitespace (read up to its first such text, not all of it)."""
    return any(not text.isspace() for text in element.itertext() if text)


def _is_inline_box(element: etree._Element, heading: etree._Element) -> bool:
    """``element`` (the heading or a block around it) sits between two paragraphs of the body."""
    if element is not heading and is_paragraph_block(element):
        return False
    return is_paragraph_block(_nearest_with_text(element, False)) and is_paragraph_block(
        _nearest_with_text(element, True)
    )


def _is_next_heading(element: etree._Element, heading: etree._Element) -> bool:
    """``element`` heads the next block: a heading of the related heading's tag and class, without a link."""
    return (
        heading.tag in HEADING_TAGS
        and element.tag == heading.tag
        and element.get("class") == heading.get("class")
        and element.find(".//a") is None
        and not any(ancestor.tag == "a" for ancestor in element.iterancestors())
    )


def _in_paragraph(link: etree._Element) -> bool:
    """A link of running text (inside a long paragraph) is not a related headline."""
    for ancestor in link.iterancestors():
        if ancestor.tag == "p":
            return is_running_text(ancestor) and len(element_text(link)) < len(element_text(ancestor)) / 2
        if ancestor.tag not in ("span", "em", "strong", "b", "i"):
            return False
    return False


def _is_headline_link(link: etree._Element) -> bool:
    """The link is, or wraps, or sits in the card's headline."""
    if link.tag in HEADING_TAGS or any(ancestor.tag in HEADING_TAGS for ancestor in link.iterancestors()):
        return True
    if any(child.tag in LINK_HEADING_TAGS for child in link.iter()):
        return True
    return any(
        class_matches(node, TITLE_CLASS_WORDS) for node in (link, link.getparent()) if node is not None
    )


_MIXED = ""


class _Cards:
    """Which elements around the related links are cards: the links under them all go to one article.

    Each element's answer is computed once and its walk stops at the second URL it meets, so finding every
    link's card costs time linear in the size of the block (a list of 100,000 links is walked once, not
    once per link).
    """

    def __init__(self, urls: dict[etree._Element, str]) -> None:
        self.urls = urls
        self._single: dict[etree._Element, str] = {}

    def single_url(self, node: etree._Element) -> str:
        """The one URL all related links under ``node`` go to, or ``""`` when they go to several."""
        known = self._single.get(node)
        if known is not None:
            return known
        found: str | None = None
        for link in node.iter("a"):
            url = self.urls.get(link)
            if url is None:
                continue
            if found is None:
                found = url
            elif url != found:
                found = _MIXED
                break
        result = found if found is not None else _MIXED
        self._single[node] = result
        return result

    def card(self, link: etree._Element) -> etree._Element | None:
        """The largest element around ``link`` whose links all go to the same article (its card)."""
        card = None
        node = link.getparent()
        for _ in range(MAX_CARD_LEVELS):
            if node is None or self.single_url(node) != self.urls[link]:
                break
            card, node = node, node.getparent()
        return card


def _card_heading(card: etree._Element) -> etree._Element | None:
    for element in card.iter(etree.Element):
        if element.tag in HEADING_TAGS or class_matches(element, TITLE_CLASS_WORDS):
            if collapse_whitespace(element.xpath("string()")):
                return element
    return None
