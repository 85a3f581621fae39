"""``make bench``: measure everything issue 7 asks for and write ``docs/benchmarks.md``.

Usage::

    python -m bench.run                      # the full benchmark (about 30-40 minutes on 2 cores)
    python -m bench.run --quick              # a smoke run on tiny inputs, written to bench/out/
    python -m bench.run --only extraction    # one part (crawl, extraction, store, archive, distributed); repeatable
    python -m bench.run --render-only        # the last run's figures again, with bench/findings.toml as it is now

Generated mirrors are cached in ``bench/out/mirrors/`` between runs. A quick run never writes
``docs/benchmarks.md`` unless ``--doc`` says so.
"""

from __future__ import annotations

import argparse
import logging
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from bench import DOC_PATH, OUT_DIR, archive, crawls, distributed, extraction, machine, storage
from bench.mirror import generated_mirror
from bench.report import (
    Figure,
    Report,
    Section,
    load_findings,
    load_measurements,
    save_measurements,
    splice,
    write,
)

logger = logging.getLogger(__name__)

PARTS = ("crawl", "extraction", "store", "archive", "distributed")
QUICK_DOC_PATH = OUT_DIR / "benchmarks-quick.md"
QUICK_EXTRACTION_SAMPLE = 20
#: Sections in the order of issue 7's list.
SECTION_ORDER = (
    "Crawl throughput: full pipeline vs bare Scrapy",
    "Where the full crawl's time goes",
    "Extraction cost",
    "Incremental cost",
    "Crawl memory",
    "Export memory",
    "Store scale",
    "Scale curve",
    archive.TITLE,
    distributed.TITLE,
)
LOG_FORMAT = "%(asctime)s %(name)s %(levelname)s: %(message)s"
#: Project loggers that log one line per page or per edit: quiet in the benchmark's own log.
CHATTY_LOGGERS = ("arabpress_crawler",)


def failed_section(part: str, error: BaseException) -> Section:
    """What the document says when a part could not be measured."""
    return Section(
        title=f"{part}: not measured",
        intro=f"This part failed: `{type(error).__name__}: {str(error).strip().splitlines()[0] if str(error) else ''}`. "
              "See the log of `make bench`.",
        figures=[Figure(f"{part}.failed", f"{part} figures", "failed", "measured", None)],
    )


def measure_part(part: str, measure: Callable[[], list[Section]]) -> list[Section]:
    started = time.perf_counter()
    try:
        sections = measure()
    # A part that breaks (a crawl that fails, a missing command) must not lose the other parts' figures:
    # the document then says which part failed and why, and the run exits non-zero.
    except Exception as error:  # noqa: BLE001
        logger.exception("the %s part of the benchmark failed", part)
        return [failed_section(part, error)]
    logger.info("%s part done in %.0f s", part, time.perf_counter() - started)
    return sections


def ordered(sections: Sequence[Section]) -> list[Section]:
    rank = {title: index for index, title in enumerate(SECTION_ORDER)}
    return sorted(sections, key=lambda section: rank.get(section.title, len(rank)))


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.run",
        description="Benchmark arabpress-crawler and write docs/benchmarks.md (issue 7).",
        epilog="Example:\n  python -m bench.run --quick --only crawl",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--quick", action="store_true", help="tiny inputs: a smoke run of every part")
    parser.add_argument("--only", action="append", choices=PARTS, help="measure only this part (repeatable)")
    parser.add_argument("--doc", type=Path, help=f"document to write (default {DOC_PATH.name}; quick: bench/out/)")
    parser.add_argument("--render-only", action="store_true",
                        help="measure nothing: render the last run's saved figures with the current findings")
    parser.add_argument("--splice", action="store_true",
                        help="with --only: put the measured sections into the existing document instead of "
                             "rewriting it")
    parser.add_argument("--verbose", "-v", action="store_true", help="log debug messages")
    return parser.parse_args(argv)


def measurements_path(doc: Path) -> Path:
    """Where the figures behind ``doc`` are kept (``bench/out/<doc name>.json``)."""
    return OUT_DIR / f"{doc.stem}.json"


def render_only(doc: Path) -> int:
    saved = measurements_path(doc)
    if not saved.exists():
        logger.error("no saved figures at %s: run the benchmark first", saved)
        return 1
    write(load_measurements(saved, load_findings()), doc)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.INFO, format=LOG_FORMAT, stream=sys.stderr)
    for name in CHATTY_LOGGERS:
        logging.getLogger(name).setLevel(logging.DEBUG if args.verbose else logging.WARNING)
    parts = args.only or list(PARTS)
    crawl_plan = crawls.QUICK_PLAN if args.quick else crawls.CrawlPlan()
    store_plan = storage.QUICK_PLAN if args.quick else storage.StorePlan()
    sample = QUICK_EXTRACTION_SAMPLE if args.quick else extraction.DEFAULT_SAMPLE
    work = OUT_DIR / ("quick" if args.quick else "full")
    doc = args.doc or (QUICK_DOC_PATH if args.quick else DOC_PATH)
    if args.render_only:
        return render_only(doc)
    started = time.perf_counter()
    found_machine = machine.capture()
    sections: list[Section] = []
    if "crawl" in parts:
        sections += measure_part("crawl", lambda: crawls.run(crawl_plan, work / "crawls"))
    if "extraction" in parts:
        def measure_extraction() -> list[Section]:
            mirror = generated_mirror(crawl_plan.articles, crawl_plan.seed)
            return [extraction.run(mirror.root, sample=sample)]

        sections += measure_part("extraction", measure_extraction)
    if "store" in parts:
        sections += measure_part("store", lambda: storage.run(work / "store", store_plan))
    if "archive" in parts:
        archive_plan = archive.QUICK_PLAN if args.quick else archive.ArchivePlan()
        sections += measure_part("archive", lambda: archive.run(archive_plan, work / "archive"))
    if "distributed" in parts:
        distributed_plan = distributed.QUICK_PLAN if args.quick else distributed.DistributedPlan()
        sections += measure_part("distributed", lambda: [distributed.run(distributed_plan, work / "distributed")])
    command = "make bench" if not args.quick and not args.only else "python -m bench.run " + " ".join(
        argv if argv is not None else sys.argv[1:])
    report = Report(
        machine=found_machine,
        command=command.strip(),
        duration_seconds=time.perf_counter() - started,
        quick=args.quick,
        sections=ordered(sections),
        findings=load_findings(),
    )
    if args.splice and doc.exists():
        doc.write_text(splice(doc.read_text(encoding="utf-8"), report), encoding="utf-8")
        logger.info("put %d sections into %s", len(report.sections), doc)
    else:
        write(report, doc)
        save_measurements(report, measurements_path(doc))
    failed = [figure for section in sections for figure in section.figures if figure.met is None]
    logger.info("wrote %s in %.0f s", doc, report.duration_seconds)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
