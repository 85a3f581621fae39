"""Run health (spidermon-style, from the ``crawl_runs`` table) and the figures of ``arabpress stats``.

:func:`problems` is shared by ``arabpress check`` and ``arabpress crawl``: one line per problem of the
latest finished run, compared with the runs before it. A template change shows up as a drop in field
coverage or in the share of fields taken from the site's own template.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import sqlite3
import statistics
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import sqlite_utils

logger = logging.getLogger(__name__)

DEFAULT_RECENT_RUNS = 10
#: Fields whose coverage (share of stored articles that have them) is watched.
COVERAGE_FIELDS = ("title", "body", "published_at")
#: A coverage or site-layer share this far (absolute) below the recent median is a problem.
MAX_SHARE_DROP = 0.2
#: Runs that extracted fewer articles than this are too small to judge coverage by.
MIN_ARTICLES_FOR_SHARES = 5
STATUS_RUNNING = "running"
BAD_STATUSES = frozenset({"failed", "interrupted"})
SITE_LAYER = "site"


@dataclass(frozen=True)
class RunHealth:
    """The health-relevant figures of one ``crawl_runs`` row."""

    id: int
    started_at: str | None
    finished_at: str | None
    status: str
    finish_reason: str | None
    pages: int
    articles_found: int  # article pages seen (fetched or known and skipped)
    articles_extracted: int  # articles extracted and stored in this run (new or updated)
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


def run_from_row(row: Mapping[str, Any]) -> RunHealth:
    """Read a ``crawl_runs`` row (as a mapping) into a :class:`RunHealth`."""
    extracted = _int(row.get("articles_new")) + _int(row.get("articles_updated"))
    found = extracted + _int(row.get("articles_unchanged")) + _int(row.get("articles_skipped"))
    coverage = {name: share for name, value in _json_mapping(row.get("coverage")).items()
                if (share := _share(value)) is not None}
    layers = _json_mapping(row.get("extraction_layers"))
    total_layers = sum(_int(v) for v in layers.values())
    site_share = _int(layers.get(SITE_LAYER)) / total_layers if total_layers else None
    return RunHealth(
        id=_int(row.get("id")),
        started_at=row.get("started_at"),
        finished_at=row.get("finished_at"),
        status=str(row.get("status") or ""),
        finish_reason=row.get("finish_reason"),
        pages=_int(row.get("pages")),
        articles_found=found,
        articles_extracted=extracted,
        coverage=coverage,
        site_share=site_share,
    )


def recent_runs(db: sqlite_utils.Database | sqlite3.Connection, *, limit: int = DEFAULT_RECENT_RUNS,
                include_running: bool = True) -> list[RunHealth]:
    """The latest ``limit`` runs, newest first."""
    database = _as_database(db)
    if not database["crawl_runs"].exists():
        return []
    where = "" if include_running else "WHERE status IS NOT ? "
    params: list[Any] = [] if include_running else [STATUS_RUNNING]
    sql = f"SELECT * FROM crawl_runs {where}ORDER BY id DESC LIMIT ?"
    return [run_from_row(row) for row in database.query(sql, [*params, limit])]


# --- problems -------------------------------------------------------------------------------------


def _describe(run: RunHealth) -> str:
    return f"run #{run.id} (started {run.started_at or 'at an unknown time'})"


def _status_problem(run: RunHealth) -> str | None:
    if run.status not in BAD_STATUSES:
        return None
    reason = f": {run.finish_reason}" if run.finish_reason else ""
    return f"last {_describe(run)} {run.status}{reason}"


def _empty_run_problem(run: RunHealth, earlier: list[RunHealth]) -> str | None:
    if run.articles_found > 0:
        return None
    fruitful = [r for r in earlier if r.articles_found > 0]
    if not fruitful:
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
    for name in COVERAGE_FIELDS:
        problem = _drop_problem(f"{name} coverage", run.coverage.get(name),
                                [r.coverage.get(name) for r in comparable])
        if problem:
            found.append(f"{problem} (run #{run.id}): the page template probably changed")
    problem = _drop_problem("site-layer extraction", run.site_share, [r.site_share for r in comparable])
    if problem:
        found.append(f"{problem} (run #{run.id}): the page template probably changed")
    return found


def problems(db: sqlite_utils.Database | sqlite3.Connection, *, recent: int = DEFAULT_RECENT_RUNS) -> list[str]:
    """One line per problem of the latest finished run, judged against the ``recent`` runs before it.

    Problems: the run failed or was interrupted; it found no articles where earlier runs did; the
    coverage of title/body/published_at or the share of site-layer extraction fell well below the median
    of recent runs. A database without any finished run is a problem too. Runs still running are ignored.
    """
    runs = recent_runs(db, limit=recent + 1, include_running=False)
    if not runs:
        return ["no finished crawl run recorded: run `arabpress crawl` first"]
    latest, earlier = runs[0], runs[1:]
    found = [p for p in (_status_problem(latest), _empty_run_problem(latest, earlier)) if p]
    found.extend(_share_problems(latest, earlier))
    for line in found:
        logger.warning("run health: %s", line)
    return found


def ok_summary(db: sqlite_utils.Database | sqlite3.Connection) -> str:
    """The one-line "all is well" description of the latest finished run."""
    runs = recent_runs(db, limit=1, include_running=False)
    if not runs:
        return "no runs"
    run = runs[0]
    return (f"{_describe(run)} {run.status or 'finished'}: {run.pages} pages, "
            f"{run.articles_found} articles seen, {run.articles_extracted} stored")


# --- figures for stats and charts -----------------------------------------------------------------


def articles_per_day(db: sqlite_utils.Database | sqlite3.Connection, *, days: int,
                     today: dt.date | None = None) -> list[tuple[str, int]]:
    """Articles (duplicates left out) per publication day for the last ``days`` days, zeros included.

    The window ends today or, when the newest article is older (an old mirror), on its publication day.
    """
    database = _as_database(db)
    newest = database.execute(
        "SELECT max(substr(published_at, 1, 10)) FROM articles WHERE duplicate_of IS NULL"
    ).fetchone()[0]
    if not newest:
        return []
    try:
        newest_day = dt.date.fromisoformat(newest)
    except ValueError:
        logger.warning("articles per day: newest published_at %r is not a date", newest)
        return []
    end = min(today or dt.date.today(), newest_day)
    start = end - dt.timedelta(days=days - 1)
    counts = dict(database.execute(
        "SELECT substr(published_at, 1, 10) AS day, count(*) FROM articles"
        " WHERE duplicate_of IS NULL AND published_at >= ? AND published_at < ? GROUP BY day",
        [start.isoformat(), (end + dt.timedelta(days=1)).isoformat()],
    ).fetchall())
    window = [(start + dt.timedelta(days=n)).isoformat() for n in range(days)]
    return [(day, counts.get(day, 0)) for day in window]


def count_by(db: sqlite_utils.Database | sqlite3.Connection, column: str, *, limit: int = 10) -> list[tuple[str, int]]:
    """The most frequent values of an ``articles`` column (``section`` or ``language``), duplicates left out."""
    if column not in {"section", "language"}:
        raise ValueError(f"cannot count articles by {column!r}")
    database = _as_database(db)
    sql = (f"SELECT coalesce({column}, '(none)'), count(*) AS n FROM articles WHERE duplicate_of IS NULL"
           f" GROUP BY 1 ORDER BY n DESC, 1 LIMIT ?")
    return [(str(name), int(n)) for name, n in database.execute(sql, [limit]).fetchall()]


def totals(db: sqlite_utils.Database | sqlite3.Connection) -> dict[str, int]:
    """Row counts of the main tables (articles split into originals and duplicates)."""
    database = _as_database(db)
    out: dict[str, int] = {}
    if database["articles"].exists():
        originals, duplicates = database.execute(
            "SELECT count(*) - count(duplicate_of), count(duplicate_of) FROM articles"
        ).fetchone()
        out["articles"] = int(originals)
        out["duplicates"] = int(duplicates)
    for table in ("headlines", "related_headlines", "url_aliases", "article_revisions", "crawl_runs"):
        if database[table].exists():
            out[table] = database[table].count
    return out
