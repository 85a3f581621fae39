"""Clean pipeline: tidy every text field, normalise dates, canonicalise every URL.

Stored text stays faithful (letters, diacritics and digits as published); see :mod:`arabpress_crawler.text`.
The item's ``url`` becomes its canonical form; a ``rel=canonical`` that leaves the site is not trusted (the
fetched URL is used instead). ``word_count`` is filled here.
"""

from __future__ import annotations

import functools
import logging
from typing import TYPE_CHECKING, Any

from arabpress_crawler.dates import normalize_date
from arabpress_crawler.items import ArticleItem, RelatedHeadline, UnchangedArticle, as_article
from arabpress_crawler.text import clean_body, clean_list, clean_text, word_count
from arabpress_crawler.urls import canonicalize_url, is_same_site

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

logger = logging.getLogger(__name__)

TEXT_FIELDS = ("title", "subtitle", "section")
DATE_FIELDS = ("published_at", "modified_at")
LANGUAGE_SEPARATORS = ("-", "_")
#: Related headline titles whose cleaned form is remembered: each headline is listed by many articles.
HEADLINE_TITLE_CACHE = 4096
_clean_headline_title = functools.lru_cache(maxsize=HEADLINE_TITLE_CACHE)(clean_text)


def clean_language(value: str | None) -> str | None:
    """``"ar-SA"`` → ``"ar"``; lower-case primary subtag; ``None`` for empty values."""
    text = clean_text(value)
    if not text:
        return None
    for separator in LANGUAGE_SEPARATORS:
        text = text.split(separator, 1)[0]
    return text.lower() or None


def clean_related(related: list[RelatedHeadline], base: str) -> list[RelatedHeadline]:
    """Canonical, de-duplicated related headlines (first occurrence wins), never the article itself."""
    seen = {base}
    cleaned: list[RelatedHeadline] = []
    for entry in related:
        url = canonicalize_url(entry.url, base=base)
        if url is None or url in seen:
            continue
        seen.add(url)
        cleaned.append(RelatedHeadline(title=_clean_headline_title(entry.title) or "", url=url, position=entry.position))
    return cleaned


def canonical_article_url(item: ArticleItem) -> str | None:
    """The canonical URL of the item: its own ``url`` unless that leaves the site it was fetched from."""
    fetched = canonicalize_url(item.fetched_url) if item.fetched_url else None
    url = canonicalize_url(item.url, base=item.fetched_url)
    if url is not None and fetched is not None and not is_same_site(url, fetched):
        logger.info("Canonical URL %s of %s is off-site: keeping the fetched URL", url, item.fetched_url)
        return fetched
    return url or fetched


def clean_article(item: ArticleItem) -> ArticleItem:
    """Clean ``item`` in place and return it."""
    item.url = canonical_article_url(item) or ""
    for name in TEXT_FIELDS:
        setattr(item, name, clean_text(getattr(item, name)))
    item.body = clean_body(item.body)
    item.authors = clean_list(item.authors)
    item.tags = clean_list(item.tags)
    for name in DATE_FIELDS:
        value = getattr(item, name)
        setattr(item, name, normalize_date(value) if value else None)
    item.image_url = (
        canonicalize_url(item.image_url, base=item.url or item.fetched_url) if item.image_url else None
    )
    item.language = clean_language(item.language)
    item.related = clean_related(item.related, item.url) if item.url else []
    item.word_count = word_count(item.body)
    return item


class CleanPipeline:
    """First pipeline: cleans :class:`ArticleItem` fields and canonicalises :class:`UnchangedArticle` URLs."""

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> CleanPipeline:
        return cls()

    def process_item(self, item: Any) -> Any:
        article = as_article(item)  # any item type, through itemadapter
        if article is not None:
            return clean_article(article)
        if isinstance(item, UnchangedArticle):
            item.url = canonicalize_url(item.url) or item.url
        return item
