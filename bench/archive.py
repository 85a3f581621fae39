"""Web archive figures (issue 14): archive bytes per article, what writing it costs a crawl, and re-extraction
from the archive against the crawl.

Over one generated mirror, served by :mod:`bench.mirror_server` in its own process:

* full crawls of the whole mirror into a fresh database, with the archive (the default) and with
  ``--no-archive``, alternating in pairs (the order flips each pair); throughput is Scrapy's own measure
  (responses over ``elapsed_time_seconds``) and CPU is the process's, per page fetched;
* the archive's size on disk (every ``.warc.gz`` file) per stored article;
* ``arabpress reextract --db … --json`` over the last archived database, timed by the command itself (reading
  the records, extraction, comparison and writing; interpreter start-up left out, as for the crawl), with the
  mirror server stopped: nothing is fetched. Re-extraction reads and extracts every page whatever the
  extraction version (nothing is skipped), so a run over unchanged code does the work of an extractor change
  that changes no value. Three runs: with one worker per core (the default), with ``--jobs 1``, and after
  every row's ``section`` is altered in the database (every row then changes: a revision and an update each,
  the write-heavy case of an extractor change);
* where one page's re-extraction time goes (reading the record, building the response, the page object, the
  clean and validate steps, the comparison), timed stage by stage in this process over the same archive;
* as context, the polite default crawl: one request per ``DOWNLOAD_DELAY`` (1 s), computed from the setting,
  not measured (28 hours for 100,000 pages).

Usage: ``python -m bench.run --only archive`` (``--quick`` for a 20-article smoke run).
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import sqlite3
import time
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.crawls import CRAWL_TIMEOUT_SECONDS, full_command, last_run_record
from bench.mirror import generated_mirror
from bench.mirror_server import ServedMirror
from bench.process import run_measured, shell_line, tool
from bench.report import Figure, Section
from bench.stats import MIN_RUNS, Summary, summarize

logger = logging.getLogger(__name__)

SEED = 1
#: Issue 14: re-extraction at least ten times the crawl's pages per second.
REEXTRACT_SPEEDUP_TARGET = 10.0
KIB = 1024
MS = 1000.0
TITLE = "Web archive and re-extraction"


@dataclass(frozen=True)
class ArchivePlan:
    articles: int = 10_000
    runs: int = MIN_RUNS
    seed: int = SEED


QUICK_PLAN = ArchivePlan(articles=20, runs=1)


@dataclass(frozen=True)
class Crawl:
    archived: bool
    pages: int
    elapsed: float
    cpu: float
    wall: float
    stats: dict[str, Any]

    @property
    def rate(self) -> float:
        return self.pages / self.elapsed if self.elapsed else 0.0

    @property
    def cpu_ms_per_page(self) -> float:
        return self.cpu / self.pages * MS if self.pages else 0.0


@dataclass
class Results:
    crawls: list[Crawl] = field(default_factory=list)
    archive_bytes: int = 0
    archive_files: int = 0
    articles: int = 0
    reextract: dict[str, Any] = field(default_factory=dict)  # one worker per core (the default)
    reextract_one_job: dict[str, Any] = field(default_factory=dict)
    reextract_rewrite: dict[str, Any] = field(default_factory=dict)  # every row changes a field
    stages: dict[str, float] = field(default_factory=dict)  # ms per page, by stage
    load: list[float] = field(default_factory=list)  # 1-minute load average before each reextract run
    commands: list[str] = field(default_factory=list)

    def of(self, archived: bool) -> list[Crawl]:
        return [crawl for crawl in self.crawls if crawl.archived == archived]


def _fresh(db: Path) -> Path:
    if db.parent.exists():
        shutil.rmtree(db.parent)
    db.parent.mkdir(parents=True)
    return db


def crawl(server: ServedMirror, db: Path, *, archived: bool) -> tuple[Crawl, str]:
    server.reset()
    command = full_command(server.base_url, db, db.with_suffix(".log"))
    if not archived:
        command.append("--no-archive")
    measured = run_measured(command, timeout=CRAWL_TIMEOUT_SECONDS).check()
    stats = last_run_record(db)["stats"]
    pages = int(stats.get("response_received_count", 0))
    elapsed = float(stats.get("elapsed_time_seconds", 0))
    return Crawl(archived, pages, elapsed, measured.cpu_seconds, measured.wall_seconds, stats), shell_line(command)


def archive_size(db: Path) -> tuple[int, int]:
    """``(bytes, files)`` of a database's archive directory."""
    paths = list((db.parent / "archive").glob("*.warc.gz"))
    return sum(path.stat().st_size for path in paths), len(paths)


def stored_articles(db: Path) -> int:
    record = last_run_record(db)
    return int(record.get("articles_new", 0)) + int(record.get("articles_updated", 0))


def reextract(db: Path, *options: str) -> tuple[dict[str, Any], str]:
    command = [tool("arabpress"), "reextract", "--db", str(db), "--json", *options]
    measured = run_measured(command, timeout=CRAWL_TIMEOUT_SECONDS).check()
    report = json.loads(measured.stdout)
    report["wall_seconds"] = measured.wall_seconds
    report["cpu_seconds"] = measured.cpu_seconds  # the whole process, interpreter start-up included
    return report, shell_line(command)


#: The field the write-heavy run alters in every row before re-extracting, and how.
REWRITE_SQL = "UPDATE articles SET section = coalesce(section, '') || ' (older extractor)'"


def alter_every_row(db: Path) -> None:
    with sqlite3.connect(db) as conn:
        conn.execute(REWRITE_SQL)


STAGES = ("rows", "read", "response", "page object", "clean + validate", "compare")


def stage_times(db: Path) -> dict[str, float]:
    """Milliseconds per page of each stage of re-extraction, in this process (one core), over ``db``'s archive."""
    from arabpress_crawler.archive.reader import read_at, scrapy_response
    from arabpress_crawler.db import archive as archive_db
    from arabpress_crawler.pages.article import ArticlePage
    from arabpress_crawler.pipelines.clean import clean_article
    from arabpress_crawler.pipelines.validate import drop_reason
    from arabpress_crawler.reextract import FIELDS, field_values
    from arabpress_crawler.reextracting import ArchiveFiles
    from arabpress_crawler.text import content_hash

    spent = dict.fromkeys(STAGES, 0.0)
    reader = archive_db.open_snapshot(db)
    try:
        started = time.perf_counter()
        stored = [article for article in archive_db.stored_articles(reader) if article.archive is not None]
        spent["rows"] = time.perf_counter() - started
    finally:
        reader.close()
    with ExitStack() as stack:
        archive = ArchiveFiles(db.parent, stack)
        for article in stored:
            record = article.archive
            assert record is not None
            marks = [time.perf_counter()]
            handle = archive.open(record.file)
            assert handle is not None
            archived = read_at(handle, record.offset, record.length, record_id=record.record_id)
            marks.append(time.perf_counter())
            response = scrapy_response(archived)
            marks.append(time.perf_counter())
            item = ArticlePage(response).to_item()
            marks.append(time.perf_counter())
            if item is not None:
                clean_article(item)
                drop_reason(item)
                item.content_hash = content_hash(item.title, item.body)
            marks.append(time.perf_counter())
            if item is not None:
                values = field_values(item)
                _ = [name for name in FIELDS if values[name] != article.values.get(name)]
            marks.append(time.perf_counter())
            for stage, begin, end in zip(STAGES[1:], marks[:-1], marks[1:], strict=True):
                spent[stage] += end - begin
    return {stage: seconds / len(stored) * MS for stage, seconds in spent.items()} if stored else {}


def measure(plan: ArchivePlan, work: Path) -> Results:
    mirror = generated_mirror(plan.articles, plan.seed)
    results = Results()
    last_archived: Path | None = None
    with ServedMirror(mirror.root) as server:
        for index in range(plan.runs):
            order = (True, False) if index % 2 == 0 else (False, True)
            for archived in order:
                db = _fresh(work / f"{'with' if archived else 'without'}-{index}" / "arabpress.db")
                run, command = crawl(server, db, archived=archived)
                results.crawls.append(run)
                if command not in results.commands:
                    results.commands.append(command)
                if archived:
                    last_archived = db
    assert last_archived is not None
    results.archive_bytes, results.archive_files = archive_size(last_archived)
    results.articles = stored_articles(last_archived)
    # The server is stopped: re-extraction cannot fetch anything.
    for options, key in (((), "reextract"), (("--jobs", "1"), "reextract_one_job")):
        results.load.append(os.getloadavg()[0])
        report, command = reextract(last_archived, *options)
        setattr(results, key, report)
        results.commands.append(command)
    results.stages = stage_times(last_archived)
    alter_every_row(last_archived)
    results.load.append(os.getloadavg()[0])
    results.reextract_rewrite, command = reextract(last_archived)
    results.commands.append(f'{shell_line(["sqlite3", str(last_archived)])} "{REWRITE_SQL}"')
    results.commands.append(command)
    return results


def polite_rate() -> float:
    """Pages per second of the default crawl: one request per ``DOWNLOAD_DELAY`` (the setting, not a run)."""
    from arabpress_crawler import settings

    return 1.0 / settings.DOWNLOAD_DELAY if settings.DOWNLOAD_DELAY else 0.0


def _summary(values: list[float]) -> Summary:
    return summarize(values) if values else Summary(0.0, 0.0, 0.0, 0)


def _rate(report: dict[str, Any]) -> float:
    return float(report.get("pages_per_second", 0.0))


def _cpu_ms(report: dict[str, Any]) -> float:
    articles = int(report.get("articles", 0))
    return float(report.get("cpu_seconds", 0.0)) / articles * MS if articles else 0.0


def _ratio(numerator: float, denominator: float) -> float:
    return numerator / denominator if denominator else 0.0


def section(plan: ArchivePlan, results: Results) -> Section:
    with_archive, without = results.of(True), results.of(False)
    rate_with = _summary([run.rate for run in with_archive])
    rate_without = _summary([run.rate for run in without])
    cpu_with = _summary([run.cpu_ms_per_page for run in with_archive])
    cpu_without = _summary([run.cpu_ms_per_page for run in without])
    per_article = results.archive_bytes / results.articles if results.articles else 0.0
    reextracted = results.reextract
    reextract_rate = _rate(reextracted)
    speedup = _ratio(reextract_rate, rate_with.median)
    reextract_cpu_ms = _cpu_ms(reextracted)
    cpu_ratio = _ratio(cpu_with.median, reextract_cpu_ms)
    records = int(with_archive[-1].stats.get("arabpress/archive/records", 0)) if with_archive else 0
    rows = [
        ["crawl with the archive", rate_with.format(1, "pages/s"), cpu_with.format(2, "ms")],
        ["crawl with --no-archive", rate_without.format(1, "pages/s"), cpu_without.format(2, "ms")],
        ["reextract (no fetch; one worker per core)", f"{reextract_rate:,.1f} pages/s",
         f"{reextract_cpu_ms:.2f} ms (start-up included)"],
    ]
    variants = (
        (results.reextract_one_job, "reextract --jobs 1"),
        (results.reextract_rewrite, "reextract, every row changed (revision + update each)"),
    )
    rows += [[label, f"{_rate(report):,.1f} pages/s", f"{_cpu_ms(report):.2f} ms (start-up included)"]
             for report, label in variants if report]  # fmt: skip
    polite = polite_rate()
    figures = [
        Figure("archive.bytes_per_article", "archive bytes per stored article",
               f"{per_article / KIB:,.1f} KiB ({results.archive_bytes / KIB / KIB:,.1f} MiB, {results.archive_files} "
               f"files, {records} response records for {results.articles} articles)", "measured", True),
        Figure("archive.crawl_cost", "crawl CPU per page: with the archive − without",
               f"{cpu_with.median - cpu_without.median:+.2f} ms/page "
               f"({(cpu_with.median / cpu_without.median - 1) * 100 if cpu_without.median else 0:+.1f}%)",
               "measured", True),
        Figure("archive.reextract_speedup", "reextract pages/s ÷ crawl pages/s (mirror profile: no delay, loopback)",
               f"{speedup:.1f}× ({reextract_rate:,.0f} vs {rate_with.median:,.0f} pages/s)",
               f"≥ {REEXTRACT_SPEEDUP_TARGET:.0f}×", speedup >= REEXTRACT_SPEEDUP_TARGET),
        Figure("archive.reextract_cpu_ratio", "crawl CPU per page ÷ reextract CPU per article",
               f"{cpu_ratio:.1f}× ({cpu_with.median:.2f} vs {reextract_cpu_ms:.2f} ms)", "measured", True),
    ]
    if results.reextract_one_job:
        one = _rate(results.reextract_one_job)
        figures.append(Figure("archive.reextract_speedup_one_job", "reextract --jobs 1 pages/s ÷ crawl pages/s",
                              f"{_ratio(one, rate_with.median):.1f}× ({one:,.0f} pages/s)", "measured", True))
    if results.reextract_rewrite:
        rewrite = _rate(results.reextract_rewrite)
        figures.append(Figure("archive.reextract_rewrite_speedup",
                              "reextract pages/s ÷ crawl pages/s, every row changed",
                              f"{_ratio(rewrite, rate_with.median):.1f}× ({rewrite:,.0f} pages/s)", "measured", True))
    if polite:
        pages = int(reextracted.get("articles", 0))
        figures.append(Figure("archive.reextract_vs_polite", "reextract pages/s ÷ polite default crawl pages/s",
                              f"{_ratio(reextract_rate, polite):,.0f}× ({polite:g} page/s from DOWNLOAD_DELAY, "
                              f"not measured: {pages / polite / 3600:.1f} h for these {pages:,} pages)",
                              "context", True))
    notes = [f"reextract outcomes: {json.dumps(reextracted.get('outcomes', {}), sort_keys=True)} (code unchanged "
             "since the crawl: nothing should change); every page is read and extracted again whatever the "
             "extraction version, so this is the work of an extractor change that changes no value"]
    if results.reextract_rewrite:
        notes.append(f"every row changed: outcomes {json.dumps(results.reextract_rewrite.get('outcomes', {}))}, "
                     f"fields {json.dumps(results.reextract_rewrite.get('fields', {}))}")
    if results.stages:
        total = sum(results.stages.values())
        spent = ", ".join(f"{stage} {ms:.2f} ms ({ms / total * 100:.0f}%)" for stage, ms in results.stages.items())
        notes.append(f"where one page's re-extraction goes (one core, in the bench process): {spent}; "
                     f"total {total:.2f} ms/page. The page object and the clean step are the crawl's own "
                     "extraction, which re-extraction cannot skip: on one core it is bounded by them")
    if results.load:
        notes.append("1-minute load average before each reextract run: "
                     + ", ".join(f"{load:.1f}" for load in results.load)
                     + f" on {os.cpu_count()} cores (other work shared the machine: figures taken under load)")
    return Section(
        title=TITLE,
        intro=(f"A generated mirror of {plan.articles:,} articles (seed {plan.seed}), crawled in full "
               f"{plan.runs} times with the WARC archive and {plan.runs} times with `--no-archive` (alternating), "
               "then `arabpress reextract` over the last archived database with the mirror server stopped. "
               "Rates are Scrapy's responses over its elapsed time; reextract's is articles over its own timer."),
        headers=["run", "pages/s", "CPU per page"],
        rows=rows,
        commands=results.commands,
        figures=figures,
        notes=notes,
    )


def run(plan: ArchivePlan, work: Path) -> list[Section]:
    return [section(plan, measure(plan, work))]
