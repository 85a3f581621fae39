"""A small synthetic database shared by the export, serve, health and browser tests, and checks of it.

Rows go through the store's own schema (``db_api.open_db``) and writer, so the full-text side tables and
their triggers are filled exactly as a crawl fills them. Other test modules import :func:`build_sample_db`.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import sqlite_utils

from arabpress_crawler import db as db_api
from arabpress_crawler.items import ArticleItem, RelatedHeadline

ORIGIN = "https://arab.press"
SEED_URL = f"{ORIGIN}/2025/11/05/russia-turkey-syria-defence-ministers-meet/"
SPORTS_URL = f"{ORIGIN}/2025/11/06/ronaldo-saudi-pro-league/"
VISA_URL = f"{ORIGIN}/2025/11/06/saudi-evisa-platform/"
ARABIC_URL = f"{ORIGIN}/2025/11/07/defence-ministers-moscow-ar/"
ARABIC_ECONOMY_URL = f"{ORIGIN}/2025/11/07/saudi-visa-ar/"
DUPLICATE_URL = f"{ORIGIN}/2025/11/08/defence-ministers-meet-republished/"
TRICKY_URL = f"{ORIGIN}/2025/11/09/sql-in-the-headline/"
OLD_URL = f"{ORIGIN}/2025/10/01/an-older-story/"

#: Diacritised (tashkeel) Arabic: search without diacritics must still find it.
ARABIC_TITLE = "وُزَرَاءُ الدِّفَاعِ يَجْتَمِعُونَ فِي مُوسْكُو"
ARABIC_BODY = (
    "اِجْتَمَعَ وُزَرَاءُ الدِّفَاعِ فِي رُوسْيَا وَتُرْكِيَا وَسُورِيَا فِي مُوسْكُو يَوْمَ الأَرْبِعَاءِ.\n\n"
    "وَهُوَ أَوَّلُ لِقَاءٍ مُنْذُ بِدَايَةِ الحَرْبِ فِي عَامِ ٢٠١١."
)
TRICKY_TITLE = "Robert'); DROP TABLE articles;-- \"quoted\" 100% OR 1=1"

RELATED = [
    RelatedHeadline("MrBeast’s ‘Beast Land’ Arrives in Riyadh", f"{ORIGIN}/2025/11/01/beast-land-riyadh/", 1),
    RelatedHeadline("Saudi Arabia Launches Instant e-Visa Platform", VISA_URL, 2),
    RelatedHeadline("AI Researchers Claim Human-Level General Intelligence", f"{ORIGIN}/2025/11/02/agi/", 3),
]


def _article(url: str, title: str, body: str, **fields) -> ArticleItem:
    fields.setdefault("extraction", {"title": "site", "body": "site", "published_at": "site"})
    fields.setdefault("fetched_at", "2025-11-10T08:00:00Z")
    return ArticleItem(url=url, title=title, body=body, **fields)


def sample_articles() -> list[ArticleItem]:
    """Eight articles: English and Arabic, four sections, a near-duplicate, SQL in a headline, an old one."""
    return [
        _article(
            SEED_URL,
            "Russia, Turkey, Syria Defence Ministers Meet For Talks After Over 10 Years",
            "The defence ministers of Russia, Turkey and Syria met in Moscow on Wednesday.\n\n"
            "It was also the first meeting between Turkish and Syrian defence ministers since 2011.",
            subtitle="It was also the first meeting since the start of the war in 2011.",
            authors=["AFP", "Arab Press"],
            tags=["Syria", "Turkey"],
            section="Politics",
            language="en",
            published_at="2025-11-05T10:00:00Z",
            related=list(RELATED),
        ),
        _article(
            SPORTS_URL,
            "Cristiano Ronaldo Asserts Saudi Pro League Outperforms Ligue 1",
            "Ronaldo said, \"the league is better\", on Monday.\n\nHe scored twice, again.",
            authors=["Sam O'Neil"],
            tags=["Football", "Saudi Pro League"],
            section="Sports",
            language="en",
            published_at="2025-11-06T09:30:00Z",
            related=[RELATED[1]],
        ),
        _article(
            VISA_URL,
            "Saudi Arabia Launches Instant e-Visa Platform",
            "Visitors from over 60 countries can apply online; approvals take minutes.",
            authors=[],
            tags=["Travel"],
            section="Economy",
            language="en",
            published_at="2025-11-06T12:00:00Z",
            modified_at="2025-11-07T15:00:00Z",
        ),
        _article(
            ARABIC_URL,
            ARABIC_TITLE,
            ARABIC_BODY,
            authors=["عربي برس"],
            tags=["سوريا", "تركيا"],
            section="سياسة",
            language="ar",
            published_at="2025-11-07T08:00:00Z",
            related=[RELATED[0]],
        ),
        _article(
            ARABIC_ECONOMY_URL,
            "السعودية تطلق منصة التأشيرة الإلكترونية",
            "أطلقت السعودية منصة للتأشيرة الفورية لمواطني أكثر من ٦٠ دولة.",
            authors=["عربي برس"],
            tags=["سفر"],
            section="اقتصاد",
            language="ar",
            published_at="2025-11-07T11:00:00Z",
        ),
        _article(
            DUPLICATE_URL,
            "Russia, Turkey, Syria Defence Ministers Meet for Talks",
            "The defence ministers of Russia, Turkey and Syria met in Moscow on Wednesday, officials said.",
            authors=["AFP"],
            tags=["Syria"],
            section="Politics",
            language="en",
            published_at="2025-11-08T07:00:00Z",
            duplicate_of=SEED_URL,
        ),
        _article(
            TRICKY_URL,
            TRICKY_TITLE,
            "A body with a semicolon; a comma, a \"quote\" and a\nline break.",
            authors=["Bobby Tables"],
            tags=["Tech", "Security"],
            section="Tech",
            language="en",
            published_at="2025-11-09T18:45:00Z",
        ),
        _article(
            OLD_URL,
            "An Older Story From October",
            "Older text about the region.",
            section="Politics",
            language="en",
            published_at="2025-10-01T06:00:00Z",
        ),
    ]


def add_run(
    db: sqlite_utils.Database,
    *,
    status: str = db_api.RUN_FINISHED,
    coverage: dict[str, float] | None = None,
    site_share: float = 1.0,
    requested: int = 8,
    known: int = 0,
    new: int = 8,
    started_at: str = "2025-11-10T08:00:00Z",
    finish_reason: str | None = None,
) -> int:
    """Record one finished run with the given health figures; returns its id."""
    run_id = db_api.start_run(db, base_url=ORIGIN, started_at=started_at)
    layers = {name: {"site": site_share, "metadata": round(1 - site_share, 4)}
              for name in ("title", "body", "published_at", "authors")}
    summary = db_api.RunSummary(
        status=status,
        finish_reason=finish_reason or ("finished" if status == db_api.RUN_FINISHED else status),
        pages=requested + 5,
        articles_new=new,
        coverage=coverage if coverage is not None else {"title": 1.0, "body": 1.0, "published_at": 1.0},
        extraction_layers=layers,
        stats={"arabpress/articles/requested": requested, "arabpress/skipped/known": known},
        finished_at=started_at.replace("08:00", "08:05"),
    )
    db_api.finish_run(db, run_id, summary)
    return run_id


def build_sample_db(path: Path, *, runs: Sequence[dict] = ({},), articles: Sequence[ArticleItem] | None = None) -> Path:
    """Write the sample database at ``path`` (runs given as :func:`add_run` keyword sets) and return ``path``."""
    db = db_api.open_db(path)
    try:
        run_ids = [add_run(db, **run) for run in runs]
        writer = db_api.ArticleWriter(db, run_id=run_ids[-1] if run_ids else None)
        items = list(sample_articles() if articles is None else articles)
        writer.write_batch(items)
        # The e-visa story is edited after publication: its first text becomes a revision.
        edited = [item for item in items if item.url == VISA_URL]
        for item in edited:
            item.body += "\n\nUpdated: the platform now covers 66 countries."
            item.content_hash = None
            item.fetched_at = "2025-11-10T09:00:00Z"
        writer.write_batch(edited)
        db.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        db.close()
    return path


# --- checks of the sample itself -----------------------------------------------------------------


def test_sample_database_is_consistent(tmp_path):
    db = db_api.open_db(build_sample_db(tmp_path / "sample.db"))
    try:
        assert db_api.check_consistency(db) == []
        assert db["articles"].count == len(sample_articles())
        assert db["article_revisions"].count == 1
        assert db["related_headlines"].count == len(RELATED) + 2
    finally:
        db.close()


def test_store_search_finds_diacritised_arabic_without_diacritics(tmp_path):
    db = db_api.open_db(build_sample_db(tmp_path / "sample.db"))
    try:
        hits = db_api.search_articles(db, "وزراء الدفاع")
        assert [hit["url"] for hit in hits] == [ARABIC_URL]
    finally:
        db.close()
