"""Hot LSH buckets: a bucket holding more than ``MAX_BUCKET_MEMBERS`` articles gives no candidates.

Real near-duplicates share most bands with their original, so they are still found; a phrase common to many
stories no longer makes every lookup read (and compare) everything in its bucket.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest
import sqlite_utils
from hypothesis import given, settings
from hypothesis import strategies as st

from arabpress_crawler import db as db_api
from arabpress_crawler.db import DedupedArticle, Fingerprint
from arabpress_crawler.items import ArticleItem
from arabpress_crawler.pipelines.dedupe import (
    LSH_BANDS,
    MAX_BUCKET_MEMBERS,
    MINHASH_SCHEME,
    NUM_PERM,
    DedupePipeline,
    lsh_buckets,
    signature,
)
from arabpress_crawler.text import clean_body
from tests.test_pipelines import EDITED, LIGHTLY_EDITED, ORIGINAL, article, articles_table, crawl

SITE = "https://arab.press"
HOT = 1_234_567
FAKE_MINHASH = bytes(4 * NUM_PERM)


def filler_url(index: int) -> str:
    return f"{SITE}/2020/01/01/filler-{index}/"


def unique_buckets(index: int, **chosen: int) -> tuple[int, ...]:
    """Buckets no other filler has, except the bands given as ``band<N>=bucket``."""
    return tuple(chosen.get(f"band{band}", -(index * LSH_BANDS + band + 1)) for band in range(LSH_BANDS))


def store_fillers(
    db: sqlite_utils.Database, buckets: Sequence[tuple[int, ...]], *, start: int = 0
) -> list[str]:
    """Store one article per bucket tuple, with that fingerprint; their URLs."""
    records = filler_records(buckets, start=start)
    db_api.ArticleWriter(db).write_batch(records)
    return [record.article.url for record in records]


def candidates(pipeline: DedupePipeline, buckets: tuple[int, ...]) -> set[str]:
    """The candidate URLs of a lookup; each stored one comes with its stored state."""
    urls, states = pipeline.lsh_candidates(buckets)
    assert set(states) <= urls
    assert all(state.url == url for url, state in states.items())
    return urls


@pytest.fixture
def pipeline(tmp_path: Path) -> Iterator[DedupePipeline]:
    dedupe = DedupePipeline(tmp_path / "hot.db")
    dedupe.open_spider()
    yield dedupe
    dedupe.close_spider()


def test_a_bucket_at_the_cap_still_gives_its_members(pipeline: DedupePipeline) -> None:
    assert pipeline.db is not None
    urls = store_fillers(pipeline.db, [unique_buckets(i, band0=HOT) for i in range(MAX_BUCKET_MEMBERS)])
    assert candidates(pipeline, unique_buckets(999, band0=HOT)) == set(urls)


def test_a_hot_bucket_no_longer_grows_the_candidate_set(pipeline: DedupePipeline) -> None:
    assert pipeline.db is not None
    lookup = unique_buckets(999, band0=HOT, band5=77)
    companion = store_fillers(pipeline.db, [unique_buckets(500, band5=77)], start=500)
    stored = 0
    for total in (MAX_BUCKET_MEMBERS + 1, MAX_BUCKET_MEMBERS + 10, 3 * MAX_BUCKET_MEMBERS):
        store_fillers(pipeline.db, [unique_buckets(i, band0=HOT) for i in range(stored, total)], start=stored)
        stored = total
        assert candidates(pipeline, lookup) == set(companion)  # the cool bucket still counts
        members = db_api.lsh_bucket_members(pipeline.db, lookup, limit=MAX_BUCKET_MEMBERS + 1)
        assert len(members[0]) == MAX_BUCKET_MEMBERS + 1  # the index read stops there, however full


def filler_records(buckets: Sequence[tuple[int, ...]], *, start: int = 0) -> list[DedupedArticle]:
    return [
        DedupedArticle(
            article=ArticleItem(url=filler_url(start + i), title=f"Filler {start + i}", body=f"Body {start + i}"),
            fingerprint=Fingerprint(MINHASH_SCHEME, NUM_PERM, FAKE_MINHASH, tuple(bands)),
        )
        for i, bands in enumerate(buckets)
    ]


def write_uncommitted(pipeline: DedupePipeline, buckets: Sequence[tuple[int, ...]], *, start: int) -> None:
    """Write fillers in the crawl store's open transaction, as the store pipeline does between commits."""
    assert pipeline.store is not None
    for record in filler_records(buckets, start=start):
        pipeline.store.write(record)


def test_a_bucket_hot_in_this_runs_uncommitted_writes_gives_no_candidates(pipeline: DedupePipeline) -> None:
    write_uncommitted(pipeline, [unique_buckets(i, band0=HOT) for i in range(MAX_BUCKET_MEMBERS + 1)], start=0)
    assert pipeline.store is not None and pipeline.store.uncommitted == MAX_BUCKET_MEMBERS + 1
    assert candidates(pipeline, unique_buckets(999, band0=HOT)) == set()


def test_committed_and_uncommitted_members_count_together(pipeline: DedupePipeline) -> None:
    assert pipeline.db is not None
    half = MAX_BUCKET_MEMBERS // 2
    store_fillers(pipeline.db, [unique_buckets(i, band0=HOT) for i in range(half)])
    write_uncommitted(pipeline, [unique_buckets(i, band0=HOT) for i in range(half, MAX_BUCKET_MEMBERS)], start=half)
    lookup = unique_buckets(999, band0=HOT)
    assert len(candidates(pipeline, lookup)) == MAX_BUCKET_MEMBERS
    # An article committed and written again in the open transaction counts once.
    write_uncommitted(pipeline, [unique_buckets(0, band0=HOT)], start=0)
    assert len(candidates(pipeline, lookup)) == MAX_BUCKET_MEMBERS
    write_uncommitted(pipeline, [unique_buckets(998, band0=HOT)], start=998)
    assert candidates(pipeline, lookup) == set()


def test_a_real_near_duplicate_is_still_found_when_all_but_one_shared_bucket_are_hot(tmp_path: Path) -> None:
    db_path = tmp_path / "arabpress.db"
    crawl(db_path, [article()])
    edited = article(EDITED, body=LIGHTLY_EDITED, published_at="2025-11-21T08:00:00Z")
    values = signature(edited.title, clean_body(edited.body))
    assert values is not None
    db = db_api.open_db(db_path)
    try:
        stored = dict(
            db.execute(
                "SELECT b.band, b.bucket FROM article_lsh_bands b"
                " JOIN article_fingerprints f ON f.id = b.fingerprint_id WHERE f.url = ?",
                (ORIGINAL,),
            ).fetchall()
        )
        shared = [band for band, bucket in enumerate(lsh_buckets(values)) if stored.get(band) == bucket]
        assert len(shared) >= 2
        for band in shared[:-1]:
            hot = [
                unique_buckets(band * 100 + i, **{f"band{band}": stored[band]})
                for i in range(MAX_BUCKET_MEMBERS + 5)
            ]
            store_fillers(db, hot, start=band * 100)
    finally:
        db.close()
    crawl(db_path, [edited])
    stories = [(url, dup) for url, dup, _ in articles_table(db_path) if "/filler-" not in url]
    assert stories == [(ORIGINAL, None), (EDITED, ORIGINAL)]


def reference_candidates(db: sqlite_utils.Database, buckets: tuple[int, ...]) -> set[str]:
    """Every stored article of every bucket of ``buckets`` that holds at most ``MAX_BUCKET_MEMBERS``."""
    found: set[str] = set()
    for band, bucket in enumerate(buckets):
        urls = {
            row[0]
            for row in db.execute(
                "SELECT f.url FROM article_lsh_bands b JOIN article_fingerprints f ON f.id = b.fingerprint_id"
                " WHERE b.band = ? AND b.bucket = ?",
                (band, bucket),
            )
        }
        if len(urls) <= MAX_BUCKET_MEMBERS:
            found |= urls
    return found


BUCKET_VALUES = st.integers(min_value=0, max_value=3)


@settings(max_examples=40, deadline=None)
@given(
    fillers=st.lists(st.tuples(BUCKET_VALUES, BUCKET_VALUES, BUCKET_VALUES), max_size=3 * MAX_BUCKET_MEMBERS),
    lookup=st.tuples(BUCKET_VALUES, BUCKET_VALUES, BUCKET_VALUES),
)
def test_candidates_are_every_member_of_each_bucket_not_over_the_cap(
    tmp_path_factory: pytest.TempPathFactory,
    fillers: list[tuple[int, int, int]],
    lookup: tuple[int, int, int],
) -> None:
    """Over random bucket layouts (three bands shared at random, the rest unique): the same set as the plain
    read of every bucket, hot ones left out; in particular every candidate of the uncapped lookup whenever no
    bucket is over the cap."""
    pipeline = DedupePipeline(tmp_path_factory.mktemp("prop") / "hot.db")
    pipeline.open_spider()
    try:
        assert pipeline.db is not None
        store_fillers(
            pipeline.db, [unique_buckets(i, band0=a, band3=b, band9=c) for i, (a, b, c) in enumerate(fillers)]
        )
        buckets = unique_buckets(999, band0=lookup[0], band3=lookup[1], band9=lookup[2])
        assert candidates(pipeline, buckets) == reference_candidates(pipeline.db, buckets)
    finally:
        pipeline.close_spider()
