"""Why a page is not an article: the reasons, and the evidence of a listing found by structure.

A page is refused only on positive evidence that it is something else (a listing of articles, the site's own
static or error page) or when no layer finds any text to store. Weak hints never refuse on their own: an
``og:type`` of ``website`` (many news sites mark articles so), several ``<article>`` elements (the story and
its teasers), a page of little markup.

Each refusal carries a :class:`Refusal`; the spider counts them by reason in the run's stats
(``arabpress/articles/refused/<reason>``) so a template change that makes them jump shows in the run record.
"""

from __future__ import annotations

from collections import Counter
from enum import StrEnum

from lxml import etree

from arabpress_crawler.pages.regions import ArticleRegions
from arabpress_crawler.pages.selectors import xpath


class Refusal(StrEnum):
    """The reason a page is not an article (the value is the stats key's last part)."""

    LISTING_URL = "listing_url"
    SITE_PAGE = "site_page"
    COLLECTION = "collection_type"
    TEASERS = "teasers"
    NO_TEXT = "no_text"

    @property
    def message(self) -> str:
        return MESSAGES[self]


MESSAGES = {
    Refusal.LISTING_URL: "the URL is a listing: home, section, tag, author, search, pagination, feed or sitemap",
    Refusal.SITE_PAGE: "the page is a listing, static page or error page of the site",
    Refusal.COLLECTION: "its JSON-LD describes a collection, search results or profile page",
    Refusal.TEASERS: "it lists same-shaped teasers (linked headlines) and has no running text of its own",
    Refusal.NO_TEXT: "no layer found any text to store",
}

#: Headings that link to another page (not a ``#`` permalink of their own section): teasers' headlines.
LINKED_HEADINGS = xpath(
    "//*[self::h2 or self::h3 or self::h4][.//a[@href][not(starts-with(normalize-space(@href), '#'))]]"
)
#: Pagination: ``rel="next"`` (link or anchor) or a pagination block.
PAGINATION = xpath(
    "//*[self::a or self::link][contains(concat(' ', normalize-space(@rel), ' '), ' next ')]"
    " | //*[contains(@class, 'pagination') or contains(@class, 'pager')]"
)
#: Runs of visible text outside links (paragraph candidates).
TEXTS = xpath("//body//text()[not(ancestor::a or ancestor::script or ancestor::style or ancestor::noscript)]")
#: A run of text this long is a paragraph.
PARAGRAPH_CHARS = 60
#: At least this many teasers with pagination, or :data:`MANY_TEASERS` without, make a listing when the
#: page's own running text (outside the teasers) is none or shorter than the teasers' summaries.
MIN_TEASERS = 3
MANY_TEASERS = 5


def teaser_items(root: etree._Element, regions: ArticleRegions) -> list[etree._Element]:
    """The teasers of the page: the outermost element around each linked heading that holds no other
    linked heading nor the page's headline, when at least :data:`MIN_TEASERS` of them share a shape."""
    headings = [
        heading
        for heading in LINKED_HEADINGS(root)
        if not regions.in_chrome(heading) and not regions.contains_headline(heading)
    ]
    counts: Counter[etree._Element] = Counter()
    for heading in headings:
        counts.update(heading.iterancestors())
    items = []
    for heading in headings:
        item = heading
        for ancestor in heading.iterancestors():
            if (
                counts[ancestor] != 1
                or ancestor.tag in ("body", "html")
                or regions.contains_headline(ancestor)
            ):
                break
            item = ancestor
        items.append(item)
    shapes = Counter(_shape(item) for item in items)
    return [item for item in items if shapes[_shape(item)] >= MIN_TEASERS]


def _shape(element: etree._Element) -> tuple[str, str]:
    """What same-shaped teasers share: their tag and class."""
    return str(element.tag), " ".join((element.get("class") or "").split())


def _inside(element: etree._Element, containers: set[etree._Element]) -> bool:
    return element in containers or any(ancestor in containers for ancestor in element.iterancestors())


def is_teaser_listing(root: etree._Element, regions: ArticleRegions) -> bool:
    """Many same-shaped teasers (or a few and pagination), and little running text of the page's own.

    A page whose headline opens a run of paragraphs outside the teasers is an article with teasers beside
    it (a stream of "more stories"), however many there are.
    """
    items = teaser_items(root, regions)
    if len(items) < MIN_TEASERS:
        return False
    if len(items) < MANY_TEASERS and not PAGINATION(root):
        return False
    containers = set(items)
    first = regions.first_paragraph
    if first is not None and regions.headline is not None and not _inside(regions.headline, containers):
        if not _inside(first, containers):
            return False
    own = teaser = 0
    for text in TEXTS(root):
        length = len(text.strip())
        if length < PARAGRAPH_CHARS:
            continue
        parent = text.getparent()
        if parent is None or regions.in_chrome(parent):
            continue
        if _inside(parent, containers):
            teaser += length
        else:
            own += length
    return own == 0 or own < teaser
