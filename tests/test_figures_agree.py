"""One set of figures (issue 15, item 4): the crawl's summary, the run record, `arabpress stats` and the
export counts say the same numbers for the same crawl, and each says what it counts.

The crawl is of the packaged mirror, which has a broken link (a 404: one error), a republished copy (stored
as an alias) and a lightly edited copy (a near-duplicate).
"""

from __future__ import annotations

import json
import re
import subprocess

import pytest
from conftest import CRAWL_TIMEOUT_SECONDS, arabpress_command, clean_env, read_rows

pytestmark = pytest.mark.slow

_ROW = re.compile(r"^\W*(?P<label>[^│|]+?)\s*[│|]\s*(?P<value>[^│|]+?)\s*[│|]?\W*$")


def summary_figures(stdout: str) -> dict[str, str]:
    """The rows of the crawl's summary table: label → value."""
    rows = {}
    for line in stdout.splitlines():
        match = _ROW.match(line)
        if match:
            rows[match["label"]] = match["value"]
    return rows


def arabpress(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(arabpress_command(*args), env=clean_env(), capture_output=True, text=True,
                          timeout=CRAWL_TIMEOUT_SECONDS)


def test_summary_run_record_stats_and_exports_agree(crawled_db_copy, crawled_mirror):
    summary = summary_figures(crawled_mirror.run.stdout)
    run = read_rows(crawled_db_copy, "SELECT * FROM crawl_runs ORDER BY id DESC LIMIT 1")[0]
    stored = read_rows(crawled_db_copy, "SELECT count(*) AS n, count(duplicate_of) AS near FROM articles")[0]
    aliases = read_rows(crawled_db_copy, "SELECT count(*) AS n FROM url_aliases WHERE kind = 'content'")[0]["n"]

    assert run["errors"] >= 1, "the mirror's broken link is an error"
    assert int(summary["errors (as in the run record)"]) == run["errors"]
    assert int(summary["pages fetched"]) == run["pages"]
    assert int(summary["articles new"]) == run["articles_new"] == stored["n"]
    duplicates = int(summary["duplicates caught (aliases + near-duplicates)"])
    assert duplicates == run["duplicates"] == run["duplicates_alias"] + run["duplicates_near"]
    assert run["duplicates_near"] == stored["near"] and run["duplicates_alias"] == aliases
    assert "article pages fetched" not in summary, "requests queued are not pages fetched"

    stats = arabpress("stats", "--db", str(crawled_db_copy)).stdout
    assert re.search(rf"\barticles\s*[│|]\s*{stored['n'] - stored['near']}\b", stats)
    assert re.search(rf"\bduplicates\s*[│|]\s*{stored['near']}\b", stats)

    originals = arabpress("export", "--db", str(crawled_db_copy), "--format", "jsonl", "-o", "-")
    everything = arabpress("export", "--db", str(crawled_db_copy), "--format", "jsonl", "--include-duplicates",
                           "-o", "-")
    assert len(originals.stdout.splitlines()) == stored["n"] - stored["near"]
    assert len(everything.stdout.splitlines()) == stored["n"]
    assert all(json.loads(line)["url"] for line in everything.stdout.splitlines())


def test_related_export_says_what_it_leaves_out(crawled_db_copy, tmp_path):
    total = read_rows(crawled_db_copy, "SELECT count(*) AS n FROM related_headlines")[0]["n"]
    result = arabpress("export", "--db", str(crawled_db_copy), "--table", "related", "-o", str(tmp_path / "r.csv"))
    assert result.returncode == 0, result.stderr
    written = len((tmp_path / "r.csv").read_text(encoding="utf-8").splitlines()) - 1
    if written < total:
        assert f"{total - written} rows of near-duplicate copies left out" in result.stderr
        assert "--include-duplicates" in result.stderr


def test_an_interrupted_crawl_reports_what_it_stored(serve, demo_site, tmp_path):
    """Ctrl-C (SIGINT) in the middle of a crawl with a 404 in it: the summary, the run record and the
    database agree on the articles stored before the stop and on the errors."""
    import signal
    import time

    from conftest import read_rows as rows_of

    server = serve(demo_site)
    # Articles of October and November answer only after a minute, far beyond the mirror profile's 10 s
    # download timeout: whenever SIGINT lands, they are not stored (in flight, they time out; queued, they
    # are never asked), however loaded the machine is. With a short delay they could all be done by then.
    server.set_fault("/2025/1*", "slow", seconds=60)
    db = tmp_path / "interrupted.db"
    crawl = subprocess.Popen(
        arabpress_command("crawl", "--base-url", server.base_url, "--db", str(db), "--mirror-profile",
                          "--log-file", str(tmp_path / "crawl.log")),
        env=clean_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        deadline = time.monotonic() + CRAWL_TIMEOUT_SECONDS
        while time.monotonic() < deadline:  # some articles stored, the slow ones still to come
            try:
                if rows_of(db, "SELECT count(*) AS n FROM articles")[0]["n"] >= 5:
                    break
            except Exception:  # noqa: BLE001 - the database may not exist yet
                pass
            time.sleep(0.2)
        crawl.send_signal(signal.SIGINT)
        stdout, stderr = crawl.communicate(timeout=CRAWL_TIMEOUT_SECONDS)
    finally:
        if crawl.poll() is None:
            crawl.kill()
            crawl.wait()
    summary = summary_figures(stdout)
    run = rows_of(db, "SELECT * FROM crawl_runs ORDER BY id DESC LIMIT 1")[0]
    stored = rows_of(db, "SELECT count(*) AS n FROM articles")[0]["n"]
    assert run["status"] == "interrupted", (run["status"], run["finish_reason"], stderr[-500:])
    assert 0 < stored < 62
    assert int(summary["articles new"]) == run["articles_new"] == stored
    assert int(summary["errors (as in the run record)"]) == run["errors"]
    assert int(summary["duplicates caught (aliases + near-duplicates)"]) == run["duplicates"]
