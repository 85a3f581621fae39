"""The theme of the mirror: its strings in English and Arabic, the page models the templates read, and the
Jinja environment over ``content/`` (the templates).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup

from arabpress_mirror.content import CONTENT_DIR, MirrorArticle
from arabpress_mirror.dates import masthead_for

POSTS_PER_PAGE = 10
THEME_CSS_PATH = "wp-content/themes/arabpress-news/style.css"

#: Theme strings, per page language.
UI_STRINGS: dict[str, dict[str, str]] = {
    "en": {
        "home": "Home", "about": "About this mirror", "close": "Close", "by": "By", "and_": " and ",
        "updated": "Updated", "read_also": "Read also:", "advertisement": "Advertisement", "share": "Share:",
        "tags": "Tags:", "newsletter": "Newsletter", "email": "Your email address", "subscribe": "Subscribe",
        "related": "Related Articles",
    },
    "ar": {
        "home": "الرئيسية", "about": "عن هذه النسخة", "close": "إغلاق", "by": "بقلم", "and_": " و",
        "updated": "آخر تحديث:", "read_also": "اقرأ أيضاً:", "advertisement": "إعلان", "share": "شارك:",
        "tags": "الوسوم:", "newsletter": "النشرة البريدية", "email": "بريدك الإلكتروني", "subscribe": "اشترك",
        "related": "مقالات ذات صلة",
    },
}  # fmt: skip

ABOUT_PARAGRAPHS = (
    "This is a local mirror of Arab Press, built for arabpress-crawler's tests, demo and benchmarks. "
    "It reproduces the site's WordPress news theme, URL layout, feeds and sitemaps.",
    "The article on the defence ministers of Russia, Turkey and Syria (28 December 2022) carries the text of the "
    "real page. The bodies of all other articles are placeholder text written for the mirror: their headlines "
    "come from that page's related list, but their standfirsts, bodies, dates, authors and tags do not come "
    "from Arab Press.",
    "Some pages are traps on purpose: an AMP copy, an article republished under a second address, a copy with "
    "one word changed, a related link that leads nowhere and links with tracking parameters.",
)
NOT_FOUND_PARAGRAPHS = ("It looks like nothing was found at this location. Try the sections above.",)


@dataclass(frozen=True)
class PageMeta:
    """What the base template needs to know about any page."""

    head_title: str
    body_class: str
    language: str = "en"
    json_ld: Markup | None = None
    robots: str = "index, follow, max-image-preview:large, max-snippet:-1, max-video-preview:-1"

    @property
    def html_lang(self) -> str:
        return "ar" if self.language == "ar" else "en-US"

    @property
    def dir(self) -> str:
        return "rtl" if self.language == "ar" else "ltr"

    @property
    def og_locale(self) -> str:
        return "ar_AR" if self.language == "ar" else "en_US"

    @property
    def masthead_date(self) -> str:
        return masthead_for(self.language)


@dataclass(frozen=True)
class Listing:
    """A paginated listing: its base path, heading and posts (newest first)."""

    base_path: str  # "/", "/category/gulf/", ...
    heading: str
    archive_title: str  # "Gulf Archives"
    body_class: str
    posts: Sequence[MirrorArticle]
    description: str = ""
    decorate_links: bool = False

    def page_path(self, number: int) -> str:
        return self.base_path if number == 1 else f"{self.base_path}page/{number}/"

    @property
    def page_count(self) -> int:
        return max(1, -(-len(self.posts) // POSTS_PER_PAGE))


def page_numbers(current: int, total: int, mid_size: int = 2) -> list[int | None]:
    """WordPress ``paginate_links``: first, last and ``mid_size`` around the current page; ``None`` is "…"."""
    shown = {1, total, *range(current - mid_size, current + mid_size + 1)}
    numbers: list[int | None] = []
    for number in sorted(n for n in shown if 1 <= n <= total):
        if numbers and number - (numbers[-1] or 0) > 1:
            numbers.append(None)
        numbers.append(number)
    return numbers


def make_environment() -> Environment:
    return Environment(
        loader=FileSystemLoader(CONTENT_DIR),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        undefined=StrictUndefined,
    )
