"""The crawl command's exit status: run-health warnings fail it (unless relaxed), a crawl that cannot run too."""

from __future__ import annotations

import sqlite3

import pytest

from arabpress_crawler import db as db_api

pytestmark = pytest.mark.slow


def database_with_a_fruitful_run(path, articles: int = 60) -> None:
    db = db_api.open_db(path)
    run_id = db_api.start_run(db, base_url="http://127.0.0.1:1")
    db_api.finish_run(db, run_id, db_api.RunSummary("finished", "finished", pages=80, articles_new=articles))
    db.close()


def test_a_run_that_finds_nothing_fails_unless_warnings_are_relaxed(demo_site, serve, temp_db, crawl):
    database_with_a_fruitful_run(temp_db)
    server = serve(demo_site)
    server.set_fault("*", "status", code=404)  # the site is gone

    strict = crawl(server.base_url, temp_db, "--quiet")
    relaxed = crawl(server.base_url, temp_db, "--quiet", "--no-fail-on-warnings")

    assert strict.returncode == 1
    assert strict.stderr.startswith("warning: last run #2 (started ")
    assert "found no articles; run #1 found 60" in strict.stderr
    assert strict.stdout == ""  # --quiet: no summary table
    assert relaxed.returncode == 0
    assert relaxed.stderr.startswith("warning: last run #3 (started ")
    assert "Traceback" not in strict.stderr + relaxed.stderr


def test_a_crawl_that_cannot_run_is_one_error_line(mirror, temp_db, crawl):
    with sqlite3.connect(temp_db) as connection:  # a database written by a newer arabpress
        connection.execute("CREATE TABLE schema_version (version INTEGER)")
        connection.execute("INSERT INTO schema_version VALUES (999)")
    run = crawl(mirror.base_url, temp_db)
    assert run.returncode == 1
    assert run.stderr.startswith(f"error: the crawl could not run on {temp_db}: database schema version 999 is newer")
    assert run.stderr.count("\n") == 1
    assert run.stdout == ""
