"""Store scale and export memory.

**Store scale**: synthetic articles go through the crawl's own pipelines in their order (clean, validate,
dedupe with content hashes and MinHash LSH, store with full-text indexes), as ``arabpress crawl`` runs them,
into one database. The insert rate is timed over windows of articles when 10,000 and when 100,000 rows are
already stored (each window ends with the store's flush, so every timed article is committed). Bytes per
article: the database file (after a WAL checkpoint) over its article count.

**Export memory**: ``arabpress export`` to CSV and to JSON of snapshots of that database at 10k, 50k and
100k articles, each in its own process, peak RSS from the kernel (:mod:`bench.process`).

Synthetic articles: random words from an English and an Arabic vocabulary (a tenth are Arabic), a title,
a standfirst, six paragraphs (about 400 words), authors, tags, a section and five related headlines. The
random generator is seeded, so every run stores the same articles.
"""

from __future__ import annotations

import logging
import random
import sqlite3
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from scrapy.exceptions import DropItem

from arabpress_crawler.items import ArticleItem, RelatedHeadline
from arabpress_crawler.pipelines.clean import CleanPipeline
from arabpress_crawler.pipelines.dedupe import DedupePipeline
from arabpress_crawler.pipelines.store import StorePipeline
from arabpress_crawler.pipelines.validate import ValidatePipeline
from bench.process import run_measured, shell_line, tool
from bench.report import Figure, Section
from bench.stats import MIN_RUNS, Summary, summarize

logger = logging.getLogger(__name__)

ORIGIN = "https://arab.press"
SEED = 7
ENGLISH_WORDS = (
    "government minister talks region security economy market prices oil gas water city council election "
    "party president parliament border refugees aid agreement meeting officials report week year month "
    "people children school university health hospital doctors weather rain heat summer winter festival "
    "music film culture heritage football league team coach players match season record growth bank "
    "currency inflation trade exports imports ports shipping airline tourism hotel visitors desert coast"
).split()
ARABIC_WORDS = (
    "الحكومة وزير محادثات المنطقة الأمن الاقتصاد السوق الأسعار النفط الغاز المياه المدينة المجلس الانتخابات "
    "الحزب الرئيس البرلمان الحدود اللاجئين المساعدات اتفاق اجتماع المسؤولين تقرير الأسبوع العام الشهر "
    "الناس الأطفال المدرسة الجامعة الصحة المستشفى الأطباء الطقس المطر الحرارة الصيف الشتاء المهرجان"
).split()
SECTIONS = ("Politics", "Economy", "Culture", "Sport", "Society", "World")
ARABIC_SHARE = 0.1
PARAGRAPHS = 6
WORDS_PER_PARAGRAPH = 65
RELATED_PER_ARTICLE = 5
#: Articles stored before each measured window, and the window size.
LEVELS = (10_000, 100_000)
WINDOW = 2_000
#: Snapshots of the database exported for the memory figures.
EXPORT_SIZES = (10_000, 50_000, 100_000)
EXPORT_FORMATS = ("csv", "json")
#: Targets of issue 7.
MAX_RATE_DROP = 0.20
EXPORT_RSS_TARGET_MIB = 150.0
#: "Flat": the peak at the largest size is within this share of the peak at the smallest.
EXPORT_FLAT_TOLERANCE = 0.20
FIRST_DAY = datetime(2015, 1, 1, 6, 0, tzinfo=UTC)
MIB = 1024 * 1024


@dataclass(frozen=True)
class StorePlan:
    """What to measure: articles stored before each window, the window, the export snapshot sizes."""

    levels: tuple[int, ...] = LEVELS
    window: int = WINDOW
    export_sizes: tuple[int, ...] = EXPORT_SIZES
    runs: int = MIN_RUNS


QUICK_PLAN = StorePlan(levels=(200, 600), window=100, export_sizes=(200, 400, 600), runs=MIN_RUNS)


def _words(rng: random.Random, vocabulary: Sequence[str], count: int) -> str:
    return " ".join(rng.choices(vocabulary, k=count))


def article_url(index: int) -> str:
    day = FIRST_DAY + timedelta(hours=index)
    return f"{ORIGIN}/{day:%Y/%m/%d}/synthetic-article-{index}/"


def synthetic_article(index: int, rng: random.Random, total_hint: int) -> ArticleItem:
    """The ``index``-th synthetic article (deterministic for a given generator state)."""
    arabic = rng.random() < ARABIC_SHARE
    vocabulary = ARABIC_WORDS if arabic else ENGLISH_WORDS
    published = FIRST_DAY + timedelta(hours=index)
    url = article_url(index)
    related = [
        RelatedHeadline(title=_words(rng, vocabulary, 8).capitalize(), url=article_url(other), position=position)
        for position, other in enumerate(rng.sample(range(max(total_hint, RELATED_PER_ARTICLE + 1)),
                                                    RELATED_PER_ARTICLE), start=1)
    ]
    stamp = published.strftime("%Y-%m-%dT%H:%M:%SZ")
    return ArticleItem(
        url=url,
        title=f"{_words(rng, vocabulary, 9).capitalize()} {index}",
        subtitle=_words(rng, vocabulary, 20).capitalize() + ".",
        body="\n\n".join(_words(rng, vocabulary, WORDS_PER_PARAGRAPH).capitalize() + "."
                         for _ in range(PARAGRAPHS)),
        authors=[f"Reporter {rng.randrange(200)}"],
        published_at=stamp,
        modified_at=stamp,
        section=rng.choice(SECTIONS),
        tags=rng.sample(vocabulary, 3),
        image_url=f"{ORIGIN}/wp-content/uploads/{published:%Y/%m}/image-{index}.jpg",
        language="ar" if arabic else "en",
        related=related,
        extraction={"title": "site", "body": "site", "published_at": "site"},
        fetched_url=url,
        fetched_at=stamp,
    )


class PipelineChain:
    """The crawl's item pipelines in their order, writing to one database, outside Scrapy."""

    def __init__(self, db_path: Path) -> None:
        self.clean = CleanPipeline()
        self.validate = ValidatePipeline()
        self.dedupe = DedupePipeline(db_path)
        self.store = StorePipeline(db_path)
        self.dropped = 0

    def __enter__(self) -> PipelineChain:
        self.dedupe.open_spider()
        self.store.open_spider()
        return self

    def __exit__(self, *exc: object) -> None:
        self.store.close_spider()
        self.dedupe.close_spider()

    def process(self, item: ArticleItem) -> None:
        try:
            result = self.validate.process_item(self.clean.process_item(item))
        except DropItem:
            self.dropped += 1
            return
        self.store.process_item(self.dedupe.process_item(result))

    def flush(self) -> None:
        self.store.flush()


class SyntheticSource:
    """Synthetic articles in order; :meth:`take` hands out the next ``count``."""

    def __init__(self, total_hint: int) -> None:
        self.rng = random.Random(SEED)
        self.total_hint = total_hint
        self.next_index = 0

    def take(self, count: int) -> Iterator[ArticleItem]:
        for _ in range(count):
            yield synthetic_article(self.next_index, self.rng, self.total_hint)
            self.next_index += 1


def insert(chain: PipelineChain, source: SyntheticSource, count: int) -> float:
    """Insert ``count`` articles (committed at the end); articles per second, item generation excluded."""
    items = list(source.take(count))
    started = time.perf_counter()
    for item in items:
        chain.process(item)
    chain.flush()
    return count / (time.perf_counter() - started)


def checkpoint(db_path: Path) -> None:
    with sqlite3.connect(db_path) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")


def snapshot(db_path: Path, target: Path) -> Path:
    """A consistent copy of the database (SQLite's online backup)."""
    target.unlink(missing_ok=True)
    with sqlite3.connect(db_path) as source, sqlite3.connect(target) as copy:
        source.backup(copy)
    return target


def article_count(db_path: Path) -> int:
    with sqlite3.connect(db_path) as conn:
        return int(conn.execute("SELECT count(*) FROM articles").fetchone()[0])


@dataclass(frozen=True)
class ScaleResult:
    rates: dict[int, Summary]  # articles already stored → articles/s over the windows
    bytes_per_article: float
    articles: int
    snapshots: dict[int, Path]


def measure_store(work_dir: Path, plan: StorePlan) -> ScaleResult:
    """Fill one database level by level, timing windows at each level and taking export snapshots."""
    work_dir.mkdir(parents=True, exist_ok=True)
    db_path = work_dir / "store-scale.db"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db_path}{suffix}").unlink(missing_ok=True)
    top = max(*plan.levels, *plan.export_sizes)
    source = SyntheticSource(total_hint=top + plan.window * plan.runs)
    stops = sorted(set(plan.levels) | set(plan.export_sizes))
    rates: dict[int, Summary] = {}
    snapshots: dict[int, Path] = {}
    with PipelineChain(db_path) as chain:
        for stop in stops:
            filled = source.next_index
            if stop > filled:
                rate = insert(chain, source, stop - filled)
                logger.info("filled %s to %d articles (%.0f articles/s)", db_path, stop, rate)
            if stop in plan.export_sizes:
                snapshots[stop] = snapshot(db_path, work_dir / f"export-{stop}.db")
            if stop in plan.levels:
                windows = [insert(chain, source, plan.window) for _ in range(plan.runs)]
                rates[stop] = summarize(windows)
                logger.info("at %d stored: %s articles/s", stop, rates[stop].format(0))
    checkpoint(db_path)
    count = article_count(db_path)
    return ScaleResult(rates, db_path.stat().st_size / count if count else 0.0, count, snapshots)


@dataclass(frozen=True)
class ExportResult:
    rows: int
    fmt: str
    rss_mib: Summary
    seconds: Summary
    command: str


def export_command(db: Path, fmt: str, out: Path) -> list[str]:
    return [tool("arabpress"), "export", "--db", str(db), "--format", fmt, "--output", str(out)]


def measure_export(db: Path, rows: int, fmt: str, out_dir: Path, runs: int) -> ExportResult:
    out = out_dir / f"export-{rows}.{fmt}"
    command = export_command(db, fmt, out)
    measured = [run_measured(command).check() for _ in range(runs)]
    out.unlink(missing_ok=True)
    return ExportResult(
        rows=rows,
        fmt=fmt,
        rss_mib=summarize([m.peak_rss_mib for m in measured]),
        seconds=summarize([m.wall_seconds for m in measured]),
        command=shell_line(command),
    )


def run(work_dir: Path, plan: StorePlan = StorePlan()) -> list[Section]:
    """Both measurements; their sections of the document."""
    scale = measure_store(work_dir, plan)
    exports = [
        measure_export(path, rows, fmt, work_dir, plan.runs)
        for rows, path in sorted(scale.snapshots.items())
        for fmt in EXPORT_FORMATS
    ]
    return [scale_section(scale, plan), export_section(exports)]


def scale_section(result: ScaleResult, plan: StorePlan) -> Section:
    low, high = min(result.rates), max(result.rates)
    drop = 1 - result.rates[high].median / result.rates[low].median if result.rates[low].median else 1.0
    rows = [(f"{level:,}", result.rates[level].format(0, "articles/s")) for level in sorted(result.rates)]
    figures = [
        Figure("store.rate_drop", f"Insert rate at {high:,} vs {low:,} stored articles",
               f"{-drop:+.0%} ({result.rates[high].median:,.0f} vs {result.rates[low].median:,.0f} articles/s)",
               f"falls by ≤ {MAX_RATE_DROP:.0%}", drop <= MAX_RATE_DROP),
    ]
    notes = [f"Database size: {result.bytes_per_article:,.0f} bytes per article ({result.articles:,} articles, "
             "full-text indexes, MinHash signatures and LSH buckets, related headlines and aliases included; "
             "after a WAL checkpoint)."]
    return Section(
        title="Store scale",
        intro=(
            "Synthetic articles (about 400 words, a tenth Arabic, five related headlines each) through the crawl's "
            "pipelines in order — clean, validate, dedupe (content hash, MinHash LSH), store (batched upserts, "
            f"FTS5 on normalised copies) — into one database. Each figure: {plan.runs} consecutive windows of "
            f"{plan.window:,} articles, timed up to the store's commit, once the level's articles are stored."
        ),
        headers=("articles already stored", "insert rate"),
        rows=rows,
        figures=figures,
        notes=notes,
        commands=["python -m bench.run --only store   # bench/storage.py drives the pipelines directly"],
    )


def export_section(results: Sequence[ExportResult]) -> Section:
    rows = [(f"{r.rows:,}", r.fmt, r.rss_mib.format(1, "MiB"), r.seconds.format(2, "s"),
             f"{r.rows / r.seconds.median:,.0f}") for r in results]
    figures = []
    for fmt in EXPORT_FORMATS:
        mine = sorted((r for r in results if r.fmt == fmt), key=lambda r: r.rows)
        if not mine:
            continue
        peak = max(r.rss_mib.median for r in mine)
        growth = mine[-1].rss_mib.median / mine[0].rss_mib.median - 1 if mine[0].rss_mib.median else 0.0
        figures.append(Figure(
            f"export.{fmt}_rss", f"Peak RSS of exporting {mine[-1].rows:,} articles to {fmt.upper()}",
            f"{peak:.1f} MiB; {growth:+.0%} from {mine[0].rows:,} to {mine[-1].rows:,} rows",
            f"≤ {EXPORT_RSS_TARGET_MIB:g} MiB and flat (≤ {EXPORT_FLAT_TOLERANCE:.0%} growth)",
            peak <= EXPORT_RSS_TARGET_MIB and growth <= EXPORT_FLAT_TOLERANCE,
        ))
    commands = sorted({r.command for r in results})
    return Section(
        title="Export memory",
        intro=("`arabpress export` of the articles table of snapshots of the store-scale database, each run in its "
               "own process; peak RSS from the kernel (`wait4` `ru_maxrss`)."),
        headers=("rows", "format", "peak RSS", "time", "rows/s"),
        rows=rows,
        figures=figures,
        commands=commands,
    )
