"""Dedupe pipeline: one row per story, however many URLs and republications it has.

Three levels, all computed on the normalised text (:func:`arabpress_crawler.text.normalize_for_search`):

(a) **Canonical URL**: the clean pipeline made ``url`` canonical; the store records a different
    ``fetched_url`` as a URL alias.
(b) **Exact content**: ``content_hash`` of the normalised title and body. The same hash under another URL
    becomes an alias of the original (:class:`~arabpress_crawler.db.ArticleAlias`), not a second row.
(c) **Near duplicates** (lightly edited republications): MinHash signatures (datasketch's ``affine32``
    scheme, computed by :mod:`arabpress_crawler.minhash`) of word shingles,
    looked up through LSH bands. A near-duplicate is stored as its own row with ``duplicate_of`` set.
    A bucket holding more than :data:`MAX_BUCKET_MEMBERS` articles (a phrase common to many stories) gives
    no candidates, so a lookup reads and compares a bounded number of articles however large the table.

Which one is the *original* does not depend on crawl order: the earlier publication wins (then the smaller
URL), so a re-run after a crash, or a crawl that meets the copy first, ends with the same rows.

Persistence across runs: signatures and their LSH band buckets are stored in the database (by the store
pipeline) and looked up with indexed queries, so nothing is rebuilt in memory at start and lookups stay
sublinear at any size. This pipeline reads through the crawl's shared store
(:class:`arabpress_crawler.db.session.CrawlStore`): the store pipeline writes each record as it arrives in
the store's open transaction, on the same connection, so the decisions of this run are in the rows read here
before they are committed; nothing is kept in memory between items. (Both pipelines are synchronous, so
Scrapy runs the store pipeline on an item before the dedupe pipeline sees the next one.)
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from arabpress_crawler import db as database
from arabpress_crawler.db import (
    ALIAS_KIND_CONTENT,
    ArticleAlias,
    DedupedArticle,
    Fingerprint,
    queries,
    session,
)
from arabpress_crawler.items import ArticleItem, as_article
from arabpress_crawler.minhash import AffineMinHash
from arabpress_crawler.text import content_hash, words

if TYPE_CHECKING:
    import sqlite_utils
    from scrapy.crawler import Crawler
    from scrapy.statscollectors import StatsCollector

logger = logging.getLogger(__name__)

NUM_PERM = 64
MINHASH_SEED = 1
MINHASH_SCHEME = "affine32"
SHINGLE_WORDS = 3
#: Bytes of a shingle's SHA-1 digest kept as its 32-bit hash (datasketch's ``sha1_hash32``).
SHINGLE_HASH_BYTES = 4
#: Estimated Jaccard similarity of shingle sets above which two articles are near-duplicates.
NEAR_DUPLICATE_THRESHOLD = 0.7
#: LSH banding is tuned for this lower similarity, so pairs above the real threshold are rarely missed.
LSH_CANDIDATE_THRESHOLD = 0.5
#: An LSH bucket holding more articles than this is "hot" (a phrase common to many stories, not a
#: republication) and gives no near-duplicate candidates, so lookups stay cheap as the table grows. A real
#: near-duplicate shares most bands with its original (over the generated 50,000-article mirror every one of
#: its 500 near-duplicates shared 6 to 14 bands, one of them a bucket of at most 2 articles); the decision is
#: still made by the full MinHash similarity, only pairs that share nothing but hot buckets are not compared.
MAX_BUCKET_MEMBERS = 32
STATS_PREFIX = "arabpress/duplicates/"
#: Sorts after every ISO date: articles without a publication date never win "original" over dated ones.
UNDATED = "~"

#: The signatures' permutations, drawn once (datasketch's ``MinHash(NUM_PERM, MINHASH_SEED, "affine32")``).
_MINHASH = AffineMinHash(NUM_PERM, MINHASH_SEED)
#: LSH bands and rows per band: what ``datasketch.MinHashLSH(threshold=LSH_CANDIDATE_THRESHOLD,
#: num_perm=NUM_PERM)`` chooses (by integrating false positive and negative rates with SciPy; the tests
#: check that it still does). Stored buckets depend on them.
LSH_BANDS, LSH_ROWS = 14, 4


def _shingle_texts(title: str | None, body: str | None) -> set[str]:
    """The distinct word ``SHINGLE_WORDS``-grams of the normalised title and body, as text."""
    tokens = words(title) + words(body)
    if len(tokens) < SHINGLE_WORDS:
        return {" ".join(tokens)} if tokens else set()
    return set(map(" ".join, zip(*(tokens[i:] for i in range(SHINGLE_WORDS)), strict=False)))


def shingles(title: str | None, body: str | None) -> set[bytes]:
    """Word ``SHINGLE_WORDS``-grams of the normalised title and body (works for Arabic and English alike)."""
    return {gram.encode() for gram in _shingle_texts(title, body)}


#: 32-bit words in a SHA-1 digest: the first of each is the shingle's hash.
_SHA1_WORDS = hashlib.sha1().digest_size // SHINGLE_HASH_BYTES


def _shingle_hash_array(grams: Iterable[str]) -> np.ndarray:
    """datasketch's ``sha1_hash32`` of each UTF-8 shingle (the first 4 bytes of SHA-1, little-endian)."""
    sha1 = hashlib.sha1
    digests = b"".join([sha1(gram.encode()).digest() for gram in grams])
    return np.frombuffer(digests, dtype="<u4")[:: _SHA1_WORDS]


def shingle_hashes(grams: Iterable[str]) -> list[int]:
    """datasketch's ``sha1_hash32`` of each UTF-8 shingle, as integers."""
    return _shingle_hash_array(grams).tolist()


def signature(title: str | None, body: str | None) -> np.ndarray | None:
    """The MinHash hash values of the text, or ``None`` when it has no words.

    The shingles are hashed in one pass (:func:`shingle_hashes`, the same values datasketch's default hash
    gives), then permuted with numpy (:mod:`arabpress_crawler.minhash`): the signature is the one
    datasketch's ``MinHash.update_batch`` of the encoded shingles gives.
    """
    grams = _shingle_texts(title, body)
    if not grams:
        return None
    return _MINHASH.signature(_shingle_hash_array(grams))


def lsh_buckets(values: np.ndarray) -> tuple[int, ...]:
    """One stable 63-bit bucket id per LSH band of the signature (the same in every process)."""
    values32 = values.astype("<u4")
    raw, size = values32.tobytes(), LSH_ROWS * values32.itemsize  # a band: LSH_ROWS values, as bytes
    blake2b = hashlib.blake2b
    return tuple(
        int.from_bytes(
            blake2b(raw[band * size : (band + 1) * size], digest_size=8, person=b"arabpress-lsh").digest(),
            "little",
            signed=True,
        )
        for band in range(LSH_BANDS)
    )


def similarity(a: np.ndarray, b: np.ndarray) -> float:
    """Estimated Jaccard similarity of two MinHash signatures."""
    return float(np.count_nonzero(a == b)) / len(a)


def precedence(published_at: str | None, url: str) -> tuple[str, str]:
    """Sort key of "which is the original": earlier publication first, then the smaller URL."""
    return (published_at or UNDATED, url)


@dataclass
class Known:
    """One stored article as this pipeline reads it (this run's writes included)."""

    url: str
    content_hash: str | None
    published_at: str | None
    duplicate_of: str | None
    values: np.ndarray | None


class DedupePipeline:
    """Third pipeline: exact-content aliases and near-duplicate links, consistent across runs."""

    def __init__(self, db_path: str | Path, *, stats: StatsCollector | None = None) -> None:
        self.db_path = Path(db_path)
        self.stats = stats
        self.store: session.CrawlStore | None = None
        #: Stored articles the decision being made turns into aliases: ``url → its replacement``.
        self._retiring: dict[str, str] = {}

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> DedupePipeline:
        return cls(crawler.settings.get("ARABPRESS_DB"), stats=crawler.stats)

    @property
    def db(self) -> sqlite_utils.Database | None:
        """The crawl's shared connection while the spider is open."""
        return self.store.db if self.store is not None else None

    def open_spider(self) -> None:
        self.store = session.acquire(self.db_path)

    def close_spider(self) -> None:
        store, self.store = self.store, None
        if store is not None:
            session.release(store)

    def process_item(self, item: Any) -> Any:
        article = as_article(item)  # any item type, through itemadapter
        if article is None:
            return item
        if self.store is None:
            raise RuntimeError("DedupePipeline used before open_spider()")
        return self.deduplicate(article)

    # -- state lookups: the store's connection sees this run's uncommitted writes too

    def _database(self) -> sqlite_utils.Database:
        if self.store is None:
            raise RuntimeError("DedupePipeline used before open_spider()")
        return self.store.db

    def known(self, url: str, stored: dict[str, database.DedupeState] | None = None) -> Known | None:
        """``url`` as stored (``stored``: states already read), or ``None`` (not stored, or being retired)."""
        if url in self._retiring:
            return None
        state = stored.get(url) if stored is not None else database.dedupe_state(self._database(), url)
        if state is None:
            return None
        values = None
        if state.minhash and state.num_perm == NUM_PERM and state.fingerprint_scheme == MINHASH_SCHEME:
            values = np.frombuffer(state.minhash, dtype="<u4").astype(np.uint32)
        return Known(state.url, state.content_hash, state.published_at, state.duplicate_of, values)

    live = known

    def original_of(self, url: str) -> str:
        """The original of ``url``'s near-duplicate group: its ``duplicate_of``, or where an alias points now."""
        root, seen = url, set()
        while root not in seen:
            seen.add(root)
            known = self.live(root)
            if known is not None:
                if known.duplicate_of:
                    root = known.duplicate_of
            elif root in self._retiring:
                root = self._retiring[root]
            else:
                root = queries.resolve(self._database(), root) or root  # demoted to an alias of another
        return root

    def content_holder(self, digest: str, url: str) -> Known | None:
        holder = database.content_holder(self._database(), digest, exclude=url)
        known = self.live(holder) if holder else None
        return known if known is not None and known.content_hash == digest else None

    def lsh_candidates(self, buckets: tuple[int, ...]) -> tuple[set[str], dict[str, database.DedupeState]]:
        """Stored articles (this run's included) sharing a bucket with ``buckets``; hot buckets are passed over.

        A bucket holding more than :data:`MAX_BUCKET_MEMBERS` articles is made by a phrase common to many
        stories: it gives no candidates, and reading it costs at most that many index entries. Returns the
        candidates' URLs and their stored states (read in one query).
        """
        db = self._database()
        stored_ids = database.lsh_bucket_members(db, buckets, limit=MAX_BUCKET_MEMBERS + 1)
        cool = [band for band in range(len(buckets)) if len(stored_ids.get(band, ())) <= MAX_BUCKET_MEMBERS]
        by_id = database.fingerprint_states(db, sorted({fid for band in cool for fid in stored_ids.get(band, ())}))
        found = {by_id[fid].url for band in cool for fid in stored_ids.get(band, ()) if fid in by_id}
        return found, {state.url: state for state in by_id.values() if state.url in found}

    def near_duplicates(
        self, url: str, values: np.ndarray, buckets: tuple[int, ...], exclude: set[str]
    ) -> list[Known]:
        urls, stored = self.lsh_candidates(buckets)
        candidates = sorted(urls - exclude - {url})
        found = []
        for candidate in candidates:
            known = self.live(candidate, stored)
            if (
                known is not None
                and known.values is not None
                and similarity(values, known.values) >= NEAR_DUPLICATE_THRESHOLD
            ):
                found.append(known)
        return found

    # -- decisions

    def deduplicate(self, item: ArticleItem) -> DedupedArticle | ArticleAlias:
        """Decide what ``item`` is: a new/updated original, a near-duplicate, or an alias of stored text."""
        try:
            return self._decide(item)
        finally:
            self._retiring.clear()  # the store writes the decision next: from then on the rows say it

    def _decide(self, item: ArticleItem) -> DedupedArticle | ArticleAlias:
        item.content_hash = content_hash(item.title, item.body)
        previous = self.live(item.url)
        holder = self.content_holder(item.content_hash, item.url)
        mine = precedence(item.published_at, item.url)
        if holder is not None and precedence(holder.published_at, holder.url) <= mine:
            return self._alias(item, holder, previous)
        values = signature(item.title, item.body)
        buckets = lsh_buckets(values) if values is not None else ()
        decision = DedupedArticle(article=item)
        if holder is not None:
            decision.supersedes.append(holder.url)
            self._count("content")
            logger.info(
                "%s has the text of %s and was published first: it becomes the original", item.url, holder.url
            )
            self._retire(holder.url, item.url)
        if values is not None:
            decision.fingerprint = Fingerprint(
                MINHASH_SCHEME, NUM_PERM, values.astype("<u4").tobytes(), buckets
            )
            self._link_near_duplicates(
                item, decision, values, buckets, previous, exclude=set(decision.supersedes)
            )
        else:
            item.duplicate_of = None
        return decision

    def _alias(self, item: ArticleItem, holder: Known, previous: Known | None) -> ArticleAlias:
        logger.info("%s has the same text as %s: stored as an alias", item.url, holder.url)
        self._count("content")
        if previous is not None:
            self._retire(item.url, holder.url)
        return ArticleAlias(
            alias_url=item.url,
            url=holder.url,
            kind=ALIAS_KIND_CONTENT,
            seen_at=item.fetched_at,
            fetched_url=item.fetched_url,
        )

    def _retire(self, url: str, replacement: str) -> None:
        """Remember, while this decision is made, that the stored article ``url`` becomes an alias of ``replacement``."""
        self._retiring[url] = self.original_of(replacement) if replacement != url else replacement

    def _link_near_duplicates(
        self,
        item: ArticleItem,
        decision: DedupedArticle,
        values: np.ndarray,
        buckets: tuple[int, ...],
        previous: Known | None,
        *,
        exclude: set[str],
    ) -> None:
        neighbours = self.near_duplicates(item.url, values, buckets, exclude)
        originals = {self.original_of(known.url) for known in neighbours} - {item.url}
        if not originals:
            item.duplicate_of = None
            return
        dates = {
            url: (self.live(url) or Known(url, None, None, None, None)).published_at for url in originals
        }
        best = min([*originals, item.url], key=lambda url: precedence(dates.get(url, item.published_at), url))
        if best == item.url:
            item.duplicate_of = None
            decision.regroup.extend((original, item.url) for original in sorted(originals))
            for original in sorted(originals):  # stored before it, they are its near-duplicates now
                logger.info("%s is a near-duplicate of %s", original, item.url)
                self._count("near")
        else:
            item.duplicate_of = best
            decision.regroup.extend((original, best) for original in sorted(originals - {best}))
            if previous is not None and previous.duplicate_of is None:
                decision.regroup.append((item.url, best))  # it may have had near-duplicates of its own
            logger.info("%s is a near-duplicate of %s", item.url, best)
            self._count("near")

    def _count(self, kind: str) -> None:
        if self.stats is not None:
            self.stats.inc_value(f"{STATS_PREFIX}{kind}")
