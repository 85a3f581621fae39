"""Size guards of the page objects, in one place: the longest text a field may hold, the most related links
one page gives, and when a metadata ``articleBody`` cannot be the page's text.

These are constants, not settings: they bound what one page can cost (time and memory) whatever the site
serves, far above anything a real article needs. A field over its limit is cut, never refused, and the cut
is reported (:class:`Cuts`, ``ArticlePage.cuts``) so the spider counts it in its stats.
"""

from __future__ import annotations

import copy
import logging
from dataclasses import dataclass, field
from typing import Any

from lxml import etree

from arabpress_crawler.pages.selectors import xpath

logger = logging.getLogger(__name__)

#: The most characters each text field keeps (a real headline is under 300, a long read under 200,000).
MAX_FIELD_CHARS: dict[str, int] = {
    "title": 1_000,
    "subtitle": 5_000,
    "body": 1_000_000,
    "section": 500,
}
#: The most related headlines one page gives (a real related list has a few dozen). Finders stop building
#: headlines one past it (:data:`RELATED_LINKS_READ`): the page object then knows the list was cut.
MAX_RELATED_LINKS = 1_000
RELATED_LINKS_READ = MAX_RELATED_LINKS + 1
#: The most links of a related block read (a card links its image, title and comments to one article).
RELATED_BLOCK_LINKS_READ = 4 * RELATED_LINKS_READ
#: The most links of the article region read for its section and tags (they sit before long link lists).
ARTICLE_LINKS_READ = 2_000
#: The most entries a list field keeps, and the most characters of each entry.
MAX_LIST_ENTRIES: dict[str, int] = {"authors": 50, "tags": 200, "related": MAX_RELATED_LINKS}
MAX_ENTRY_CHARS = 500
#: The most characters of a metadata ``articleBody`` read at all (before any processing).
MAX_ARTICLE_BODY_CHARS = MAX_FIELD_CHARS["body"]
#: A metadata ``articleBody`` longer than this many times the page's visible text (plus the slack) is not the
#: page's text: the visible page holds the article, so its text bounds the article's.
MAX_ARTICLE_BODY_RATIO = 10.0
ARTICLE_BODY_SLACK_CHARS = 20_000

#: A ``<script>`` longer than this is left out of the copy of the page given to trafilatura (the metadata
#: layer has read its JSON-LD already): trafilatura's own JSON-LD reading of a 9 MB script takes over 1 GB.
MAX_SCRIPT_CHARS = 200_000

#: A block with more links than this, nearly all of its text link text, is a link farm (a list of thousands of
#: headlines): never article text, and left out of the copies given to trafilatura and htmldate, whose cost
#: and memory grow with it (a 100,000-link list took 22 s and 700 MB in trafilatura).
MAX_BLOCK_LINKS = 500
MIN_FARM_LINK_SHARE = 0.8
#: How many levels above a link its block may be.
FARM_LEVELS = 3

#: How many links a page has; the blocks of more than :data:`MAX_BLOCK_LINKS` links within :data:`FARM_LEVELS`
#: levels under them (the page's ``<body>`` and ``<html>`` aside).
LINK_COUNT = xpath("count(//a)")
_LINKS_UNDER = " + ".join(f"count({'/'.join(['*'] * level + ['a'])})" for level in range(FARM_LEVELS))
_BIG_BLOCK = f"*[not(self::body or self::html)][{_LINKS_UNDER} > {MAX_BLOCK_LINKS}]"
BIG_BLOCKS = xpath(f"//{_BIG_BLOCK}")
#: The texts of the links under a block (each text once), and whether the block is or is in a link, or a link
#: holds another (the texts are then read link by link). Written without ``//`` steps, whose merges of
#: node-sets are quadratic in libxml2.
LINK_TEXTS = etree.XPath("descendant::text()[ancestor::a]", smart_strings=False)
NESTED_LINK = xpath("boolean(ancestor-or-self::a or descendant::a[descendant::a])")
SCRIPTS = xpath("//script")
VISIBLE_TEXT = xpath("//body//text()[not(ancestor::script or ancestor::style or ancestor::noscript)]")


@dataclass
class Cuts:
    """What a page object cut: characters per text field, entries per list field, related headlines."""

    chars: dict[str, int] = field(default_factory=dict)
    entries: dict[str, int] = field(default_factory=dict)

    def add_chars(self, name: str, count: int) -> None:
        if count > 0:
            self.chars[name] = self.chars.get(name, 0) + count

    def add_entries(self, name: str, count: int) -> None:
        if count > 0:
            self.entries[name] = self.entries.get(name, 0) + count

    @property
    def fields(self) -> list[str]:
        """The names of the fields that were cut, sorted."""
        return sorted(self.chars.keys() | self.entries.keys())

    def __bool__(self) -> bool:
        return bool(self.chars or self.entries)


def cut_text(text: str, limit: int) -> tuple[str, int]:
    """``text`` cut to ``limit`` characters (at a space when one is near), and how many were cut."""
    if len(text) <= limit:
        return text, 0
    kept = text[:limit]
    space = kept.rfind(" ", max(0, limit - 100))
    if space > 0:
        kept = kept[:space]
    return kept, len(text) - len(kept)


def apply_limits(values: dict[str, Any], cuts: Cuts, url: str) -> None:
    """Cut the text and list fields of ``values`` over their limits, in place, recording each cut."""
    for name, limit in MAX_FIELD_CHARS.items():
        value = values.get(name)
        if isinstance(value, str):
            values[name], count = cut_text(value, limit)
            cuts.add_chars(name, count)
    for name, limit in MAX_LIST_ENTRIES.items():
        value = values.get(name)
        if isinstance(value, list) and name != "related":
            entries = [cut_text(entry, MAX_ENTRY_CHARS)[0] for entry in value[:limit]]
            cuts.add_entries(name, len(value) - len(entries))
            values[name] = entries
        elif isinstance(value, list) and len(value) > limit:
            cuts.add_entries(name, len(value) - limit)  # a lower bound: finders stop reading past the limit
            values[name] = value[:limit]
    if cuts:
        logger.warning("Cut oversized fields on %s: %s", url, ", ".join(cuts.fields))


def visible_text_chars(root: etree._Element) -> int:
    """How many characters of text the page shows (scripts and styles left out)."""
    return sum(len(text) for text in VISIBLE_TEXT(root))


def credible_article_body(text: str, root: etree._Element) -> bool:
    """A metadata ``articleBody`` can be the page's article: not far longer than all the text the page shows."""
    if len(text) <= ARTICLE_BODY_SLACK_CHARS:
        return True
    return len(text) <= MAX_ARTICLE_BODY_RATIO * visible_text_chars(root) + ARTICLE_BODY_SLACK_CHARS


def drop_oversized_scripts(tree: etree._Element, url: str) -> None:
    """Remove from ``tree`` (a copy of a page) every ``<script>`` longer than :data:`MAX_SCRIPT_CHARS`."""
    for script in SCRIPTS(tree):
        size = len(script.text or "")
        if size > MAX_SCRIPT_CHARS:
            logger.info("Left a script of %d characters out of the generic reading of %s", size, url)
            parent = script.getparent()
            if parent is not None:
                parent.remove(script)


def link_farms(root: etree._Element) -> list[etree._Element]:
    """The innermost blocks of more than :data:`MAX_BLOCK_LINKS` links whose text is nearly all link text.

    A block's links are those at most :data:`FARM_LEVELS` levels under it. Counted in libxml2, and only on a
    page with more links than a block may hold: most pages have a few hundred links in all.
    """
    if LINK_COUNT(root) <= MAX_BLOCK_LINKS:
        return []
    big = BIG_BLOCKS(root)
    outer = {ancestor for node in big for ancestor in node.iterancestors()}
    farms = []
    for node in big:
        if node in outer:
            continue  # an inner block is the farm
        if _link_chars(node) >= MIN_FARM_LINK_SHARE * len(node.text_content()):
            farms.append(node)
    return farms


def _link_chars(node: etree._Element) -> int:
    """The length of the text of every link under ``node`` (a link inside a link counted with each)."""
    if NESTED_LINK(node):  # rare: read link by link, as the definition says
        return sum(len(link.text_content()) for link in node.iter("a"))
    return sum(map(len, LINK_TEXTS(node)))


def copy_without_link_farms(
    root: etree._Element, url: str, farms: list[etree._Element] | None = None
) -> etree._Element:
    """A deep copy of ``root`` without its link farms (:func:`link_farms`, or ``farms`` when the caller has
    found them already) and oversized scripts.

    The farms are detached from ``root`` for the copy and put back in their places: ``root`` is unchanged,
    and the farms are never copied (copying them would cost as much as the page itself).
    """
    if farms is None:
        farms = link_farms(root)
    places = []
    for farm in farms:
        parent = farm.getparent()
        if parent is not None:
            places.append((parent, parent.index(farm), farm))
    if places:
        logger.info(
            "Left %d link list(s) of over %d links out of the generic reading of %s",
            len(places),
            MAX_BLOCK_LINKS,
            url,
        )
    try:
        for parent, _, farm in places:
            parent.remove(farm)
        tree = copy.deepcopy(root)
    finally:
        for parent, index, farm in sorted(places, key=lambda place: place[1]):
            parent.insert(index, farm)  # ascending: each goes back where it was among its siblings
    drop_oversized_scripts(tree, url)
    return tree
