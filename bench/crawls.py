"""Crawl figures: throughput against a bare Scrapy spider, incremental cost, crawl memory, the scale curve.

Every crawl runs in its own process against a mirror server in another process (:mod:`bench.mirror_server`):

* ``arabpress crawl --mirror-profile`` (the full pipeline: extraction, cleaning, dedupe, SQLite with FTS; dedupe
  and store in the writer process, the default), and the same with ``ARABPRESS_WRITER=inline`` (dedupe and
  store in the crawler's thread, as before issue 13);
* :mod:`bench.bare_spider` (same settings, same links, no extraction, no storage).

Throughput is Scrapy's own measure for both sides, responses over ``elapsed_time_seconds`` (spider open to
close), so interpreter start-up is left out of both. Full and bare runs alternate in pairs (the order
flips each pair), and the ratio is taken within each pair, then summarised. The process's peak RSS comes
from the kernel; requests come from the server's counter.
"""

from __future__ import annotations

import json
import logging
import re
import sqlite3
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from bench import OUT_DIR, stages
from bench.extraction import article_files
from bench.mirror import (
    MIRRORS_DIR,
    Mirror,
    choose_edits,
    edit_articles,
    editable_articles,
    generated_mirror,
    working_copy,
)
from bench.mirror_server import ServedMirror
from bench.process import run_measured, shell_line, tool
from bench.report import CONTEXT_ONLY, Figure, Section
from bench.stats import MIN_RUNS, Summary, summarize

logger = logging.getLogger(__name__)

ARTICLE_PATH = re.compile(r"^/\d{4}/\d{2}/\d{2}/[^/]+/(?:amp/)?$")
CRAWL_TIMEOUT_SECONDS = 3600
SEED = 1
#: Targets of issue 7.
RATIO_TARGET = 0.8
INCREMENTAL_SHARE_TARGET = 0.05
CRAWL_RSS_TARGET_MIB = 250.0
#: "Linear": the time per page of the largest crawl is within this share of the smallest one's.
LINEAR_TOLERANCE = 0.25
EDIT_SHARE = 0.01
MS = 1000.0


@dataclass(frozen=True)
class CrawlPlan:
    """Sizes and repetitions of the crawl figures."""

    articles: int = 10_000
    runs: int = MIN_RUNS
    scale: tuple[int, ...] = (1_000, 5_000, 10_000, 50_000)
    edit_share: float = EDIT_SHARE
    seed: int = SEED
    #: Article pages timed stage by stage (:mod:`bench.stages`).
    stage_sample: int = stages.DEFAULT_SAMPLE

    @property
    def edits(self) -> int:
        return max(1, round(self.articles * self.edit_share))


QUICK_PLAN = CrawlPlan(articles=20, runs=MIN_RUNS, scale=(20, 40), stage_sample=20)


@dataclass(frozen=True)
class CrawlRun:
    """One crawl: Scrapy's counts and time, the process's wall time, CPU and peak RSS, the server's counts."""

    kind: str
    pages: int
    elapsed: float
    wall: float
    cpu: float
    rss_mib: float
    requests: Counter[str]
    stats: dict[str, Any]
    command: str
    run_record: dict[str, Any] = field(default_factory=dict)
    #: The mirror server's CPU seconds during the crawl (its own process).
    server_cpu: float = 0.0

    @property
    def rate(self) -> float:
        return self.pages / self.elapsed if self.elapsed else 0.0

    @property
    def article_requests(self) -> Counter[str]:
        return Counter({path: n for path, n in self.requests.items() if ARTICLE_PATH.match(path)})

    @property
    def cpu_ms_per_page(self) -> float:
        return self.cpu / self.pages * MS if self.pages else 0.0

    @property
    def server_ms_per_page(self) -> float:
        return self.server_cpu / self.pages * MS if self.pages else 0.0


def _remove_db(db: Path) -> None:
    for suffix in ("", "-wal", "-shm", ".lock"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)


def full_command(base_url: str, db: Path, log: Path) -> list[str]:
    return [tool("arabpress"), "crawl", "--base-url", base_url, "--db", str(db), "--mirror-profile",
            "--quiet", "--no-fail-on-warnings", "--log-file", str(log)]


def bare_command(base_url: str, stats_out: Path, log: Path) -> list[str]:
    return [tool("python"), "-m", "bench.bare_spider", "--base-url", base_url, "--stats-out", str(stats_out),
            "--log-file", str(log)]


def last_run_record(db: Path) -> dict[str, Any]:
    """The newest ``crawl_runs`` row of the database, its ``stats`` decoded."""
    with sqlite3.connect(db) as conn:
        conn.row_factory = sqlite3.Row
        row = conn.execute("SELECT * FROM crawl_runs ORDER BY id DESC LIMIT 1").fetchone()
    if row is None:
        raise RuntimeError(f"no crawl_runs row in {db}: the crawl did not record its run")
    record = dict(row)
    record["stats"] = json.loads(record.get("stats") or "{}")
    return record


#: ``ARABPRESS_WRITER`` of the inline variant of the full crawl.
INLINE_ENV = {"ARABPRESS_WRITER": "inline"}


def full_crawl(
    server: ServedMirror, db: Path, log: Path, kind: str = "full", env: dict[str, str] | None = None
) -> CrawlRun:
    """``arabpress crawl`` of the served mirror into ``db`` (kept: a second call is an incremental crawl)."""
    server.reset()
    server_before = server.times().cpu
    command = full_command(server.base_url, db, log)
    measured = run_measured(command, env=env, timeout=CRAWL_TIMEOUT_SECONDS).check()
    server_cpu = server.times().cpu - server_before
    record = last_run_record(db)
    stats = record["stats"]
    return CrawlRun(kind, int(stats.get("response_received_count", 0)), float(stats.get("elapsed_time_seconds", 0)),
                    measured.wall_seconds, measured.cpu_seconds, measured.peak_rss_mib, server.counts(), stats,
                    " ".join([*(f"{k}={v}" for k, v in (env or {}).items()), shell_line(command)]), record,
                    server_cpu)


def bare_crawl(server: ServedMirror, work: Path, log: Path) -> CrawlRun:
    server.reset()
    server_before = server.times().cpu
    stats_out = work / "bare-stats.json"
    stats_out.unlink(missing_ok=True)
    command = bare_command(server.base_url, stats_out, log)
    measured = run_measured(command, timeout=CRAWL_TIMEOUT_SECONDS).check()
    server_cpu = server.times().cpu - server_before
    stats = json.loads(stats_out.read_text(encoding="utf-8"))
    return CrawlRun("bare", int(stats.get("response_received_count", 0)), float(stats.get("elapsed_time_seconds", 0)),
                    measured.wall_seconds, measured.cpu_seconds, measured.peak_rss_mib, server.counts(), stats,
                    shell_line(command), server_cpu=server_cpu)


@dataclass
class EditRound:
    """One round of edits and the crawl after it. Paths are percent-decoded URL paths."""

    edited: list[str]
    run: CrawlRun
    updated_in_db: int
    #: Article paths the database knew (articles and aliases) before the crawl.
    known_before: set[str] = field(default_factory=set)

    @property
    def fetched(self) -> set[str]:
        return set(self.run.article_requests)

    @property
    def edited_paths(self) -> set[str]:
        return {unquote(path) for path in self.edited}

    @property
    def refetched(self) -> set[str]:
        """Article pages fetched again although already stored (new discoveries left out)."""
        return self.fetched & self.known_before

    @property
    def discovered(self) -> set[str]:
        """Article pages fetched for the first time (never stored before this crawl)."""
        return self.fetched - self.known_before

    @property
    def exact(self) -> bool:
        """Every edited article fetched and updated, and no other stored article fetched."""
        edited = self.edited_paths
        updated = int(self.run.run_record.get("articles_updated", -1))
        return self.refetched == edited and updated == len(edited) and self.updated_in_db == len(edited)


@dataclass
class MainResults:
    mirror: Mirror
    #: Article pages (posts, AMP copies left out) the mirror holds.
    mirror_pages: int = 0
    full: list[CrawlRun] = field(default_factory=list)
    bare: list[CrawlRun] = field(default_factory=list)
    #: Full crawls with dedupe and store in the crawler's thread (``ARABPRESS_WRITER=inline``).
    inline: list[CrawlRun] = field(default_factory=list)
    incremental: list[CrawlRun] = field(default_factory=list)
    edits: list[EditRound] = field(default_factory=list)


def known_paths(db: Path) -> set[str]:
    """Percent-decoded URL paths of every stored article and alias."""
    with sqlite3.connect(db) as conn:
        rows = conn.execute("SELECT url FROM articles UNION SELECT alias_url FROM url_aliases").fetchall()
    return {unquote(urlsplit(row[0]).path) for row in rows}


def rows_with_marker(db: Path, marker: str) -> int:
    with sqlite3.connect(db) as conn:
        return int(conn.execute("SELECT count(*) FROM articles WHERE body LIKE ?", (f"%{marker}%",)).fetchone()[0])


def measure_main(plan: CrawlPlan, work: Path, mirrors: Path = MIRRORS_DIR) -> MainResults:
    """Pairs of full and bare crawls, an unchanged re-crawl after each full one, then edit rounds."""
    mirror = generated_mirror(plan.articles, plan.seed, mirrors)
    served_root = working_copy(mirror.root, work / "served-mirror")
    results = MainResults(mirror, mirror_pages=len(article_files(mirror.root)))
    logs = work / "logs"
    with ServedMirror(served_root) as server:
        for index in range(plan.runs):
            db = work / f"full-{index}.db"
            _remove_db(db)
            order = ("bare", "inline", "full") if index % 2 == 0 else ("full", "inline", "bare")
            for kind in order:
                if kind == "bare":
                    results.bare.append(bare_crawl(server, work, logs / f"bare-{index}.log"))
                elif kind == "inline":
                    inline_db = work / f"inline-{index}.db"
                    _remove_db(inline_db)
                    results.inline.append(
                        full_crawl(server, inline_db, logs / f"inline-{index}.log", "inline", INLINE_ENV)
                    )
                else:
                    results.full.append(full_crawl(server, db, logs / f"full-{index}.log"))
            results.incremental.append(full_crawl(server, db, logs / f"incremental-{index}.log", "incremental"))
            logger.info("pair %d: bare %.1f pages/s, full %.1f pages/s, re-crawl %.1f s", index + 1,
                        results.bare[-1].rate, results.full[-1].rate, results.incremental[-1].wall)
        candidates = editable_articles(mirror)
        db = work / f"full-{plan.runs - 1}.db"
        for index in range(plan.runs):
            chosen = choose_edits(candidates, plan.edits, index)
            marker = f"[bench edit {index + 1} {datetime.now(UTC):%Y%m%dT%H%M%S}]"
            edited = edit_articles(served_root, chosen, marker)
            known = known_paths(db)
            run = full_crawl(server, db, logs / f"edited-{index}.log", "edited")
            results.edits.append(EditRound(edited, run, rows_with_marker(db, marker), known))
    return results


@dataclass(frozen=True)
class ScalePoint:
    """The full crawl of one mirror size, and the bare spider's crawl of the same mirror for context."""

    full: CrawlRun
    bare: CrawlRun | None


def measure_scale(
    plan: CrawlPlan, work: Path, reuse: ScalePoint | None, mirrors: Path = MIRRORS_DIR
) -> dict[int, ScalePoint]:
    """A full and a bare crawl per size (the main size's first pair is reused when given)."""
    points: dict[int, ScalePoint] = {}
    for size in plan.scale:
        if size == plan.articles and reuse is not None:
            points[size] = reuse
            continue
        mirror = generated_mirror(size, plan.seed, mirrors)
        db = work / f"scale-{size}.db"
        _remove_db(db)
        with ServedMirror(mirror.root) as server:
            full = full_crawl(server, db, work / "logs" / f"scale-{size}.log", "scale")
            bare = bare_crawl(server, work, work / "logs" / f"scale-bare-{size}.log")
        _remove_db(db)
        points[size] = ScalePoint(full, bare)
        logger.info("scale %d: full %.1f s, bare %.1f s, %d pages", size, full.wall, bare.wall, full.pages)
    return points


def run(plan: CrawlPlan = CrawlPlan(), work: Path = OUT_DIR / "crawls", mirrors: Path = MIRRORS_DIR) -> list[Section]:
    """Every crawl figure; the document's sections (throughput, incremental, memory, scale)."""
    work.mkdir(parents=True, exist_ok=True)
    main = measure_main(plan, work, mirrors)
    times = stages.measure(main.mirror.root, work / "stages", sample=plan.stage_sample, runs=plan.runs)
    reuse = ScalePoint(main.full[0], main.bare[0]) if main.full and main.bare else None
    scale = measure_scale(plan, work, reuse, mirrors)
    cpu = {kind: _summary(r.cpu_ms_per_page for r in runs) for kind, runs in (("bare", main.bare), ("full", main.full))}
    return [throughput_section(main, plan), stages.section(times, cpu["bare"], cpu["full"]),
            incremental_section(main, plan), memory_section(main), scale_section(scale, plan)]


# -- sections ----------------------------------------------------------------------------------------------------


def _summary(values: Sequence[float]) -> Summary:
    return summarize(list(values))


def throughput_section(main: MainResults, plan: CrawlPlan) -> Section:
    ratios = _summary(f.rate / b.rate for f, b in zip(main.full, main.bare, strict=True) if b.rate)
    inline_ratios = _summary(f.rate / b.rate for f, b in zip(main.inline, main.bare, strict=True) if b.rate)
    rows = []
    for name, runs in (("full: arabpress crawl (writer process)", main.full),
                       ("full, dedupe and store inline (ARABPRESS_WRITER=inline)", main.inline),
                       ("bare Scrapy spider", main.bare)):
        rows.append((
            name,
            _summary(r.rate for r in runs).format(1, "pages/s"),
            _summary(r.pages for r in runs).format(0),
            _summary(r.elapsed for r in runs).format(1, "s"),
            _summary(r.cpu_ms_per_page for r in runs).format(2, "ms"),
            _summary(r.server_ms_per_page for r in runs).format(2, "ms"),
        ))
    pages_full, pages_bare = main.full[0].pages, main.bare[0].pages
    figure = Figure("crawl.ratio", "Crawl throughput, full pipeline (writer process) / bare spider",
                    ratios.format(2, "×"), f"≥ {RATIO_TARGET:g}×", ratios.median >= RATIO_TARGET)
    inline_figure = Figure("crawl.ratio_inline", "Crawl throughput, full pipeline with dedupe and store inline / bare",
                           inline_ratios.format(2, "×"), CONTEXT_ONLY, True)
    notes = [
        f"Pages fetched per crawl: full {pages_full:,}, bare {pages_bare:,} "
        f"({'the same pages' if abs(pages_full - pages_bare) <= max(2, pages_bare // 100) else 'they differ'}); "
        "CPU per page is the crawler process's user+system time (start-up included) over its pages, the "
        "part of the cost that does not depend on the server (for the writer-process crawl: the crawler process and "
        "the children it waited for, i.e. the writer too). The mirror server runs on the same two cores: it keeps "
        "the mirror's answers in memory with their ETag and gzip form (read in before the first crawl, as a front "
        "cache would), so that it takes as little of the cores as a remote site would take none "
        "(bench/mirror_server.py); its CPU per page is the last column.",
    ]
    return Section(
        title="Crawl throughput: full pipeline vs bare Scrapy",
        intro=(
            f"A generated mirror of {plan.articles:,} articles (seed {plan.seed}), served by the mirror server in its "
            f"own process. {plan.runs} pairs of crawls alternate (bare then full, full then bare, …), same settings "
            "(project settings with the mirror profile), same server; the ratio is taken within each pair."
        ),
        headers=("crawler", "pages/s", "pages", "crawl time (Scrapy)", "CPU per page", "mirror server CPU per page"),
        rows=rows,
        figures=[figure, inline_figure],
        notes=notes,
        commands=[
            shell_line([tool("arabpress"), "mirror", "generate", "--articles", str(plan.articles),
                        "--seed", str(plan.seed), "--out", "MIRROR"]),
            "python -m bench.mirror_server --root MIRROR   # prints the base URL",
            _generic(main.full[0].command),
            _generic(main.inline[0].command),
            _generic(main.bare[0].command),
        ],
    )


def _generic(command: str) -> str:
    """A command with the run's scratch paths and port replaced by names."""
    command = re.sub(r"http://127\.0\.0\.1:\d+", "http://127.0.0.1:PORT", command)
    return re.sub(r"\S*bench/out/\S*/", "bench/out/…/", command)


def incremental_section(main: MainResults, plan: CrawlPlan) -> Section:
    shares = _summary(i.wall / f.wall for i, f in zip(main.incremental, main.full, strict=True))
    articles = max(sum(i.article_requests.values()) for i in main.incremental)
    requests = _summary(sum(i.requests.values()) for i in main.incremental)
    rows = [
        ("full crawl (empty database)", _summary(r.wall for r in main.full).format(1, "s"),
         _summary(sum(r.requests.values()) for r in main.full).format(0),
         _summary(sum(r.article_requests.values()) for r in main.full).format(0)),
        ("second crawl, mirror unchanged", _summary(r.wall for r in main.incremental).format(1, "s"),
         requests.format(0), _summary(sum(r.article_requests.values()) for r in main.incremental).format(0)),
        (f"after editing {plan.edits} articles", _summary(e.run.wall for e in main.edits).format(1, "s"),
         _summary(sum(e.run.requests.values()) for e in main.edits).format(0),
         _summary(sum(e.run.article_requests.values()) for e in main.edits).format(0)),
    ]
    exact = all(edit.exact for edit in main.edits)
    details = "; ".join(
        f"round {n}: {len(e.edited)} edited; {len(e.refetched)} stored articles fetched again "
        f"({len(e.refetched & e.edited_paths)} of them edited), {len(e.discovered)} never-stored pages found "
        f"(new to the database, not re-fetches), {e.run.run_record.get('articles_updated')} updated in the run "
        f"record, {e.updated_in_db} rows with the edit"
        for n, e in enumerate(main.edits, start=1)
    )
    figures = [
        Figure("incremental.articles", "Article pages fetched by a second crawl of the unchanged mirror",
               f"{articles} (at most, over {len(main.incremental)} runs); requests made: {requests.format(0)}",
               "0", articles == 0),
        Figure("incremental.share", "Second crawl's wall time / full crawl's", shares.format(3),
               f"≤ {INCREMENTAL_SHARE_TARGET:.0%}", shares.median <= INCREMENTAL_SHARE_TARGET),
        Figure("incremental.edits", f"Crawl after editing {plan.edit_share:.0%} of articles",
               "exactly the edited articles fetched and updated" if exact else "not exactly the edited articles",
               "exactly the edited ones", exact),
    ]
    return Section(
        title="Incremental cost",
        intro=(
            "After each full crawl, `arabpress crawl` runs again on the same database and the unchanged mirror. "
            f"Then, {plan.runs} times, {plan.edits} original articles spread over the archive are edited in the "
            "served copy of the mirror (`arabpress_mirror.edit.edit_article`: new text, later modified "
            "time, bumped sitemap lastmod) and the same database is crawled again; \"exactly\" means every edited "
            "article fetched and updated and no other stored article fetched (pages never stored before are new "
            "discoveries, counted apart). Wall time is the whole process (start-up included); requests come from "
            "the server's counter."
        ),
        headers=("crawl", "wall time", "requests", "article pages fetched"),
        rows=rows,
        figures=figures,
        notes=[
            f"The first crawl of an empty database fetched {_summary(sum(r.article_requests.values()) for r in main.full).median:,.0f} "
            f"article pages; the mirror holds {main.mirror_pages:,} (AMP copies left out; a few related links are "
            "broken on purpose). Articles that no listing, feed, news sitemap or related list links to are found by a "
            "later crawl from the older post sitemaps: they show up as never-stored pages in the first edit round.",
            *([f"Edit rounds — {details}."] if details else []),
        ],
        commands=[_generic(main.incremental[0].command) + "   # again, same database"],
    )


def memory_section(main: MainResults) -> Section:
    rss = _summary(r.rss_mib for r in main.full)
    rows = [(kind, _summary(r.rss_mib for r in runs).format(1, "MiB"))
            for kind, runs in (("full crawl", main.full), ("bare spider", main.bare),
                               ("second crawl", main.incremental))]
    return Section(
        title="Crawl memory",
        intro=f"Peak RSS of each crawl process of the {main.mirror.articles:,}-article mirror, from the kernel "
              "(`wait4` `ru_maxrss`).",
        headers=("process", "peak RSS"),
        rows=rows,
        figures=[Figure("crawl.rss", f"Peak RSS of the {main.mirror.articles:,}-article crawl", rss.format(1, "MiB"),
                        f"≤ {CRAWL_RSS_TARGET_MIB:g} MiB", rss.median <= CRAWL_RSS_TARGET_MIB)],
    )


def _per_page_ms(run: CrawlRun | None) -> float:
    return run.elapsed / run.pages * MS if run is not None and run.pages else 0.0


def scale_section(points: dict[int, ScalePoint], plan: CrawlPlan) -> Section:
    sizes = sorted(points)
    rows = []
    for size in sizes:
        full, bare = points[size].full, points[size].bare
        rows.append((f"{size:,}", f"{full.pages:,}", f"{full.wall:,.1f} s", f"{full.elapsed:,.1f} s",
                     f"{_per_page_ms(full):.2f} ms", f"{_per_page_ms(bare):.2f} ms" if bare else "–",
                     f"{full.rss_mib:.0f} MiB"))
    first, last = _per_page_ms(points[sizes[0]].full), _per_page_ms(points[sizes[-1]].full)
    growth = last / first - 1 if first else 0.0
    figure = Figure(
        "scale.linear", f"Crawl time per page, {sizes[-1]:,} vs {sizes[0]:,} articles",
        f"{growth:+.0%} ({last:.2f} vs {first:.2f} ms/page)",
        f"linear: within ±{LINEAR_TOLERANCE:.0%}", abs(growth) <= LINEAR_TOLERANCE,
    )
    reused = " The main size's point is the first pair of the throughput section." if plan.articles in points else ""
    return Section(
        title="Scale curve",
        intro=("Single full crawls of generated mirrors of each size (same seed), each on an empty database, "
               "with its own server process, and a bare-spider crawl of the same mirror for context. Time per "
               "page uses Scrapy's crawl time (start-up excluded); linear growth means a flat time per page."
               + reused),
        headers=("articles", "pages", "wall time", "crawl time", "time per page", "bare spider, per page",
                 "peak RSS"),
        rows=rows,
        figures=[figure],
    )
