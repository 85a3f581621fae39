"""Related headlines are written a few statements per article; the rows are those of one statement per headline.

The reference writer below is the previous code (a lookup and an upsert per headline), kept as the
specification; random crawls through both must leave the same headlines, search copies, related rows and
full-text index.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from typing import Any

import sqlite_utils
from hypothesis import given, settings
from hypothesis import strategies as st

from arabpress_crawler import db as db_api
from arabpress_crawler.items import ArticleItem, RelatedHeadline
from arabpress_crawler.search import search_text

SITE = "https://arab.press"
HEADLINE_URLS = [f"{SITE}/2024/01/0{day}/story-{day}/" for day in range(1, 8)]
TITLES = [None, "", "Talks resume", "Talks Resume", "محادثات الدفاع", "Prices rise again"]
TABLE_QUERIES = {
    "headlines": "SELECT rowid, url, title, first_seen_at, last_seen_at FROM headlines ORDER BY rowid",
    "headlines_search": "SELECT headline_rowid, url, title FROM headlines_search ORDER BY headline_rowid",
    "related_headlines": "SELECT rowid, article_url, headline_url, position, title FROM related_headlines"
    " ORDER BY rowid",
}


class ReferenceWriter(db_api.ArticleWriter):
    """The previous related-headline writer: one lookup and one upsert per headline."""

    def _write_related(
        self, conn: sqlite3.Connection, article_url: str, related: Sequence[RelatedHeadline], now: str
    ) -> None:
        wanted = [(r.url, r.position, r.title) for r in related if r.url]
        if self._related_unchanged(conn, article_url, wanted, now):
            return
        conn.execute("DELETE FROM related_headlines WHERE article_url = ?", (article_url,))
        seen: set[str] = set()
        for url, position, title in wanted:
            if url in seen:
                continue
            seen.add(url)
            self._upsert_headline(conn, url, title, now)
            conn.execute(
                "INSERT INTO related_headlines(article_url, headline_url, position, title) VALUES (?, ?, ?, ?)",
                (article_url, url, position, title),
            )

    @staticmethod
    def _upsert_headline(conn: sqlite3.Connection, url: str, title: str | None, now: str) -> None:
        old = conn.execute("SELECT rowid, title FROM headlines WHERE url = ?", (url,)).fetchone()
        if old is None:
            rowid = conn.execute(
                "INSERT INTO headlines(url, title, first_seen_at, last_seen_at) VALUES (?, ?, ?, ?) RETURNING rowid",
                (url, title, now, now),
            ).fetchone()[0]
        else:
            rowid = old[0]
            new_title = title or old[1]
            conn.execute(
                "UPDATE headlines SET title = ?, last_seen_at = ? WHERE url = ?", (new_title, now, url)
            )
            if new_title == old[1]:
                return
            title = new_title
        conn.execute(
            "INSERT INTO headlines_search(headline_rowid, url, title) VALUES (?, ?, ?)"
            " ON CONFLICT(headline_rowid) DO UPDATE SET url = excluded.url, title = excluded.title",
            (rowid, url, search_text(title)),
        )


RELATED = st.lists(
    st.tuples(st.sampled_from(HEADLINE_URLS), st.sampled_from(TITLES)), max_size=8
)  # repeats within a list on purpose
#: A crawl: batches of (article index, related list) writes; an article may be written again with new related.
CRAWLS = st.lists(
    st.lists(st.tuples(st.integers(0, 3), RELATED), min_size=1, max_size=4), min_size=1, max_size=4
)


def article(index: int, related: list[tuple[str, str | None]], batch: int) -> ArticleItem:
    return ArticleItem(
        url=f"{SITE}/2024/02/0{index + 1}/article-{index}/",
        title=f"Article {index}",
        body=f"Body of article {index}",
        fetched_at=f"2024-02-10T10:0{batch}:00Z",
        related=[
            RelatedHeadline(title or "", url, position) for position, (url, title) in enumerate(related, 1)
        ],
    )


def write(writer_class: type[db_api.ArticleWriter], crawl: list[list[tuple[int, Any]]]) -> dict[str, Any]:
    db: sqlite_utils.Database = db_api.open_db(":memory:")
    try:
        writer = writer_class(db, run_id=None)
        for batch, records in enumerate(crawl):
            writer.write_batch([article(index, related, batch) for index, related in records])
        tables = {name: db.execute(sql).fetchall() for name, sql in TABLE_QUERIES.items()}
        tables["matches"] = [
            [row["url"] for row in db_api.search_headlines(db, word, limit=50)]
            for word in ("talks", "resume", "محادثات", "prices")
        ]
        tables["problems"] = db_api.check_consistency(db, deep=True)
        return tables
    finally:
        db.close()


@settings(max_examples=60, deadline=None)
@given(CRAWLS)
def test_batched_related_headlines_equal_one_statement_per_headline(
    crawl: list[list[tuple[int, Any]]],
) -> None:
    batched = write(db_api.ArticleWriter, crawl)
    assert batched == write(ReferenceWriter, crawl)
    assert batched["problems"] == []


def test_a_known_headline_keeps_its_title_unless_given_one_and_is_searchable_by_the_new_one() -> None:
    url = HEADLINE_URLS[0]
    crawl = [[(0, [(url, "Talks resume")])], [(1, [(url, None)])], [(2, [(url, "Prices rise again")])]]
    tables = write(db_api.ArticleWriter, crawl)
    assert [row[2] for row in tables["headlines"]] == ["Prices rise again"]
    assert tables["matches"] == [[], [], [], [url]]
    assert tables == write(ReferenceWriter, crawl)
