"""Datasette hooks of arabpress-crawler: search, cells, the chart page and the static files.

- Search that works in Arabic: the full-text indexes hold normalised text (no diacritics or tatweel,
  case-folded), so the query is normalised the same way. Datasette builds every table search as
  ``MATCH escape_fts(:search)``; this plugin registers, after datasette's own, an ``escape_fts`` that
  builds the query the way the store does (normalised, quoted words), and a ``normalize_for_search()``
  SQL function for canned queries.
- Right-to-left cells: Arabic text is rendered with ``dir="rtl" lang="ar"``, paragraphs kept; arrays of
  strings (authors, tags) are shown item by item in both languages.
- A chart page (``/-/charts``): articles per day and run health over time, drawn server-side as SVG.
- The stylesheet under ``/arabpress-static/`` (a route of the plugin, so plain ``datasette`` serves it too).
"""

from __future__ import annotations

import json
import logging
import re
import sqlite3
from typing import Any

import markupsafe
import sqlite_utils
from datasette import hookimpl
from datasette.utils.asgi import NotFound, Response, asgi_send_file

from arabpress_crawler import health
from arabpress_crawler.arabic import ARABIC_SCRIPT as _ARABIC_LETTER
from arabpress_crawler.datasette import CHARTS_PATH, STATIC_DIR, STATIC_MOUNT, charts
from arabpress_crawler.db import fts_query
from arabpress_crawler.text import normalize_for_search

logger = logging.getLogger(__name__)

CHARTS_TEMPLATE = "arabpress_charts.html"
DEFAULT_CHART_DAYS = 60
MAX_CHART_DAYS = 3650
CHART_RUNS = 60
#: What an empty search matches: a phrase no normalised text contains (an empty MATCH is an FTS5 error).
EMPTY_MATCH = '""'
INTERNAL_DATABASES = frozenset({"_internal", "_memory"})
#: Columns whose text is shown with its paragraphs.
PARAGRAPH_COLUMNS = frozenset({"body"})
_LATIN_LETTER = re.compile(r"[A-Za-z\u00C0-\u024F]")
_PARAGRAPH_BREAK = re.compile(r"\n\s*\n")


# --- search ---------------------------------------------------------------------------------------


def normalised_escape_fts(query: str | None) -> str:
    """The MATCH expression of ``query`` over the normalised index: the store's own query builder.

    Every word is normalised (diacritics, tatweel, case, digits) and quoted, so all of them must occur
    and FTS syntax typed by the user is searched as text; a query without words matches nothing.
    """
    return fts_query(query or "") or EMPTY_MATCH


def _normalise(value: str | None) -> str | None:
    return None if value is None else normalize_for_search(value)


@hookimpl(trylast=True)
def prepare_connection(conn: sqlite3.Connection) -> None:
    # trylast: runs after datasette's own prepare_connection, so this escape_fts replaces its one.
    conn.create_function("normalize_for_search", 1, _normalise, deterministic=True)
    conn.create_function("escape_fts", 1, normalised_escape_fts, deterministic=True)


# --- right-to-left cells --------------------------------------------------------------------------


def is_mostly_arabic(text: str) -> bool:
    """True when ``text`` has more Arabic letters than Latin ones."""
    arabic = len(_ARABIC_LETTER.findall(text))
    return arabic > 0 and arabic >= len(_LATIN_LETTER.findall(text))


def rtl_html(text: str, *, paragraphs: bool) -> markupsafe.Markup:
    """``text`` as right-to-left Arabic HTML, split into ``<p>`` when ``paragraphs``."""
    if paragraphs:
        inner = "".join(
            f"<p>{markupsafe.escape(part.strip())}</p>" for part in _PARAGRAPH_BREAK.split(text) if part.strip()
        )
    else:
        inner = str(markupsafe.escape(text))
    return markupsafe.Markup(f'<div class="arabpress-text" dir="rtl" lang="ar">{inner}</div>')


def _string_list(value: str) -> list[str] | None:
    try:
        items = json.loads(value)
    except json.JSONDecodeError:
        return None
    if isinstance(items, list) and all(isinstance(item, str) for item in items):
        return items
    return None


def list_html(items: list[str]) -> markupsafe.Markup:
    """A JSON array of strings as a list whose items each keep their own direction."""
    inner = ", ".join(str(markupsafe.Markup('<span dir="auto">{}</span>').format(item)) for item in items)
    return markupsafe.Markup(f'<span class="arabpress-list">{inner}</span>')


@hookimpl
def render_cell(value: Any, column: str) -> markupsafe.Markup | None:
    if not isinstance(value, str):
        return None
    if value[:1] == "[":  # an array (authors, tags): shown item by item in both languages, never reversed
        items = _string_list(value)
        return list_html(items) if items is not None else None
    if not is_mostly_arabic(value) or value[:1] == "{" or "://" in value[:12]:
        return None
    return rtl_html(value, paragraphs=column in PARAGRAPH_COLUMNS)


# --- chart page -----------------------------------------------------------------------------------


def _served_database(datasette: Any, requested: str | None) -> Any:
    names = [name for name in datasette.databases if name not in INTERNAL_DATABASES]
    if requested:
        if requested not in names:
            raise NotFound(f"no database named {requested}")
        return datasette.get_database(requested)
    if not names:
        raise NotFound("no database is served")
    return datasette.get_database(names[0])


def _chart_days(request: Any) -> int:
    try:
        days = int(request.args.get("days", DEFAULT_CHART_DAYS))
    except ValueError:
        days = DEFAULT_CHART_DAYS
    return min(max(days, 1), MAX_CHART_DAYS)


def chart_context(db: sqlite_utils.Database, days: int) -> dict[str, Any]:
    """Everything the chart page shows, computed from one database connection."""
    per_day = health.articles_per_day(db, days=days)
    runs = list(reversed(health.recent_runs(db, limit=CHART_RUNS)))
    labels = [f"#{run.id}" for run in runs]
    series = [
        charts.Series(f"{field} coverage", [run.coverage.get(field) for run in runs])
        for field in health.WATCHED_COVERAGE_FIELDS
    ]
    series.append(charts.Series("site-layer share", [run.site_share for run in runs]))
    return {
        "days": days,
        "articles_total": sum(count for _, count in per_day),
        "per_day_svg": markupsafe.Markup(charts.bar_chart(per_day, label=f"Articles per day, last {days} days")),
        "runs_svg": markupsafe.Markup(
            charts.line_chart(labels, series, label="Run health over time",
                              bad=[run.status in health.BAD_STATUSES for run in runs])
        ),
        "runs_legend": markupsafe.Markup(charts.legend(series)),
        "runs": list(reversed(runs)),
        "problems": health.problems(db),
    }


async def charts_view(datasette: Any, request: Any) -> Response:
    database = _served_database(datasette, request.args.get("db"))
    days = _chart_days(request)
    context = await database.execute_fn(
        lambda conn: chart_context(sqlite_utils.Database(conn, recursive_triggers=False), days)
    )
    context["database"] = database.name
    html = await datasette.render_template(CHARTS_TEMPLATE, context, request=request)
    return Response.html(html)


async def static_view(request: Any, send: Any) -> None:
    name = request.url_vars["path"]
    path = (STATIC_DIR / name).resolve()
    if path.parent != STATIC_DIR or not path.is_file():
        raise NotFound(f"no static file {name}")
    await asgi_send_file(send, str(path))


@hookimpl
def register_routes() -> list[tuple[str, Any]]:
    return [
        (rf"^{re.escape(CHARTS_PATH)}$", charts_view),
        (rf"^/{re.escape(STATIC_MOUNT)}/(?P<path>[A-Za-z0-9_.-]+)$", static_view),
    ]


@hookimpl
def extra_css_urls(datasette: Any) -> list[str]:
    return [datasette.urls.path(f"/{STATIC_MOUNT}/arabpress.css")]


@hookimpl
def menu_links(datasette: Any) -> list[dict[str, str]]:
    return [{"href": datasette.urls.path(CHARTS_PATH), "label": "Run health (charts without JavaScript)"}]
