"""Re-extraction: today's page objects and pipelines over the archived responses, without the network.

For each stored article that points at a WARC record (:mod:`arabpress_crawler.archive`), the response is read
back (:func:`~arabpress_crawler.archive.reader.read_response`), turned into the Scrapy response the spider saw,
and run through :class:`~arabpress_crawler.pages.article.ArticlePage` and the clean and validate steps exactly
as in a crawl (the crawl metadata, fetched URL and time, ETag, come from the row, as the spider filled them).
The fields that come out are compared with the row's; a row whose fields differ is updated and its previous
values kept as a revision (``reason = 'reextract'``, with the extraction version that replaced them). The
row's URL (its key) is never changed: a different canonical URL is reported, not applied.

Deduplication is re-run as a crawl runs it (:class:`~arabpress_crawler.pipelines.dedupe.DedupePipeline`, on the
database being written) for every row whose text (``content_hash``) or publication date changes: a body that
now equals an earlier article's makes the row an alias of it (outcome ``alias``; its earlier values are kept as
a revision), a body that now nearly equals one sets ``duplicate_of`` (reported as a changed field), and the
row's MinHash fingerprint follows the new text. A dry run writes nothing, so it reports the extraction changes
only, not the dedupe decisions they would lead to. Nothing needs a fetch. Records that are missing or no
longer give an article are counted and left alone, so a run can always be repeated: a second run over
unchanged code changes nothing.
"""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from arabpress_crawler.db.archive import DUPLICATE_OF, ROW_FIELDS, StoredArticle
from arabpress_crawler.items import ArticleItem, RelatedHeadline
from arabpress_crawler.pipelines.clean import clean_article
from arabpress_crawler.pipelines.validate import drop_reason
from arabpress_crawler.text import content_hash

if TYPE_CHECKING:
    from collections.abc import Iterable

    from arabpress_crawler.archive.reader import ArchivedResponse

logger = logging.getLogger(__name__)

#: Stored fields re-extraction recomputes, in report order.
FIELDS = (*ROW_FIELDS, "related")
#: Fields the dedupe decisions set (compared after deduplication, not after extraction).
DEDUPE_FIELDS = (DUPLICATE_OF,)
#: Fields the report counts, in order.
REPORTED_FIELDS = (*FIELDS, *DEDUPE_FIELDS)

# Outcomes of one article.
CHANGED = "changed"
UNCHANGED = "unchanged"
MISSING = "record_missing"
NO_RECORD = "no_record"
NOT_ARTICLE = "not_article"
DROPPED = "would_be_dropped"
ALIAS = "alias"  # the text now equals an earlier article's: the row became an alias of it


@dataclass
class Result:
    """What re-extraction made of one stored article."""

    stored: StoredArticle
    outcome: str
    item: ArticleItem | None = None
    changed: dict[str, tuple[Any, Any]] = field(default_factory=dict)
    detail: str = ""


def related_values(related: Iterable[RelatedHeadline]) -> list[tuple[str, str, int]]:
    """Related headlines as comparable ``(url, title, position)`` triples, in position order."""
    return sorted(((entry.url, entry.title, entry.position) for entry in related), key=lambda entry: entry[2])


def field_values(item: ArticleItem) -> dict[str, Any]:
    """The values of :data:`FIELDS` an item would be stored with."""
    return {
        "title": item.title,
        "subtitle": item.subtitle,
        "body": item.body,
        "authors": list(item.authors),
        "published_at": item.published_at,
        "modified_at": item.modified_at,
        "section": item.section,
        "tags": list(item.tags),
        "image_url": item.image_url,
        "language": item.language,
        "word_count": item.word_count,
        "content_hash": item.content_hash,
        "related": related_values(item.related),
        "extraction": dict(item.extraction),
    }


def extract(stored: StoredArticle, archived: ArchivedResponse) -> tuple[ArticleItem | None, str]:
    """The cleaned item today's code extracts from ``archived``, or ``None`` and why not."""
    # Imported here: the database layer imports this module's types, and `arabpress check` should not pay
    # for loading the extractors (trafilatura) and Scrapy.
    from arabpress_crawler.archive.reader import scrapy_response
    from arabpress_crawler.pages.article import ArticlePage

    page = ArticlePage(scrapy_response(archived))
    item = page.to_item()
    if item is None:
        return None, f"{NOT_ARTICLE}: {page.not_article_reason}"
    item.fetched_url = stored.fetched_url or archived.url
    item.fetched_at = stored.fetched_at
    item.etag = stored.etag
    item.last_modified = stored.last_modified
    item.sitemap_lastmod = stored.sitemap_lastmod
    item.archive = stored.archive
    clean_article(item)
    reason = drop_reason(item)
    if reason is not None:
        return None, f"{DROPPED}: {reason}"
    item.content_hash = content_hash(item.title, item.body)
    return item, ""


def reextract_one(stored: StoredArticle, archived: ArchivedResponse) -> Result:
    """Re-extract one stored article from its archived response and compare field by field."""
    item, why = extract(stored, archived)
    if item is None:
        outcome = why.split(":", 1)[0]
        logger.info("re-extraction of %s gives no article (%s): row left as it is", stored.url, why)
        return Result(stored, outcome, detail=why)
    if item.url != stored.url:
        logger.info("re-extraction of %s finds the canonical URL %s: the row keeps its URL", stored.url, item.url)
        item.url = stored.url
    new = field_values(item)
    changed = {name: (stored.values.get(name), new[name]) for name in FIELDS if new[name] != stored.values.get(name)}
    if changed:
        logger.debug("re-extraction changes %s of %s", ", ".join(changed), stored.url)
    return Result(stored, CHANGED if changed else UNCHANGED, item=item, changed=changed)


@dataclass
class Report:
    """Counts of a re-extraction run."""

    version: str
    dry_run: bool = False
    articles: int = 0
    outcomes: Counter[str] = field(default_factory=Counter)
    fields: Counter[str] = field(default_factory=Counter)
    seconds: float = 0.0

    def add(self, result: Result) -> None:
        self.articles += 1
        self.outcomes[result.outcome] += 1
        self.fields.update(result.changed.keys())

    @property
    def changed(self) -> int:
        return self.outcomes[CHANGED]

    @property
    def rate(self) -> float:
        read = self.articles - self.outcomes[NO_RECORD] - self.outcomes[MISSING]
        return read / self.seconds if self.seconds else 0.0
