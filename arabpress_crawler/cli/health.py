"""``arabpress check``, ``arabpress stats`` and ``arabpress cron-line``: run health, figures and scheduling."""

from __future__ import annotations

import datetime as dt
import logging
import re
import shlex
import shutil
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import click
import sqlite_utils
from filelock import FileLock, Timeout
from rich import box
from rich.console import Console
from rich.table import Table

from arabpress_crawler import crawling, exporting, health, settings
from arabpress_crawler.archive import check as archive_check
from arabpress_crawler.cli import cli, user_error
from arabpress_crawler.settings import ARABPRESS_DB

logger = logging.getLogger(__name__)

DB_OPTION_HELP = "SQLite database written by `arabpress crawl`."
DEFAULT_LOG_FILE = "data/logs/crawl.log"
#: Minute past the hour (and hour of the day) scheduled crawls start: off the busy top of the hour.
CRON_MINUTE = 17
CRON_HOUR = 3
_EVERY = re.compile(r"^\s*(\d+)\s*([mhd])\s*$", re.IGNORECASE)
#: Intervals cron repeats evenly: divisors of the hour and of the day; any day of the month.
EVERY_ALLOWED = {
    "m": tuple(n for n in range(1, 60) if 60 % n == 0),
    "h": tuple(n for n in range(1, 24) if 24 % n == 0),
    "d": tuple(range(1, 32)),
}
EVERY_UNIT_NAMES = {"m": "minutes", "h": "hours", "d": "days"}
EVERY_NEXT_UNIT = {"m": "1h", "h": "1d", "d": None}
STATS_DAYS = 28
STATS_RUNS = 8
SPARK_BLOCKS = "▁▂▃▄▅▆▇█"
BAR_WIDTH = 30
PLAIN_WIDTH = 110


def _open(db_path: str) -> sqlite_utils.Database:
    try:
        return exporting.open_readonly(db_path)
    except exporting.ExportError as exc:
        raise user_error(exc) from exc


# --- check ----------------------------------------------------------------------------------------

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([mhd])\s*$", re.IGNORECASE)
_UNIT_SECONDS = {"m": 60, "h": 3600, "d": 86400}


def _duration(text: str, option: str) -> dt.timedelta:
    match = _DURATION.match(text)
    if not match:
        raise click.ClickException(f"{option} {text!r} is not a duration: give minutes, hours or days, e.g. 26h")
    return dt.timedelta(seconds=float(match[1]) * _UNIT_SECONDS[match[2].lower()])


def _time_budget() -> dt.timedelta:
    """The crawl's time budget (the ``ARABPRESS_MAX_RUN_SECONDS`` cap) plus an hour for closing."""
    return dt.timedelta(seconds=settings.ARABPRESS_MAX_RUN_SECONDS + 3600)


def crawl_running(db_path: Path) -> bool:
    """Whether a crawl holds the database's lock now (its process is alive: the OS frees the lock of a dead one)."""
    lock = FileLock(str(crawling.lock_path(db_path)), timeout=0)
    try:
        lock.acquire()
    except Timeout:
        return True
    except OSError:  # no folder to put a lock in, a read-only mount: nothing can be crawling there
        return False
    lock.release()
    return False



@cli.command()
@click.option("--db", "db_path", default=ARABPRESS_DB, show_default=True, type=click.Path(dir_okay=False),
              help=DB_OPTION_HELP)
@click.option("--recent", default=health.DEFAULT_RECENT_RUNS, show_default=True, type=click.IntRange(1, 1000),
              help="How many earlier runs the latest one is compared with.")
@click.option("--max-age", metavar="DURATION",
              help="Also fail when the last finished run started longer ago than this (e.g. 26h, 2d): cron stopped.")
def check(db_path: str, recent: int, max_age: str | None) -> None:
    """Check the health of the latest crawl; exit 1 with one line per problem.

    Problems: the last run failed or was interrupted (or is marked running but its process is gone:
    killed), or has run longer than its time budget (hung); it found no articles where earlier runs
    did; coverage of title, body or published_at, or the share of fields taken from the site's
    template, fell well below the median of recent runs (the template probably changed); article
    links were given up after repeated failed runs; with --max-age, the last finished run is older
    than that (the schedule stopped); stored articles whose archived response (WARC) is missing.
    Prints "ok: ..." and exits 0 when all is well: made for cron and monitoring.

    Example:

        arabpress check --db data/arabpress.db || echo "crawl needs attention"
    """
    age = _duration(max_age, "--max-age") if max_age else None
    alive = crawl_running(Path(db_path))
    db = _open(db_path)
    try:
        found = health.liveness_problems(db, crawl_alive=alive, max_age=age, time_budget=_time_budget())
        found += health.problems(db, recent=recent)
        found += archive_check.problems(db.conn)
        summary = health.ok_summary(db)
    finally:
        db.conn.close()
    if found:
        for line in found:
            click.echo(line)
        sys.exit(1)
    click.echo(f"ok: {summary}")


# --- stats ----------------------------------------------------------------------------------------


def sparkline(values: Sequence[int]) -> str:
    """A one-line chart of ``values`` with block characters (empty for no values)."""
    if not values:
        return ""
    peak = max(values)
    if peak == 0:
        return SPARK_BLOCKS[0] * len(values)
    top = len(SPARK_BLOCKS) - 1
    return "".join(SPARK_BLOCKS[round(value / peak * top)] for value in values)


def bar(value: int, peak: int, width: int = BAR_WIDTH) -> str:
    """A horizontal bar of ``value`` scaled to ``peak``."""
    return "█" * (round(value / peak * width) if peak else 0)


def _table(title: str, *columns: str, plain: bool) -> Table:
    table = Table(title=title, box=box.ASCII if plain else box.SIMPLE_HEAD, title_justify="left")
    for column in columns:
        table.add_column(column)
    return table


def _totals_table(db: sqlite_utils.Database, plain: bool) -> Table:
    table = _table("Totals", "table", "rows", plain=plain)
    for name, count in health.totals(db).items():
        table.add_row(name, f"{count:,}")
    return table


def _per_day_table(db: sqlite_utils.Database, plain: bool) -> Table:
    points = health.articles_per_day(db, days=STATS_DAYS)
    title = f"Articles per day, last {STATS_DAYS} days"
    if points:
        counts = [count for _, count in points]
        title += f" ({points[0][0]} → {points[-1][0]}): {sparkline(counts)}  total {sum(counts):,}, peak {max(counts)}"
    table = _table(title, "week from", "articles", "", plain=plain)
    weeks = [points[i:i + 7] for i in range(0, len(points), 7)]
    peak = max((sum(c for _, c in week) for week in weeks), default=0)
    for week in weeks:
        total = sum(count for _, count in week)
        table.add_row(week[0][0], f"{total:,}", bar(total, peak))
    return table


def _count_table(db: sqlite_utils.Database, column: str, plain: bool) -> Table:
    rows = health.count_by(db, column)
    table = _table(f"{column.capitalize()}s", column, "articles", "", plain=plain)
    peak = max((n for _, n in rows), default=0)
    for name, count in rows:
        table.add_row(name, f"{count:,}", bar(count, peak, BAR_WIDTH // 2))
    return table


def _percent(value: float | None) -> str:
    return "–" if value is None else f"{value:.0%}"


def _started(value: str | None) -> str:
    """``2025-11-10T08:00:00Z`` as ``2025-11-10 08:00``."""
    return (value or "")[:16].replace("T", " ")


def _runs_table(db: sqlite_utils.Database, plain: bool) -> Table:
    table = _table("Last runs (coverage: share of stored articles with the field)", "run", "started", "status",
                   "pages", "seen", "stored", "title", "body", "date", "site layer", plain=plain)
    for run in health.recent_runs(db, limit=STATS_RUNS):
        status = run.status or "?"
        if not plain and run.status in health.BAD_STATUSES:
            status = f"[red]{status}[/red]"
        coverage = [_percent(run.coverage.get(name)) for name in health.WATCHED_COVERAGE_FIELDS]
        table.add_row(f"#{run.id}", _started(run.started_at), status, f"{run.pages:,}", f"{run.articles_found:,}",
                      f"{run.articles_extracted:,}", *coverage, _percent(run.site_share))
    return table


def print_stats(db: sqlite_utils.Database, console: Console) -> None:
    """Render every stats table to ``console`` (ASCII boxes and no colour when not a terminal)."""
    plain = not console.is_terminal
    for table in (_totals_table(db, plain), _per_day_table(db, plain), _count_table(db, "section", plain),
                  _count_table(db, "language", plain), _runs_table(db, plain)):
        console.print(table)
    found = health.problems(db)
    if found:
        console.print("Health: " + ("problems:" if plain else "[red]problems:[/red]"))
        for line in found:
            console.print(f"  - {line}", markup=False)
    else:
        console.print("Health: ok", style=None if plain else "green")


@cli.command()
@click.option("--db", "db_path", default=ARABPRESS_DB, show_default=True, type=click.Path(dir_okay=False),
              help=DB_OPTION_HELP)
def stats(db_path: str) -> None:
    """Summarise the database at a glance: totals, articles per day, sections, languages, runs.

    Draws with colours and boxes on a terminal and plain text when piped or run from cron.

    Example:

        arabpress stats --db data/demo.db
    """
    db = _open(db_path)
    try:
        console = Console(highlight=False)
        if not console.is_terminal:  # logs and cron mail: wide enough for every column
            console = Console(highlight=False, width=PLAIN_WIDTH)
        print_stats(db, console)
    finally:
        db.conn.close()


# --- cron-line ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Every:
    """A crawl interval: ``amount`` of ``unit`` (``m``, ``h`` or ``d``)."""

    amount: int
    unit: str

    def schedule(self) -> str:
        """The five crontab time fields."""
        if self.unit == "m":
            return f"*/{self.amount} * * * *"
        if self.unit == "h":
            hours = "*" if self.amount == 1 else f"*/{self.amount}"
            return f"{CRON_MINUTE} {hours} * * *"
        days = "*" if self.amount == 1 else f"*/{self.amount}"
        return f"{CRON_MINUTE} {CRON_HOUR} {days} * *"


def parse_every(value: str) -> Every:
    """Parse ``30m``, ``3h`` or ``1d``; :class:`click.BadParameter` with the accepted forms otherwise.

    Minutes and hours must divide the hour or the day, so the crawls come at even intervals.
    """
    match = _EVERY.match(value)
    if not match:
        raise click.BadParameter(f"{value!r}: use minutes, hours or days like 30m, 3h or 1d")
    amount, unit = int(match.group(1)), match.group(2).lower()
    allowed = EVERY_ALLOWED[unit]
    if amount not in allowed:
        if len(allowed) == allowed[-1]:  # every number up to the limit
            choices = f"between 1 and {allowed[-1]}"
        else:
            choices = ", ".join(str(n) for n in allowed[:-1]) + f" or {allowed[-1]}"
        bigger = EVERY_NEXT_UNIT[unit]
        hint = f"; for longer use {bigger} or more" if bigger and amount > allowed[-1] else ""
        raise click.BadParameter(f"{value!r}: {EVERY_UNIT_NAMES[unit]} must be {choices}{hint}")
    return Every(amount, unit)


def arabpress_executable() -> Path:
    """The absolute path of the ``arabpress`` script of this environment (the venv's, when in one)."""
    beside_python = Path(sys.executable).absolute().parent / "arabpress"
    if beside_python.exists():
        return beside_python
    found = shutil.which("arabpress")
    if found:
        return Path(found).absolute()
    raise click.ClickException("cannot find the `arabpress` script: install the project with `make demo` first")


def cron_line(every: Every, *, project_dir: Path, db: Path, log_file: Path, executable: Path) -> str:
    """A crontab line that runs a quiet crawl from ``project_dir`` with absolute paths."""
    command = [str(executable), "crawl", "--db", str(db), "--quiet", "--log-file", str(log_file)]
    return f"{every.schedule()} cd {shlex.quote(str(project_dir))} && {shlex.join(command)}"


@cli.command("cron-line")
@click.option("--every", default="3h", show_default=True, metavar="N[m|h|d]",
              callback=lambda _ctx, _param, value: parse_every(value),
              help="How often to crawl: minutes (30m), hours (3h) or days (1d).")
@click.option("--db", "db_path", default=ARABPRESS_DB, show_default=True, type=click.Path(dir_okay=False),
              help="Database the scheduled crawl writes (made absolute).")
@click.option("--log-file", default=DEFAULT_LOG_FILE, show_default=True, type=click.Path(dir_okay=False),
              help="Log file of the scheduled crawl (made absolute).")
@click.option("--project-dir", default=".", show_default=True,
              type=click.Path(file_okay=False, exists=True), help="Folder the crawl runs in.")
def cron_line_command(every: Every, db_path: str, log_file: str, project_dir: str) -> None:
    """Print a ready crontab line for a scheduled crawl, with absolute paths.

    The crawl runs quietly (cron mails only warnings and errors), logs to a file and never
    overlaps a crawl still running. Add the line with `crontab -e`.

    Example:

        arabpress cron-line --every 3h

        (crontab -l; arabpress cron-line --every 6h) | crontab -
    """
    project = Path(project_dir).resolve()
    line = cron_line(
        every,
        project_dir=project,
        db=(project / db_path).resolve(),
        log_file=(project / log_file).resolve(),
        executable=arabpress_executable(),
    )
    click.echo(line)

