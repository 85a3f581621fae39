"""Everything the project knows about the Arab Press site, in one place.

The spider, the URL helpers, the listing pages and the article pages read it; nothing else spells out a
path, a selector or a furniture text of the site.

* **URLs** — articles are WordPress date permalinks ``/YYYY/MM/DD/<slug>/``; their AMP copy
  ``/YYYY/MM/DD/<slug>/amp/`` is the same article (``rel=canonical`` to it, and :func:`~arabpress_crawler.urls.
  canonicalize_url` folds it into it). So :data:`ARTICLE_PATH` is the path of an article's canonical URL and
  :data:`ARTICLE_LINK_PATH` the path of a link to one as written on a page, AMP copies included: the
  disagreement ``urls.py`` and ``pages/selectors.py`` had about ``/amp/`` was one pattern for two different
  things. Listings (home, sections, tags, authors, pagination, feed, sitemaps, WordPress's own paths) are
  :data:`LISTING_PATH`; sections, the feed, ``robots.txt`` and the sitemaps have their paths here too.
* **Template profiles** — :data:`ARAB_PRESS_2025` (the current theme, the mirror's) and
  :data:`ARAB_PRESS_2025_AMP` (its AMP rendering) derived from it with :func:`derive`: when the site is
  redesigned, derive the new profile from the last one, changing only the selectors that changed, and put it
  first in :data:`PROFILES`; pages saved under older templates keep their profile and their fixtures.
* **Furniture** — the masthead's name and slogan and the texts of the page furniture (newsletter box, audio
  player, modal), which are never article text.
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any

from arabpress_crawler.pages.selectors import SiteProfile, css, css_matches, css_union, xpath

# -- the site ------------------------------------------------------------------------------------------------

NAME = "Arab Press"
#: The site's names, as ``<title>`` and the masthead write them.
SITE_NAMES = (NAME, "عرب برس")
#: The slogan under the name in the masthead ("by the people and for the people").
SLOGAN = "بالشعب و للشعب"
#: Texts of the masthead: a block above the headline that shows one of them is the masthead.
MASTHEAD_TEXTS = (*SITE_NAMES, SLOGAN)
#: Texts of the page furniture, never article text: the masthead, the newsletter box, the audio player of the
#: related block, the modal's close button.
FURNITURE_TEXTS = frozenset({*SITE_NAMES, SLOGAN, "Newsletter", "Related Articles", "0:00", "Close", "×"})
#: The class of the masthead's box holding today's date (not the publication date of anything).
MASTHEAD_DATE_CLASS = "header-date"

# -- URLs ----------------------------------------------------------------------------------------------------

HOME_PATH = "/"
FEED_PATH = "/feed/"
ROBOTS_PATH = "/robots.txt"
SITEMAP_INDEX_PATH = "/sitemap_index.xml"
#: The last path segment of an article's AMP copy.
AMP_SEGMENT = "amp"
#: The path of an article's canonical URL: a WordPress date permalink.
ARTICLE_PATH = re.compile(r"^/\d{4}/\d{2}/\d{2}/[^/]+/$")
#: The path of a link to an article as written on a page: the permalink or its AMP copy.
ARTICLE_LINK_PATH = re.compile(ARTICLE_PATH.pattern.removesuffix("$") + f"(?:{AMP_SEGMENT}/)?$")
#: Section pages (``/category/<section>/``), their pagination excluded.
SECTION_PATH = r"/category/[^/]+/$"
PAGINATION_PATH = r"/page/\d+/"
#: WordPress/Yoast post sitemaps (``post-sitemap.xml``, ``post-sitemap2.xml``…, gzipped or not) and the news
#: sitemap.
POST_SITEMAP = re.compile(r"/post-sitemap(?P<number>\d*)\.xml(?:\.gz)?$")
NEWS_SITEMAP = re.compile(r"/news-sitemap\.xml(?:\.gz)?$")
#: Paths of the site's pages that are not articles: home, sections, tags, authors, pagination, the feed,
#: search, WordPress's own paths, and every sitemap.
LISTING_PATH = re.compile(
    r"^/(?:$|category/|tag/|author/|page/\d+/?$|feed/?$|search/|wp-admin/|wp-json/|wp-content/)"
    r"|/page/\d+/$|/feed/$|\.xml(?:\.gz)?$"
)


def is_article_link_path(path: str) -> bool:
    """``path`` is an article's permalink or its AMP copy, as a page may link to it."""
    return ARTICLE_LINK_PATH.match(path) is not None


# -- template profiles ---------------------------------------------------------------------------------------


def derive(profile: SiteProfile, name: str, **changes: Any) -> SiteProfile:
    """A later template's profile: ``profile`` with the selectors that changed (``changes``) replaced."""
    return replace(profile, name=name, **changes)


ARAB_PRESS_2025 = SiteProfile(
    name="arab-press-2025",
    # The masthead date box is peculiar to this theme; standard WordPress classes are not enough.
    marker=css_matches(
        f"header.site-header div.{MASTHEAD_DATE_CLASS}", "body div.page-title-bar span.current-title"
    ),
    not_article_body_classes=frozenset(
        {
            "home",
            "blog",
            "archive",
            "category",
            "tag",
            "author",
            "search",
            "search-results",
            "paged",
            "error404",
            "page",
        }
    ),
    article=css("main article.post, article.type-post"),
    # "header.entry-header h1.entry-title" is the headline's usual place; it is within "h1.entry-title", so
    # the union leaves it out (the same elements, one pass fewer). Likewise below: "div.read-also" is within
    # ".read-also", and "footer.entry-footer span.tags-links a[rel=tag]" within "span.tags-links a".
    title=css_union("h1.entry-title", "span.current-title"),
    subtitle=css("p.entry-subtitle"),
    body=css("div.entry-content"),
    boilerplate=css_union(
        ".read-also",
        ".ad-slot",
        ".share-buttons",
        ".newsletter-box",
        ".audio-player",
        ".related-articles",
        ".related-posts",
        "figure",
        "figcaption",
        "script",
        "style",
        "noscript",
        "template",
        "iframe",
        "aside",
        "form",
    ),
    authors=css_union(
        "div.entry-meta a.author-name", "div.entry-meta a[rel=author]", "span.byline a[rel=author]"
    ),
    published=xpath(
        ".//div[contains(concat(' ', normalize-space(@class), ' '), ' entry-meta ')]"
        "//time[contains(concat(' ', normalize-space(@class), ' '), ' published ')]/@datetime"
    ),
    modified=xpath(
        ".//div[contains(concat(' ', normalize-space(@class), ' '), ' entry-meta ')]"
        "//time[contains(concat(' ', normalize-space(@class), ' '), ' updated ')]/@datetime"
    ),
    section=css_union("div.entry-meta span.cat-links a", "span.cat-links a[rel~=tag]"),
    tags=css("span.tags-links a"),
    image=xpath(
        ".//figure[contains(concat(' ', normalize-space(@class), ' '), ' featured-image ')]"
        "//*[self::img or self::amp-img]"
        "/@*[name()='src' or name()='data-src'][1]"
    ),
    related_lists=css("section.related-articles ul.related-posts"),
    related_item=("li", "related-post"),
    next_page=css_union("link[rel=next]", "a.next.page-numbers", "a[rel~=next]"),
    article_path=ARTICLE_LINK_PATH,
)


#: The AMP rendering of the 2025 theme (``/amp/`` copies): the same markup under ``<body class="… amp">``.
ARAB_PRESS_2025_AMP = derive(
    ARAB_PRESS_2025,
    "arab-press-2025-amp",
    marker=css_matches(
        f"body.amp header.site-header div.{MASTHEAD_DATE_CLASS}",
        "body.amp div.page-title-bar span.current-title",
    ),
)

#: The profile of the site's current theme: listings of a template no profile knows are read with it.
DEFAULT_PROFILE = ARAB_PRESS_2025
#: Profiles in the order they are tried: the most specific and newest template first.
PROFILES: tuple[SiteProfile, ...] = (ARAB_PRESS_2025_AMP, ARAB_PRESS_2025)


def profile_named(name: str) -> SiteProfile:
    """The profile called ``name`` (``arab-press-2025``…); ``KeyError`` naming the known ones otherwise."""
    for profile in PROFILES:
        if profile.name == name:
            return profile
    raise KeyError(f"no site profile {name!r}; known: {', '.join(p.name for p in PROFILES)}")
