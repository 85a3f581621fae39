"""Writing the related graph: unchanged, changed and removed headlines, and articles fetched in the same second.

A known headline is rewritten only when its title changes or it was last seen at another time; these cases
check that skipping the rewrite leaves exactly the rows a rewrite would (titles, times, search copies).
"""

from __future__ import annotations

from typing import Any

from arabpress_crawler import db as db_api
from arabpress_crawler.items import ArticleItem, RelatedHeadline

SITE = "https://arab.press"
HEADLINE = f"{SITE}/2024/01/01/talks-resume/"
OTHER = f"{SITE}/2024/01/02/prices-rise/"


def article(index: int, fetched_at: str, related: list[tuple[str, str]]) -> ArticleItem:
    return ArticleItem(
        url=f"{SITE}/2024/02/0{index + 1}/article-{index}/",
        title=f"Article {index}",
        body=f"Body of article {index}",
        fetched_at=fetched_at,
        related=[RelatedHeadline(title, url, position) for position, (url, title) in enumerate(related, 1)],
    )


def crawl(*batches: list[ArticleItem]) -> dict[str, Any]:
    db = db_api.open_db(":memory:")
    try:
        writer = db_api.ArticleWriter(db, run_id=None)
        for batch in batches:
            writer.write_batch(batch)
        return {
            "headlines": db.execute("SELECT url, title, first_seen_at, last_seen_at FROM headlines ORDER BY url").fetchall(),
            "search": db.execute("SELECT url, title FROM headlines_search ORDER BY url").fetchall(),
            "related": db.execute(
                "SELECT article_url, headline_url, position, title FROM related_headlines ORDER BY article_url, position"
            ).fetchall(),
            "matches": {
                word: [row["url"] for row in db_api.search_headlines(db, word)] for word in ("talks", "prices", "strike")
            },
            "problems": db_api.check_consistency(db, deep=True),
        }
    finally:
        db.close()


def test_a_headline_listed_twice_in_the_same_second_keeps_its_row_and_search_copy() -> None:
    same_second = "2024-02-10T10:00:00Z"
    tables = crawl([article(0, same_second, [(HEADLINE, "Talks resume")]), article(1, same_second, [(HEADLINE, "Talks resume")])])
    assert tables["headlines"] == [(HEADLINE, "Talks resume", same_second, same_second)]
    assert tables["search"] == [(HEADLINE, "talks resume")]
    assert [row[0] for row in tables["related"]] == [f"{SITE}/2024/02/01/article-0/", f"{SITE}/2024/02/02/article-1/"]
    assert tables["problems"] == []


def test_a_new_title_in_the_same_second_is_written_and_searchable() -> None:
    """The rewrite is skipped only when nothing changes: a changed title in the same second is stored."""
    same_second = "2024-02-10T10:00:00Z"
    tables = crawl(
        [article(0, same_second, [(HEADLINE, "Talks resume")]), article(1, same_second, [(HEADLINE, "Strike ends")])]
    )
    assert tables["headlines"] == [(HEADLINE, "Strike ends", same_second, same_second)]
    assert tables["matches"] == {"talks": [], "prices": [], "strike": [HEADLINE]}
    assert tables["problems"] == []


def test_a_headline_seen_later_is_seen_then_and_keeps_its_title_when_given_none() -> None:
    tables = crawl(
        [article(0, "2024-02-10T10:00:00Z", [(HEADLINE, "Talks resume")])],
        [article(1, "2024-02-10T10:00:05Z", [(HEADLINE, "")])],
    )
    assert tables["headlines"] == [(HEADLINE, "Talks resume", "2024-02-10T10:00:00Z", "2024-02-10T10:00:05Z")]
    assert tables["matches"]["talks"] == [HEADLINE]


def test_an_unchanged_list_marks_its_headlines_seen_and_a_removed_headline_leaves_the_list() -> None:
    first, again, edited = "2024-02-10T10:00:00Z", "2024-02-11T10:00:00Z", "2024-02-12T10:00:00Z"
    listed = [(HEADLINE, "Talks resume"), (OTHER, "Prices rise")]
    tables = crawl(
        [article(0, first, listed)],
        [article(0, again, listed)],  # the same list: nothing rewritten, both seen again
        [article(0, edited, [(OTHER, "Prices rise")])],  # the first headline removed from the list
    )
    assert tables["related"] == [(f"{SITE}/2024/02/01/article-0/", OTHER, 1, "Prices rise")]
    assert tables["headlines"] == [
        (HEADLINE, "Talks resume", first, again),  # still a headline: last seen when the list still had it
        (OTHER, "Prices rise", first, edited),
    ]
    assert tables["matches"] == {"talks": [HEADLINE], "prices": [OTHER], "strike": []}
    assert tables["problems"] == []
