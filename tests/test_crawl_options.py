"""The crawl command's input checks, lock, settings and retry back-off, without crawling."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner
from scrapy.settings import Settings

from arabpress_crawler import crawling
from arabpress_crawler.cli import cli
from arabpress_crawler.crawling import CrawlInputError, CrawlOptions
from arabpress_crawler.middlewares import BackoffRetryMiddleware, parse_retry_after
from arabpress_crawler.profiles import MIRROR, ProfileAddon, UnknownProfileError

LOCK_HOLDER = """
import sys, time
from pathlib import Path
from arabpress_crawler.crawling import crawl_lock
with crawl_lock(Path(sys.argv[1]), wait=False) as locked:
    print("locked" if locked else "busy", flush=True)
    time.sleep(float(sys.argv[2]))
"""


def test_good_options_are_made_absolute(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    checked = crawling.check_options(CrawlOptions(base_url="http://127.0.0.1:9/", db=Path("data/x.db")))
    assert checked.db == tmp_path / "data" / "x.db"
    assert checked.arguments.base_url == "http://127.0.0.1:9"
    assert not checked.db.exists(), "checking must not create the database"


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"since": "yesterday"}, "YYYY-MM-DD"),
        ({"base_url": "data:text/html,hi"}, "not an http(s) URL"),
        ({"max_pages": 0}, "at least 1"),
    ],
)
def test_bad_options_raise_one_clear_error(tmp_path, options, message):
    with pytest.raises(CrawlInputError) as error:
        crawling.check_options(CrawlOptions(db=tmp_path / "a.db", **options))
    assert message in str(error.value)
    assert "\n" not in str(error.value)


def test_a_directory_or_a_non_sqlite_file_is_refused_and_left_alone(tmp_path):
    with pytest.raises(CrawlInputError, match="is a directory"):
        crawling.check_options(CrawlOptions(db=tmp_path))
    precious = tmp_path / "notes.txt"
    precious.write_text("my notes", encoding="utf-8")
    with pytest.raises(CrawlInputError, match="not an SQLite database"):
        crawling.check_options(CrawlOptions(db=precious))
    assert precious.read_text(encoding="utf-8") == "my notes"


def test_an_existing_database_is_accepted_untouched(tmp_path):
    # An empty SQLite database is accepted without a change; one holding another program's tables is refused
    # unchanged (issue 12 item 6: it used to get arabpress's tables added).
    db = tmp_path / "a.db"
    with sqlite3.connect(db) as connection:
        connection.execute("PRAGMA user_version = 7")  # a real SQLite file, with no table
    before = db.read_bytes()
    crawling.check_options(CrawlOptions(db=db))
    assert db.read_bytes() == before
    with sqlite3.connect(db) as connection:
        connection.execute("CREATE TABLE t (x)")
    before = db.read_bytes()
    with pytest.raises(CrawlInputError, match="not an arabpress database"):
        crawling.check_options(CrawlOptions(db=db))
    assert db.read_bytes() == before


@pytest.mark.parametrize(
    "args",
    [
        ["--since", "2025-02-30"],
        ["--base-url", "ftp://example.org"],
        ["--db", "/proc/no/such/dir/a.db"],
        ["--max-pages", "-3"],
    ],
)
def test_cli_bad_input_is_one_line_without_traceback(tmp_path, args):
    result = CliRunner().invoke(cli, ["crawl", "--log-file", str(tmp_path / "c.log"), *args])
    assert result.exit_code != 0
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    error_lines = [line for line in result.output.splitlines() if line.startswith("Error:")]
    assert len(error_lines) == 1, result.output


def test_lock_is_exclusive_across_processes(tmp_path):
    db = tmp_path / "a.db"
    holder = subprocess.Popen(
        [sys.executable, "-c", LOCK_HOLDER, str(db), "30"], stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout.readline().strip() == "locked"
        with crawling.crawl_lock(db, wait=False) as locked:
            assert locked is False
    finally:
        holder.kill()
        holder.wait()
    # The OS released the killed holder's lock.
    with crawling.crawl_lock(db, wait=False) as locked:
        assert locked is True


def test_cli_says_a_crawl_is_running_and_exits_zero(tmp_path):
    db = tmp_path / "a.db"
    holder = subprocess.Popen(
        [sys.executable, "-c", LOCK_HOLDER, str(db), "30"], stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout.readline().strip() == "locked"
        result = CliRunner().invoke(cli, ["crawl", "--db", str(db), "--log-file", str(tmp_path / "c.log")])
    finally:
        holder.kill()
        holder.wait()
    assert result.exit_code == 0
    assert result.output.strip() == f"a crawl is already running on {db}"


def test_mirror_profile_overrides_project_settings_but_not_the_command_line():
    settings = Settings()
    settings.setmodule("arabpress_crawler.settings", priority="project")
    settings.set("ARABPRESS_PROFILE", "mirror", priority="cmdline")
    settings.set("CONCURRENT_REQUESTS", 3, priority="cmdline")
    ProfileAddon().update_settings(settings)
    assert settings.getbool("AUTOTHROTTLE_ENABLED") is False
    assert settings.getfloat("DOWNLOAD_DELAY") == 0.0
    assert settings.getint("CONCURRENT_REQUESTS_PER_DOMAIN") == MIRROR["CONCURRENT_REQUESTS_PER_DOMAIN"]
    assert settings.getint("CONCURRENT_REQUESTS") == 3


def test_polite_defaults_and_unknown_profile():
    settings = Settings()
    settings.setmodule("arabpress_crawler.settings", priority="project")
    assert settings.getbool("ROBOTSTXT_OBEY") and settings.getbool("AUTOTHROTTLE_ENABLED")
    assert settings.getint("CONCURRENT_REQUESTS_PER_DOMAIN") <= 4
    assert "+http" in settings.get("USER_AGENT")
    assert settings.get("FEED_EXPORT_ENCODING") == "utf-8"
    settings.set("ARABPRESS_PROFILE", "warp-speed", priority="cmdline")
    with pytest.raises(UnknownProfileError, match="mirror"):
        ProfileAddon().update_settings(settings)


@pytest.mark.parametrize(
    ("value", "seconds"),
    [("7", 7.0), (" 0 ", 0.0), ("Wed, 21 Oct 2015 07:28:00 GMT", 60.0), ("soon", None), ("", None), (None, None)],
)
def test_retry_after_header_values(value, seconds):
    now = datetime(2015, 10, 21, 7, 27, 0, tzinfo=UTC)
    assert parse_retry_after(value, now=now) == seconds


def test_retry_waits_back_off_and_are_capped():
    settings = Settings({"RETRY_ENABLED": True, "ARABPRESS_RETRY_BACKOFF": 2.0, "ARABPRESS_RETRY_MAX_WAIT": 10.0})
    middleware = BackoffRetryMiddleware(settings)
    assert middleware.wait_seconds(1, None) == (2.0, False)
    assert middleware.wait_seconds(3, None) == (8.0, False)
    assert middleware.wait_seconds(4, None) == (10.0, True)
    assert middleware.wait_seconds(1, 3.0) == (3.0, False)
    assert middleware.wait_seconds(1, 3600.0) == (10.0, True)
