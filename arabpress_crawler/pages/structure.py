"""Page structure every layer shares, defined once: the page chrome, running text, and the headline of a page
that has no ``<h1>``.

* :data:`CHROME` — site header (masthead), navigation, sidebars and site footer, by element and ARIA role.
  :mod:`.regions` and :mod:`.generic` read it; nothing of the article is ever taken from it.
* :data:`RUNNING_TEXT_CHARS` — how long a text must be to be a paragraph of an article.
* :func:`title_element` — legacy pages (table layouts, ``<font size=5><b>``) have no ``<h1>``: the headline is
  the visible element whose text the page's ``<title>`` repeats (``"Arab Press :: <headline>"``).
"""

from __future__ import annotations

import logging
import re

from lxml import etree

from arabpress_crawler import site
from arabpress_crawler.pages.common import collapse_whitespace, element_text
from arabpress_crawler.pages.selectors import NON_TEXT_TAGS, xpath

logger = logging.getLogger(__name__)

#: Page chrome: elements and ARIA roles of the site header, navigation, sidebars and site footer.
CHROME = xpath(
    "//nav | //aside | //header[not(ancestor::article)] | //footer[not(ancestor::article)]"
    " | //*[@role][@role='banner' or @role='navigation' or @role='contentinfo' or @role='complementary']"
)
#: A paragraph of running text has at least this many characters.
RUNNING_TEXT_CHARS = 60

PAGE_TITLE = xpath("//title[1]")
SITE_NAME = xpath("//meta[@property='og:site_name']/@content")
#: Characters between a headline and the site's name in a ``<title>``.
TITLE_SEPARATORS = " -–—|:•·»«/_"
META_TITLE = xpath("//meta[@property='og:title' or @name='twitter:title']/@content")
#: The headline is at least this share of the ``<title>`` it is written in (the rest is the site's name).
MIN_TITLE_SHARE = 0.5
#: …and at least this long (a site name alone is not a headline).
MIN_HEADLINE_CHARS = 15
#: A candidate's text, scripts and buttons included, may be this much longer than the longest title.
SCRIPT_TEXT_SLACK = 2000
#: Elements that may hold a headline written without ``<h1>`` (legacy markup: ``<font><b>``, ``<td>``…).
#: At most three children, and text (scripts included) between :data:`MIN_HEADLINE_CHARS` / 2 and ``$longest``
#: long: measured in libxml2, so a container of the page's text is never read in Python (the lower bound is
#: loose: ``<br>`` adds a space to the text read in Python). The tag is tested by name in one string and the
#: length computed once (``floor((n - low) div (high - low + 1)) = 0`` holds for ``low <= n <= high``).
#: Last, an element longer than every title (``$title``) is left out unless it holds text Python does not read
#: (scripts, buttons…, :data:`NON_TEXT_TAGS`): without those, its text read in Python is at least as long, so it
#: cannot be in a title, and its paragraphs of running text are never read in Python.
_TITLE_TAGS = "b strong font span div td p h2 h3 big center".split()
_NON_TEXT_DESCENDANT = f"descendant::*[contains('|{'|'.join(sorted(NON_TEXT_TAGS))}|', concat('|', local-name(), '|'))]"
TITLE_CANDIDATES = etree.XPath(
    f"//body//*[contains('|{'|'.join(_TITLE_TAGS)}|', concat('|', local-name(), '|'))][count(*) <= 3]"
    f"[floor((string-length(normalize-space()) - {MIN_HEADLINE_CHARS // 2}) div ($longest - {MIN_HEADLINE_CHARS // 2 - 1})) = 0]"
    f"[string-length(normalize-space()) <= $title or {_NON_TEXT_DESCENDANT}]"
)


def page_titles(root: etree._Element) -> list[str]:
    """The page's ``<title>`` and ``og:title``/``twitter:title`` texts, collapsed, in that order."""
    titles = [collapse_whitespace(element.text_content()) for element in PAGE_TITLE(root)]
    titles.extend(collapse_whitespace(str(value)) for value in META_TITLE(root))
    return [title for title in titles if title]


def _is_link_or_in_link(element: etree._Element) -> bool:
    if element.find(".//a") is not None:
        return True
    return any(ancestor.tag == "a" for ancestor in element.iterancestors())


def title_element(root: etree._Element) -> etree._Element | None:
    """The visible element whose text the ``<title>`` repeats, for pages without ``<h1>``; else ``None``.

    Of the elements whose whole text is most of a page title (the site's name aside), the longest wins; of
    elements with the same text (``<font><b>headline</b></font>``) the outermost. Links and elements holding
    links (a "most read" entry naming the same story) are never the headline.
    """
    titles = page_titles(root)
    if not titles:
        return None
    best: etree._Element | None = None
    best_length = 0
    title_chars = max(len(title) for title in titles)
    for element in TITLE_CANDIDATES(root, longest=title_chars + SCRIPT_TEXT_SLACK, title=title_chars):
        if element.tag in NON_TEXT_TAGS:
            continue
        text = element_text(element)
        if len(text) < MIN_HEADLINE_CHARS or len(text) <= best_length:
            continue
        if not any(text in title and len(text) >= MIN_TITLE_SHARE * len(title) for title in titles):
            continue
        if _is_link_or_in_link(element):
            continue
        best, best_length = element, len(text)
    if best is not None:
        logger.debug("Headline without <h1> found by the page title: %r", best_length)
    return best


def headline_title(
    root: etree._Element, headline: etree._Element | None, extracted: str | None
) -> str | None:
    """The text of a headline written without ``<h1>``, where the title another extractor found (``extracted``)
    lost it or only adds the site's name to it; else ``None`` (keep ``extracted``).

    Legacy pages repeat the headline in their ``<title>`` with the site's name ("Arab Press :: …", "عرب برس -
    …"): a title extractor may keep the decoration or, worse, the site's name alone. Other decorations (a
    section name) are left as the extractor gives them.
    """
    if headline is None or headline.tag == "h1":
        return None  # an <h1> is read as the generic extractor reads it; this is for legacy headlines
    text = element_text(headline)
    if len(text) < MIN_HEADLINE_CHARS or not any(text in title for title in page_titles(root)):
        return None
    if not extracted or text not in extracted:
        return text
    decoration = extracted.replace(text, " ").strip(TITLE_SEPARATORS)
    names = {name.casefold() for name in (*site.SITE_NAMES, *SITE_NAME(root))}
    return text if decoration.casefold() in names else None


#: How far into a body the headline's own line is looked for.
MAX_LINES_BEFORE_HEADLINE = 12
#: Lines of a copyright notice: page furniture at the foot of legacy layouts.
COPYRIGHT = re.compile(
    r"©|&copy;|\(c\) \d{4}|all rights reserved|جميع الحقوق محفوظة|حقوق النشر محفوظة", re.IGNORECASE
)


def body_after_headline(paragraphs: list[str], title: str | None) -> list[str]:
    """``paragraphs`` of a body read off the whole page, without what the page shows before and around the
    article: every line up to the headline's own line (sidebars and breadcrumbs of table layouts come first
    in their markup), copyright lines at the foot, and the site's furniture lines
    (:data:`arabpress_crawler.site.FURNITURE_TEXTS`: "Newsletter", the audio player's "0:00"…). Unchanged when the headline is not among the first
    lines or nothing of running text follows it."""
    if title:
        head = paragraphs[:MAX_LINES_BEFORE_HEADLINE]
        if title in head:
            rest = paragraphs[head.index(title) + 1 :]
            if any(len(line) >= RUNNING_TEXT_CHARS for line in rest):
                paragraphs = rest
    while (
        len(paragraphs) > 1 and len(paragraphs[-1]) < RUNNING_TEXT_CHARS and COPYRIGHT.search(paragraphs[-1])
    ):
        paragraphs = paragraphs[:-1]
    kept = [line for line in paragraphs if line not in site.FURNITURE_TEXTS]
    return kept or paragraphs
