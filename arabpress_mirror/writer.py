"""Write a whole mirror to disk: :func:`render_site` renders every page with
:class:`~arabpress_mirror.render.SiteRenderer` and lays the files out as :mod:`arabpress_mirror.layout` says.
"""

from __future__ import annotations

import logging
import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from arabpress_mirror.content import CONTENT_DIR, ORIGIN, MirrorArticle
from arabpress_mirror.images import tiny_png
from arabpress_mirror.layout import FEED_PATH, NOT_FOUND_FILE, image_file, url_to_file
from arabpress_mirror.render import SiteRenderer
from arabpress_mirror.theme import ABOUT_PARAGRAPHS, THEME_CSS_PATH

logger = logging.getLogger(__name__)

ROBOTS_TXT = """User-agent: *
Disallow: /wp-admin/
Allow: /wp-admin/admin-ajax.php

Sitemap: {origin}/sitemap_index.xml
"""


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
