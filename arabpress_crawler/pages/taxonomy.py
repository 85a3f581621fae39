"""Section and tags from the page's markup, whatever its template.

In order of trust: links marked ``rel="category"`` / ``rel="tag"`` (WordPress and many CMSs), breadcrumbs
(the last crumb before the headline), then links whose path says what they are (``/category/<slug>/``,
``/section/…``, ``/tag/…``, ``/topics/…``, Arabic ``/وسم/…``). Only links of the article header or the
article region count: the site menu lists every section and is never read (see :mod:`.regions`).
"""

from __future__ import annotations

import logging
import re
import weakref
from collections.abc import Iterable, Iterator
from functools import lru_cache
from urllib.parse import unquote, urlsplit

from lxml import etree

from arabpress_crawler.pages.common import absolute_url, collapse_whitespace, element_text, same_site, unique
from arabpress_crawler.pages.limits import ARTICLE_LINKS_READ
from arabpress_crawler.pages.regions import ArticleRegions, class_matches, find_headline, is_running_text
from arabpress_crawler.pages.selectors import xpath
from arabpress_crawler.urls import canonicalize_url

logger = logging.getLogger(__name__)


def _lower(attribute: str, letters: str) -> str:
    """``@attribute`` with the ASCII capitals of ``letters`` in lower case: enough to look for a word written
    with those letters in any case, and far cheaper than lower-casing the whole alphabet."""
    return _lower_text(f"@{attribute}", letters)


def _lower_text(expression: str, letters: str) -> str:
    return f"translate({expression}, '{letters.upper()}', '{letters}')"


_CRUMB_LETTERS = "abcdemrsu"  # the letters of "breadcrumb" and "crumbs"
_CRUMB_ATTRIBUTES = "concat(@class, ' ', @id, ' ', @aria-label, ' ', @itemtype)"
#: Visible breadcrumb trails (class, id, ARIA label or microdata); the first one of the page is read. Only
#: elements with one of those attributes that says "crumb" in any case are looked at closer.
BREADCRUMBS = xpath(
    "//*[@class or @id or @aria-label or @itemtype]"
    f"[contains({_lower_text(_CRUMB_ATTRIBUTES, 'bcmru')}, 'crumb')]"
    f"[contains({_lower('class', _CRUMB_LETTERS)}, 'breadcrumb') or contains({_lower('class', _CRUMB_LETTERS)}, 'crumbs')"
    f" or contains({_lower('id', _CRUMB_LETTERS)}, 'breadcrumb')"
    f" or contains({_lower('aria-label', _CRUMB_LETTERS)}, 'breadcrumb')"
    " or contains(@itemtype, 'BreadcrumbList')]"
)
#: Characters that separate the crumbs of a trail.
TRAIL_SEPARATORS = " ›»>/|\\-–—:·•،‹«<"
#: A trail has this many links at least and at most, and at most this many characters.
MIN_TRAIL_LINKS = 2
MAX_TRAIL_LINKS = 8
MAX_TRAIL_CHARS = 200
#: How many levels above its first link a trail's element may be.
TRAIL_LEVELS = 2
#: Paths of section pages and of tag/topic pages (matched on the decoded path).
SECTION_PATH = re.compile(r"/(?:category|categories|section|sections|قسم|تصنيف)/[^/]+", re.IGNORECASE)
TAG_PATH = re.compile(r"/(?:tag|tags|topic|topics|وسم|الوسوم|كلمات-مفتاحية)/[^/]+", re.IGNORECASE)
#: Names of the first crumb of a trail.
HOME_CRUMBS = frozenset({"home", "homepage", "الرئيسية", "الصفحة الرئيسية", "الرئيسيه"})
#: A tag or section name is at most this long; longer link texts are headlines.
MAX_LABEL_CHARS = 60
#: Boxes of category links (classic themes' ``cat-links``, block themes' ``taxonomy-category``, whose links
#: are marked ``rel="tag"`` like tags are), looked for this many levels above a link.
CATEGORY_BOX_WORDS = ("categor", "cat-links", "post-cat")
CATEGORY_BOX_LEVELS = 2
#: How many element siblings above the headline's block may hold a kicker.
KICKER_SIBLINGS = 2
#: Block elements of running text: a link inside one of them is a link of the text, not a label.
TEXT_BLOCKS = ("p", "blockquote")


def _rel_tokens(element: etree._Element) -> set[str]:
    return set((element.get("rel") or "").lower().split())


def _in_category_box(link: etree._Element) -> bool:
    return any(
        class_matches(box, CATEGORY_BOX_WORDS) for box in list(link.iterancestors())[:CATEGORY_BOX_LEVELS]
    )


def _is_category_link(link: etree._Element) -> bool:
    rel = _rel_tokens(link)
    return "category" in rel or ("tag" in rel and _in_category_box(link))


def _label(link: etree._Element) -> str | None:
    text = collapse_whitespace(element_text(link)).lstrip("#").strip()
    return text if text and len(text) <= MAX_LABEL_CHARS else None


def _in_running_text(link: etree._Element, known: dict[etree._Element, bool]) -> bool:
    """The link is inside a paragraph (or quote) of running text; ``known``: the answers for the paragraphs
    seen so far (a paragraph of many links is measured once)."""
    for ancestor in link.iterancestors():
        if ancestor.tag in TEXT_BLOCKS:
            found = known.get(ancestor)
            if found is None:
                found = known[ancestor] = is_running_text(ancestor)
            return found
    return False


def header_links(regions: ArticleRegions) -> list[etree._Element]:
    """Links of the article header, in page order."""
    return [element for element in regions.header if element.tag == "a" and element.get("href")]


def kicker_links(regions: ArticleRegions) -> list[etree._Element]:
    """Links just above the headline (a kicker naming the section): in the element siblings before the
    headline's block, nearest first, up to the first one with running text; never in the chrome."""
    block = regions.header_block
    if block is None:
        return []
    links: list[etree._Element] = []
    for sibling in list(block.itersiblings(preceding=True))[:KICKER_SIBLINGS]:
        if not isinstance(sibling.tag, str) or regions.in_chrome(sibling) or is_running_text(sibling):
            break
        links.extend(link for link in sibling.iter("a") if link.get("href"))
    return links


def article_links(regions: ArticleRegions) -> Iterator[etree._Element]:
    """Links of the article region from its header on, chrome and links of running text left out (the first
    :data:`~arabpress_crawler.pages.limits.ARTICLE_LINKS_READ` of them). Found once per page: the section
    and the tags read them several times."""
    links = _ARTICLE_LINKS.get(regions)
    if links is None:
        links = _ARTICLE_LINKS[regions] = list(_article_links(regions))
    return iter(links)


#: The article links of each page being read (dropped with its regions).
_ARTICLE_LINKS: weakref.WeakKeyDictionary[ArticleRegions, list[etree._Element]] = weakref.WeakKeyDictionary()


def _article_links(regions: ArticleRegions) -> Iterator[etree._Element]:
    count = 0
    running_text: dict[etree._Element, bool] = {}
    for link in _links_from_header(regions):
        if link.get("href") and not regions.in_chrome(link) and not _in_running_text(link, running_text):
            yield link
            count += 1
            if count >= ARTICLE_LINKS_READ:
                return


def _links_from_header(regions: ArticleRegions) -> Iterator[etree._Element]:
    """The links of the article region that come after the start of the article header, in page order.

    The region is read once in document order (its links, and the header's first element to know where the
    header starts), so no link's position is looked up.
    """
    article, block = regions.article, regions.header_block
    if block is None:
        yield from article.iter("a")
        return
    if block is not article and article not in block.iterancestors():
        if regions.position(block) <= regions.position(article):
            yield from article.iter("a")  # the header starts before the region (or holds it)
        return  # else the header starts after the whole region: none of its links is after it
    after = False
    for element in article.iter("a", block.tag):
        if element is block:
            after = True
        if after and element.tag == "a":
            yield element


def _labels(links: Iterable[etree._Element]) -> list[str]:
    return unique(label for label in map(_label, links) if label)


def rel_section(regions: ArticleRegions) -> str | None:
    """The first ``rel="category"`` link (or ``rel="tag"`` in a category box) of the article header, else of
    the article region."""
    for links in (header_links(regions), article_links(regions)):
        labels = _labels(link for link in links if _is_category_link(link))
        if labels:
            return labels[0]
    return None


def rel_tags(regions: ArticleRegions) -> list[str]:
    """The ``rel="tag"`` links of the article region; category links (``rel="category tag"``, links of a
    category box) left out."""
    links = article_links(regions)
    return _labels(link for link in links if "tag" in _rel_tokens(link) and not _is_category_link(link))


def _path_matches(link: etree._Element, pattern: re.Pattern[str], base_url: str) -> bool:
    url, path = _url_and_path(base_url, link.get("href"))
    # The path first: few links are to section or tag pages, and "same site" is the dearer test.
    return bool(url and pattern.search(path) and same_site(url, base_url))


@lru_cache(maxsize=4096)
def _url_and_path(base_url: str, href: str | None) -> tuple[str | None, str]:
    """The absolute URL of a link and its decoded path, computed once per page and link: the section and the
    tags read the same links of the article."""
    url = absolute_url(base_url, href)
    return url, unquote(urlsplit(url).path) if url else ""


def path_section(regions: ArticleRegions, base_url: str) -> str | None:
    """The first link to a section page (``/category/<slug>/``…) in the article header, else the article."""
    for links in (header_links(regions), kicker_links(regions), article_links(regions)):
        labels = _labels(link for link in links if _path_matches(link, SECTION_PATH, base_url))
        if labels:
            return labels[0]
    return None


def path_tags(regions: ArticleRegions, base_url: str) -> list[str]:
    """Links to tag or topic pages (``/tag/<slug>/``, ``/topics/…``) in the article region."""
    return _labels(link for link in article_links(regions) if _path_matches(link, TAG_PATH, base_url))


def section_from_crumbs(crumbs: list[tuple[str, str | None]], title: str | None, page_url: str) -> str | None:
    """The last crumb before the page itself: ``Home › World › Middle East › <headline>`` gives "Middle East".

    ``crumbs`` are (name, absolute URL or ``None``) in trail order. The home crumb, crumbs naming the headline,
    crumbs linking to the page itself and a last crumb without a link (the current page) are left out.
    """
    if len(crumbs) > 1 and not crumbs[-1][1]:
        crumbs = crumbs[:-1]
    page = _comparable(page_url)
    title_key = collapse_whitespace(title).lower().rstrip(" .…")
    kept = []
    for name, url in crumbs:
        name = collapse_whitespace(name)
        key = name.lower().rstrip(" .…")
        if not name or key in HOME_CRUMBS or len(name) > MAX_LABEL_CHARS:
            continue
        if url and (_comparable(url) == page or urlsplit(url).path in ("", "/")):
            continue
        if title_key and (title_key == key or (title_key.startswith(key) and len(key) > MAX_LABEL_CHARS / 2)):
            continue
        kept.append(name)
    return kept[-1] if kept else None


def visible_breadcrumbs(
    root: etree._Element, base_url: str, regions: ArticleRegions | None = None
) -> list[tuple[str, str | None]]:
    """The links of the page's first breadcrumb trail as (text, absolute URL).

    A trail marked as one (class, id, ARIA label, microdata) first; else the unmarked trail nearest above
    the headline (:func:`unmarked_trail`). ``regions``, when given, are the page's (its headline is reused).
    """
    for trail in BREADCRUMBS(root):
        links = _trail_links(trail, base_url)
        if links:
            return links
    trail = unmarked_trail(root, base_url, regions)
    return _trail_links(trail, base_url) if trail is not None else []


def _trail_links(trail: etree._Element, base_url: str) -> list[tuple[str, str | None]]:
    links = [(element_text(link), absolute_url(base_url, link.get("href"))) for link in trail.iter("a")]
    return [(text, url) for text, url in links if text]


def _is_home(url: str | None) -> bool:
    return bool(url) and urlsplit(url).path in ("", "/") and not urlsplit(url).query


def _is_trail(element: etree._Element, base_url: str) -> bool:
    """``element`` is a breadcrumb trail: a short run of same-site links, the first to the home page, with a
    separator (›, », >, /, |…) and nothing else between each two links (the current page may follow)."""
    links = list(element.iter("a"))
    if not MIN_TRAIL_LINKS <= len(links) <= MAX_TRAIL_LINKS or len(element_text(element)) > MAX_TRAIL_CHARS:
        return False
    urls = [absolute_url(base_url, link.get("href")) for link in links]
    if not _is_home(urls[0]) or not all(url and same_site(url, base_url) for url in urls):
        return False
    for link, following in zip(links, links[1:], strict=False):
        between = _text_between(link, following)
        if between is None or not between or between.strip(TRAIL_SEPARATORS):
            return False
    return True


def _text_between(link: etree._Element, following: etree._Element) -> str | None:
    """The text between two links that are siblings (or whose parents are), ``None`` when they are not."""
    first, second = link, following
    if first.getparent() is not second.getparent():
        first, second = link.getparent(), following.getparent()
        if first is None or second is None or first.getparent() is not second.getparent():
            return None
    parts = [first.tail or ""]
    for sibling in first.itersiblings():
        if sibling is second:
            return collapse_whitespace("".join(parts))
        parts.append(sibling.xpath("string()") + (sibling.tail or ""))
    return None


def unmarked_trail(
    root: etree._Element, base_url: str, regions: ArticleRegions | None = None
) -> etree._Element | None:
    """The breadcrumb trail without any breadcrumb class nearest above the headline (the site menu, further
    up, has no separators or does not lead to the page's section); ``None`` without a headline or a trail."""
    headline = regions.headline if regions is not None else find_headline(root)
    if headline is None:
        return None
    found = None
    for link in _links_before(headline):
        if not _is_home(_url_and_path(base_url, link.get("href"))[0]):
            continue
        for container in (link.getparent(), *list(link.getparent().iterancestors())[: TRAIL_LEVELS - 1]):
            if container is None or container.tag in ("body", "html") or headline in container.iter():
                break
            if _is_trail(container, base_url):
                found = container
                break
    return found


def _links_before(headline: etree._Element) -> Iterator[etree._Element]:
    """The links with an ``href`` before ``headline`` in page order, its ancestors left out (XPath's
    ``preceding::a[@href]``, read in one pass that stops at the headline)."""
    ancestors = frozenset(headline.iterancestors())
    for element in headline.getroottree().getroot().iter("a", headline.tag):
        if element is headline:
            return
        if element.tag == "a" and element.get("href") is not None and element not in ancestors:
            yield element


def _comparable(url: str) -> str:
    """Host, path and content query of ``url`` (``news.php?cat=2`` is not ``news.php?id=100405``)."""
    parts = urlsplit(canonicalize_url(url) or url)
    return f"{(parts.hostname or '').lower()}{parts.path.rstrip('/')}?{parts.query}"
