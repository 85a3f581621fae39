"""``arabpress crawl`` and ``arabpress demo``: run the crawler, show progress, report the run's health.

``demo`` serves the packaged mirror; it imports the mirror package ``arabpress_mirror`` inside the command only,
so ``arabpress crawl`` runs where the mirror is not installed.
"""

from __future__ import annotations

import logging
import os
import shlex
import shutil
import sqlite3
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import click
from rich.console import Console
from rich.live import Live
from rich.table import Table
from rich.text import Text

from arabpress_crawler import crawling, health
from arabpress_crawler.archive import capture as archive_capture
from arabpress_crawler.cli import MIRROR_MISSING, cli, mirror_missing, user_error
from arabpress_crawler.crawling import CrawlInputError, CrawlOptions, CrawlOutcome, Progress
from arabpress_crawler.db import runs
from arabpress_crawler.db.runs import RUN_INTERRUPTED
from arabpress_crawler.policy import ROBOTS_UNREACHABLE_STAT
from arabpress_crawler.spiders.incremental import DEFAULT_REFRESH_DAYS
from arabpress_crawler.spiders.limits import cap_notes

if TYPE_CHECKING:
    from arabpress_mirror.server import MirrorServer

logger = logging.getLogger(__name__)

DEMO_DB = Path("data/demo.db")
DEMO_LOG_FILE = Path("data/logs/demo.log")
#: The demo mirror's port when no earlier demo run chose one.
DEMO_PORT = 8642
EXIT_PROBLEMS = 1
LIVE_REFRESH_PER_SECOND = 4


# -- presentation -------------------------------------------------------------------------------------------------


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return "?"
    minutes, secs = divmod(int(round(seconds)), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def progress_line(progress: Progress) -> str:
    """The live line: pages, articles new/updated, duplicates, errors, rate and (bounded crawls) ETA."""
    parts = [
        f"{progress.pages} pages",
        f"{progress.articles_new} new, {progress.articles_updated} updated",
        f"{progress.duplicates} duplicates",
        f"{progress.errors} errors",
        f"{progress.rate:.0f} pages/s",
    ]
    if progress.max_pages:
        parts.append(f"{progress.article_pages}/{progress.max_pages} articles, ETA {_duration(progress.eta)}")
    return " · ".join(parts)


@contextmanager
def live_progress(enabled: bool) -> Iterator[crawling.ProgressCallback | None]:
    """A rich live line on the terminal (stderr); ``None`` when not a terminal or when quiet."""
    console = Console(stderr=True)
    if not enabled or not console.is_terminal:
        yield None
        return
    with Live(Text("starting…"), console=console, transient=True, refresh_per_second=LIVE_REFRESH_PER_SECOND) as live:

        def update(progress: Progress) -> None:
            live.update(Text(progress_line(progress)), refresh=True)

        yield update


def summary_rows(outcome: CrawlOutcome) -> list[tuple[str, object]]:
    """The summary's figures, each named for what it counts. Counts come from the run record the crawl
    closed (the same row `arabpress stats`, `check` and datasette read); without one, from Scrapy's stats."""
    progress = outcome.progress()
    run = outcome.run_record or {}

    def recorded(column: str, fallback: int) -> object:
        return run.get(column, fallback) if run else fallback

    return [
        ("finish reason", str(outcome.finish_reason or outcome.error or "unknown")),
        ("pages fetched", recorded("pages", progress.pages)),
        ("article pages requested", progress.article_pages),
        ("articles new", recorded("articles_new", progress.articles_new)),
        ("articles updated", recorded("articles_updated", progress.articles_updated)),
        ("articles unchanged (304 or same text)", recorded("articles_unchanged", progress.articles_unchanged)),
        ("known articles not fetched again", outcome.stats.get("arabpress/skipped/known", 0)),
        ("duplicates caught (aliases + near-duplicates)", recorded("duplicates", progress.duplicates)),
        ("items dropped", recorded("dropped", progress.dropped)),
        ("errors (as in the run record)", recorded("errors", progress.errors)),
        ("time", _duration(outcome.elapsed)),
        ("rate", f"{progress.rate:.1f} pages/s"),
    ]


def summary_table(outcome: CrawlOutcome, db: Path) -> Table:
    table = Table(title=f"crawl of {db}", show_header=False, title_justify="left")
    table.add_column("what")
    table.add_column("how many", justify="right")
    for name, value in summary_rows(outcome):
        table.add_row(name, str(value))
    return table


def report_health(db: Path, *, fail_on_warnings: bool) -> bool:
    """Print the run-health problems (stderr); True when they must fail the command."""
    try:
        problems = health.problems(db)
    except ValueError as error:  # the database cannot be read as an arabpress database
        problems = [f"run health not checked: {error}"]
    for line in problems:
        click.echo(f"warning: {line}", err=True)
    return bool(problems) and fail_on_warnings


def _fail(outcome: CrawlOutcome, db: Path, log_file: Path | None) -> None:
    """One error line for a crawl that could not run, failed, or did not finish."""
    where = f"; see {log_file}" if log_file else ""
    if outcome.error is not None:
        message = f"the crawl could not run on {db}: {outcome.error}"
    elif outcome.log_error is not None:
        message = outcome.log_error
        where = ""  # the log is what could not be written
    elif outcome.failed_in_store:
        verb = "was interrupted" if outcome.run_status == RUN_INTERRUPTED else str(outcome.run_status)
        message = f"the crawl of {db} {verb}: {outcome.run_reason or 'no reason recorded'}"
    else:
        message = f"the crawl of {db} did not finish ({outcome.finish_reason or 'unknown reason'})"
    click.echo(f"error: {message}{where}", err=True)


def _run(
    options: CrawlOptions, *, wait: bool, quiet: bool, redis: str | None = None, workers: int = 1
) -> tuple[CrawlOutcome, Path] | None:
    """Check, lock and crawl. ``None`` when another crawl holds the lock (already said so)."""
    try:
        checked = crawling.check_options(options)
    except CrawlInputError as error:
        raise user_error(error) from error
    run_distributed = _distributed() if redis else None
    with crawling.crawl_lock(checked.db, wait=False) as locked:
        if locked:
            return _crawl(checked, quiet, redis, workers, run_distributed), checked.db
    if not wait:
        click.echo(f"a crawl is already running on {checked.db}")
        return None
    click.echo(f"waiting for {_running_description(checked.db)} to finish"
               f" (it holds {crawling.lock_path(checked.db)}); Ctrl-C stops waiting", err=True)
    with crawling.crawl_lock(checked.db, wait=True):
        return _crawl(checked, quiet, redis, workers, run_distributed), checked.db


def _crawl(checked: Any, quiet: bool, redis: str | None, workers: int, run_distributed: Any) -> Any:
    """One crawl under the lock: the distributed coordinator with ``--redis``, else the crawl in this process."""
    if run_distributed is not None and redis:
        def on_run(command: str) -> None:
            if not quiet:
                click.echo(f"distributed run open; more workers join with: {command}", err=True)

        try:
            return run_distributed(checked, redis, workers, on_run)
        except Exception as error:  # Redis unreachable: one line
            if type(error).__module__.startswith("redis"):
                raise click.ClickException(f"cannot use Redis at {redis}: {error}") from None
            raise
    with live_progress(not quiet) as on_progress:
        return crawling.run_crawl(checked, on_progress)


def _running_description(db: Path) -> str:
    """"the crawl running on <db> (run N, started …)", as far as the run record tells."""
    try:
        running = runs.running_run(db)
    except sqlite3.Error:
        running = None
    if running:
        return f"the crawl running on {db} (run {running[0]}, started {running[1]})"
    return f"the crawl running on {db}"


def _distributed() -> Any:
    """The coordinator of distributed crawls, or one line saying how to install it."""
    try:
        from arabpress_crawler.distributed.coordinator import run_distributed
    except ImportError as error:
        raise click.ClickException(
            f"--redis needs the [distributed] extra (pip install 'arabpress-crawler[distributed]'): {error}"
        ) from None
    return run_distributed


def archive_settings(*, no_archive: bool, archive_all: bool) -> dict[str, object]:
    """Scrapy settings for the web archive options of ``crawl``."""
    if no_archive and archive_all:
        raise click.UsageError("--no-archive and --archive-all contradict each other: give one of them")
    settings: dict[str, object] = {}
    if no_archive:
        settings[archive_capture.ENABLED_SETTING] = False
    if archive_all:
        settings[archive_capture.PAGES_SETTING] = archive_capture.ALL_PAGES
    return settings


# -- commands -------------------------------------------------------------------------------------------------------


@cli.command()
@click.option("--base-url", metavar="URL", envvar="ARABPRESS_BASE_URL", help="Site to crawl [default: https://arab.press].")
@click.option("--db", type=click.Path(dir_okay=False, path_type=Path), default=crawling.DEFAULT_DB, show_default=True,
              envvar="ARABPRESS_DB",
              help="SQLite database to write (created if missing).")
@click.option("--max-pages", type=click.IntRange(min=1), help="Fetch at most N article pages.")
@click.option("--max-depth", type=click.IntRange(min=0),
              help="Follow \"Related Articles\" links at most N hops from the listed articles (1: none).")
@click.option("--since", metavar="YYYY-MM-DD", help="Skip articles published before this day.")
@click.option("--backfill", is_flag=True, help="Also walk every section's pagination and the full sitemap.")
@click.option("--refresh", is_flag=True, help="Re-check every stored article (conditional GET).")
@click.option("--refresh-days", type=click.IntRange(min=0), default=DEFAULT_REFRESH_DAYS, show_default=True,
              help="Re-check stored articles published in the last N days.")
@click.option("--mirror-profile", is_flag=True, help="No throttling: for the local mirror and benchmarks only.")
@click.option("--wait", is_flag=True, help="Wait for a running crawl on the same database instead of exiting.")
@click.option("--log-file", type=click.Path(dir_okay=False, path_type=Path), default=crawling.DEFAULT_LOG_FILE,
              show_default=True, help="Scrapy's log (rotated).")
@click.option("--quiet", "-q", is_flag=True, help="No progress line or summary; only warnings and errors.")
@click.option("--no-fail-on-warnings", is_flag=True, help="Exit 0 even when the run-health checks warn.")
@click.option("--redis", metavar="URL", help="Share the frontier through Redis (the [distributed] extra).")
@click.option("--workers", type=click.IntRange(min=1), default=1, show_default=True,
              help="Worker processes on this machine (with --redis).")
@click.option("--no-archive", is_flag=True, help="Do not keep article responses in the web archive (WARC).")
@click.option("--archive-all", is_flag=True,
              help="Archive listing pages, the feed and the sitemaps too, not only articles.")
def crawl(
    base_url: str | None,
    db: Path,
    max_pages: int | None,
    max_depth: int | None,
    since: str | None,
    backfill: bool,
    refresh: bool,
    refresh_days: int,
    mirror_profile: bool,
    wait: bool,
    log_file: Path,
    quiet: bool,
    no_fail_on_warnings: bool,
    redis: str | None,
    workers: int,
    no_archive: bool,
    archive_all: bool,
) -> None:
    """Crawl the site into the database: new and changed articles only (incremental).

    Listing pages, the feed and the sitemaps are always read; stored articles are fetched again only
    when the sitemap says they changed, they are recent (--refresh-days) or --refresh is given.
    Safe to run from cron: a second crawl on the same database exits 0 at once (or waits with --wait).
    Exits 1 when the crawl failed or the run-health checks (`arabpress check`) report problems.
    Article responses are kept as WARC files in archive/ beside the database (--no-archive: not kept).

    Example:

    \b
        arabpress crawl --db data/arabpress.db --max-pages 200
        arabpress crawl --base-url http://127.0.0.1:8000 --mirror-profile --since 2025-01-01
        arabpress crawl --backfill --redis redis://127.0.0.1:6379/0 --workers 4
    """
    options = CrawlOptions(
        base_url=base_url,
        db=db,
        max_pages=max_pages,
        max_depth=max_depth,
        since=since,
        backfill=backfill,
        refresh=refresh,
        refresh_days=refresh_days,
        mirror_profile=mirror_profile,
        log_file=log_file,
        settings=archive_settings(no_archive=no_archive, archive_all=archive_all),
    )
    result = _run(options, wait=wait, quiet=quiet, redis=redis, workers=workers)
    if result is None:
        return
    outcome, db_path = result
    if outcome.error is not None:  # the crawl never ran: there is nothing to sum up or to judge
        _fail(outcome, db_path, log_file)
        sys.exit(EXIT_PROBLEMS)
    if not quiet:
        Console().print(summary_table(outcome, db_path))
        for note in cap_notes(outcome.stats, outcome.finish_reason):
            click.echo(f"note: {note}")
    if not outcome.ok:
        _fail(outcome, db_path, log_file)
    robots = outcome.stats.get(ROBOTS_UNREACHABLE_STAT)
    if robots:  # RFC 9309: nothing was fetched this run; said once, and the run did not do its job
        click.echo(f"warning: {robots}: nothing was fetched this run (RFC 9309: disallow all)", err=True)
    if report_health(db_path, fail_on_warnings=not no_fail_on_warnings) or not outcome.ok or robots:
        sys.exit(EXIT_PROBLEMS)


@cli.command()
@click.option("--redis", metavar="URL", required=True, help="The Redis of the distributed crawl.")
@click.option("--run", "run_key", metavar="RUN", required=True,
              help="The run to join (`arabpress crawl --redis` prints the command, its log names the run).")
@click.option("--base-url", metavar="URL", envvar="ARABPRESS_BASE_URL", required=True, help="The site being crawled.")
@click.option("--backfill", is_flag=True, help="As the coordinator's crawl (--backfill).")
def worker(redis: str, run_key: str, base_url: str, backfill: bool) -> None:
    """Join a distributed crawl as one more worker (another machine, or more processes).

    The worker takes requests from the run's frontier in Redis, fetches and extracts them, and sends what it
    validated to the coordinator's writer; it stops by itself when the run is done. Needs the [distributed]
    extra.

    Example:

    \b
        arabpress worker --redis redis://10.0.0.5:6379/0 --run 42-1f2e3d4c --base-url https://arab.press
    """
    try:
        from arabpress_crawler.distributed import worker as distributed_worker
    except ImportError as error:
        raise click.ClickException(
            f"arabpress worker needs the [distributed] extra (pip install 'arabpress-crawler[distributed]'): {error}"
        ) from None
    argv = ["--redis", redis, "--run", run_key, "--base-url", base_url, *(["--backfill"] if backfill else [])]
    sys.exit(distributed_worker.main(argv))


# -- the demo -------------------------------------------------------------------------------------------------------


def _remembered_port(db: Path) -> int | None:
    """The mirror port of the last demo run on ``db``: stored URLs carry it, so reusing it keeps runs incremental."""
    if not db.is_file():
        return None
    try:
        base_url = runs.last_base_url(db)
    except sqlite3.Error:
        return None
    if not base_url:
        return None
    try:
        return urlsplit(base_url).port
    except ValueError:
        return None


def _start_mirror(db: Path, port: int | None) -> MirrorServer:
    """The packaged mirror on ``port``, else the port the last demo used, else :data:`DEMO_PORT`, else any."""
    try:
        from arabpress_mirror.layout import DEMO_SITE_DIR
        from arabpress_mirror.server import MirrorServer
    except ModuleNotFoundError as error:
        if not mirror_missing(error):
            raise
        raise click.ClickException(MIRROR_MISSING) from None
    remembered = _remembered_port(db)
    wanted = port if port is not None else remembered if remembered is not None else DEMO_PORT
    try:
        return MirrorServer(DEMO_SITE_DIR, port=wanted).start()
    except OSError as error:
        if port is None and remembered is None:
            logger.info("port %d is busy (%s): serving the demo mirror on a free port", wanted, error)
            return MirrorServer(DEMO_SITE_DIR, port=0).start()
        raise click.ClickException(
            f"port {wanted} is busy ({error.strerror}); the articles in {db} carry it in their URLs, so free it,"
            f" or start a fresh demo with --db another.db --port 0"
        ) from None


def arabpress_command() -> str:
    """How to type ``arabpress`` in this shell: the bare name when it is this environment's script on the
    PATH (the environment is active), else the script's path (relative when under the current folder)."""
    script = Path(sys.executable).absolute().parent / "arabpress"
    if not script.exists():
        return "arabpress"
    found = shutil.which("arabpress")
    if found and Path(found).resolve() == script.resolve():
        return "arabpress"
    relative = os.path.relpath(script)
    return shlex.quote(relative if not relative.startswith("..") else str(script))


def try_next(db: Path) -> list[str]:
    """The "Try next" lines after a demo: commands that run as printed, from the current folder."""
    command = arabpress_command()
    quoted_db = shlex.quote(str(db))
    export = shlex.quote(str(db.parent / "articles.csv"))
    lines = [
        "Try next:",
        f"  {command} stats --db {quoted_db}",
        f"  {command} export --db {quoted_db} --format csv --excel --output {export}",
        f"  {command} serve --db {quoted_db}    # browse and search in datasette",
    ]
    if Path("Makefile").is_file() and db == DEMO_DB:
        lines.append("  make demo    # again: the second crawl is incremental")
    else:
        lines.append(f"  {command} demo --db {quoted_db}    # again: the second crawl is incremental")
    if command != "arabpress":
        activate = Path(command).parent / "activate"
        lines.append(f"  (or first `. {activate}`: then `arabpress` alone works)")
    return lines


def demo_summary(outcome: CrawlOutcome, db: Path, base_url: str) -> list[str]:
    """The demo's closing lines: what the crawl did and what the database now holds."""
    progress = outcome.progress()
    counts = crawling.database_counts(db)
    known = int(outcome.stats.get("arabpress/skipped/known") or 0)
    caught = counts["content_aliases"] + counts["near_duplicates"]
    return [
        f"Crawled the Arab Press demo mirror at {base_url} into {db} in {outcome.elapsed:.1f} s.",
        f"  pages fetched      {progress.pages} ({progress.article_pages} article pages;"
        f" stored articles not fetched again: {known})",
        f"  articles           {counts['articles'] + counts['near_duplicates']} stored"
        f" ({counts['articles']} originals + {counts['near_duplicates']} near-duplicates);"
        f" this run: {progress.articles_new} new, {progress.articles_updated} updated",
        f"  related headlines  {counts['related_headlines']} links to {counts['headlines']} headlines",
        f"  duplicates caught  {caught} (copies stored as aliases: {counts['content_aliases']};"
        f" near-duplicates marked duplicate_of: {counts['near_duplicates']})",
        f"  revisions          {counts['article_revisions']} earlier versions of edited articles",
        "",
        *try_next(db),
    ]


@cli.command()
@click.option("--db", type=click.Path(dir_okay=False, path_type=Path), default=DEMO_DB, show_default=True,
              help="Database the demo writes.")
@click.option("--port", type=click.IntRange(min=0, max=65535),
              help=f"Port of the mirror (0: any free one) [default: the last demo's, else {DEMO_PORT}].")
@click.option("--quiet", "-q", is_flag=True, help="No progress line.")
def demo(db: Path, port: int | None, quiet: bool) -> None:
    """Serve the packaged mirror of Arab Press on 127.0.0.1 and crawl it: the whole pipeline in seconds.

    Nothing leaves the machine. Run it again: the second crawl is incremental and fetches no article
    page it already has.

    Example:

    \b
        arabpress demo
        arabpress demo --db /tmp/demo.db --port 0
    """
    try:
        crawling.check_db_path(db)
    except CrawlInputError as error:
        raise user_error(error) from error
    server = _start_mirror(db, port)
    try:
        options = CrawlOptions(base_url=server.base_url, db=db, mirror_profile=True, log_file=DEMO_LOG_FILE)
        result = _run(options, wait=False, quiet=quiet)
    finally:
        server.stop()
    if result is None:
        return
    outcome, _ = result
    if not outcome.ok:
        _fail(outcome, db, DEMO_LOG_FILE)
        sys.exit(EXIT_PROBLEMS)
    click.echo("\n".join(demo_summary(outcome, db, server.base_url)))
