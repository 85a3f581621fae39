"""Run health (``health.problems``), ``arabpress check`` and ``arabpress stats``."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from click.testing import CliRunner
from test_export_sample import add_run, build_sample_db

from arabpress_crawler import db as db_api
from arabpress_crawler import health
from arabpress_crawler.cli import cli

HEALTHY = {"title": 1.0, "body": 1.0, "published_at": 1.0}


def runs_db(path: Path, *runs: dict) -> Path:
    """A database holding only the given runs (``add_run`` keyword sets), oldest first."""
    db = db_api.open_db(path)
    try:
        for run in runs:
            add_run(db, **run)
    finally:
        db.close()
    return path


def problems_of(tmp_path: Path, *runs: dict, recent: int = health.DEFAULT_RECENT_RUNS) -> list[str]:
    return health.problems(str(runs_db(tmp_path / "runs.db", *runs)), recent=recent)


def test_healthy_runs_have_no_problems(tmp_path):
    assert problems_of(tmp_path, {}, {}, {}) == []


def test_no_run_at_all_is_a_problem(tmp_path):
    found = problems_of(tmp_path)
    assert found == ["no finished crawl run recorded: run `arabpress crawl` first"]


@pytest.mark.parametrize("status", [db_api.RUN_FAILED, db_api.RUN_INTERRUPTED])
def test_failed_or_interrupted_last_run(tmp_path, status):
    found = problems_of(tmp_path, {}, {"status": status, "finish_reason": "closespider_errorcount"})
    assert len(found) == 1
    assert found[0].startswith(f"last run #2 (started 2025-11-10T08:00:00Z) {status}")
    assert "closespider_errorcount" in found[0]


def test_an_earlier_failure_is_not_reported(tmp_path):
    assert problems_of(tmp_path, {"status": db_api.RUN_FAILED}, {}) == []


def test_a_run_still_running_is_ignored(tmp_path):
    path = runs_db(tmp_path / "runs.db", {}, {"status": db_api.RUN_FAILED})
    db = db_api.open_db(path)
    try:
        # A row left "running" (a crawl in progress): the check judges the last finished run.
        db.execute("INSERT INTO crawl_runs(started_at, status) VALUES ('2025-11-11T00:00:00Z', 'running')")
        found = health.problems(db)
    finally:
        db.close()
    assert len(found) == 1 and "run #2" in found[0] and "failed" in found[0]


def test_no_articles_found_where_earlier_runs_found_some(tmp_path):
    found = problems_of(tmp_path, {}, {}, {"requested": 0, "known": 0, "new": 0, "coverage": {}})
    assert len(found) == 1
    assert "found no articles; run #2 found 8" in found[0]


def test_incremental_run_that_fetched_nothing_new_is_healthy(tmp_path):
    # Every article link was known and not fetched again: nothing stored, nothing wrong.
    assert problems_of(tmp_path, {}, {}, {"requested": 0, "known": 8, "new": 0, "coverage": {}}) == []


def test_empty_first_runs_are_not_a_problem(tmp_path):
    assert problems_of(tmp_path, {"requested": 0, "new": 0, "coverage": {}}) == []


@pytest.mark.parametrize("field", ["title", "body", "published_at"])
def test_coverage_drop_is_a_template_change(tmp_path, field):
    dropped = {**HEALTHY, field: 0.5}
    found = problems_of(tmp_path, {}, {}, {}, {"coverage": dropped})
    assert found == [
        f"{field} coverage fell to 50% from a median of 100% over the last 3 runs (run #4): "
        "the page template probably changed"
    ]


def test_site_layer_drop_is_a_template_change(tmp_path):
    found = problems_of(tmp_path, {}, {}, {"site_share": 0.25})
    assert len(found) == 1
    assert found[0].startswith("site-layer extraction fell to 25% from a median of 100%")


def test_small_dips_are_tolerated(tmp_path):
    assert problems_of(tmp_path, {}, {}, {"coverage": {**HEALTHY, "body": 0.9}, "site_share": 0.85}) == []


def test_runs_too_small_to_judge_coverage(tmp_path):
    assert problems_of(tmp_path, {}, {}, {"new": 2, "requested": 2, "known": 6, "coverage": {"title": 0.0}}) == []


def test_median_is_over_the_recent_runs_only(tmp_path):
    history = [{}] * 5 + [{"coverage": {**HEALTHY, "title": 0.5}}] * 4
    assert problems_of(tmp_path, *history, recent=3) == []
    found = problems_of(tmp_path, *history, recent=8)
    assert len(found) == 1 and "median of 100% over the last 8 runs" in found[0]


def test_several_problems_at_once(tmp_path):
    found = problems_of(tmp_path, {}, {}, {"status": db_api.RUN_FAILED, "coverage": {**HEALTHY, "body": 0.1}})
    assert len(found) == 2


def test_run_from_row_reads_the_store_columns():
    run = health.run_from_row(
        {
            "id": 3,
            "status": "finished",
            "articles_new": 4,
            "articles_updated": 2,
            "articles_unchanged": 1,
            "coverage": '{"title": 1.0, "body": 0.5}',
            "extraction_layers": '{"title": {"site": 1.0}, "body": {"generic": 1.0}}',
            "stats": '{"arabpress/articles/requested": 7, "arabpress/skipped/known": 10}',
        }
    )
    assert run.articles_extracted == 7
    assert run.articles_found == 17
    assert run.coverage == {"title": 1.0, "body": 0.5}
    assert run.site_share == pytest.approx(0.5)


def test_run_from_row_survives_missing_or_broken_json():
    run = health.run_from_row({"id": 1, "coverage": "not json", "extraction_layers": None, "articles_new": 3})
    assert run.coverage == {} and run.site_share is None and run.articles_found == 3


def test_articles_per_day_fills_gaps_and_leaves_duplicates_out(tmp_path):
    db = db_api.open_db(build_sample_db(tmp_path / "sample.db"))
    try:
        points = health.articles_per_day(db, days=7, today=dt.date(2025, 11, 20))
    finally:
        db.close()
    assert points == [
        ("2025-11-03", 0),
        ("2025-11-04", 0),
        ("2025-11-05", 1),
        ("2025-11-06", 2),
        ("2025-11-07", 2),
        ("2025-11-08", 0),  # only a near-duplicate that day
        ("2025-11-09", 1),
    ]


# --- arabpress check ------------------------------------------------------------------------------


def test_check_ok(tmp_path):
    path = runs_db(tmp_path / "runs.db", {}, {})
    result = CliRunner().invoke(cli, ["check", "--db", str(path)])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("ok: run #2 (started 2025-11-10T08:00:00Z) finished: 13 pages, 8 articles seen")


def test_check_reports_one_line_per_problem_and_exits_1(tmp_path):
    path = runs_db(tmp_path / "runs.db", {}, {}, {"status": db_api.RUN_INTERRUPTED, "coverage": {**HEALTHY, "title": 0.2}})
    result = CliRunner().invoke(cli, ["check", "--db", str(path)])
    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    assert len(lines) == 2
    assert "interrupted" in lines[0] and "title coverage fell to 20%" in lines[1]


def test_check_on_a_database_without_runs(tmp_path):
    path = runs_db(tmp_path / "runs.db")
    result = CliRunner().invoke(cli, ["check", "--db", str(path)])
    assert result.exit_code == 1
    assert "no finished crawl run recorded" in result.output


def test_check_missing_database(tmp_path):
    result = CliRunner().invoke(cli, ["check", "--db", str(tmp_path / "none.db")])
    assert result.exit_code == 1
    assert result.output.strip().count("\n") == 0 and "no database at" in result.output


# --- arabpress stats ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def stats_output(tmp_path_factory) -> str:
    path = build_sample_db(tmp_path_factory.mktemp("stats") / "sample.db",
                           runs=[{}, {"status": db_api.RUN_FAILED, "started_at": "2025-11-11T08:00:00Z"}])
    result = CliRunner().invoke(cli, ["stats", "--db", str(path)])
    assert result.exit_code == 0, result.output
    return result.output


def test_stats_totals_sections_languages(stats_output):
    for expected in ("Totals", "articles", "duplicates", "headlines", "article_revisions",
                     "Sections", "Politics", "سياسة", "Languages", " ar ", " en "):
        assert expected in stats_output, expected


def test_stats_draws_articles_per_day(stats_output):
    assert "Articles per day, last 28 days" in stats_output
    assert any(block in stats_output for block in "▁▂▃▄▅▆▇█")
    assert "total 6, peak 2" in stats_output


def test_stats_lists_runs_with_their_health(stats_output):
    assert "Last runs" in stats_output and "#2" in stats_output and "#1" in stats_output
    assert "failed" in stats_output
    assert "Health: problems:" in stats_output
    assert "last run #2 (started 2025-11-11T08:00:00Z) failed" in stats_output


def test_stats_is_plain_text_when_not_a_terminal(stats_output):
    assert "\x1b[" not in stats_output
    assert "+--" in stats_output or "|" in stats_output


def test_stats_missing_database(tmp_path):
    result = CliRunner().invoke(cli, ["stats", "--db", str(tmp_path / "none.db")])
    assert result.exit_code == 1 and "no database at" in result.output
