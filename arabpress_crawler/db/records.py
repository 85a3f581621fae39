"""What the writers take and return: the records beside :class:`~arabpress_crawler.items.ArticleItem`.

Plain dataclasses with no database in them; the dedupe pipeline builds :class:`DedupedArticle` and
:class:`ArticleAlias`, the writer returns one :class:`WriteResult` per record.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from arabpress_crawler.items import ArticleItem, UnchangedArticle

ALIAS_KIND_URL = "url"
ALIAS_KIND_CONTENT = "content"
OUTCOME_NEW = "new"
OUTCOME_UPDATED = "updated"
OUTCOME_UNCHANGED = "unchanged"
OUTCOME_ALIAS = "alias"
OUTCOME_UNKNOWN = "unknown"
#: Outcomes of a record that holds an article's text (counted in the run's coverage).
ARTICLE_OUTCOMES = frozenset({OUTCOME_NEW, OUTCOME_UPDATED, OUTCOME_UNCHANGED})


@dataclass
class ArticleAlias:
    """An extra URL for a stored article: ``alias_url`` shows the same text as ``url``."""

    alias_url: str
    url: str
    kind: str = ALIAS_KIND_CONTENT
    seen_at: str | None = None
    fetched_url: str | None = None


@dataclass(frozen=True)
class Fingerprint:
    """A MinHash signature (little-endian uint32 values) and its LSH bucket per band."""

    scheme: str
    num_perm: int
    minhash: bytes
    buckets: tuple[int, ...]


@dataclass
class DedupedArticle:
    """An article with the decisions of the dedupe pipeline that touch other stored rows.

    ``supersedes``: stored URLs with the same text that become aliases of this article (it is the original).
    ``regroup``: ``(old_root, new_root)`` pairs: near-duplicate groups whose original changes.
    ``fingerprint``: the MinHash of the text and its LSH buckets, kept for near-duplicate lookups in later runs.
    """

    article: ArticleItem
    fingerprint: Fingerprint | None = None
    supersedes: list[str] = field(default_factory=list)
    regroup: list[tuple[str, str]] = field(default_factory=list)


StoreRecord = ArticleItem | DedupedArticle | ArticleAlias | UnchangedArticle
#: The record classes the writer accepts (for ``isinstance``).
STORE_RECORD_TYPES = (ArticleItem, DedupedArticle, ArticleAlias, UnchangedArticle)


@dataclass
class WriteResult:
    """What writing one record did."""

    outcome: str
    url: str
    near_duplicate: bool = False  # newly found to be a near-duplicate (duplicate_of set or changed)
    url_alias: bool = False  # the fetched URL was recorded as an alias
    demoted: int = 0  # stored articles with the same text turned into aliases of this one
    regrouped: int = 0  # stored originals found to be near-duplicates of this one (duplicate_of now set)
    retracted_new: int = 0  # of the rows turned into aliases, those first stored by this same run
