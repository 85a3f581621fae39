"""The four item pipelines on hand-built items: clean, validate, dedupe, store, and the run record."""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pytest
import sqlite_utils
from scrapy import Spider, signals
from scrapy.exceptions import DropItem
from scrapy.utils.test import get_crawler

from arabpress_crawler import db as db_api
from arabpress_crawler.items import ArticleItem, RelatedHeadline, UnchangedArticle
from arabpress_crawler.pipelines.clean import CleanPipeline, clean_article
from arabpress_crawler.pipelines.dedupe import DedupePipeline
from arabpress_crawler.pipelines.store import StorePipeline
from arabpress_crawler.pipelines.validate import ValidatePipeline, drop_reason
from arabpress_crawler.run_record import RunRecord, error_total, errors_by_kind, run_status

SITE = "https://arab.press"
ORIGINAL = f"{SITE}/2025/11/08/ministers-meet/"
COPY = f"{SITE}/2025/11/20/ministers-meet-republished/"
EDITED = f"{SITE}/2025/11/21/ministers-meet-edited/"
PARAGRAPHS = [
    "The defence ministers of Russia, Turkey and Syria met in Moscow on Wednesday, the first such talks since "
    "a war broke out in Syria, the Russian defence ministry said.",
    "It was also the first meeting between Turkish and Syrian defence ministers since the start of the war in 2011.",
    "Russia and Turkey are involved in Syria, with Moscow supporting the Damascus regime against its opponents, "
    "and Ankara backing rebels.",
    "The meeting came as Turkish President Recep Tayyip Erdogan has repeatedly threatened to launch a military "
    "offensive in northern Syria against Kurdish groups.",
    "The sides noted the constructive nature of the dialogue held in this format and the need to continue it in "
    "the interests of further stabilizing the situation in Syria and the region.",
]
BODY = "\n\n".join(PARAGRAPHS)
LIGHTLY_EDITED = BODY.replace("on Wednesday", "on Wednesday evening").replace("rebels.", "rebel groups.")
ARABIC_BODY = (
    "اجتمع وزراءُ الدفاعِ في روسيا وتركيا وسوريا في موسكو يومَ الأربعاء، في أوّل محادثاتٍ من نوعها منذ اندلاع الحرب "
    "في سوريا، بحسب وزارة الدفاع الروسية. وكان هذا أيضاً أول لقاء بين وزيري الدفاع التركي والسوري منذ بداية الحرب "
    "عام ٢٠١١. وتشارك روسيا وتركيا في سوريا، إذ تدعم موسكو حكومة دمشق ضد معارضيها، بينما تدعم أنقرة فصائل معارضة."
)


class Stats:
    """The part of Scrapy's stats collector the pipelines use."""

    def __init__(self, **initial: Any) -> None:
        self.values: dict[str, Any] = dict(initial)

    def inc_value(self, key: str, count: int = 1, start: int = 0) -> None:
        self.values[key] = self.values.get(key, start) + count

    def get_stats(self) -> dict[str, Any]:
        return dict(self.values)


def article(
    url: str = ORIGINAL, *, body: str = BODY, published_at: str = "2025-11-08T09:00:00Z", **fields: Any
) -> ArticleItem:
    defaults: dict[str, Any] = {
        "title": "Russia, Turkey, Syria Defence Ministers Meet For Talks",
        "fetched_url": url,
        "fetched_at": "2025-11-22T10:00:00Z",
        "language": "en",
        "extraction": {"title": "site", "body": "site", "published_at": "metadata"},
        "related": [RelatedHeadline("Saudi e-Visa", "/2025/11/02/e-visa/?utm_source=related", 1)],
    }
    defaults.update(fields)
    return ArticleItem(url=url, body=body, published_at=published_at, **defaults)


class Chain:
    """One crawl's worth of pipelines and the run record, opened and closed like Scrapy does (without a crawler)."""

    def __init__(self, db_path: Path, *, batch_size: int = 100, stats: Stats | None = None) -> None:
        self.stats = stats or Stats()
        self.validate = ValidatePipeline(stats=self.stats)  # type: ignore[arg-type]
        self.store = StorePipeline(db_path, batch_size=batch_size, stats=self.stats)  # type: ignore[arg-type]
        self.run = RunRecord(db_path, base_url=SITE, stats=self.stats)  # type: ignore[arg-type]
        self.pipelines = [
            CleanPipeline(),
            self.validate,
            DedupePipeline(db_path, stats=self.stats),
            self.store,
        ]  # type: ignore[arg-type]

    def __enter__(self) -> Chain:
        for pipeline in self.pipelines:
            if hasattr(pipeline, "open_spider"):
                pipeline.open_spider()
        self.run.spider_opened()  # Scrapy sends spider_opened after the pipelines opened
        return self

    def __exit__(self, *exc: object) -> None:
        for pipeline in reversed(self.pipelines):
            if hasattr(pipeline, "close_spider"):
                pipeline.close_spider()
        self.run.spider_closed()  # and spider_closed after they closed

    def feed(self, item: Any) -> Any:
        try:
            for pipeline in self.pipelines:
                item = pipeline.process_item(item)
        except DropItem:
            return None
        return item


def crawl(db_path: Path, items: Iterable[Any], **options: Any) -> Chain:
    with Chain(db_path, **options) as chain:
        for item in items:
            chain.feed(item)
    return chain


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "arabpress.db"


def open_rows(db_path: Path, sql: str) -> list[dict[str, Any]]:
    db = db_api.open_db(db_path)
    try:
        return list(db.query(sql))
    finally:
        db.close()


def last_run(db_path: Path) -> dict[str, Any]:
    return open_rows(db_path, "SELECT * FROM crawl_runs ORDER BY id DESC LIMIT 1")[0]


def articles_table(db_path: Path) -> list[tuple[Any, ...]]:
    return [
        (r["url"], r["duplicate_of"], r["content_hash"])
        for r in open_rows(db_path, "SELECT url, duplicate_of, content_hash FROM articles ORDER BY url")
    ]


# -- clean


def test_clean_tidies_text_dates_urls_and_related() -> None:
    item = ArticleItem(
        url="/2025/11/08/ministers-meet/amp/?utm_source=x#top",
        fetched_url="https://ARAB.press/2025/11/08/ministers-meet/amp/?utm_source=x",
        title="  Ministers &amp; <b>Talks</b>\u200f ",
        subtitle="\u00a0",
        body="<p>First\u200b paragraph.</p>\n\n\n<p>Second   one.</p>",
        authors=[" AFP ", "afp", ""],
        tags=["Syria", " Syria "],
        published_at="٢٨ ديسمبر ٢٠٢٢",
        modified_at="not a date",
        language="ar-SA",
        image_url="/wp-content/uploads/2025/11/a.jpg?utm_source=x",
        related=[
            RelatedHeadline(" One ", "/2025/11/01/one/?fbclid=1", 1),
            RelatedHeadline("One again", "https://arab.press/2025/11/01/one/", 2),
            RelatedHeadline("Itself", "https://arab.press/2025/11/08/ministers-meet/", 3),
            RelatedHeadline("Script", "javascript:void(0)", 4),
        ],
    )
    cleaned = clean_article(item)
    assert cleaned.url == ORIGINAL
    assert cleaned.title == "Ministers & Talks"
    assert cleaned.subtitle is None
    assert cleaned.body == "First paragraph.\n\nSecond one."
    assert cleaned.authors == ["AFP"] and cleaned.tags == ["Syria"]
    assert cleaned.published_at == "2022-12-28" and cleaned.modified_at is None
    assert cleaned.language == "ar"
    assert cleaned.image_url == f"{SITE}/wp-content/uploads/2025/11/a.jpg"
    assert [(r.url, r.title, r.position) for r in cleaned.related] == [(f"{SITE}/2025/11/01/one/", "One", 1)]
    assert cleaned.word_count == 4


def test_clean_does_not_trust_an_off_site_canonical() -> None:
    item = clean_article(ArticleItem(url="https://elsewhere.example/story/", fetched_url=ORIGINAL + "?ref=x"))
    assert item.url == ORIGINAL


def test_clean_canonicalises_a_304() -> None:
    item = CleanPipeline().process_item(UnchangedArticle(ORIGINAL + "amp/?utm_medium=x"))
    assert item.url == ORIGINAL


# -- validate


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"url": ""}, "no_url"),
        ({"url": f"{SITE}/category/politics/page/2/"}, "not_article"),
        ({"url": f"{SITE}/"}, "not_article"),
        ({"title": None}, "no_title"),
        ({"title": "—"}, "no_title"),
        ({"title": "Arab Press"}, "no_title"),
        ({"body": None}, "no_body"),
        ({"body": "Loading…"}, "no_body"),
        ({"body": " ".join(["١٢٣ 456 --"] * 30)}, "no_body"),
    ],
)
def test_validate_drops_with_a_counted_reason(changes: dict[str, Any], reason: str) -> None:
    item = article()
    for name, value in changes.items():
        setattr(item, name, value)
    assert drop_reason(item) == reason
    stats = Stats()
    pipeline = ValidatePipeline(stats=stats)  # type: ignore[arg-type]
    with pytest.raises(DropItem, match=reason):
        pipeline.process_item(item)
    assert stats.values == {f"arabpress/dropped/{reason}": 1}


def test_validate_keeps_real_articles_in_both_languages() -> None:
    pipeline = ValidatePipeline()
    assert pipeline.process_item(article()) is not None
    vocalised = article(title="وَزِيرُ الدِّفَاعِ", body=ARABIC_BODY)
    assert pipeline.process_item(vocalised) is vocalised
    assert not pipeline.dropped


def test_validate_passes_304s_through() -> None:
    unchanged = UnchangedArticle(ORIGINAL)
    assert ValidatePipeline().process_item(unchanged) is unchanged


# -- dedupe and store


def test_a_url_alias_is_recorded_for_a_different_fetched_url(db_path: Path) -> None:
    crawl(db_path, [article(fetched_url=f"{SITE}/?p=4711&utm_source=x")])
    assert open_rows(db_path, "SELECT alias_url, url, kind FROM url_aliases") == [
        {"alias_url": f"{SITE}/?p=4711", "url": ORIGINAL, "kind": "url"}
    ]
    assert last_run(db_path)["url_aliases"] == 1


def test_the_same_text_under_another_url_is_an_alias_not_a_row(db_path: Path) -> None:
    chain = crawl(db_path, [article(), article(COPY, published_at="2025-11-20T08:00:00Z")])
    assert [row[0] for row in articles_table(db_path)] == [ORIGINAL]
    assert open_rows(db_path, "SELECT alias_url, url, kind FROM url_aliases") == [
        {"alias_url": COPY, "url": ORIGINAL, "kind": "content"}
    ]
    run = last_run(db_path)
    assert (run["articles_new"], run["duplicates_alias"], run["duplicates"]) == (1, 1, 1)
    assert chain.stats.values["arabpress/duplicates/content"] == 1


def test_the_original_wins_whichever_order_the_crawl_meets_them(tmp_path: Path) -> None:
    items = [
        lambda: article(),
        lambda: article(COPY, published_at="2025-11-20T08:00:00Z"),
        lambda: article(EDITED, body=LIGHTLY_EDITED, published_at="2025-11-21T08:00:00Z"),
    ]
    forwards, backwards = tmp_path / "forwards.db", tmp_path / "backwards.db"
    crawl(forwards, [make() for make in items])
    crawl(backwards, [make() for make in reversed(items)])
    assert articles_table(forwards) == articles_table(backwards)
    for path in (forwards, backwards):  # a copy met first and demoted later is not counted as new
        assert (last_run(path)["articles_new"], last_run(path)["duplicates_alias"]) == (2, 1)
    assert [(url, dup) for url, dup, _ in articles_table(forwards)] == [(ORIGINAL, None), (EDITED, ORIGINAL)]
    aliases = "SELECT alias_url, url, kind FROM url_aliases ORDER BY alias_url"
    assert open_rows(forwards, aliases) == open_rows(backwards, aliases)
    assert db_api.check_consistency(db_api.open_db(backwards), deep=True) == []


def test_a_near_duplicate_is_found_in_a_later_run(db_path: Path) -> None:
    crawl(db_path, [article()])
    crawl(db_path, [article(EDITED, body=LIGHTLY_EDITED, published_at="2025-11-21T08:00:00Z")])
    assert [(url, dup) for url, dup, _ in articles_table(db_path)] == [(ORIGINAL, None), (EDITED, ORIGINAL)]
    run = last_run(db_path)
    assert (run["articles_new"], run["duplicates_near"], run["duplicates"]) == (1, 1, 1)


def test_an_original_found_after_its_near_duplicate_takes_over_the_group(db_path: Path) -> None:
    crawl(db_path, [article(EDITED, body=LIGHTLY_EDITED, published_at="2025-11-21T08:00:00Z")])
    crawl(db_path, [article()])
    assert [(url, dup) for url, dup, _ in articles_table(db_path)] == [(ORIGINAL, None), (EDITED, ORIGINAL)]


def test_near_duplicates_are_found_in_arabic(db_path: Path) -> None:
    edited = ARABIC_BODY.replace("يومَ الأربعاء", "يوم الأربعاء الماضي").replace("٢٠١١", "2011")
    crawl(db_path, [article(title="اجتماع وزراء الدفاع", body=ARABIC_BODY, language="ar")])
    crawl(
        db_path,
        [article(EDITED, title="اجتماع وزراء الدفاع", body=edited, published_at="2025-11-21", language="ar")],
    )
    assert [(url, dup) for url, dup, _ in articles_table(db_path)] == [(ORIGINAL, None), (EDITED, ORIGINAL)]


def test_different_stories_are_not_duplicates(db_path: Path) -> None:
    other = "\n\n".join(reversed(PARAGRAPHS[:2])) + "\n\n" + ARABIC_BODY
    crawl(db_path, [article(), article(EDITED, body=other, published_at="2025-11-21")])
    assert [(url, dup) for url, dup, _ in articles_table(db_path)] == [(ORIGINAL, None), (EDITED, None)]


def test_an_exact_copy_published_earlier_demotes_the_stored_article(db_path: Path) -> None:
    crawl(db_path, [article(COPY, published_at="2025-11-20T08:00:00Z", related=[])])
    crawl(db_path, [article()])
    assert [row[0] for row in articles_table(db_path)] == [ORIGINAL]
    assert open_rows(db_path, "SELECT alias_url, url FROM url_aliases") == [
        {"alias_url": COPY, "url": ORIGINAL}
    ]
    assert last_run(db_path)["duplicates_alias"] == 1


def test_changed_text_writes_one_revision_and_unchanged_text_none(db_path: Path) -> None:
    crawl(db_path, [article()])
    crawl(db_path, [article(fetched_at="2025-11-23T10:00:00Z")])
    assert last_run(db_path)["articles_unchanged"] == 1
    crawl(db_path, [article(body=BODY + "\n\nAn added paragraph with a correction to the report.")])
    run = last_run(db_path)
    assert (run["articles_new"], run["articles_updated"], run["articles_unchanged"]) == (0, 1, 0)
    revisions = open_rows(db_path, "SELECT url, body FROM article_revisions")
    assert revisions == [{"url": ORIGINAL, "body": BODY}]


def test_a_304_counts_as_unchanged(db_path: Path) -> None:
    crawl(db_path, [article()])
    crawl(db_path, [UnchangedArticle(ORIGINAL + "?utm_source=feed", fetched_at="2025-11-30T00:00:00Z")])
    run = last_run(db_path)
    assert (run["articles_unchanged"], run["articles_new"]) == (1, 0)
    assert open_rows(db_path, "SELECT last_seen_at FROM articles") == [
        {"last_seen_at": "2025-11-30T00:00:00Z"}
    ]


def test_the_same_crawl_twice_gives_the_same_rows(tmp_path: Path) -> None:
    def items() -> list[Any]:
        return [
            article(),
            article(COPY, published_at="2025-11-20T08:00:00Z"),
            article(EDITED, body=LIGHTLY_EDITED, published_at="2025-11-21T08:00:00Z"),
        ]

    once, twice = tmp_path / "once.db", tmp_path / "twice.db"
    crawl(once, items())
    crawl(twice, items())
    crawl(twice, items())
    queries = [
        "SELECT url, title, body, duplicate_of, content_hash, published_at FROM articles ORDER BY url",
        "SELECT alias_url, url, kind FROM url_aliases ORDER BY alias_url",
        "SELECT article_url, headline_url, position, title FROM related_headlines ORDER BY 1, 2",
        "SELECT url, title FROM headlines ORDER BY url",
        "SELECT url, content_hash FROM article_revisions ORDER BY 1, 2",
    ]
    for sql in queries:
        assert open_rows(once, sql) == open_rows(twice, sql), sql
    assert open_rows(twice, "SELECT count(*) AS n FROM related_headlines") == [{"n": 2}]


def test_the_store_pipeline_returns_the_plain_article(db_path: Path) -> None:
    with Chain(db_path) as chain:
        result = chain.feed(article())
    assert type(result) is ArticleItem
    assert result.content_hash and result.word_count


def test_each_batch_is_committed_as_it_fills(db_path: Path) -> None:
    urls = [f"{SITE}/2025/11/0{day}/story-{day}/" for day in range(1, 6)]
    with Chain(db_path, batch_size=2) as chain:
        for day, url in enumerate(urls, start=1):
            chain.feed(article(url, body=f"Story number {day}. " + PARAGRAPHS[day - 1] + " " + BODY[::-1]))
        committed = open_rows(db_path, "SELECT count(*) AS n FROM articles")[0]["n"]
    assert committed == 4  # two full batches; the fifth record waits for the close
    assert open_rows(db_path, "SELECT count(*) AS n FROM articles")[0]["n"] == 5


# -- run record


def test_the_run_record_holds_counts_coverage_layers_drops_and_errors(db_path: Path) -> None:
    stats = Stats(
        response_received_count=12,
        **{
            "downloader/exception_type_count/twisted.internet.error.TimeoutError": 2,
            "downloader/response_status_count/200": 10,
            "downloader/response_status_count/404": 1,
            "log_count/ERROR": 3,
        },
    )
    items = [
        article(authors=["AFP"], section="Politics"),
        article(COPY, body=LIGHTLY_EDITED[::-1], published_at="2025-11-20"),
    ]
    items.append(article(f"{SITE}/category/politics/"))
    crawl(db_path, items, stats=stats)
    run = last_run(db_path)
    assert (run["status"], run["finish_reason"], run["pages"], run["base_url"]) == (
        "finished",
        "finished",
        12,
        SITE,
    )
    assert json.loads(run["dropped_by_reason"]) == {"not_article": 1} and run["dropped"] == 1
    assert run["errors"] == 3  # two timeouts and a 404 (the ERROR log lines are the same failures)
    assert json.loads(run["errors_by_kind"]) == {
        "downloader/exception_type_count/twisted.internet.error.TimeoutError": 2,
        "downloader/response_status_count/404": 1,
        "log_count/ERROR": 3,
    }
    coverage = json.loads(run["coverage"])
    assert coverage["title"] == 1.0 and coverage["authors"] == 0.5 and coverage["subtitle"] == 0.0
    assert json.loads(run["extraction_layers"])["published_at"] == {"metadata": 1.0}
    assert json.loads(run["stats"])["response_received_count"] == 12


def test_a_running_run_left_by_a_killed_crawl_becomes_interrupted(db_path: Path) -> None:
    killed = Chain(db_path).__enter__()  # opened and never closed, like a crawl killed with SIGKILL
    killed.feed(article())
    crawl(db_path, [article()])
    runs = open_rows(db_path, "SELECT id, status FROM crawl_runs ORDER BY id")
    assert runs == [{"id": 1, "status": "interrupted"}, {"id": 2, "status": "finished"}]


@pytest.mark.parametrize(
    ("reason", "status"),
    [
        ("finished", "finished"),
        ("closespider_pagecount", "finished"),
        ("shutdown", "interrupted"),
        ("closespider_errorcount", "failed"),
        ("cancelled", "failed"),
    ],
)
def test_the_finish_reason_from_scrapy_sets_the_status(db_path: Path, reason: str, status: str) -> None:
    assert run_status(reason) == status
    settings = {"ARABPRESS_DB": str(db_path), "ARABPRESS_BASE_URL": SITE, "ITEM_PIPELINES": {StorePipeline: 400}}
    crawler = get_crawler(Spider, settings)
    pipeline = StorePipeline.from_crawler(crawler)
    run = RunRecord.from_crawler(crawler)
    pipeline.open_spider()
    run.spider_opened()
    pipeline.process_item(article())
    pipeline.close_spider()
    assert last_run(db_path)["status"] == "running"  # closed once Scrapy says why the spider closed
    crawler.signals.send_catch_log(signals.spider_closed, spider=Spider("articles"), reason=reason)
    run = last_run(db_path)
    assert (run["status"], run["finish_reason"], run["articles_new"]) == (status, reason, 1)
    assert pipeline.db is None


def test_error_counts_ignore_successful_statuses() -> None:
    stats = {
        "downloader/response_status_count/304": 4,
        "downloader/response_status_count/503": 2,
        "spider_exceptions/ValueError": 1,
    }
    assert errors_by_kind(stats) == {
        "downloader/response_status_count/503": 2,
        "spider_exceptions/ValueError": 1,
    }
    assert error_total(errors_by_kind(stats)) == 3


def test_the_error_total_counts_each_failure_once() -> None:
    # One timeout after retries and one 404, as Scrapy and the spider count them.
    stats = {
        "downloader/exception_type_count/twisted.internet.error.TimeoutError": 3,
        "retry/max_reached": 1,
        "log_count/ERROR": 1,
        "downloader/response_status_count/404": 1,
        "arabpress/errors/timeout_error": 1,
        "arabpress/errors/http_404": 1,
    }
    errors = errors_by_kind(stats)
    assert errors == stats
    assert error_total(errors) == 2


def test_known_articles_lists_what_the_pipelines_stored(db_path: Path) -> None:
    crawl(
        db_path,
        [
            article(etag='"abc"', last_modified="Sat, 08 Nov 2025 09:00:00 GMT"),
            article(COPY, published_at="2025-11-20"),
        ],
    )
    db: sqlite_utils.Database = db_api.open_db(db_path)
    known = db_api.known_articles(db)
    assert set(known) == {ORIGINAL, COPY}
    assert known[COPY].url == ORIGINAL and known[COPY].is_alias
    assert (known[ORIGINAL].etag, known[ORIGINAL].last_modified) == ('"abc"', "Sat, 08 Nov 2025 09:00:00 GMT")


def test_a_full_disk_stops_writing_keeps_what_was_stored_and_fails_the_run(db_path: Path) -> None:
    stats = Stats()
    with Chain(db_path, batch_size=1, stats=stats) as chain:
        chain.feed(article())
        assert chain.store.db is not None
        pages = chain.store.db.execute("PRAGMA page_count").fetchone()[0]
        chain.store.db.execute(f"PRAGMA max_page_count = {pages}")  # what SQLite does when the disk is full
        for day in range(1, 4):
            chain.feed(
                article(f"{SITE}/2025/12/0{day}/story/", body=BODY + f" Day {day}. " + LIGHTLY_EDITED * 20)
            )
        assert chain.store.store_error is not None and "full" in chain.store.store_error
        assert str(db_path) in chain.store.store_error
    assert [row[0] for row in articles_table(db_path)] == [ORIGINAL]
    assert stats.values["arabpress/store/lost"] == 3
    assert db_api.check_consistency(db_api.open_db(db_path)) == []
    run = last_run(db_path)
    assert run["status"] != "finished"


def test_a_damaged_database_file_is_named_in_the_error(tmp_path: Path) -> None:
    path = tmp_path / "arabpress.db"
    path.write_bytes(b"this is not an SQLite database, but a text file " * 200)
    with pytest.raises(db_api.UnusableDatabase, match="arabpress.db is damaged or not an SQLite database"):
        StorePipeline(path).open_spider()


def test_a_copy_met_before_its_original_in_one_run_is_not_counted_new(db_path: Path) -> None:
    """The copy is stored first, then demoted when the earlier-published original arrives (in a later batch):
    the crawl's stats and its run record both count one new article, as the table holds one."""
    chain = crawl(
        db_path, [article(COPY, published_at="2025-11-20T08:00:00Z", related=[]), article()], batch_size=1
    )
    assert [row[0] for row in articles_table(db_path)] == [ORIGINAL]
    assert last_run(db_path)["articles_new"] == 1
    assert chain.stats.values["arabpress/store/new"] == 1
