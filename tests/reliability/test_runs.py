"""Across runs (issue 12, items 1, 4, 5, 6): what a run leaves for the next one, what ``check`` says about
it, ``serve`` while cron crawls write, and database files that are damaged, foreign, read-only or symlinked.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import random
import shutil
import sqlite3
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from arabpress_crawler import crawling, settings
from arabpress_crawler import db as db_api
from arabpress_crawler.cli.serve import build_datasette
from arabpress_crawler.lock import crawl_lock
from arabpress_mirror.server import MirrorServer

from . import harness
from .harness import Article, case_path
from .resume import (
    Schedule,
    count_articles,
    differences,
    generate_mirror,
    killed_run,
    resume_after_kills,
    snapshot,
)
from .test_faults import copy_database

logger = logging.getLogger(__name__)

CATEGORY = "runs"

LATE_STORY = Article(slug="story-published-later", title="Quarry festival published after the first crawl")
LATE_WORD = "quarryfestivalword"


async def datasette_state(ds: Any, name: str) -> tuple[int, int, int]:
    """(status, article count, search hits for the late story's word) as datasette answers now."""
    count = await ds.client.get(f"/{name}.json?sql=select+count(*)+as+n+from+articles&_shape=array")
    search = await ds.client.get(f"/{name}/articles.json?_search={LATE_WORD}&_shape=array")
    status = max(count.status_code, search.status_code)
    if status != 200:
        return status, -1, -1
    return status, json.loads(count.text)[0]["n"], len(json.loads(search.text))


def test_serve_answers_while_cron_crawls_write(tmp_path: Path) -> None:
    """`arabpress serve` (as it builds datasette by default) over a database that a later crawl writes: it
    answers every request while the crawl writes, and afterwards shows the new article (count and full-text
    search) without a restart — no "database disk image is malformed", no stale counts."""
    late = Article(slug=LATE_STORY.slug, title=LATE_STORY.title, body_html=f"<p>{LATE_WORD} " + " ".join(
        LATE_STORY.paragraphs) + "</p>")  # fmt: skip
    root = harness.build_site(tmp_path / "site", {late.path: late.html()}, links=[harness.site_link(late.path)])
    with MirrorServer(root) as server:
        server.set_fault(late.path, "status", code=404)
        first = harness.crawl(server.base_url, tmp_path, name="cron")
        harness.assert_finished(first)
        server.clear_faults()
        ds = build_datasette(first.db_path)
        name = first.db_path.stem

        async def scenario() -> tuple[tuple[int, int, int], list[int], tuple[int, int, int], harness.CrawlResult]:
            await ds.invoke_startup()
            before = await datasette_state(ds, name)
            crawl = asyncio.ensure_future(asyncio.to_thread(harness.crawl, server.base_url, tmp_path, name="cron"))
            during = []
            while not crawl.done():
                during.append((await datasette_state(ds, name))[0])
                await asyncio.sleep(0.05)
            return before, during, await datasette_state(ds, name), await crawl

        before, during, after, second = asyncio.run(scenario())
    harness.assert_finished(second)
    stored = len(second.articles())
    assert before == (200, stored - 1, 0)
    assert set(during) <= {200}, f"datasette failed while the crawl wrote: {during}"
    assert after == (200, stored, 1), f"after the crawl datasette answers {after}, the database holds {stored}"


def test_symlinked_db_path_shares_the_lock(baseline: harness.CrawlResult, tmp_path: Path) -> None:
    """A crawl holds the lock of `data/arabpress.db`; cron starts another through a symlink to it
    (`current.db -> data/arabpress.db`): the second one sees the first and leaves the database alone."""
    data = tmp_path / "data"
    db = copy_database(baseline.db_path, data / "arabpress.db")
    link = tmp_path / "current.db"
    link.symlink_to(db)
    before = db.read_bytes()
    with crawling.crawl_lock(db, wait=False) as locked:
        assert locked
        cli = harness.run_cli(harness.crawl_args(baseline.base_url, link, tmp_path / "second.log"), cwd=tmp_path)
    assert cli.returncode == 0, cli.output
    assert "already running" in cli.output
    assert db.read_bytes() == before, "the second crawl wrote the database the first one holds"


# -- the frontier: nothing lost across runs -----------------------------------------------------------------------

#: A generated mirror with two post sitemaps: the older one is read only when it changes, so many articles are
#: reached through "Related Articles" links only (as on the real site).
GENERATED_ARTICLES = 1_200
CAPPED_PAGES = 300
CAPPED_RUNS = 6
KILL_SCHEDULES = tuple(Schedule.random(seed, GENERATED_ARTICLES, kills=3) for seed in (11, 12))
#: The frontier tries a failed page again at the next run (no back-off wait between the test's runs).
NO_BACKOFF = {"ARABPRESS_FRONTIER_BACKOFF_SECONDS": 0}


@dataclass
class GeneratedSite:
    server: MirrorServer
    full: harness.CrawlResult
    reference: dict[str, list[tuple[Any, ...]]]


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Iterator[GeneratedSite]:
    """The generated mirror, served, and one uninterrupted full crawl of it (the reference database)."""
    workdir = tmp_path_factory.mktemp("generated")
    root = generate_mirror(workdir / "site", GENERATED_ARTICLES)
    with MirrorServer(root) as server:
        full = harness.crawl(server.base_url, workdir / "full", name="full")
        harness.assert_finished(full)
        harness.assert_consistent(full)
        yield GeneratedSite(server, full, snapshot(full.db_path, server.base_url))


def test_capped_runs_reach_what_one_full_crawl_reaches(generated: GeneratedSite, tmp_path: Path) -> None:
    """Six cron runs of `--max-pages 300` on a generated mirror of 1,200 articles (many reachable only through
    related links): each exits 0; together they store exactly the articles, related headlines and aliases one
    full crawl stores, and the frontier is empty at the end."""
    db = tmp_path / "capped.db"
    for number in range(1, CAPPED_RUNS + 1):
        run = harness.crawl(generated.server.base_url, tmp_path, db=db, name="capped",
                            extra_args=("--max-pages", str(CAPPED_PAGES)))  # fmt: skip
        harness.assert_finished(run)
        logger.info("capped run %d: %d articles", number, len(run.articles()))
    harness.assert_consistent(run)
    assert set(run.articles()) == set(generated.full.articles()), "capped runs did not reach the full crawl"
    assert not differences(generated.reference, snapshot(db, generated.server.base_url))


@pytest.mark.parametrize("schedule", KILL_SCHEDULES, ids=lambda schedule: f"seed-{schedule.seed}")
def test_kill_and_resume_equals_an_uninterrupted_crawl(
    schedule: Schedule, generated: GeneratedSite, tmp_path: Path
) -> None:
    """Crawls of the generated mirror SIGKILLed at three random points (after a random number of stored
    articles, plus a random delay), then one run to the end: the database equals the uninterrupted crawl's on
    every table (articles, headlines, related headlines, aliases, revisions, fingerprints, search copies)."""
    _, final = resume_after_kills(generated.server.base_url, tmp_path / "resumed.db", schedule)
    harness.assert_finished(final)
    harness.assert_consistent(final)
    problems = differences(generated.reference, snapshot(final.db_path, generated.server.base_url))
    assert not problems, "\n".join(problems)


def related_only_story(tmp_path: Path, slug: str) -> tuple[Article, Path]:
    """A mirror where the story ``slug`` is linked only from another story's "Related Articles" list (which
    the homepage links to): a later run finds it again only through the frontier. (The story, the site.)"""
    story = Article(slug=slug, title=f"A story behind a failing server: {slug}")
    lead = Article(slug=f"leads-to-{slug}", title=f"A story whose related link fails: {slug}",
                   related=(harness.site_link(story.path),))  # fmt: skip
    pages = {article.path: article.html() for article in (story, lead)}
    return story, harness.build_site(tmp_path / "site", pages, links=[harness.site_link(lead.path)])


def test_always_failing_article_is_reported_by_check(tmp_path: Path) -> None:
    """An article linked only from another article's related list answers 503 on every attempt: each run
    keeps it in the frontier and tries it again; after three failed runs it is given up and `arabpress check`
    names it (exit 1) instead of it being silently absent."""
    broken, root = related_only_story(tmp_path, "always-503")
    with MirrorServer(root) as server:
        server.set_fault(broken.path, "503", retry_after=0)
        checks = []
        for _ in range(3):
            run = harness.crawl(server.base_url, tmp_path, name="cron", overrides={"settings": NO_BACKOFF})
            checks.append(harness.run_cli(["check", "--db", str(run.db_path)]))
        asked = server.request_count(broken.path)
    harness.assert_not_stored(run, broken.path)
    assert asked >= 3, f"the failing page was asked for {asked} times in three runs"
    assert all(broken.path not in check.output for check in checks[:2]), "given up too early"
    final = checks[-1]
    assert final.returncode != 0, final.output
    assert broken.path in final.output and "given up" in final.output, final.output


def test_page_failing_a_few_times_is_stored_by_the_next_run(tmp_path: Path) -> None:
    """An article linked only from another article's related list answers 503 to every attempt of the
    first run (four requests), then recovers: the next run tries it first and stores it."""
    flaky, root = related_only_story(tmp_path, "flaky-503")
    lead_path = case_path("leads-to-flaky-503")
    with MirrorServer(root) as server:
        server.set_fault(flaky.path, "503", times=4, retry_after=0)
        first = harness.crawl(server.base_url, tmp_path, name="cron", overrides={"settings": NO_BACKOFF})
        harness.assert_not_stored(first, flaky.path)
        second = harness.crawl(server.base_url, tmp_path, name="cron", overrides={"settings": NO_BACKOFF})
    harness.assert_finished(second)
    harness.assert_stored(second, [flaky.path, lead_path])


def test_refresh_rechecks_every_stored_article(generated: GeneratedSite, tmp_path: Path) -> None:
    """`--refresh` on a complete database of the generated mirror asks for every stored article again (a
    conditional GET each), not only those a listing or a fetched page still links to."""
    db = copy_database(generated.full.db_path, tmp_path / "refresh.db")
    stored = {path for path, row in generated.full.articles().items()}
    generated.server.reset_requests()
    run = harness.crawl(generated.server.base_url, tmp_path, db=db, name="refresh", extra_args=("--refresh",))
    asked = {path for path in generated.server.requests if generated.server.request_count(path)}
    harness.assert_finished(run)
    missing = sorted(stored - asked)
    assert not missing, f"{len(missing)} of {len(stored)} stored articles not re-checked, e.g. {missing[:3]}"


# -- check and the run record tell the truth ------------------------------------------------------------------

NEW_STORIES = tuple(Article(slug=f"story-of-the-second-run-{n}", title=f"Second run story number {n}") for n in (1, 2, 3))
STALLED_STORY = Article(slug="story-that-never-loads", title="A story whose server never answers")


def test_check_sees_a_killed_crawl_and_its_counts(tmp_path: Path) -> None:
    """A good crawl, then a crawl SIGKILLed after storing three new stories: `arabpress check` fails naming the
    killed run as interrupted (not "ok" about the run before it). The next crawl closes the killed run's record
    as interrupted with the counts of what it stored."""
    pages = {article.path: article.html() for article in (*NEW_STORIES, STALLED_STORY)}
    root = harness.build_site(tmp_path / "site", pages, links=[harness.site_link(path) for path in pages])
    db = tmp_path / "cron.db"
    with MirrorServer(root) as server:
        for path in pages:
            server.set_fault(path, "status", code=404)
        harness.assert_finished(harness.crawl(server.base_url, tmp_path, db=db, name="cron"))
        before = count_articles(db)
        server.clear_faults()
        server.set_fault(STALLED_STORY.path, "stall")
        assert killed_run(server.base_url, db, before + len(NEW_STORIES), 0.0), "the crawl ended before the kill"
        check = harness.run_cli(["check", "--db", str(db)])
        assert check.returncode == 1, check.output
        assert "run #2" in check.output and "interrupted" in check.output, check.output
        server.clear_faults()
        resumed = harness.crawl(server.base_url, tmp_path, db=db, name="cron")
    harness.assert_finished(resumed)
    killed = resumed.runs()[1]
    assert killed["status"] == db_api.RUN_INTERRUPTED
    stored_by_it = resumed.rows("SELECT count(*) FROM articles WHERE first_run_id = ?", (killed["id"],))[0][0]
    assert stored_by_it >= len(NEW_STORIES)
    assert killed["articles_new"] == stored_by_it, "the interrupted run's record does not count what it stored"


def test_check_max_age_sees_a_stopped_schedule(baseline: harness.CrawlResult, tmp_path: Path) -> None:
    """`arabpress check --max-age 26h` on a database whose last crawl ran three days ago: exit 1 with one line
    saying the crawl may no longer be scheduled; without --max-age the same database is ok."""
    db = copy_with_archive(baseline.db_path, tmp_path / "old.db")
    conn = sqlite3.connect(db)
    with conn:
        conn.execute("UPDATE crawl_runs SET started_at = ?, finished_at = ?", (days_ago(3), days_ago(3)))
    conn.close()
    assert harness.run_cli(["check", "--db", str(db)]).returncode == 0
    stale = harness.run_cli(["check", "--db", str(db), "--max-age", "26h"])
    assert stale.returncode == 1, stale.output
    assert "still scheduled" in stale.output
    harness.assert_no_traceback(stale.stdout, stale.stderr)


def test_check_sees_a_hung_crawl(baseline: harness.CrawlResult, tmp_path: Path) -> None:
    """A crawl holds the lock of a database whose newest run has been `running` longer than the time budget
    (`ARABPRESS_MAX_RUN_SECONDS` plus an hour for closing): `arabpress check` exits 1 with one line naming that
    run as hung. The same run started a minute ago is a crawl under way: "a crawl is running", exit 0."""
    budget = timedelta(seconds=settings.ARABPRESS_MAX_RUN_SECONDS + 3600)
    for started, hung in ((datetime.now(UTC) - budget - timedelta(hours=1), True),
                          (datetime.now(UTC) - timedelta(minutes=1), False)):  # fmt: skip
        db = copy_with_archive(baseline.db_path, tmp_path / ("hung" if hung else "busy") / "cron.db")
        conn = db_api.open_db(db)
        try:
            run_id = db_api.start_run(conn, base_url=baseline.base_url, started_at=f"{started:%Y-%m-%dT%H:%M:%SZ}")
        finally:
            conn.close()
        with crawl_lock(db, wait=False) as locked:
            assert locked
            check = harness.run_cli(["check", "--db", str(db)])
        harness.assert_no_traceback(check.stdout, check.stderr)
        assert f"a crawl is running (started {started:%Y-%m-%dT%H:%M:%SZ}, run {run_id})" in check.output
        if hung:
            assert check.returncode == 1, check.output
            lines = [line for line in check.stdout.splitlines() if "is it hung?" in line]
            assert len(lines) == 1, check.output
            assert f"run #{run_id}" in lines[0] and "longer than its time budget (7.0 hours)" in lines[0], lines[0]
        else:
            assert check.returncode == 0, check.output
            assert "hung" not in check.output and "ok: " in check.output, check.output


def copy_with_archive(source: Path, target: Path) -> Path:
    """A copy of a crawl's database and of the web archive beside it (the archive check reads it)."""
    copy_database(source, target)
    archive = source.parent / "archive"
    if archive.is_dir():
        shutil.copytree(archive, target.parent / "archive", dirs_exist_ok=True)
    return target


def days_ago(days: int) -> str:
    return (datetime.now(UTC) - timedelta(days=days)).strftime("%Y-%m-%dT%H:%M:%SZ")


# -- database files: damaged, foreign, read-only ----------------------------------------------------------------

PAGE_SIZE = 4096


def damage_one_page(db: Path) -> None:
    """Random bytes over one page in the middle of the file (inside a table, not the header)."""
    data = bytearray(db.read_bytes())
    page = len(data) // PAGE_SIZE // 2
    data[page * PAGE_SIZE : (page + 1) * PAGE_SIZE] = random.Random(7).randbytes(PAGE_SIZE)
    db.write_bytes(bytes(data))


def is_damaged(db: Path) -> bool:
    conn = sqlite3.connect(f"{db.resolve().as_uri()}?immutable=1", uri=True)
    try:
        return conn.execute("PRAGMA quick_check").fetchone()[0] != "ok"
    except sqlite3.DatabaseError:
        return True
    finally:
        conn.close()


def test_damaged_database_is_named_and_never_written(baseline: harness.CrawlResult, tmp_path: Path) -> None:
    """Random bytes over one page inside a table of a good database: `crawl`, `stats`, `export` and `check` each
    say in one line that the file is damaged (PRAGMA quick_check), exit 3, print no traceback, and leave the
    file byte for byte as it was."""
    db = copy_database(baseline.db_path, tmp_path / "damaged.db")
    damage_one_page(db)
    assert is_damaged(db), "the damage is not there: the test tests nothing"
    before = hashlib.sha256(db.read_bytes()).hexdigest()
    for args in (harness.crawl_args(baseline.base_url, db, tmp_path / "crawl.log"), ["stats", "--db", str(db)],
                 ["export", "--db", str(db), "--output", str(tmp_path / "out.csv")], ["check", "--db", str(db)]):  # fmt: skip
        cli = harness.run_cli(args, cwd=tmp_path)
        harness.assert_one_line_error(cli, "damaged")
        assert cli.returncode == 3, f"{args[0]}: exit {cli.returncode}"
    assert hashlib.sha256(db.read_bytes()).hexdigest() == before, "the damaged database was written to"


def test_foreign_sqlite_file_is_refused_unchanged(tmp_path: Path) -> None:
    """`--db notes.db`, an SQLite database of another program: `crawl` refuses it in one line without adding
    a table to it (the file is unchanged, no WAL beside it)."""
    db = tmp_path / "notes.db"
    conn = sqlite3.connect(db)
    with conn:
        conn.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT)")
        conn.execute("INSERT INTO notes(text) VALUES ('keep me')")
    conn.close()
    before = hashlib.sha256(db.read_bytes()).hexdigest()
    cli = harness.run_cli(harness.crawl_args("http://127.0.0.1:9", db, tmp_path / "crawl.log"), cwd=tmp_path)
    harness.assert_one_line_error(cli, "not an arabpress database")
    assert hashlib.sha256(db.read_bytes()).hexdigest() == before
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith("notes.db")) in (
        ["notes.db"], ["notes.db", "notes.db.lock"])  # fmt: skip


@pytest.fixture
def read_only_mount(tmp_path: Path) -> Iterator[tuple[Path, Path]]:
    """(a folder, the same folder mounted read-only); skipped where a bind mount cannot be made."""
    source, mounted = tmp_path / "source", tmp_path / "mounted"
    source.mkdir()
    mounted.mkdir()
    made = subprocess.run(["mount", "--bind", str(source), str(mounted)], capture_output=True)
    if made.returncode != 0:
        pytest.skip(f"cannot bind-mount here: {made.stderr.decode().strip()}")
    try:
        if subprocess.run(["mount", "-o", "remount,bind,ro", str(mounted)], capture_output=True).returncode != 0:
            pytest.skip("cannot remount read-only here")
        yield source, mounted
    finally:
        if subprocess.run(["umount", str(mounted)], capture_output=True).returncode != 0:
            subprocess.run(["umount", "--lazy", str(mounted)], capture_output=True)  # still open: detach it


def test_database_on_a_read_only_mount_can_be_read(
    baseline: harness.CrawlResult, read_only_mount: tuple[Path, Path]
) -> None:
    """A good database (WAL mode) on a read-only mount: `export`, `stats` and `check` read it, and datasette
    (as `serve` builds it) answers its pages; nothing is written beside it."""
    source, mounted = read_only_mount
    copy_with_archive(baseline.db_path, source / "arabpress.db")
    db = mounted / "arabpress.db"
    for args in (["export", "--db", str(db), "--format", "jsonl"], ["stats", "--db", str(db)], ["check", "--db", str(db)]):
        cli = harness.run_cli(args)
        harness.assert_no_traceback(cli.stdout, cli.stderr)
        assert cli.returncode == 0, f"{args[0]}: {cli.output[-1000:]}"
    ds = build_datasette(db)

    async def home() -> int:
        await ds.invoke_startup()
        return (await ds.client.get("/arabpress/articles.json")).status_code

    assert asyncio.run(home()) == 200
    assert sorted(p.name for p in source.iterdir() if p.name != "archive") == ["arabpress.db"]


def test_unchanged_revisit_follows_the_stored_related_links(tmp_path: Path) -> None:
    """A stored article answers 304 to `--refresh`'s conditional GET: its stored "Related Articles" links are
    followed as if the page had been read again, so a related story missing from the database (here deleted
    by hand, as a run killed before the frontier existed left it) is fetched and stored."""
    story, root = related_only_story(tmp_path, "found-again-through-a-304")
    with MirrorServer(root) as server:
        first = harness.crawl(server.base_url, tmp_path, name="cron")
        harness.assert_stored(first, [story.path])
        conn = sqlite3.connect(first.db_path)
        conn.execute("PRAGMA foreign_keys = ON")  # its search copy, fingerprint… go with it
        with conn:  # the story is lost, as release 0.1.0 lost it; its headline in the lead's list stays
            conn.execute("DELETE FROM articles WHERE url = ?", (server.url(story.path),))
        conn.close()
        server.reset_requests()
        second = harness.crawl(server.base_url, tmp_path, name="cron", extra_args=("--refresh",))
    harness.assert_finished(second)
    assert second.count("arabpress/articles/not_modified") >= 1, "no 304: the case tests nothing"
    harness.assert_stored(second, [story.path])
