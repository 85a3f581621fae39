"""``arabpress check``, ``arabpress stats`` and ``arabpress cron-line``: run health, figures and scheduling."""

from __future__ import annotations

import datetime as dt
import logging
import re
import shlex
import shutil
import subprocess
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

from arabpress_crawler import crawling, deploy, exporting, health, settings
from arabpress_crawler.archive import check as archive_check
from arabpress_crawler.cli import cli, user_error
from arabpress_crawler.db.runs import RUN_RUNNING
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
    Prints "ok: ..." and exits 0 when all is well: made for cron and monitoring. While a crawl
    runs it says "a crawl is running (started ...)" first; during the first crawl that is all, exit 0.

    Example:

        arabpress check --db data/arabpress.db || echo "crawl needs attention"
    """
    age = _duration(max_age, "--max-age") if max_age else None
    alive = crawl_running(Path(db_path))
    db = _open(db_path)
    try:
        running = running_crawl(db) if alive else None
        found = health.liveness_problems(db, crawl_alive=alive, max_age=age, time_budget=_time_budget())
        found += health.problems(db, recent=recent)
        found += archive_check.problems(db.conn)
        summary = health.ok_summary(db)
    finally:
        db.conn.close()
    if running:
        click.echo(running)
        if found == [health.NO_FINISHED_RUN]:  # the first crawl is under way: nothing is wrong yet
            return
    if found:
        for line in found:
            click.echo(line)
        sys.exit(1)
    click.echo(f"ok: {summary}")


def running_crawl(db: sqlite_utils.Database) -> str | None:
    """"a crawl is running (started …)", for a database whose lock a crawl holds (:func:`crawl_running`)."""
    runs = health.recent_runs(db, limit=1)
    if runs and runs[0].status == RUN_RUNNING:
        return f"a crawl is running (started {runs[0].started_at}, run {runs[0].id})"
    return "a crawl is running (started just now: no run recorded yet)"


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


#: Options of `arabpress crawl` that cron-line sets itself.
CRON_OWN_OPTIONS = ("--db", "--log-file", "--quiet", "-q")


def cron_line(every: Every, *, project_dir: Path, db: Path, log_file: Path, executable: Path,
              crawl_args: Sequence[str] = ()) -> str:
    """A crontab line that runs a quiet crawl from ``project_dir`` with absolute paths (and ``crawl_args``)."""
    command = [str(executable), "crawl", "--db", str(db), "--quiet", "--log-file", str(log_file), *crawl_args]
    return f"{every.schedule()} cd {shlex.quote(str(project_dir))} && {shlex.join(command)}"


def checked_crawl_args(args: Sequence[str]) -> list[str]:
    """``args`` when `arabpress crawl` accepts them; :class:`click.UsageError` naming the problem otherwise."""
    from arabpress_crawler.cli.crawl import crawl

    own = [arg for arg in args if arg.split("=", 1)[0] in CRON_OWN_OPTIONS]
    if own:
        raise click.UsageError(f"{', '.join(own)}: cron-line sets --db, --log-file and --quiet itself; give them"
                               " before the crawl options")
    try:
        crawl.make_context("crawl", list(args))
    except click.exceptions.Exit:  # --help
        raise click.UsageError("give crawl options after --, e.g. -- --max-pages 500") from None
    except click.UsageError as error:
        raise click.UsageError(f"crawl options: {error.format_message()}") from None
    return list(args)


def scheduled_db(line: str) -> str | None:
    """The ``--db`` of the `arabpress crawl` a crontab line runs, or ``None`` for any other line."""
    fields = line.strip().split(None, 5)
    if len(fields) < 6 or fields[0].startswith("#"):
        return None
    try:
        words = shlex.split(fields[5], comments=True)
    except ValueError:
        return None
    for index, word in enumerate(words[:-1]):
        if Path(word).name == "arabpress" and words[index + 1] == "crawl" and "--db" in words[index:-1]:
            return words[words.index("--db", index) + 1]
    return None


def _crontab(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    if shutil.which("crontab") is None:
        raise click.ClickException("no `crontab` command here: install cron, or add the printed line by hand")
    return subprocess.run(["crontab", *args], input=stdin, capture_output=True, text=True, check=False)


def install_line(line: str, db: Path) -> str:
    """Put ``line`` in the user's crontab in place of any crawl of the same database; what was done."""
    current = _crontab("-l")
    lines = current.stdout.splitlines() if current.returncode == 0 else []  # exit 1: no crontab yet
    kept = [old for old in lines if scheduled_db(old) != str(db)]
    if line in lines and len(kept) == len(lines) - 1:
        return f"already installed: {line}"
    written = _crontab("-", stdin="\n".join([*kept, line]) + "\n")
    if written.returncode != 0:
        raise click.ClickException(f"crontab refused the line ({written.stderr.strip()}): add it with `crontab -e`")
    replaced = len(lines) - len(kept)
    return f"{'replaced the crawl of ' + str(db) if replaced else 'installed'}: {line}"


@cli.command("cron-line", context_settings={"ignore_unknown_options": True})
@click.option("--every", default="3h", show_default=True, metavar="N[m|h|d]",
              callback=lambda _ctx, _param, value: parse_every(value),
              help="How often to crawl: minutes (30m), hours (3h) or days (1d).")
@click.option("--db", "db_path", default=ARABPRESS_DB, show_default=True, type=click.Path(dir_okay=False),
              help="Database the scheduled crawl writes (made absolute).")
@click.option("--log-file", default=DEFAULT_LOG_FILE, show_default=True, type=click.Path(dir_okay=False),
              help="Log file of the scheduled crawl (made absolute).")
@click.option("--project-dir", default=".", show_default=True,
              type=click.Path(file_okay=False, exists=True), help="Folder the crawl runs in.")
@click.option("--scrapyd", "scrapyd_url", metavar="URL",
              help="Schedule a job on this Scrapyd server (its schedule.json) instead of running a crawl.")
@click.option("--base-url", metavar="URL", help="With --scrapyd: the site the job crawls [default: the job's setting].")
@click.option("--install", is_flag=True,
              help="Put the line in your crontab, replacing an earlier crawl of the same database (never twice).")
@click.argument("crawl_args", nargs=-1, type=click.UNPROCESSED, metavar="[-- CRAWL OPTIONS]")
def cron_line_command(every: Every, db_path: str, log_file: str, project_dir: str, scrapyd_url: str | None,
                      base_url: str | None, install: bool, crawl_args: tuple[str, ...]) -> None:
    """Print (or --install) a crontab line for a scheduled crawl, with absolute paths.

    The crawl runs quietly (cron mails only warnings and errors), logs to a file and never
    overlaps a crawl still running. Options after -- go to `arabpress crawl` (checked now).
    --install adds the line to your crontab, or replaces the line of an earlier crawl of the
    same database: installing twice leaves one line.

    With --scrapyd, the line asks a Scrapyd server (which has no scheduler of its own) to run a
    job: the database path is the one on the Scrapyd host; the job is resumable (a stopped job is
    resumed by the next) and ends at once if a job on the same database is still running. --log-file
    is not used: Scrapyd keeps each job's log. See docs/scrapyd.md.

    Example:

        arabpress cron-line --every 3h

        arabpress cron-line --every 6h --install -- --base-url http://127.0.0.1:8765 --max-pages 500

        arabpress cron-line --every 3h --scrapyd http://127.0.0.1:6800 --db /srv/arabpress/arabpress.db
    """
    project = Path(project_dir).resolve()
    db = (project / db_path).resolve()
    if scrapyd_url is not None:
        if install or crawl_args:
            raise click.BadParameter("--install and crawl options are for a local crawl, not a Scrapyd job",
                                     param_hint="--scrapyd")
        fields = deploy.schedule_fields(db, base_url=base_url)
        try:
            click.echo(deploy.scrapyd_cron_line(every.schedule(), scrapyd_url, fields))
        except deploy.ScrapydURLError as error:
            raise click.BadParameter(str(error), param_hint="--scrapyd") from None
        return
    if base_url is not None:
        raise click.BadParameter("only with --scrapyd (a local crawl takes it after --: -- --base-url URL)",
                                 param_hint="--base-url")
    line = cron_line(
        every,
        project_dir=project,
        db=db,
        log_file=(project / log_file).resolve(),
        executable=arabpress_executable(),
        crawl_args=checked_crawl_args(crawl_args),
    )
    click.echo(install_line(line, db) if install else line)
