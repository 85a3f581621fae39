"""One store per crawl: the dedupe and store pipelines share one connection; writes are seen before commit.

Also: the pipelines take any item type through itemadapter (a dict item is stored like an ArticleItem).
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from arabpress_crawler import db
from arabpress_crawler.db import session
from arabpress_crawler.items import ArticleItem, RelatedHeadline, as_article
from tests.test_pipelines import COPY, ORIGINAL, Chain, article, articles_table


def committed_urls(path: Path) -> list[str]:
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return [row[0] for row in conn.execute("SELECT url FROM articles ORDER BY url")]
    finally:
        conn.close()


def test_the_pipelines_and_the_run_record_share_one_store(tmp_path: Path) -> None:
    path = tmp_path / "arabpress.db"
    with Chain(path) as chain:
        dedupe = chain.pipelines[2]
        assert chain.store.store is dedupe.store is chain.run.store
        assert chain.store.db is dedupe.db and dedupe.store is not None and dedupe.store.users == 3
    assert chain.store.store is None and dedupe.store is None


def test_dedupe_sees_the_uncommitted_batch(tmp_path: Path) -> None:
    path = tmp_path / "arabpress.db"
    with Chain(path, batch_size=100) as chain:
        chain.feed(article())
        assert committed_urls(path) == []  # still in the open transaction
        chain.feed(article(COPY, published_at="2025-11-20"))  # the same text: an alias, not a second row
        assert chain.store.store is not None and chain.store.store.uncommitted == 2
    assert [row[0] for row in articles_table(path)] == [ORIGINAL]
    database = db.open_db(path)
    assert db.known_articles(database)[COPY].url == ORIGINAL
    database.close()


def test_a_failed_write_rolls_back_the_open_batch_and_nothing_more_is_written(tmp_path: Path) -> None:
    path = tmp_path / "arabpress.db"
    store = session.acquire(path)
    failures: list[str] = []
    store.on_failure(failures.append)
    try:
        store.write(ArticleItem(url="https://arab.press/2025/01/01/a/", title="A", body="First story"))
        store.commit()
        store.write(ArticleItem(url="https://arab.press/2025/01/02/b/", title="B", body="Second story"))
        pages = db.connection.pragma(store.db, "page_count")
        db.connection.set_pragma(store.db.conn, "max_page_count", pages)  # as SQLite does on a full disk
        with pytest.raises(session.StoreFailed):
            store.write(ArticleItem(url="https://arab.press/2025/01/03/c/", title="C", body="Third " * 5000))
        assert store.lost == 2 and store.uncommitted == 0 and failures == [store.error]
        assert "full" in (store.error or "") and str(path) in (store.error or "")
        with pytest.raises(session.StoreFailed):
            store.write(ArticleItem(url="https://arab.press/2025/01/04/d/", title="D", body="Fourth story"))
    finally:
        session.release(store)
    assert committed_urls(path) == ["https://arab.press/2025/01/01/a/"]


def test_a_dict_item_is_read_as_an_article(tmp_path: Path) -> None:
    path = tmp_path / "arabpress.db"
    plain = article()
    as_dict = {
        **{name: getattr(plain, name) for name in ("url", "title", "body", "published_at", "fetched_url", "language")},
        "related": [{"title": "Saudi e-Visa", "url": "/2025/11/02/e-visa/", "position": 1}],
        "not_an_article_field": "ignored",
    }
    with Chain(path) as chain:
        stored = chain.feed(as_dict)
    assert isinstance(stored, ArticleItem) and stored.url == ORIGINAL
    assert stored.related == [RelatedHeadline("Saudi e-Visa", "https://arab.press/2025/11/02/e-visa/", 1)]
    assert [row[0] for row in articles_table(path)] == [ORIGINAL]


def test_what_is_not_an_article_passes_through() -> None:
    assert as_article({"url": "https://arab.press/"}) is None  # no title, no body
    assert as_article({"name": "a product"}) is None
    assert as_article("text") is None
    item = article()
    assert as_article(item) is item


def test_the_run_record_is_off_without_the_store_pipeline(tmp_path: Path) -> None:
    from scrapy import Spider
    from scrapy.exceptions import NotConfigured
    from scrapy.utils.test import get_crawler

    from arabpress_crawler.run_record import RunRecord

    settings = {"ARABPRESS_DB": str(tmp_path / "bare.db"), "ITEM_PIPELINES": {}}
    with pytest.raises(NotConfigured):
        RunRecord.from_crawler(get_crawler(Spider, settings))
    assert not (tmp_path / "bare.db").exists()
    with_store = {**settings, "ITEM_PIPELINES": {"arabpress_crawler.pipelines.store.StorePipeline": 400}}
    assert isinstance(RunRecord.from_crawler(get_crawler(Spider, with_store)), RunRecord)
