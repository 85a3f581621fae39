"""Where a full crawl's time goes: each stage of the project's per-page work, timed without a profiler.

Over a sample of the mirror's article pages, in the order the crawl runs them: building the response and
parsing the HTML, ``ArticlePage.to_item()``, then the four item pipelines (clean, validate, dedupe, store;
the store's batches are committed, and its final flush is counted). Every run starts from an empty database.
Set beside the bare spider's CPU per page, this says how much of the throughput gap each stage explains.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from scrapy.exceptions import DropItem

from arabpress_crawler.pages.article import ArticlePage
from bench.extraction import Page, response_for, sample_pages
from bench.report import Section
from bench.stats import MIN_RUNS, Summary, summarize
from bench.storage import PipelineChain

logger = logging.getLogger(__name__)

STAGES = ("parse", "extraction", "clean", "validate", "dedupe", "store")
#: The process each stage runs in during ``arabpress crawl`` (writer process, the default; see
#: :mod:`arabpress_crawler.writer.addon`: clean and validate run in the writer when nothing in the crawler needs
#: cleaned items, as in the benchmark's crawl).
STAGE_PROCESS = {"parse": "crawler", "extraction": "crawler", "clean": "writer", "validate": "writer",
                 "dedupe": "writer", "store": "writer"}
DEFAULT_SAMPLE = 1000
MS = 1000.0


@dataclass(frozen=True)
class StageTimes:
    per_stage_ms: dict[str, Summary]
    pages: int

    @property
    def total_ms(self) -> float:
        return sum(summary.median for summary in self.per_stage_ms.values())


def _time_once(pages: Sequence[Page], db: Path) -> dict[str, float]:
    """Seconds spent in each stage over ``pages``, into a fresh database at ``db``."""
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    spent = dict.fromkeys(STAGES, 0.0)
    with PipelineChain(db) as chain:
        for page in pages:
            started = time.perf_counter()
            response = response_for(page)
            response.selector.root  # noqa: B018 (the parse is the point)
            parsed = time.perf_counter()
            item = ArticlePage(response).to_item()
            spent["parse"] += parsed - started
            spent["extraction"] += time.perf_counter() - parsed
            if item is None:
                logger.warning("sampled page is not an article: %s", page.url)
                continue
            item.fetched_url = page.url
            _run_pipelines(chain, item, spent)
        started = time.perf_counter()
        chain.flush()
        spent["store"] += time.perf_counter() - started
    return spent


def _run_pipelines(chain: PipelineChain, item: object, spent: dict[str, float]) -> None:
    steps = (("clean", chain.clean.process_item), ("validate", chain.validate.process_item),
             ("dedupe", chain.dedupe.process_item), ("store", chain.store.process_item))
    for name, step in steps:
        started = time.perf_counter()
        try:
            item = step(item)
        except DropItem:
            return
        finally:
            spent[name] += time.perf_counter() - started


def measure(mirror_root: Path, work: Path, *, sample: int = DEFAULT_SAMPLE, runs: int = MIN_RUNS) -> StageTimes:
    pages = sample_pages(mirror_root, sample)
    work.mkdir(parents=True, exist_ok=True)
    totals = [_time_once(pages, work / "stages.db") for _ in range(runs)]
    per_stage = {name: summarize([run[name] / len(pages) * MS for run in totals]) for name in STAGES}
    return StageTimes(per_stage, len(pages))


def section(times: StageTimes, bare_cpu_ms: Summary | None, full_cpu_ms: Summary | None) -> Section:
    rows = [(name, STAGE_PROCESS[name], times.per_stage_ms[name].format(3, "ms"),
             f"{times.per_stage_ms[name].median / times.total_ms:.0%}") for name in STAGES]
    rows.append(("all stages", "", f"{times.total_ms:.3f} ms", "100%"))
    by_process = {process: sum(times.per_stage_ms[name].median for name in STAGES if STAGE_PROCESS[name] == process)
                  for process in ("crawler", "writer")}
    notes = []
    if bare_cpu_ms is not None and full_cpu_ms is not None:
        notes.append(
            f"For scale: the bare spider's crawler process spends {bare_cpu_ms.median:.2f} ms of CPU per page "
            f"(Scrapy's own work: scheduling, downloading, link extraction; start-up included) and the full crawl "
            f"{full_cpu_ms.median:.2f} ms (crawler and writer processes). A full/bare ratio of 0.8 leaves the "
            f"crawler process {bare_cpu_ms.median / 0.8 - bare_cpu_ms.median:.2f} ms per page beyond Scrapy's own "
            f"work for its stages above and the spider's link following, and needs both processes and the mirror "
            f"server to fit the machine's cores at that rate."
        )
    notes.append(
        f"Per process: {by_process['crawler']:.2f} ms per page in the crawler process (beside Scrapy's own work "
        f"and the spider's), {by_process['writer']:.2f} ms in the writer process."
    )
    return Section(
        title="Where the full crawl's time goes",
        intro=(f"The project's per-page work over {times.pages:,} article pages of the same mirror, stage by stage in "
               f"crawl order, without a profiler (median of {next(iter(times.per_stage_ms.values())).runs} runs, "
               "empty database each run). The spider's own link following is not in it."),
        headers=("stage", "process", "ms per page", "share"),
        rows=rows,
        notes=notes,
        commands=["python -m bench.run --only crawl   # bench/stages.py"],
    )
