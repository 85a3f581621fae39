"""Render mirror articles into a static WordPress-like site (the markup of the Arab Press news theme).

:class:`SiteRenderer` renders every page of a mirror as text; :func:`arabpress_mirror.writer.render_site`
writes them under a directory (:mod:`arabpress_mirror.layout`), as the mirror server expects them:

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
in URLs. Every absolute URL uses :data:`~arabpress_mirror.content.ORIGIN`.

Article pages follow the template of ``docs/architecture.md`` (class names are the site profile's
contract). Listing pages (home, sections, tags, authors) carry no article signals: ``og:type=website`` and a
``CollectionPage`` JSON-LD graph; their entries are ``article.post`` blocks with ``h2.entry-title a`` links,
and pagination is ``link[rel=next]`` plus ``nav.pagination a.next.page-numbers``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from datetime import timedelta
from urllib.parse import quote

from arabpress_mirror.content import (
    AUTHOR_SLUGS,
    KIND_AMP,
    ORIGIN,
    SECTIONS,
    SITE_NAME,
    TAGLINE,
    MirrorArticle,
    decorate_href,
    parse_iso,
    quote_path,
    slugify,
    term_slug,
)
from arabpress_mirror.dates import display_date, iso_with_offset, rfc822
from arabpress_mirror.images import IMAGE_HEIGHT, IMAGE_WIDTH
from arabpress_mirror.structured_data import article_graph, collection_graph, json_ld
from arabpress_mirror.theme import (
    ABOUT_PARAGRAPHS,
    NOT_FOUND_PARAGRAPHS,
    POSTS_PER_PAGE,
    UI_STRINGS,
    Listing,
    PageMeta,
    make_environment,
    page_numbers,
)
from arabpress_mirror.urls import author_url, section_url, tag_url

FEED_SIZE = 10
SITEMAP_MAX_URLS = 1000
NEWS_SITEMAP_WINDOW = timedelta(days=2)


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
