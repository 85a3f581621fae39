"""Web archive figures (issue 14): archive bytes per article, what writing it costs a crawl, and re-extraction
from the archive against the crawl.

Over one generated mirror, served by :mod:`bench.mirror_server` in its own process:

* full crawls of the whole mirror into a fresh database, with the archive (the default) and with
  ``--no-archive``, alternating in pairs (the order flips each pair); throughput is Scrapy's own measure
  (responses over ``elapsed_time_seconds``) and CPU is the process's, per page fetched;
* the archive's size on disk (every ``.warc.gz`` file) per stored article;
* ``arabpress reextract --db … --json`` over the last archived database, timed by the command itself (reading
  the records, extraction, comparison and writing; interpreter start-up left out, as for the crawl), with the
  mirror server stopped: nothing is fetched.

Usage: ``python -m bench.run --only archive`` (``--quick`` for a 20-article smoke run).
"""

from __future__ import annotations

import json
import logging
import shutil
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
    reextract: dict[str, Any] = field(default_factory=dict)
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


def reextract(db: Path) -> tuple[dict[str, Any], str]:
    command = [tool("arabpress"), "reextract", "--db", str(db), "--json"]
    measured = run_measured(command, timeout=CRAWL_TIMEOUT_SECONDS).check()
    report = json.loads(measured.stdout)
    report["wall_seconds"] = measured.wall_seconds
    report["cpu_seconds"] = measured.cpu_seconds  # the whole process, interpreter start-up included
    return report, shell_line(command)


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
    results.reextract, command = reextract(last_archived)
    results.commands.append(command)
    return results


def _summary(values: list[float]) -> Summary:
    return summarize(values) if values else Summary(0.0, 0.0, 0.0, 0)


def section(plan: ArchivePlan, results: Results) -> Section:
    with_archive, without = results.of(True), results.of(False)
    rate_with = _summary([run.rate for run in with_archive])
    rate_without = _summary([run.rate for run in without])
    cpu_with = _summary([run.cpu_ms_per_page for run in with_archive])
    cpu_without = _summary([run.cpu_ms_per_page for run in without])
    per_article = results.archive_bytes / results.articles if results.articles else 0.0
    reextracted = results.reextract
    reextract_rate = float(reextracted.get("pages_per_second", 0.0))
    speedup = reextract_rate / rate_with.median if rate_with.median else 0.0
    articles = int(reextracted.get("articles", 0))
    reextract_cpu_ms = float(reextracted.get("cpu_seconds", 0.0)) / articles * MS if articles else 0.0
    cpu_ratio = cpu_with.median / reextract_cpu_ms if reextract_cpu_ms else 0.0
    records = int(with_archive[-1].stats.get("arabpress/archive/records", 0)) if with_archive else 0
    rows = [
        ["crawl with the archive", rate_with.format(1, "pages/s"), cpu_with.format(2, "ms")],
        ["crawl with --no-archive", rate_without.format(1, "pages/s"), cpu_without.format(2, "ms")],
        ["reextract (no fetch)", f"{reextract_rate:,.1f} pages/s", f"{reextract_cpu_ms:.2f} ms (start-up included)"],
    ]
    figures = [
        Figure("archive.bytes_per_article", "archive bytes per stored article",
               f"{per_article / KIB:,.1f} KiB ({results.archive_bytes / KIB / KIB:,.1f} MiB, {results.archive_files} "
               f"files, {records} response records for {results.articles} articles)", "measured", True),
        Figure("archive.crawl_cost", "crawl CPU per page: with the archive − without",
               f"{cpu_with.median - cpu_without.median:+.2f} ms/page "
               f"({(cpu_with.median / cpu_without.median - 1) * 100 if cpu_without.median else 0:+.1f}%)",
               "measured", True),
        Figure("archive.reextract_speedup", "reextract pages/s ÷ crawl pages/s",
               f"{speedup:.1f}× ({reextract_rate:,.0f} vs {rate_with.median:,.0f} pages/s)",
               f"≥ {REEXTRACT_SPEEDUP_TARGET:.0f}×", speedup >= REEXTRACT_SPEEDUP_TARGET),
        Figure("archive.reextract_cpu_ratio", "crawl CPU per page ÷ reextract CPU per article",
               f"{cpu_ratio:.1f}× ({cpu_with.median:.2f} vs {reextract_cpu_ms:.2f} ms)", "measured", True),
    ]
    changed = reextracted.get("outcomes", {})
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
        notes=[f"reextract outcomes: {json.dumps(changed, sort_keys=True)} (code unchanged since the crawl: "
               "nothing should change)"],
    )


def run(plan: ArchivePlan, work: Path) -> list[Section]:
    return [section(plan, measure(plan, work))]
