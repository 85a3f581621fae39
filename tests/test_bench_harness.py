"""The benchmark harness (``bench/``, issue 7) on tiny inputs: helpers, the document, and a small real run.

Nothing here asserts a speed: the figures come from ``make bench``. These tests check that each piece
measures something, summarises it correctly and writes it down.
"""

from __future__ import annotations

import os
import sqlite3
import sys
from pathlib import Path

import pytest

from arabpress_mirror.layout import url_to_file
from bench import crawls, extraction, machine, mirror, report, stages, stats, storage
from bench.process import CommandFailed, run_measured, shell_line
from bench.run import failed_section, ordered

ROOT = Path(__file__).resolve().parent.parent

MIB = 1024 * 1024
ALLOCATED_MIB = 64
TINY_ARTICLES = 20


# -- statistics ------------------------------------------------------------------------------------------------


def test_summarize_gives_median_min_max_and_run_count() -> None:
    summary = stats.summarize([3.0, 1.0, 2.0, 10.0])
    assert (summary.median, summary.minimum, summary.maximum, summary.runs) == (2.5, 1.0, 10.0, 4)


def test_summarize_refuses_no_values() -> None:
    with pytest.raises(ValueError):
        stats.summarize([])


def test_percentile_is_nearest_rank() -> None:
    values = list(range(1, 101))
    assert stats.percentile(values, 0.95) == 95
    assert stats.percentile(values, 0.5) == 50
    assert stats.percentile([7.0], 0.95) == 7.0
    with pytest.raises(ValueError):
        stats.percentile(values, 0)


def test_repeat_calls_the_measure_once_per_run_with_its_index() -> None:
    seen: list[int] = []

    def measure(index: int) -> float:
        seen.append(index)
        return float(index * 10)

    summary = stats.repeat(measure, runs=3)
    assert seen == [0, 1, 2]
    assert (summary.median, summary.minimum, summary.maximum) == (10.0, 0.0, 20.0)


def test_summary_format_and_scaling() -> None:
    summary = stats.summarize([0.5, 1.0, 2.0])
    assert summary.format(1, "s") == "1.0 s (min 0.5, max 2.0, 3 runs)"
    assert summary.format(2, "×").startswith("1.00× ")
    assert stats.summarize([4.0]).format(0) == "4 (1 run)"
    assert summary.scaled(1000).median == 1000.0


# -- machine and processes -------------------------------------------------------------------------------------


def test_machine_capture_names_the_hardware_and_versions() -> None:
    found = machine.capture()
    rows = dict(found.rows())
    assert found.cores >= 1
    assert found.memory_bytes > 0
    assert rows["scrapy"] != "not installed"
    assert rows["SQLite"].count(".") >= 2


def test_cpu_model_reads_cpuinfo(tmp_path: Path) -> None:
    cpuinfo = tmp_path / "cpuinfo"
    cpuinfo.write_text("processor\t: 0\nmodel name\t: Test CPU @ 2.0GHz\n", encoding="utf-8")
    assert machine.cpu_model(cpuinfo) == "Test CPU @ 2.0GHz"


def test_run_measured_reports_the_child_peak_rss_and_exit_code() -> None:
    allocate = f"x = bytearray({ALLOCATED_MIB} * 1024 * 1024); print(len(x))"
    measured = run_measured([sys.executable, "-c", allocate]).check()
    assert measured.peak_rss_bytes >= ALLOCATED_MIB * MIB
    assert measured.stdout.strip() == str(ALLOCATED_MIB * MIB)
    assert measured.wall_seconds > 0 and measured.cpu_seconds >= 0
    failing = run_measured([sys.executable, "-c", "import sys; print('boom', file=sys.stderr); sys.exit(3)"])
    assert failing.returncode == 3
    with pytest.raises(CommandFailed, match="boom"):
        failing.check()


def test_run_measured_peak_is_the_command_s_own_not_its_parent_s() -> None:
    # On Linux a forked child's ru_maxrss starts from its parent's RSS: the harness must not report that.
    ballast = bytearray(4 * ALLOCATED_MIB * MIB)
    ballast[:: 4096] = b"\x01" * len(ballast[:: 4096])  # touch every page so it is resident
    measured = run_measured([sys.executable, "-c", "pass"]).check()
    assert 0 < measured.peak_rss_bytes < ALLOCATED_MIB * MIB
    del ballast


def test_run_measured_kills_a_command_past_its_timeout() -> None:
    with pytest.raises(CommandFailed, match="longer than"):
        run_measured([sys.executable, "-c", "import time; time.sleep(30)"], timeout=0.5)


def test_shell_line_shortens_the_venv_and_repository_paths() -> None:
    line = shell_line([str(Path(sys.executable).parent / "arabpress"), "crawl", "--db", str(ROOT / "x.db")])
    assert line == "arabpress crawl --db x.db"


# -- the document ----------------------------------------------------------------------------------------------


def _report(sections: list[report.Section], findings: report.Findings | None = None) -> report.Report:
    return report.Report(
        machine=machine.capture(),
        command="make bench",
        duration_seconds=125.0,
        quick=False,
        sections=sections,
        findings=findings or report.Findings(),
    )


def test_render_lists_every_target_with_its_verdict_and_note(tmp_path: Path) -> None:
    section = report.Section(
        title="Crawl throughput",
        intro="Pairs of crawls.",
        headers=("crawler", "pages/s"),
        rows=[("full", "80.0"), ("bare | raw", "100.0")],
        commands=["arabpress crawl --mirror-profile"],
        figures=[
            report.Figure("crawl.ratio", "Throughput ratio", "0.80×", "≥ 0.8×", True),
            report.Figure("crawl.rss", "Peak RSS", "300 MiB", "≤ 250 MiB", False),
            report.Figure("store.rate", "Insert rate", "failed", "measured", None),
        ],
    )
    findings = report.Findings(notes={"crawl.rss": "profiled: the dedupe window dominates"})
    text = report.render(_report([section], findings))
    assert text.startswith("# Benchmarks\n")
    assert "in 2 min 05 s" in text
    assert "| Throughput ratio | ≥ 0.8× | 0.80× | met |  |" in text
    assert "| Peak RSS | ≤ 250 MiB | 300 MiB | **not met** | profiled: the dedupe window dominates |" in text
    assert "not measured" in text
    assert "bare \\| raw" in text  # table cells are escaped
    assert "## Machine and versions" in text and "| cores |" in text
    assert "```\narabpress crawl --mirror-profile\n```" in text
    written = report.write(_report([section], findings), tmp_path / "docs" / "benchmarks.md")
    assert written.read_text(encoding="utf-8") == text
    assert not list(written.parent.glob("*.part"))


def test_findings_file_feeds_the_fixes_section(tmp_path: Path) -> None:
    path = tmp_path / "findings.toml"
    path.write_text(
        '[notes]\n"crawl.ratio" = "see the canonicalisation fix"\n\n'
        '[[fix]]\ntitle = "Cache URL canonicalisation"\nprofile = "urls 28%"\nchange = "lru_cache"\n'
        'before = "0.45x"\nafter = "0.7x"\ncommit = "abc1234"\n',
        encoding="utf-8",
    )
    findings = report.load_findings(path)
    assert findings.notes == {"crawl.ratio": "see the canonicalisation fix"}
    text = report.render(_report([], findings))
    assert "### Cache URL canonicalisation (abc1234)" in text
    assert "- before: 0.45x" in text and "- after: 0.7x" in text
    assert report.load_findings(tmp_path / "missing.toml") == report.Findings()


def test_saved_measurements_render_again_with_new_findings(tmp_path: Path) -> None:
    section = report.Section(
        title="Crawl memory", intro="Peak RSS.", headers=("process", "peak RSS"), rows=[("full", "200 MiB")],
        commands=["arabpress crawl"], figures=[report.Figure("crawl.rss", "Peak RSS", "200 MiB", "≤ 250 MiB", True)],
    )
    original = _report([section])
    saved = report.save_measurements(original, tmp_path / "benchmarks.json")
    findings = report.Findings(notes={"crawl.rss": "a note added after the run"})
    again = report.load_measurements(saved, findings)
    assert again.sections == original.sections and again.machine == original.machine
    assert "a note added after the run" in report.render(again)
    assert report.render(again).replace("  - a note added after the run\n", "") == report.render(original)


def test_committed_findings_file_parses() -> None:
    findings = report.load_findings()
    assert all(fix.title and fix.before and fix.after for fix in findings.fixes)


def test_sections_follow_the_issue_order_and_failures_are_shown() -> None:
    titles = ["Scale curve", "Extraction cost", "Crawl throughput: full pipeline vs bare Scrapy"]
    sections = ordered([report.Section(title=title, intro="") for title in titles])
    assert [s.title for s in sections] == [titles[2], titles[1], titles[0]]
    failed = failed_section("crawl", RuntimeError("the server did not start\nmore"))
    assert failed.figures[0].met is None
    assert "the server did not start" in failed.intro and "more" not in failed.intro


# -- mirrors, extraction, store --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def tiny_mirror(tmp_path_factory: pytest.TempPathFactory) -> mirror.Mirror:
    cache = tmp_path_factory.mktemp("mirrors")
    generated = mirror.generated_mirror(TINY_ARTICLES, seed=1, cache=cache)
    assert generated.generated is not None
    again = mirror.generated_mirror(TINY_ARTICLES, seed=1, cache=cache)
    assert again.root == generated.root and again.generated is None  # the cache is reused
    return generated


def test_working_copy_edits_never_reach_the_cached_mirror(tiny_mirror: mirror.Mirror, tmp_path: Path) -> None:
    copy = mirror.working_copy(tiny_mirror.root, tmp_path / "served")
    [article] = mirror.choose_edits(mirror.editable_articles(tiny_mirror), 1, 0)
    page, cached = url_to_file(copy, article.path), url_to_file(tiny_mirror.root, article.path)
    original = cached.read_bytes()
    assert os.path.samefile(page, cached)
    edited = mirror.edit_articles(copy, [article], "[test edit]")
    assert edited == [article.path]
    assert "[test edit]" in page.read_text(encoding="utf-8")
    assert cached.read_bytes() == original


def test_choose_edits_spreads_and_changes_the_set_each_round() -> None:
    candidates = list(range(100))
    first = mirror.choose_edits(candidates, 5, 0)
    second = mirror.choose_edits(candidates, 5, 1)
    assert len(first) == len(second) == 5
    assert not set(first) & set(second)
    assert max(first) - min(first) >= 50


def test_extraction_bench_times_each_kind(tiny_mirror: mirror.Mirror) -> None:
    section = extraction.run(tiny_mirror.root, sample=5)
    assert [row[0] for row in section.rows] == list(extraction.KINDS)
    assert {figure.key for figure in section.figures} == {"extraction.site_median", "extraction.speedup"}
    assert all(figure.met is not None for figure in section.figures)
    assert "site" in section.notes[0]


def test_sample_pages_are_article_pages_with_public_urls(tiny_mirror: mirror.Mirror) -> None:
    pages = extraction.sample_pages(tiny_mirror.root, 4)
    assert len(pages) == 4
    assert all(page.url.startswith(extraction.MIRROR_ORIGIN + "/") and page.url.endswith("/") for page in pages)
    assert not any("/amp/" in page.url for page in pages)


def test_stage_times_cover_every_stage(tiny_mirror: mirror.Mirror, tmp_path: Path) -> None:
    times = stages.measure(tiny_mirror.root, tmp_path, sample=5, runs=1)
    assert set(times.per_stage_ms) == set(stages.STAGES)
    assert all(summary.median > 0 for summary in times.per_stage_ms.values())
    section = stages.section(times, stats.summarize([3.0]), stats.summarize([8.0]))
    assert [row[0] for row in section.rows] == [*stages.STAGES, "all stages"]
    assert "0.75 ms per page" in section.notes[0]


def test_store_bench_fills_measures_and_exports(tmp_path: Path) -> None:
    plan = storage.StorePlan(levels=(20, 40), window=10, export_sizes=(20,), runs=1)
    result = storage.measure_store(tmp_path, plan)
    assert set(result.rates) == {20, 40} and all(rate.median > 0 for rate in result.rates.values())
    assert result.articles == 50 and result.bytes_per_article > 0
    with sqlite3.connect(result.snapshots[20]) as conn:
        assert conn.execute("SELECT count(*) FROM articles").fetchone()[0] == 20
    exported = storage.measure_export(result.snapshots[20], 20, "csv", tmp_path, runs=1)
    assert exported.rss_mib.median > 0 and "arabpress export" in exported.command
    sections = [storage.scale_section(result, plan), storage.export_section([exported])]
    assert [figure.key for section in sections for figure in section.figures] == ["store.rate_drop", "export.csv_rss"]


def _crawl_run(paths: list[str], updated: int) -> crawls.CrawlRun:
    from collections import Counter

    return crawls.CrawlRun("edited", len(paths) + 5, 1.0, 2.0, 1.0, 100.0,
                           Counter({"/": 1, "/feed/": 1, **dict.fromkeys(paths, 1)}), {}, "arabpress crawl",
                           {"articles_updated": updated})


def test_edit_round_is_exact_when_only_edited_stored_articles_are_refetched() -> None:
    edited = ["/2020/01/01/a/", "/2020/01/02/%D8%A8/"]
    known = {"/2020/01/01/a/", "/2020/01/02/ب/", "/2020/01/03/c/"}
    fine = crawls.EditRound(edited, _crawl_run(["/2020/01/01/a/", "/2020/01/02/ب/", "/2021/05/05/new/"], 2), 2, known)
    assert fine.exact and fine.discovered == {"/2021/05/05/new/"}
    extra = crawls.EditRound(edited, _crawl_run(["/2020/01/01/a/", "/2020/01/02/ب/", "/2020/01/03/c/"], 2), 2, known)
    assert not extra.exact and extra.refetched - extra.edited_paths == {"/2020/01/03/c/"}
    missed = crawls.EditRound(edited, _crawl_run(["/2020/01/01/a/"], 1), 1, known)
    assert not missed.exact


# -- a tiny crawl-vs-bare run ----------------------------------------------------------------------------------


@pytest.mark.slow
def test_quick_crawl_vs_bare_run_yields_every_crawl_figure(tiny_mirror: mirror.Mirror, tmp_path: Path) -> None:
    plan = crawls.CrawlPlan(articles=TINY_ARTICLES, runs=1, scale=(TINY_ARTICLES,))
    cache = tiny_mirror.root.parent
    main = crawls.measure_main(plan, tmp_path, cache)
    [full], [bare], [again], [edit] = main.full, main.bare, main.incremental, main.edits
    assert full.pages > TINY_ARTICLES and full.rate > 0 and bare.rate > 0
    assert sum(full.article_requests.values()) == sum(bare.article_requests.values())
    assert full.rss_mib > 0 and full.run_record["articles_new"] > 0
    assert sum(again.article_requests.values()) == 0
    assert edit.exact, (edit.edited, edit.fetched)
    scale = crawls.measure_scale(plan, tmp_path, crawls.ScalePoint(full, bare), cache)
    sections = [crawls.throughput_section(main, plan), crawls.incremental_section(main, plan),
                crawls.memory_section(main), crawls.scale_section(scale, plan)]
    keys = {figure.key: figure for section in sections for figure in section.figures}
    assert set(keys) == {"crawl.ratio", "crawl.ratio_inline", "incremental.articles", "incremental.share", "incremental.edits",
                         "crawl.rss", "scale.linear"}
    assert keys["incremental.articles"].met and keys["incremental.edits"].met
    assert all(figure.met is not None for figure in keys.values())


def test_a_figure_shown_for_context_is_not_called_met() -> None:
    from bench.report import CONTEXT_ONLY, MET, Figure

    context = Figure("crawl.ratio_inline", "inline / bare", "0.39×", CONTEXT_ONLY, True)
    assert context.verdict != MET
    assert context.verdict == "context only"
    assert Figure("crawl.ratio", "full / bare", "0.62×", "≥ 0.8×", False).verdict == "**not met**"
