"""Run health (spidermon-style, from the ``crawl_runs`` table) and the figures of ``arabpress stats``.

:func:`problems` is shared by ``arabpress check`` and ``arabpress crawl``: one line per problem of the
latest finished run, compared with the runs before it. A template change shows up as a drop in field
coverage or in the share of fields taken from the site's own template.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import sqlite3
import statistics
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import sqlite_utils

from arabpress_crawler.db import frontier, queries
from arabpress_crawler.db.runs import BAD_RUN_STATUSES, RUN_RUNNING, recent_run_rows

logger = logging.getLogger(__name__)

#: A database to read: an open sqlite-utils database or connection.
DatabaseLike = sqlite_utils.Database | sqlite3.Connection

DEFAULT_RECENT_RUNS = 10
#: Fields whose coverage (share of stored articles that have them) is watched: a few of those the run record
#: keeps (:data:`arabpress_crawler.run_record.COVERAGE_FIELDS`).
WATCHED_COVERAGE_FIELDS = ("title", "body", "published_at")
#: A coverage or site-layer share this far (absolute) below the recent median is a problem.
MAX_SHARE_DROP = 0.2
#: Runs that extracted fewer articles than this are too small to judge coverage by.
MIN_ARTICLES_FOR_SHARES = 5
NO_FINISHED_RUN = "no finished crawl run recorded: run `arabpress crawl` first"
BAD_STATUSES = BAD_RUN_STATUSES
SITE_LAYER = "site"
#: ``crawl_runs`` columns counting the articles a run stored (coverage is computed over them).
STORED_COUNT_COLUMNS = ("articles_new", "articles_updated", "articles_unchanged")
#: Spider stats (in ``crawl_runs.stats``): article links requested, and known ones not fetched again.
STAT_REQUESTED = "arabpress/articles/requested"
STAT_SKIPPED_KNOWN = "arabpress/skipped/known"


@dataclass(frozen=True)
class RunHealth:
    """The health-relevant figures of one ``crawl_runs`` row."""

    id: int
    started_at: str | None
    finished_at: str | None
    status: str
    finish_reason: str | None
    pages: int
    articles_found: int  # article links found: fetched, or known and not fetched again
    articles_extracted: int  # articles the store wrote or confirmed (new, updated, unchanged)
    coverage: dict[str, float] = field(default_factory=dict)  # field -> share of extracted articles
    site_share: float | None = None  # share of fields that came from the site layer

    @property
    def judged_by_shares(self) -> bool:
        """True when enough articles were extracted for coverage shares to mean something."""
        return self.articles_extracted >= MIN_ARTICLES_FOR_SHARES


# --- reading run records --------------------------------------------------------------------------


def _as_database(db: sqlite_utils.Database | sqlite3.Connection) -> sqlite_utils.Database:
    if isinstance(db, sqlite_utils.Database):
        return db
    return sqlite_utils.Database(db, recursive_triggers=False)


def _json_mapping(value: Any) -> dict[str, Any]:
    if isinstance(value, Mapping):
        return dict(value)
    if not value:
        return {}
    try:
        decoded = json.loads(value)
    except (TypeError, json.JSONDecodeError):
        return {}
    return decoded if isinstance(decoded, dict) else {}


def _int(value: Any) -> int:
    try:
        return int(value or 0)
    except (TypeError, ValueError):
        return 0


def _share(value: Any) -> float | None:
    try:
        return None if value is None else float(value)
    except (TypeError, ValueError):
        return None


def _articles_found(row: Mapping[str, Any]) -> int:
    """Article links the run found: requested plus known ones it skipped (from the spider's stats).

    An incremental run of an unchanged site fetches no article page yet finds every link, so the
    spider's counts say more than the store's; the store's are the fallback.
    """
    stats = _json_mapping(row.get("stats"))
    if STAT_REQUESTED in stats or STAT_SKIPPED_KNOWN in stats:
        return _int(stats.get(STAT_REQUESTED)) + _int(stats.get(STAT_SKIPPED_KNOWN))
    return sum(_int(row.get(column)) for column in STORED_COUNT_COLUMNS)


def _site_share(layers: Mapping[str, Any]) -> float | None:
    """Mean over fields of the share each field took from the site layer (``{field: {layer: share}}``)."""
    shares = [_share(per_layer.get(SITE_LAYER, 0)) for per_layer in layers.values() if isinstance(per_layer, Mapping)]
    known = [share for share in shares if share is not None]
    return statistics.fmean(known) if known else None


def run_from_row(row: Mapping[str, Any]) -> RunHealth:
    """Read a ``crawl_runs`` row (as a mapping) into a :class:`RunHealth`."""
    coverage = {name: share for name, value in _json_mapping(row.get("coverage")).items()
                if (share := _share(value)) is not None}
    return RunHealth(
        id=_int(row.get("id")),
        started_at=row.get("started_at"),
        finished_at=row.get("finished_at"),
        status=str(row.get("status") or ""),
        finish_reason=row.get("finish_reason"),
        pages=_int(row.get("pages")),
        articles_found=_articles_found(row),
        articles_extracted=sum(_int(row.get(column)) for column in STORED_COUNT_COLUMNS),
        coverage=coverage,
        site_share=_site_share(_json_mapping(row.get("extraction_layers"))),
    )


def recent_runs(db: DatabaseLike, *, limit: int = DEFAULT_RECENT_RUNS,
                include_running: bool = True) -> list[RunHealth]:
    """The latest ``limit`` runs, newest first."""
    rows = recent_run_rows(_as_database(db), limit=limit, include_running=include_running)
    return [run_from_row(row) for row in rows]


# --- problems -------------------------------------------------------------------------------------


def _describe(run: RunHealth) -> str:
    return f"run #{run.id} (started {run.started_at or 'at an unknown time'})"


def _status_problem(run: RunHealth) -> str | None:
    if run.status not in BAD_STATUSES:
        return None
    reason = f": {run.finish_reason}" if run.finish_reason and run.finish_reason != run.status else ""
    return f"last {_describe(run)} {run.status}{reason}"


def _empty_run_problem(run: RunHealth, earlier: list[RunHealth]) -> str | None:
    if run.articles_found > 0:
        return None
    fruitful = [r for r in earlier if r.articles_found > 0]
    if not fruitful:
        if run.pages == 0:  # not one answer, not even an error page: nothing to compare with is no excuse
            return f"last {_describe(run)} fetched no page at all: is the site down or the base URL wrong?"
        return None
    return (f"last {_describe(run)} found no articles; run #{fruitful[0].id} found "
            f"{fruitful[0].articles_found}: is the site down or did its links change?")


def _drop_problem(name: str, latest: float | None, history: list[float | None]) -> str | None:
    values = [v for v in history if v is not None]
    if latest is None or not values:
        return None
    median = statistics.median(values)
    if latest >= median - MAX_SHARE_DROP:
        return None
    return f"{name} fell to {latest:.0%} from a median of {median:.0%} over the last {len(values)} runs"


def _share_problems(run: RunHealth, earlier: list[RunHealth]) -> list[str]:
    if not run.judged_by_shares:
        return []
    comparable = [r for r in earlier if r.judged_by_shares]
    found = []
    for name in WATCHED_COVERAGE_FIELDS:
        problem = _drop_problem(f"{name} coverage", run.coverage.get(name),
                                [r.coverage.get(name) for r in comparable])
        if problem:
            found.append(f"{problem} (run #{run.id}): the page template probably changed")
    problem = _drop_problem("site-layer extraction", run.site_share, [r.site_share for r in comparable])
    if problem:
        found.append(f"{problem} (run #{run.id}): the page template probably changed")
    return found


def liveness_problems(
    db: DatabaseLike, *, crawl_alive: bool, max_age: dt.timedelta | None = None,
    time_budget: dt.timedelta | None = None, now: dt.datetime | None = None,
) -> list[str]:
    """Problems of the newest run that :func:`problems` cannot see from the run records alone.

    A run still ``running`` while no crawl holds the lock (``crawl_alive`` false) was killed or crashed: it
    is interrupted, whatever its row says. One running for longer than ``time_budget`` is hung. With
    ``max_age``, a newest finished run older than that means the schedule (cron) stopped.
    """
    now = now or dt.datetime.now(dt.UTC)
    found = []
    newest = recent_runs(db, limit=1, include_running=True)
    if newest and newest[0].status == RUN_RUNNING:
        run = newest[0]
        started = _as_utc(run.started_at)
        if not crawl_alive:
            found.append(f"last {_describe(run)} was interrupted: it is still marked running but no crawl holds"
                         " the lock (killed or crashed); the next crawl resumes it")
        elif started and time_budget and now - started > time_budget:
            found.append(f"{_describe(run)} has been running for {_age(now - started)}, longer than its time"
                         f" budget ({_age(time_budget)}): is it hung?")
    if max_age is not None:
        finished = recent_runs(db, limit=1, include_running=False)
        started = _as_utc(finished[0].started_at) if finished else None
        if started is not None and now - started > max_age:
            found.append(f"the last finished {_describe(finished[0])} is {_age(now - started)} old, more than"
                         f" {_age(max_age)}: is the crawl still scheduled?")
    return found


def _as_utc(value: str | None) -> dt.datetime | None:
    try:
        parsed = dt.datetime.fromisoformat((value or "").replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


def _age(delta: dt.timedelta) -> str:
    hours = delta.total_seconds() / 3600
    return f"{hours / 24:.1f} days" if hours >= 48 else f"{hours:.1f} hours"


def problems(db: DatabaseLike | str | os.PathLike[str], *, recent: int = DEFAULT_RECENT_RUNS) -> list[str]:
    """One line per problem of the latest finished run, judged against the ``recent`` runs before it.

    Problems: the run failed or was interrupted; it found no articles where earlier runs did; the
    coverage of title/body/published_at or the share of site-layer extraction fell well below the median
    of recent runs; article links were given up after repeated failed runs (the frontier). A database without any finished run is a problem too. Runs still running are ignored.
    ``db`` may be a path: the database is then opened read-only for the check.
    """
    if isinstance(db, str | os.PathLike):
        from arabpress_crawler.exporting import open_readonly

        database = open_readonly(db)
        try:
            return problems(database, recent=recent)
        finally:
            database.conn.close()
    runs = recent_runs(db, limit=recent + 1, include_running=False)
    if not runs:
        return [NO_FINISHED_RUN]
    latest, earlier = runs[0], runs[1:]
    found = [p for p in (_status_problem(latest), _empty_run_problem(latest, earlier)) if p]
    found.extend(_share_problems(latest, earlier))
    found.extend(_frontier_problems(_as_database(db)))
    for line in found:
        logger.info("run health: %s", line)
    return found


#: Given-up links named in the problem line (the rest are counted).
GIVEN_UP_SHOWN = 3


def _frontier_problems(db: sqlite_utils.Database) -> list[str]:
    """Article links the frontier gave up on after repeated failed runs: never silently absent."""
    try:
        given_up = frontier.given_up(db)
    except sqlite3.OperationalError:  # a database from before the frontier
        return []
    if not given_up:
        return []
    shown = ", ".join(f"{entry.url} ({entry.last_error or 'failed'})" for entry in given_up[:GIVEN_UP_SHOWN])
    more = f" and {len(given_up) - GIVEN_UP_SHOWN} more" if len(given_up) > GIVEN_UP_SHOWN else ""
    return [f"{len(given_up)} article link(s) given up after {given_up[0].attempts} failed runs: {shown}{more}"]


def ok_summary(db: DatabaseLike) -> str:
    """The one-line "all is well" description of the latest finished run."""
    runs = recent_runs(db, limit=1, include_running=False)
    if not runs:
        return "no runs"
    run = runs[0]
    return (f"{_describe(run)} {run.status or 'finished'}: {run.pages} pages, "
            f"{run.articles_found} articles seen, {run.articles_extracted} stored")


# --- figures for stats and charts -----------------------------------------------------------------


def articles_per_day(db: DatabaseLike, *, days: int,
                     today: dt.date | None = None) -> list[tuple[str, int]]:
    """Articles (duplicates left out) per publication day for the last ``days`` days, zeros included.

    The window ends today or, when the newest article is older (an old mirror), on its publication day.
    """
    database = _as_database(db)
    newest = queries.newest_publication_day(database)
    if not newest:
        return []
    try:
        newest_day = dt.date.fromisoformat(newest)
    except ValueError:
        logger.warning("articles per day: newest published_at %r is not a date", newest)
        return []
    end = min(today or dt.date.today(), newest_day)
    start = end - dt.timedelta(days=days - 1)
    counts = queries.articles_by_day(database, start.isoformat(), (end + dt.timedelta(days=1)).isoformat())
    window = [(start + dt.timedelta(days=n)).isoformat() for n in range(days)]
    return [(day, counts.get(day, 0)) for day in window]


def count_by(db: DatabaseLike, column: str, *, limit: int = 10) -> list[tuple[str, int]]:
    """The most frequent values of an ``articles`` column (``section`` or ``language``), duplicates left out."""
    return queries.count_by(_as_database(db), column, limit=limit)


def totals(db: DatabaseLike) -> dict[str, int]:
    """Row counts of the main tables (articles split into originals and duplicates)."""
    return queries.totals(_as_database(db))
