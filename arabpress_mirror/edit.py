"""Edit an article of a rendered mirror the way WordPress does when an editor updates a post.

:func:`edit_article` rewrites the page (and its AMP twin, when there is one) in a mirror directory: new
paragraphs and/or title, a later ``article:modified_time``, JSON-LD ``dateModified`` and ``time.updated``, and
a later ``<lastmod>`` for the post in its post sitemap (and for that sitemap in the sitemap index). The files'
mtimes move forward by at least a second, so ``Last-Modified`` and ``ETag`` change as on the real site.
Listings, the feed and other pages' related lists keep the old title (as caches of the real site do).

Tests of incremental crawls use it on a copy of the demo mirror — never on the packaged one::

    shutil.copytree(DEMO_SITE_DIR, tmp_path / "site")
    edit_article(tmp_path / "site", article.path, paragraphs=[...], when="2025-11-10T08:00:00Z")
"""

from __future__ import annotations

import json
import logging
import os
import re
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from lxml import etree, html

from arabpress_mirror.content import ORIGIN, SITE_NAME, format_iso, parse_iso
from arabpress_mirror.dates import display_date, iso_with_offset
from arabpress_mirror.layout import url_to_file

logger = logging.getLogger(__name__)

DOCTYPE = "<!DOCTYPE html>"
JSON_LD_XPATH = '//script[@type="application/ld+json"]'
SITEMAP_GLOB = "post-sitemap*.xml"
SITEMAP_INDEX = "sitemap_index.xml"
#: Pages and sitemaps move at least this far forward in time, so ``Last-Modified`` always changes.
MIN_MTIME_STEP = 1.0


@dataclass
class ArticleEdit:
    """What :func:`edit_article` changed."""

    path: str
    modified_at: str  # ISO 8601 UTC, "YYYY-MM-DDTHH:MM:SSZ"
    files: list[Path] = field(default_factory=list)


def _moment(when: datetime | str | None) -> datetime:
    if when is None:
        return datetime.now(UTC).replace(microsecond=0)
    if isinstance(when, str):
        return parse_iso(when)
    return when.astimezone(UTC).replace(microsecond=0)


def _set_text(element: html.HtmlElement, text: str) -> None:
    for child in list(element):
        element.remove(child)
    element.text = text


def _replace_paragraphs(root: html.HtmlElement, paragraphs: list[str], url: str) -> None:
    contents = root.cssselect("div.entry-content")
    if not contents:
        raise ValueError(f"{url} has no div.entry-content: not an article page of the mirror")
    existing = contents[0].xpath("./p")
    for element, text in zip(existing, paragraphs, strict=False):
        _set_text(element, text)
    for element in existing[len(paragraphs) :]:
        element.getparent().remove(element)
    anchor = existing[min(len(existing), len(paragraphs)) - 1] if existing and paragraphs else None
    for text in paragraphs[len(existing) :]:
        element = html.Element("p")
        element.text = text
        element.tail = "\n"
        if anchor is None:
            contents[0].insert(0, element)
        else:
            anchor.addnext(element)
        anchor = element


def _replace_title(root: html.HtmlElement, title: str) -> None:
    for element in root.cssselect("span.current-title, h1.entry-title"):
        _set_text(element, title)
    for element in root.xpath("//title"):
        element.text = f"{title} - {SITE_NAME}"
    for element in root.xpath("//meta[@property='og:title']"):
        element.set("content", f"{title} - {SITE_NAME}")


def _bump_dates(root: html.HtmlElement, modified: str) -> None:
    language = "ar" if root.get("lang") == "ar" else "en"
    for element in root.xpath("//meta[@property='article:modified_time']"):
        element.set("content", iso_with_offset(modified))
    for element in root.cssselect("time.updated"):
        element.set("datetime", iso_with_offset(modified))
        element.text = display_date(modified, language)


def _update_graph(root: html.HtmlElement, modified: str, title: str | None) -> None:
    for script in root.xpath(JSON_LD_XPATH):
        data = json.loads(script.text)
        for node in data.get("@graph", []):
            if node.get("@type") in ("NewsArticle", "WebPage"):
                node["dateModified"] = iso_with_offset(modified)
            if title and node.get("@type") == "NewsArticle":
                node["headline"] = title
            if title and node.get("@type") == "WebPage":
                node["name"] = f"{title} - {SITE_NAME}"
            if title and node.get("@type") == "BreadcrumbList":
                node["itemListElement"][-1]["name"] = title
        script.text = json.dumps(data, ensure_ascii=False, separators=(",", ":")).replace("</", "<\\/")


def _touch(file: Path, previous_mtime: float) -> None:
    mtime = max(time.time(), previous_mtime + MIN_MTIME_STEP)
    os.utime(file, (mtime, mtime))


def _edit_page(file: Path, url: str, paragraphs: list[str] | None, title: str | None, modified: str) -> None:
    previous_mtime = file.stat().st_mtime
    root = html.document_fromstring(file.read_text(encoding="utf-8"))
    if paragraphs is not None:
        _replace_paragraphs(root, paragraphs, url)
    if title is not None:
        _replace_title(root, title)
    _bump_dates(root, modified)
    _update_graph(root, modified, title)
    markup = etree.tostring(root, encoding="unicode", method="html", doctype=DOCTYPE)
    file.write_text(markup + "\n", encoding="utf-8")
    _touch(file, previous_mtime)
    logger.info("edited %s (modified %s)", url, modified)


def _bump_sitemaps(root: Path, url: str, modified: str) -> list[Path]:
    """Set the post's ``<lastmod>`` in its post sitemap, and that sitemap's in the index."""
    pattern = re.compile(rf"(<loc>{re.escape(url)}</loc>\s*<lastmod>)[^<]*(</lastmod>)")
    lastmod = iso_with_offset(modified)
    changed = []
    for sitemap in sorted(root.glob(SITEMAP_GLOB)):
        text = sitemap.read_text(encoding="utf-8")
        updated, count = pattern.subn(rf"\g<1>{lastmod}\g<2>", text)
        if count:
            previous_mtime = sitemap.stat().st_mtime
            sitemap.write_text(updated, encoding="utf-8")
            _touch(sitemap, previous_mtime)
            changed.append(sitemap)
    index = root / SITEMAP_INDEX
    if changed and index.is_file():
        text = index.read_text(encoding="utf-8")
        for sitemap in changed:
            entry = re.compile(
                rf"(<loc>{re.escape(ORIGIN)}/{re.escape(sitemap.name)}</loc>\s*<lastmod>)([^<]*)(</lastmod>)"
            )
            text = entry.sub(
                lambda match: match.group(1) + max(match.group(2), lastmod) + match.group(3), text
            )
        previous_mtime = index.stat().st_mtime
        index.write_text(text, encoding="utf-8")
        _touch(index, previous_mtime)
        changed.append(index)
    if not changed:
        logger.warning("no post sitemap lists %s: its lastmod was not bumped", url)
    return changed


def edit_article(
    root: Path | str,
    path: str,
    paragraphs: list[str] | None = None,
    title: str | None = None,
    when: datetime | str | None = None,
) -> ArticleEdit:
    """Rewrite the article at URL path ``path`` of the mirror in ``root`` as an edit in WordPress would.

    ``when`` is the modification time (default: now); ``paragraphs`` and ``title`` replace the body and the
    headline when given. Raises :class:`FileNotFoundError` when the mirror has no page at ``path``.
    """
    root = Path(root)
    modified = format_iso(_moment(when))
    file = url_to_file(root, path)
    if not file.is_file():
        raise FileNotFoundError(f"no page for {path} in the mirror at {root}")
    url = ORIGIN + path
    _edit_page(file, url, paragraphs, title, modified)
    files = [file]
    amp_file = url_to_file(root, path + "amp/")
    if path.endswith("/") and amp_file.is_file():
        _edit_page(amp_file, url + "amp/", paragraphs, title, modified)
        files.append(amp_file)
    files += _bump_sitemaps(root, url, modified)
    return ArticleEdit(path=path, modified_at=modified, files=files)
