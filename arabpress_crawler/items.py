"""Typed items that flow from the spider through the pipelines to the store.

Exporters (``scrapy crawl articles -O items.jsonl``) know every column because every field has a default.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class RelatedHeadline:
    """One entry of an article page's "Related Articles" list, as shown on that page."""

    title: str
    url: str
    position: int  # 1-based, in page order


@dataclass(frozen=True)
class ArchiveRecord:
    """Where the response an item was extracted from is kept: a WARC response record (see
    :mod:`arabpress_crawler.archive`)."""

    file: str  # the WARC file, relative to the database's directory
    offset: int  # of the record's gzip member in the file
    length: int  # of that member, in bytes
    record_id: str  # WARC-Record-ID, ``<urn:uuid:…>``


@dataclass
class ArticleItem:
    """One article page, as extracted by :class:`arabpress_crawler.pages.article.ArticlePage`.

    Dates are ISO 8601 in UTC (``YYYY-MM-DDTHH:MM:SSZ``) or ``YYYY-MM-DD`` where the page gives only a day.
    ``extraction`` maps each field name to the layer that produced it: ``"site"``, ``"metadata"`` or
    ``"generic"``.
    """

    url: str  # canonical URL
    title: str | None = None
    subtitle: str | None = None
    body: str | None = None  # paragraphs joined by a blank line
    authors: list[str] = field(default_factory=list)
    published_at: str | None = None
    modified_at: str | None = None
    section: str | None = None
    tags: list[str] = field(default_factory=list)
    image_url: str | None = None
    language: str | None = None  # "en" or "ar"
    related: list[RelatedHeadline] = field(default_factory=list)
    extraction: dict[str, str] = field(default_factory=dict)
    # Crawl metadata, filled by the spider from the response (not by the page object).
    fetched_url: str | None = None  # the URL actually requested, before canonicalisation
    fetched_at: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    sitemap_lastmod: str | None = None  # the article's <lastmod> in the site's sitemap, when listed there
    archive: ArchiveRecord | None = None  # the archived response (filled by the archive's spider middleware)
    # Filled by the pipelines.
    word_count: int | None = None
    content_hash: str | None = None
    duplicate_of: str | None = None


@dataclass
class UnchangedArticle:
    """A stored article re-checked with a conditional GET that answered 304 Not Modified."""

    url: str
    fetched_at: str | None = None
