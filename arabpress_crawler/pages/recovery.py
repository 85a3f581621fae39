"""Text of the article that trafilatura's default mode loses, recovered cheaply around its one run.

trafilatura's balanced mode (what :class:`.generic.GenericLayer` runs) drops some text a reader sees as part
of the article; its recall mode keeps it but costs a second run and lets noise in. Each function here
recovers one kind of such text by its mechanism, on the copy of the page trafilatura reads:

* :func:`formulas_as_text`: a MathML formula without a TeX source (trafilatura keeps the TeX of a
  ``<math>`` that has one, and deletes the others with their symbols): its symbols in reading order, in
  place of the formula and of a renderer's wrapper around it.
* :func:`blocks_between_paragraphs`: when trafilatura finds no article frame (class names it does not know,
  a layout table), it recovers the page's paragraphs one by one and leaves out the lists and subheadings
  between them, and it leaves out the lists of a table cell; those of the paragraphs' own container, after a
  paragraph it kept, come back (not link lists, share bars, galleries, or a heading over none of them).
"""

from __future__ import annotations

from lxml import etree

from arabpress_crawler.pages.common import element_text
from arabpress_crawler.pages.regions import class_matches

#: The TeX source of a formula, which trafilatura keeps as written (``local-name()``: namespaced XHTML too).
TEX_SOURCE = etree.XPath('@alttext | .//*[local-name()="annotation"][@encoding="application/x-tex"]')
#: Parts of a MathML formula that are markup source, not what a reader reads.
MATH_SOURCE_TAGS = frozenset({"annotation", "annotation-xml"})
#: Blocks trafilatura's paragraph-by-paragraph recovery leaves out.
LIST_TAGS = ("ul", "ol")
SUBHEADING_TAGS = ("h2", "h3", "h4", "h5", "h6")
#: A list whose text is more than this share of link text is navigation (related links, a share bar).
MAX_LINK_SHARE = 0.5
#: Class or id words of blocks between paragraphs that are not the article's.
NOT_ARTICLE_CLASS_WORDS = (
    "share",
    "social",
    "related",
    "promo",
    "newsletter",
    "sponsor",
    "advert",
    "menu",
    "nav",
    "topic",
    "keyword",
    "categor",
    "hidden",
)
NOT_ARTICLE_CLASS_PARTS = ("ad", "ads", "toc", "tags")
#: Elements holding two paragraphs and a list or a subheading, in page order (found in libxml2).
BLOCK_CONTAINERS = etree.XPath("//p[2]/parent::*[" + " or ".join((*LIST_TAGS, *SUBHEADING_TAGS)) + "]")
#: The items of a list, and of a list written directly in it (``<ul><ul><li>``).
LIST_ITEMS = etree.XPath("li | ul/li | ol/li")
#: Elements of a figure: a list holding them is a gallery.
FIGURE_TAGS = ("figure", "figcaption", "img", "picture")
#: A block with less than this share of its lines missing from the body is in the body already.
MIN_LOST_SHARE = 0.5
#: A list item's line in a body, as trafilatura writes it.
LIST_ITEM_PREFIX = "- "


def formulas_as_text(tree: etree._Element) -> None:
    """Replace each ``<math>`` of ``tree`` that has no TeX source by its symbols in reading order, separated
    by spaces (as a screen reader reads them): ``<mi>P</mi><mo>=</mo><mi>V</mi><mi>I</mi>`` → ``P = V I``."""
    for math in list(tree.iter("math")):
        parent = math.getparent()
        if parent is None or TEX_SOURCE(math):
            continue
        etree.strip_elements(math, *MATH_SOURCE_TAGS, with_tail=False)
        symbols = " ".join(text.strip() for text in math.itertext() if text.strip())
        # A renderer's wrapper (a custom element such as MathJax's ``<mjx-container>``, whose glyphs are drawn
        # by CSS) is the formula on screen; trafilatura deletes unknown elements whole, so it goes too
        rendered = math
        for ancestor in math.iterancestors():
            if not isinstance(ancestor.tag, str) or "-" not in ancestor.tag:
                break
            rendered = ancestor
        _replace_by_text(rendered, symbols)


def _replace_by_text(element: etree._Element, text: str) -> None:
    """Remove ``element`` from its parent, leaving ``text`` and the element's tail in its place."""
    parent = element.getparent()
    following = text + (element.tail or "")
    previous = element.getprevious()
    if previous is not None:
        previous.tail = (previous.tail or "") + following
    else:
        parent.text = (parent.text or "") + following
    parent.remove(element)


def blocks_between_paragraphs(tree: etree._Element, lines: list[str]) -> dict[int, list[str]]:
    """The lists and subheadings of ``tree`` that follow a paragraph of the body (``lines``, the body's
    paragraphs as trafilatura wrote them) in a container holding two of them, and are not in the body: for
    the index of the line holding the paragraph before them, the lines to insert after it, in page order (a
    list item as ``- item``). A paragraph is in the body when it is one of its lines or part of one
    (trafilatura writes a table row of a layout table as one line).

    Only containers that hold such a block and two kept paragraphs are read, so a page with no lost block
    costs one walk over its lists and subheadings.
    """
    # Lines joined without list marks, so that an item or paragraph trafilatura split in two still matches
    text = " ".join(line.removeprefix(LIST_ITEM_PREFIX) for line in lines)
    found: dict[int, list[str]] = {}
    for container in BLOCK_CONTAINERS(tree):  # in page order: two may add lines after the same line
        paragraphs = {child for child in container.iterchildren("p") if _in_text(element_text(child), text)}
        if len(paragraphs) < 2:
            continue
        anchor: etree._Element | None = None
        for child in container.iterchildren(etree.Element):
            if child in paragraphs:
                anchor = child
                continue
            block = _lost_lines(child, paragraphs) if anchor is not None else []
            recovered = [line for line in block if not _in_text(line.removeprefix(LIST_ITEM_PREFIX), text)]
            # A block mostly in the body already is trafilatura's, written otherwise: nothing of it is added
            if not recovered or len(recovered) < MIN_LOST_SHARE * len(block):
                continue
            index = _line_of(element_text(anchor), lines) if anchor is not None else None
            if index is not None:
                found.setdefault(index, []).extend(recovered)
    return found


def _in_text(part: str, text: str) -> bool:
    return bool(part) and part in text


def _line_of(paragraph: str, lines: list[str]) -> int | None:
    """The index of the line that is or holds ``paragraph``."""
    return next((index for index, line in enumerate(lines) if paragraph in line), None)


def _lost_lines(block: etree._Element, paragraphs: set[etree._Element]) -> list[str]:
    """The lines of a list or a subheading between two paragraphs, or none when it is not the article's."""
    if block.tag not in LIST_TAGS and block.tag not in SUBHEADING_TAGS:
        return []
    if class_matches(block, NOT_ARTICLE_CLASS_WORDS, NOT_ARTICLE_CLASS_PARTS) or _is_link_list(block):
        return []
    if block.tag in LIST_TAGS:
        if next(block.iter(*FIGURE_TAGS), None) is not None:  # a gallery: its text is captions
            return []
        items = (element_text(item) for item in LIST_ITEMS(block))
        return [LIST_ITEM_PREFIX + item for item in items if item]
    # A subheading introduces what follows it: a paragraph of the body or a list of the article
    following = block.getnext()
    if following is None or not (following in paragraphs or _lost_lines(following, paragraphs)):
        return []
    text = element_text(block)
    return [text] if text else []


def _is_link_list(block: etree._Element) -> bool:
    """Most of the block's text is link text, or most of a list's items are links ("More about: Hotels,
    Hygiene")."""
    total = len(element_text(block))
    linked = sum(len(element_text(link)) for link in block.iter("a"))
    if total == 0 or linked > MAX_LINK_SHARE * total:
        return True
    items = LIST_ITEMS(block) if block.tag in LIST_TAGS else []
    links = sum(
        1 for item in items if item.find(".//a") is not None and element_text(item) == _link_text(item)
    )
    return bool(items) and links > MAX_LINK_SHARE * len(items)


def _link_text(item: etree._Element) -> str:
    return " ".join(text for link in item.iter("a") if (text := element_text(link)))


def with_blocks_between_paragraphs(tree: etree._Element, lines: list[str]) -> list[str]:
    """``lines`` with the lost blocks of :func:`blocks_between_paragraphs` inserted where the page has them."""
    found = blocks_between_paragraphs(tree, lines)
    if not found:
        return lines
    restored: list[str] = []
    for index, line in enumerate(lines):
        restored.append(line)
        restored.extend(found.get(index, ()))
    return restored
