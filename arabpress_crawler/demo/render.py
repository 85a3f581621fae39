"""Render mirror articles into a static WordPress-like site (the markup of the Arab Press news theme).

:func:`render_site` writes every page of a mirror under a directory, as the mirror server expects them:

==========================================  ==================================================================
on disk                                     served at
==========================================  ==================================================================
``<path>/index.html``                       articles ``/YYYY/MM/DD/<slug>/``, their AMP twins ``.../amp/``,
                                            home ``/`` and ``/page/N/``, ``/category/<slug>/[page/N/]``,
                                            ``/tag/<slug>/[page/N/]``, ``/author/<slug>/[page/N/]``, ``/about/``
``feed/index.rss``                          ``/feed/`` (RSS 2.0, the 10 latest posts)
``sitemap_index.xml``                       Yoast sitemap index → ``post-sitemap.xml``, ``post-sitemap2.xml``…
                                            (1,000 URLs each) and ``news-sitemap.xml`` (Google News)
``robots.txt``, ``404.html``                robots rules; the theme's "not found" page
``wp-content/uploads/YYYY/MM/<file>.png``   lead images (tiny valid PNG files)
==========================================  ==================================================================

Non-ASCII slugs are stored decoded on disk (``2025/10/02/معرض-…/index.html``) and written percent-encoded
in URLs. Every absolute URL uses :data:`~arabpress_crawler.demo.content.ORIGIN`.

Article pages follow the template of ``docs/architecture.md`` (class names are the site profile's
contract). Listing pages (home, sections, tags, authors) carry no article signals: ``og:type=website`` and a
``CollectionPage`` JSON-LD graph; their entries are ``article.post`` blocks with ``h2.entry-title a`` links,
and pagination is ``link[rel=next]`` plus ``nav.pagination a.next.page-numbers``.
"""

from __future__ import annotations

import json
import logging
import shutil
import struct
import zlib
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.utils import format_datetime
from functools import cache
from pathlib import Path
from urllib.parse import quote, unquote

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup

from arabpress_crawler.demo.content import (
    AUTHOR_SLUGS,
    CONTENT_DIR,
    KIND_AMP,
    ORIGIN,
    SECTIONS,
    SITE_NAME,
    TAGLINE,
    MirrorArticle,
    decorate_href,
    masthead_date,
    parse_iso,
    quote_path,
    slugify,
    term_slug,
)

logger = logging.getLogger(__name__)

POSTS_PER_PAGE = 10
FEED_SIZE = 10
SITEMAP_MAX_URLS = 1000
NEWS_SITEMAP_WINDOW = timedelta(days=2)
IMAGE_WIDTH = 16
IMAGE_HEIGHT = 9
THEME_CSS_PATH = "wp-content/themes/arabpress-news/style.css"
MASTHEAD_FORMAT = "%A, %b %d, %Y"
ENGLISH_DATE_FORMAT = "%B %-d, %Y"
FEED_PATH = "feed/index.rss"
NOT_FOUND_FILE = "404.html"
ROBOTS_TXT = """User-agent: *
Disallow: /wp-admin/
Allow: /wp-admin/admin-ajax.php

Sitemap: {origin}/sitemap_index.xml
"""

ARABIC_DIGITS = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")
ARABIC_MONTHS = (
    "يناير", "فبراير", "مارس", "أبريل", "مايو", "يونيو",
    "يوليو", "أغسطس", "سبتمبر", "أكتوبر", "نوفمبر", "ديسمبر",
)  # fmt: skip
ARABIC_WEEKDAYS = ("الاثنين", "الثلاثاء", "الأربعاء", "الخميس", "الجمعة", "السبت", "الأحد")

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


# --- small formatting helpers --------------------------------------------------------------------------


def iso_with_offset(value: str) -> str:
    """WordPress's ``c`` date format: ``2022-12-28T17:30:00+00:00`` for ``2022-12-28T17:30:00Z``."""
    return value.replace("Z", "+00:00")


def arabic_digits(value: int | str) -> str:
    return str(value).translate(ARABIC_DIGITS)


def display_date(value: str, language: str) -> str:
    """The visible date: "December 28, 2022" or "٢٨ ديسمبر ٢٠٢٢"."""
    moment = parse_iso(value)
    if language == "ar":
        return f"{arabic_digits(moment.day)} {ARABIC_MONTHS[moment.month - 1]} {arabic_digits(moment.year)}"
    return moment.strftime(ENGLISH_DATE_FORMAT)


@cache
def masthead_for(language: str) -> str:
    """The masthead date of the seed page, in the page's language."""
    english = masthead_date()
    if language != "ar":
        return english
    moment = datetime.strptime(english, MASTHEAD_FORMAT)
    weekday = ARABIC_WEEKDAYS[moment.weekday()]
    day = arabic_digits(f"{moment.day:02d}")
    return f"{weekday}، {day} {ARABIC_MONTHS[moment.month - 1]} {arabic_digits(moment.year)}"


def rfc822(value: str) -> str:
    return format_datetime(parse_iso(value))


def json_ld(graph: dict) -> Markup:
    """JSON for a ``<script>`` element: compact, UTF-8, with ``</`` escaped."""
    text = json.dumps(graph, ensure_ascii=False, separators=(",", ":"))
    return Markup(text.replace("</", "<\\/"))


def tiny_png(key: str) -> bytes:
    """A valid 16x9 PNG of one colour derived from ``key`` (lead images of the mirror)."""
    digest = zlib.crc32(key.encode("utf-8"))
    pixel = bytes(((digest >> 16) & 0xFF, (digest >> 8) & 0xFF, digest & 0xFF))
    raw = b"".join(b"\x00" + pixel * IMAGE_WIDTH for _ in range(IMAGE_HEIGHT))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", IMAGE_WIDTH, IMAGE_HEIGHT, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw, 9))
        + chunk(b"IEND", b"")
    )


def author_url(name: str) -> str:
    return f"{ORIGIN}/author/{AUTHOR_SLUGS.get(name) or slugify(name) or 'staff'}/"


def tag_url(name: str) -> str:
    return ORIGIN + quote_path(f"/tag/{term_slug(name)}/")


def section_url(slug: str) -> str:
    return f"{ORIGIN}/category/{slug}/"


def url_to_file(out_dir: Path, url_path: str) -> Path:
    """Where a URL path lives on disk: directory paths get ``index.html``; escapes are decoded."""
    relative = unquote(url_path).lstrip("/")
    if not relative or relative.endswith("/"):
        relative += "index.html"
    return out_dir / relative


# --- page models ---------------------------------------------------------------------------------------


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


# --- JSON-LD graphs ------------------------------------------------------------------------------------

WEBSITE_ID = f"{ORIGIN}/#website"
ORGANIZATION_ID = f"{ORIGIN}/#organization"


def _site_nodes(language: str) -> list[dict]:
    return [
        {
            "@type": "WebSite",
            "@id": WEBSITE_ID,
            "url": f"{ORIGIN}/",
            "name": SITE_NAME,
            "description": TAGLINE,
            "publisher": {"@id": ORGANIZATION_ID},
            "inLanguage": "en-US",
        },
        {
            "@type": "Organization",
            "@id": ORGANIZATION_ID,
            "name": SITE_NAME,
            "url": f"{ORIGIN}/",
            "logo": {"@type": "ImageObject", "url": f"{ORIGIN}/wp-content/uploads/logo.png"},
        },
    ]


def _breadcrumbs(url: str, crumbs: Sequence[tuple[str, str | None]]) -> dict:
    items = []
    for position, (name, item_url) in enumerate(crumbs, 1):
        entry = {"@type": "ListItem", "position": position, "name": name}
        if item_url:
            entry["item"] = item_url
        items.append(entry)
    return {"@type": "BreadcrumbList", "@id": f"{url}#breadcrumb", "itemListElement": items}


def article_graph(article: MirrorArticle) -> dict:
    """Yoast's ``@graph`` for a post: NewsArticle, WebPage, BreadcrumbList, WebSite, Organization."""
    url = article.canonical_url
    language = "ar" if article.language == "ar" else "en-US"
    published, modified = iso_with_offset(article.published_at), iso_with_offset(article.modified_at)
    news_article = {
        "@type": "NewsArticle",
        "@id": f"{url}#article",
        "isPartOf": {"@id": url},
        "author": [{"@type": "Person", "name": name, "url": author_url(name)} for name in article.authors],
        "headline": article.title,
        "description": article.subtitle,
        "datePublished": published,
        "dateModified": modified,
        "mainEntityOfPage": {"@id": url},
        "publisher": {"@id": ORGANIZATION_ID},
        "image": {
            "@type": "ImageObject",
            "@id": f"{url}#primaryimage",
            "url": article.image_url,
            "width": IMAGE_WIDTH,
            "height": IMAGE_HEIGHT,
            "caption": article.image_caption,
        },
        "thumbnailUrl": article.image_url,
        "keywords": list(article.tags),
        "articleSection": [article.section],
        "inLanguage": language,
    }
    web_page = {
        "@type": "WebPage",
        "@id": url,
        "url": url,
        "name": f"{article.title} - {SITE_NAME}",
        "isPartOf": {"@id": WEBSITE_ID},
        "primaryImageOfPage": {"@id": f"{url}#primaryimage"},
        "datePublished": published,
        "dateModified": modified,
        "breadcrumb": {"@id": f"{url}#breadcrumb"},
        "inLanguage": language,
    }
    crumbs = [
        ("Home", f"{ORIGIN}/"),
        (article.section, section_url(article.section_slug)),
        (article.title, None),
    ]
    graph = [news_article, web_page, _breadcrumbs(url, crumbs), *_site_nodes(article.language)]
    return {"@context": "https://schema.org", "@graph": graph}


def collection_graph(url: str, name: str, crumbs: Sequence[tuple[str, str | None]], page_type: str) -> dict:
    """The graph of a listing (``CollectionPage``) or a plain page (``WebPage``): no article node."""
    page = {
        "@type": page_type,
        "@id": url,
        "url": url,
        "name": name,
        "isPartOf": {"@id": WEBSITE_ID},
        "breadcrumb": {"@id": f"{url}#breadcrumb"},
        "inLanguage": "en-US",
    }
    return {"@context": "https://schema.org", "@graph": [page, _breadcrumbs(url, crumbs), *_site_nodes("en")]}


# --- the renderer --------------------------------------------------------------------------------------


def make_environment() -> Environment:
    return Environment(
        loader=FileSystemLoader(CONTENT_DIR),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        undefined=StrictUndefined,
    )


class SiteRenderer:
    """Renders the pages of one mirror; every method returns text (no I/O)."""

    def __init__(self, articles: Sequence[MirrorArticle]) -> None:
        self.articles = list(articles)
        self.posts = sorted(
            (article for article in self.articles if article.kind != KIND_AMP),
            key=lambda article: (article.published_at, article.post_id),
            reverse=True,
        )
        self.amp_paths = {
            a.original_path: a.url for a in self.articles if a.kind == KIND_AMP and a.original_path
        }
        self.env = make_environment()
        self.templates = {
            name: self.env.get_template(name)
            for name in (
                "article.html.j2",
                "listing.html.j2",
                "page.html.j2",
                "feed.rss.j2",
                "sitemap-index.xml.j2",
                "post-sitemap.xml.j2",
                "news-sitemap.xml.j2",
            )
        }
        self.sections = [(slug, name) for slug, name in SECTIONS.items() if self._has_section(slug)]

    def _has_section(self, slug: str) -> bool:
        return any(post.section_slug == slug for post in self.posts)

    # Articles -----------------------------------------------------------------------------------------

    def article_html(self, article: MirrorArticle) -> str:
        amp = article.kind == KIND_AMP
        body_class = (
            f"post-template-default single single-post postid-{article.post_id} single-format-standard"
        )
        if article.language == "ar":
            body_class += " rtl"
        if amp:
            body_class += " amp"
        page = PageMeta(
            head_title=f"{article.title} - {SITE_NAME}",
            body_class=body_class,
            language=article.language,
            json_ld=json_ld(article_graph(article)),
        )
        tag_classes = " ".join(f"tag-{quote_path(term_slug(tag))}" for tag in article.tags)
        return self.templates["article.html.j2"].render(
            origin=ORIGIN,
            page=page,
            ui=UI_STRINGS[article.language],
            sections=self.sections,
            amp=amp,
            a=article,
            amphtml=None if amp else self.amp_paths.get(article.path),
            article_class=(
                f"post-{article.post_id} post type-post status-publish format-standard has-post-thumbnail "
                f"category-{article.section_slug} {tag_classes}"
            ).strip(),
            section_url=section_url(article.section_slug),
            published=iso_with_offset(article.published_at),
            modified=iso_with_offset(article.modified_at),
            published_display=display_date(article.published_at, article.language),
            modified_display=display_date(article.modified_at, article.language),
            authors=[{"name": name, "url": author_url(name)} for name in article.authors],
            tags=[{"name": tag, "url": tag_url(tag)} for tag in article.tags],
            share_url=quote(article.canonical_url, safe=""),
            related=list(zip((title for title, _ in article.related), article.related_hrefs, strict=True)),
            image_width=IMAGE_WIDTH,
            image_height=IMAGE_HEIGHT,
        )

    # Listings -----------------------------------------------------------------------------------------

    def listings(self) -> Iterator[Listing]:
        """Home, every section, tag and author listing."""
        yield Listing(
            "/", "Latest News", f"{SITE_NAME} - {TAGLINE}", "home blog", self.posts, decorate_links=True
        )
        by_section: dict[str, list[MirrorArticle]] = defaultdict(list)
        by_tag: dict[str, list[MirrorArticle]] = defaultdict(list)
        by_author: dict[str, list[MirrorArticle]] = defaultdict(list)
        for post in self.posts:
            by_section[post.section_slug].append(post)
            for tag in post.tags:
                by_tag[tag].append(post)
            for author in post.authors:
                by_author[author].append(post)
        for slug, name in self.sections:
            yield Listing(
                f"/category/{slug}/",
                name,
                f"{name} Archives",
                f"archive category category-{slug}",
                by_section[slug],
                description=f"The latest {name} news from {SITE_NAME}."
                if slug != "arabic"
                else "أخبار عربية.",
                decorate_links=True,
            )
        for tag in sorted(by_tag):
            slug = term_slug(tag)
            yield Listing(quote_path(f"/tag/{slug}/"), f"Tag: {tag}", f"{tag} Archives",
                          f"archive tag tag-{quote_path(slug)}", by_tag[tag])  # fmt: skip
        for author in sorted(by_author):
            slug = AUTHOR_SLUGS.get(author) or slugify(author)
            yield Listing(f"/author/{slug}/", f"Author: {author}", f"{author}, Author at {SITE_NAME}",
                          f"archive author author-{slug}", by_author[author])  # fmt: skip

    def listing_pages(self, listing: Listing) -> Iterator[tuple[str, str]]:
        """(URL path, HTML) of each page of a listing."""
        total = listing.page_count
        for number in range(1, total + 1):
            yield listing.page_path(number), self.listing_html(listing, number)

    def listing_html(self, listing: Listing, number: int) -> str:
        total = listing.page_count
        chunk = listing.posts[(number - 1) * POSTS_PER_PAGE : number * POSTS_PER_PAGE]
        canonical = ORIGIN + listing.page_path(number)
        head_title = listing.archive_title if listing.base_path != "/" else SITE_NAME
        head_title += f" - Page {number} of {total}" if number > 1 else ""
        head_title += (
            f" - {SITE_NAME}" if listing.base_path != "/" else (f" - {TAGLINE}" if number == 1 else "")
        )
        body_class = listing.body_class + (f" paged paged-{number}" if number > 1 else "")
        crumbs = [("Home", f"{ORIGIN}/")] + ([] if listing.base_path == "/" else [(listing.heading, None)])
        page = PageMeta(
            head_title=head_title,
            body_class=body_class,
            json_ld=json_ld(collection_graph(canonical, head_title, crumbs, "CollectionPage")),
            robots="index, follow" if number == 1 else "noindex, follow",
        )
        entries = [
            self._entry(post, number, position, listing.decorate_links)
            for position, post in enumerate(chunk, 1)
        ]
        return self.templates["listing.html.j2"].render(
            origin=ORIGIN,
            page=page,
            ui=UI_STRINGS["en"],
            sections=self.sections,
            amp=False,
            canonical=canonical,
            heading=listing.heading,
            description=listing.description,
            entries=entries,
            prev_url=ORIGIN + listing.page_path(number - 1) if number > 1 else None,
            next_url=ORIGIN + listing.page_path(number + 1) if number < total else None,
            page_links=[
                (n, None if n is None or n == number else ORIGIN + listing.page_path(n))
                for n in page_numbers(number, total)
            ],
        )

    @staticmethod
    def _entry(post: MirrorArticle, page_number: int, position: int, decorate: bool) -> dict:
        return {
            "post_id": post.post_id,
            "section_slug": post.section_slug,
            "rtl": post.language == "ar",
            "href": decorate_href(post.url, page_number, position) if decorate else post.url,
            "title": post.title,
            "published": iso_with_offset(post.published_at),
            "published_display": display_date(post.published_at, post.language),
            "author": post.authors[0],
            "author_url": author_url(post.authors[0]),
            "section": post.section,
            "section_url": section_url(post.section_slug),
            "summary": post.subtitle,
        }

    # Plain pages --------------------------------------------------------------------------------------

    def plain_page_html(
        self, heading: str, paragraphs: Iterable[str], *, path: str | None, body_class: str
    ) -> str:
        canonical = ORIGIN + path if path else None
        head_title = f"{heading} - {SITE_NAME}"
        graph = None
        if canonical:
            graph = json_ld(
                collection_graph(canonical, head_title, [("Home", f"{ORIGIN}/"), (heading, None)], "WebPage")
            )
        page = PageMeta(
            head_title=head_title,
            body_class=body_class,
            json_ld=graph,
            robots="index, follow" if canonical else "noindex, follow",
        )
        return self.templates["page.html.j2"].render(
            origin=ORIGIN,
            page=page,
            ui=UI_STRINGS["en"],
            sections=self.sections,
            amp=False,
            canonical=canonical,
            heading=heading,
            paragraphs=list(paragraphs),
            section_class="about-page" if canonical else "error-404 not-found",
        )

    def about_html(self, paragraphs: Sequence[str] = ABOUT_PARAGRAPHS) -> str:
        return self.plain_page_html(
            "About this mirror", paragraphs, path="/about/", body_class="page-template-default page"
        )

    def not_found_html(self) -> str:
        return self.plain_page_html(
            "Oops! That page can’t be found.", NOT_FOUND_PARAGRAPHS, path=None, body_class="error404"
        )

    # Feeds and sitemaps -------------------------------------------------------------------------------

    def feed_xml(self) -> str:
        latest = self.posts[:FEED_SIZE]
        items = [
            {
                "title": post.title,
                "url": post.url,
                "creator": post.authors[0],
                "pub_date": rfc822(post.published_at),
                "categories": [post.section, *post.tags],
                "post_id": post.post_id,
                "description": post.subtitle,
            }
            for post in latest
        ]
        last_build = max((post.modified_at for post in self.posts), default="2025-01-01T00:00:00Z")
        return self.templates["feed.rss.j2"].render(origin=ORIGIN, items=items, last_build=rfc822(last_build))

    def post_sitemaps(self) -> list[tuple[str, str, str]]:
        """(file name, last modification, XML) of each post sitemap, oldest posts first, 1,000 per file."""
        oldest_first = self.posts[::-1]
        files = []
        for index in range(0, max(len(oldest_first), 1), SITEMAP_MAX_URLS):
            chunk = oldest_first[index : index + SITEMAP_MAX_URLS]
            number = index // SITEMAP_MAX_URLS + 1
            name = "post-sitemap.xml" if number == 1 else f"post-sitemap{number}.xml"
            entries = [
                {"loc": post.url, "lastmod": iso_with_offset(post.modified_at), "image": post.image_url}
                for post in chunk
            ]
            lastmod = max((entry["lastmod"] for entry in entries), default="2025-01-01T00:00:00+00:00")
            files.append((name, lastmod, self.templates["post-sitemap.xml.j2"].render(entries=entries)))
        return files

    def news_sitemap_xml(self) -> tuple[str, str]:
        """(last modification, XML) of the Google News sitemap: posts of the last two days of the site."""
        if not self.posts:
            return "2025-01-01T00:00:00+00:00", self.templates["news-sitemap.xml.j2"].render(entries=[])
        newest = parse_iso(self.posts[0].published_at)
        recent = [post for post in self.posts if newest - parse_iso(post.published_at) <= NEWS_SITEMAP_WINDOW]
        entries = [
            {
                "loc": post.url,
                "language": post.language,
                "published": iso_with_offset(post.published_at),
                "title": post.title,
            }
            for post in recent
        ]
        return iso_with_offset(self.posts[0].published_at), self.templates["news-sitemap.xml.j2"].render(
            entries=entries
        )

    def sitemap_index_xml(self, sitemaps: Sequence[tuple[str, str]]) -> str:
        return self.templates["sitemap-index.xml.j2"].render(
            sitemaps=[(f"{ORIGIN}/{name}", lastmod) for name, lastmod in sitemaps]
        )


# --- writing a mirror ----------------------------------------------------------------------------------


@dataclass
class RenderStats:
    """What :func:`render_site` wrote."""

    articles: int = 0
    listing_pages: int = 0
    files: int = 0
    bytes: int = 0


class SiteWriter:
    """Writes files under a mirror directory, creating each directory once."""

    def __init__(self, out_dir: Path) -> None:
        self.out_dir = out_dir
        self.made: set[Path] = set()
        self.stats = RenderStats()

    def write_bytes(self, target: Path, data: bytes) -> None:
        parent = target.parent
        if parent not in self.made:
            parent.mkdir(parents=True, exist_ok=True)
            self.made.add(parent)
        target.write_bytes(data)
        self.stats.files += 1
        self.stats.bytes += len(data)

    def write_text(self, relative: str, text: str) -> None:
        self.write_bytes(self.out_dir / relative, text.encode("utf-8"))

    def write_page(self, url_path: str, html: str) -> None:
        self.write_bytes(url_to_file(self.out_dir, url_path), html.encode("utf-8"))


def image_file(out_dir: Path, image_url: str) -> Path:
    return url_to_file(out_dir, image_url.removeprefix(ORIGIN))


def render_site(
    articles: Sequence[MirrorArticle],
    out_dir: Path,
    *,
    clean: bool = False,
    about_paragraphs: Sequence[str] = ABOUT_PARAGRAPHS,
) -> RenderStats:
    """Write a whole mirror of ``articles`` under ``out_dir`` (``clean`` empties it first)."""
    out_dir = Path(out_dir)
    if clean and out_dir.exists():
        shutil.rmtree(out_dir)
    renderer = SiteRenderer(articles)
    writer = SiteWriter(out_dir)
    for article in renderer.articles:
        writer.write_page(article.path, renderer.article_html(article))
        writer.stats.articles += 1
    for listing in renderer.listings():
        for path, html in renderer.listing_pages(listing):
            writer.write_page(path, html)
            writer.stats.listing_pages += 1
    write_site_files(renderer, writer, about_paragraphs=about_paragraphs)
    for image_url in sorted({article.image_url for article in renderer.articles}):
        writer.write_bytes(image_file(out_dir, image_url), tiny_png(image_url))
    logger.info("rendered %d articles and %d listing pages into %s", writer.stats.articles,
                writer.stats.listing_pages, out_dir)  # fmt: skip
    return writer.stats


def write_site_files(renderer: SiteRenderer, writer: SiteWriter, *, about_paragraphs: Sequence[str]) -> None:
    """Feed, sitemaps, robots.txt, the 404 page, the about page and the theme stylesheet."""
    writer.write_text(FEED_PATH, renderer.feed_xml())
    index_entries = []
    for name, lastmod, xml in renderer.post_sitemaps():
        writer.write_text(name, xml)
        index_entries.append((name, lastmod))
    news_lastmod, news_xml = renderer.news_sitemap_xml()
    writer.write_text("news-sitemap.xml", news_xml)
    index_entries.append(("news-sitemap.xml", news_lastmod))
    writer.write_text("sitemap_index.xml", renderer.sitemap_index_xml(index_entries))
    writer.write_text("robots.txt", ROBOTS_TXT.format(origin=ORIGIN))
    writer.write_text(NOT_FOUND_FILE, renderer.not_found_html())
    writer.write_bytes(writer.out_dir / THEME_CSS_PATH, (CONTENT_DIR / "style.css").read_bytes())
    writer.write_page("/about/", renderer.about_html(about_paragraphs))
