"""The archive part of the benchmark: its figures from measured runs, and splicing a part into the document."""

from __future__ import annotations

from bench import archive, machine, report


def crawl(archived: bool, rate: float, cpu_ms: float) -> archive.Crawl:
    pages = 1000
    return archive.Crawl(archived, pages, pages / rate, cpu_ms * pages / 1000, 0.0,
                         {"arabpress/archive/records": 900} if archived else {})  # fmt: skip


def results(reextract_rate: float) -> archive.Results:
    return archive.Results(
        crawls=[crawl(True, 100.0, 5.5), crawl(False, 110.0, 5.0)],
        archive_bytes=900 * 5 * 1024,
        archive_files=1,
        articles=900,
        reextract={"pages_per_second": reextract_rate, "outcomes": {"unchanged": 900}, "articles": 900,
                   "cpu_seconds": 1.8},
    )


def figure(section: report.Section, key: str) -> report.Figure:
    return next(found for found in section.figures if found.key == key)


def test_figures_of_the_archive_part() -> None:
    section = archive.section(archive.ArchivePlan(articles=1000, runs=1), results(1200.0))
    assert figure(section, "archive.bytes_per_article").value.startswith("5.0 KiB")
    assert figure(section, "archive.crawl_cost").value.startswith("+0.50 ms/page (+10.0%)")
    speedup = figure(section, "archive.reextract_speedup")
    assert speedup.value.startswith("12.0×") and speedup.met is True
    assert figure(section, "archive.reextract_cpu_ratio").value.startswith("2.8× (5.50 vs 2.00 ms)")
    polite = figure(section, "archive.reextract_vs_polite")
    assert polite.value.startswith("1,200× (1 page/s from DOWNLOAD_DELAY, not measured: 0.2 h for these 900 pages)")
    slow = archive.section(archive.ArchivePlan(articles=1000, runs=1), results(500.0))
    assert figure(slow, "archive.reextract_speedup").met is False


def test_splice_replaces_a_section_or_inserts_it_before_the_fixes() -> None:
    document = "# Benchmarks\n\n## Crawl\n\nold crawl\n\n## Profiling and fixes\n\n### a fix\n"
    new = report.Section(title="Web archive and re-extraction", intro="archive intro")
    measured = report.Report(machine.capture(), "python -m bench.run --only archive --splice", 1.0, False, [new])
    once = report.splice(document, measured)
    assert once.index("## Crawl") < once.index("## Web archive") < once.index("## Profiling and fixes")
    assert "archive intro (Measured on its own by `python -m bench.run --only archive --splice`" in once
    again = report.splice(once, measured)
    assert again.count("## Web archive and re-extraction") == 1 and "old crawl" in again


def test_splice_puts_the_parts_figures_into_the_targets_table() -> None:
    document = (
        "# Benchmarks\n\n## Targets\n\n| figure | target | measured | verdict | what was done |\n|---|---|---|---|---|\n"
        "| kept figure | ≤ 1 | 0.5 | met |  |\n| replaced figure | ≥ 2 | 1.0 | **not met** | old note |\n\n"
        "## Machine and versions\n\n## Profiling and fixes\n"
    )
    figures = [report.Figure("a.replaced", "replaced figure", "3.0", "≥ 2", True),
               report.Figure("a.new", "new figure", "7", "≤ 9", True)]
    measured = report.Report(machine.capture(), "python -m bench.run --only archive --splice", 1.0, False,
                             [report.Section(title="Part", intro="intro", figures=figures)])
    spliced = report.splice(document, measured)
    targets = spliced[spliced.index("## Targets"):spliced.index("## Machine")]
    assert "| kept figure | ≤ 1 | 0.5 | met |  |" in targets
    assert "| replaced figure | ≥ 2 | 3.0 | met |  |" in targets and "old note" not in targets
    assert "| new figure | ≤ 9 | 7 | met |  |" in targets
    assert report.splice(spliced, measured).count("| replaced figure |") == 1
