"""The queries behind ``arabpress export``: a table and its filters, checked and turned into one SELECT.

Every filter value is an SQL parameter; a filter that cannot match (an unknown section, a date that is not
one, an empty search) is an :class:`ExportError` whose message says how to fix it. Rows are streamed from one
cursor (:func:`iter_rows`), so memory stays flat whatever the size of the table; writing them out is
:mod:`arabpress_crawler.exporting`'s job.
"""

from __future__ import annotations

import datetime as dt
import difflib
import sqlite3
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from typing import Any

import sqlite_utils

from arabpress_crawler.db.queries import fts_query
from arabpress_crawler.db.schema import ARTICLES_FTS, HEADLINES_FTS
from arabpress_crawler.search import SYNTAX

TABLES = ("articles", "headlines", "related")

#: Columns of ``related``: one row per (article, related headline), both titles joined in.
RELATED_COLUMNS: tuple[tuple[str, str], ...] = (
    ("article_url", "r.article_url"),
    ("article_title", "a.title"),
    ("position", "r.position"),
    ("headline_url", "r.headline_url"),
    ("title_as_shown", "r.title"),
    ("headline_title", "h.title"),
    ("article_published_at", "a.published_at"),
    ("article_section", "a.section"),
    ("article_language", "a.language"),
)

#: How many known values an "unknown section" message lists.
MAX_LISTED_CHOICES = 20


SORT_DATE = "date"
SORT_RELEVANCE = "relevance"
SORTS = (SORT_DATE, SORT_RELEVANCE)


class ExportError(ValueError):
    """A user error in an export request; the message is one line that says how to fix it."""


@dataclass(frozen=True)
class ExportRequest:
    """What to export: a table and its filters (all optional)."""

    table: str = "articles"
    since: str | None = None
    until: str | None = None
    section: str | None = None
    language: str | None = None
    search: str | None = None
    include_duplicates: bool = False
    sort: str = SORT_DATE  # "date" (publication, oldest first) or "relevance" (best match first; needs search)
    #: Add each article's archived page (``html``): only when asked, raw pages are large.
    with_html: bool = False


@dataclass(frozen=True)
class ExportQuery:
    """A parameterised SELECT and the names of the columns it returns."""

    sql: str
    params: dict[str, Any]
    columns: tuple[str, ...]


# --- validating filters ---------------------------------------------------------------------------


def parse_day(value: str, option: str) -> dt.date:
    """Parse ``YYYY-MM-DD`` (a full ISO timestamp is accepted and cut to its day); anything else is an error."""
    text = value.strip()
    try:
        return dt.date.fromisoformat(text) if len(text) == 10 else dt.datetime.fromisoformat(text).date()
    except ValueError:
        raise ExportError(f"{option} {value!r} is not a date: use YYYY-MM-DD, e.g. 2025-11-08") from None


def known_values(db: sqlite_utils.Database, column: str) -> list[str]:
    """The distinct non-empty values of an ``articles`` column, sorted."""
    sql = f"SELECT DISTINCT {column} FROM articles WHERE {column} IS NOT NULL AND {column} != '' ORDER BY 1"
    return [row[0] for row in db.execute(sql)]


def check_known(db: sqlite_utils.Database, column: str, value: str) -> str:
    """The stored spelling of ``value`` in ``column`` (case does not matter: ``AR`` is ``ar``).

    Raises :class:`ExportError` naming the known values when ``value`` never occurs in ``column``.
    """
    known = known_values(db, column)
    if value in known:
        return value
    same = [name for name in known if name.casefold() == value.casefold()]
    if len(same) == 1:
        return same[0]
    close = difflib.get_close_matches(value, known, n=1)
    hint = f" Did you mean {close[0]!r}?" if close else ""
    listed = ", ".join(known[:MAX_LISTED_CHOICES]) + (", …" if len(known) > MAX_LISTED_CHOICES else "")
    raise ExportError(f"unknown {column} {value!r}.{hint} Known: {listed or 'none (the database is empty)'}")


def fts_match_expression(query: str) -> str:
    """Turn what a user typed into a safe FTS5 MATCH expression over the search index.

    The store's own query builder (:func:`arabpress_crawler.search.match_expression`): words, "phrases",
    prefix* and OR; each word normalised and stemmed like the indexed text; other FTS syntax is text.
    """
    return fts_query(query)


# --- building the query ---------------------------------------------------------------------------


def table_columns(db: sqlite_utils.Database, table: str) -> tuple[str, ...]:
    """The columns of a stored table, in schema order."""
    return tuple(column.name for column in db[table].columns)


def _article_filters(db: sqlite_utils.Database, request: ExportRequest, alias: str) -> tuple[list[str], dict]:
    where: list[str] = []
    params: dict[str, Any] = {}
    since = parse_day(request.since, "--since") if request.since else None
    until = parse_day(request.until, "--until") if request.until else None
    if since and until and since > until:
        raise ExportError(f"--since {since} is after --until {until}: swap them")
    if since:
        where.append(f"{alias}.published_at >= :since")
        params["since"] = since.isoformat()
    if until:
        where.append(f"{alias}.published_at < :before")
        params["before"] = (until + dt.timedelta(days=1)).isoformat()
    if request.section is not None:
        where.append(f"{alias}.section = :section")
        params["section"] = check_known(db, "section", request.section)
    if request.language is not None:
        where.append(f"{alias}.language = :language")
        params["language"] = check_known(db, "language", request.language)
    if not request.include_duplicates:
        where.append(f"{alias}.duplicate_of IS NULL")
    if request.search is not None:
        params["search"] = _checked_search(request.search)
        if request.sort != SORT_RELEVANCE:  # by relevance the search is the join that ranks the rows
            where.append(_search_clause(f"{alias}.rowid", ARTICLES_FTS))
    return where, params


def _search_clause(rowid: str, fts_table: str) -> str:
    return f"{rowid} IN (SELECT rowid FROM {fts_table} WHERE {fts_table} MATCH :search)"


def _checked_search(query: str) -> str:
    expression = fts_match_expression(query)
    if not expression:
        raise ExportError(f"--search is empty (no word in {query!r}): the search accepts {SYNTAX}")
    return expression


def _where_sql(where: list[str]) -> str:
    return (" WHERE " + " AND ".join(where)) if where else ""


def _articles_query(db: sqlite_utils.Database, request: ExportRequest) -> ExportQuery:
    columns = table_columns(db, "articles")
    where, params = _article_filters(db, request, "a")
    select = ", ".join(f'a."{name}"' for name in columns)
    if request.sort == SORT_RELEVANCE:
        ranked = (
            f" JOIN (SELECT rowid AS match_rowid, bm25({ARTICLES_FTS}) AS match_rank FROM {ARTICLES_FTS}"
            f" WHERE {ARTICLES_FTS} MATCH :search) AS m ON m.match_rowid = a.rowid"
        )
        sql = f"SELECT {select} FROM articles AS a{ranked}{_where_sql(where)} ORDER BY m.match_rank, a.url"
    else:
        sql = f"SELECT {select} FROM articles AS a{_where_sql(where)} ORDER BY a.published_at, a.url"
    return ExportQuery(sql, params, columns)


def _related_query(db: sqlite_utils.Database, request: ExportRequest) -> ExportQuery:
    where, params = _article_filters(db, request, "a")
    select = ", ".join(f"{expr} AS {name}" for name, expr in RELATED_COLUMNS)
    sql = (
        f"SELECT {select} FROM related_headlines AS r"
        " LEFT JOIN articles AS a ON a.url = r.article_url"
        " LEFT JOIN headlines AS h ON h.url = r.headline_url"
        f"{_where_sql(where)} ORDER BY r.article_url, r.position"
    )
    return ExportQuery(sql, params, tuple(name for name, _ in RELATED_COLUMNS))


def _headlines_query(db: sqlite_utils.Database, request: ExportRequest) -> ExportQuery:
    article_only = {
        "--since": request.since,
        "--until": request.until,
        "--section": request.section,
        "--language": request.language,
    }
    used = [option for option, value in article_only.items() if value is not None]
    if used:
        raise ExportError(f"{', '.join(used)} filter articles: use --table articles or --table related")
    columns = table_columns(db, "headlines")
    select = ", ".join(f'h."{name}"' for name in columns)
    where: list[str] = []
    params: dict[str, Any] = {}
    if request.search is not None:
        where.append(_search_clause("h.rowid", HEADLINES_FTS))
        params["search"] = _checked_search(request.search)
    sql = f"SELECT {select} FROM headlines AS h{_where_sql(where)} ORDER BY h.url"
    return ExportQuery(sql, params, columns)


_QUERY_BUILDERS: dict[str, Callable[[sqlite_utils.Database, ExportRequest], ExportQuery]] = {
    "articles": _articles_query,
    "headlines": _headlines_query,
    "related": _related_query,
}


def build_query(db: sqlite_utils.Database, request: ExportRequest) -> ExportQuery:
    """Validate ``request`` against the database and build its parameterised query."""
    try:
        builder = _QUERY_BUILDERS[request.table]
    except KeyError:
        raise ExportError(f"unknown table {request.table!r}: use one of {', '.join(TABLES)}") from None
    if request.sort not in SORTS:
        raise ExportError(f"unknown sort {request.sort!r}: use one of {', '.join(SORTS)}")
    if request.sort == SORT_RELEVANCE and (request.search is None or request.table != "articles"):
        raise ExportError("--sort relevance orders the articles a --search found: give --search (and --table articles)")
    if request.with_html and request.table != "articles":
        raise ExportError("--with-html adds the archived page of each article: use it with --table articles")
    return builder(db, request)


def duplicate_rows_left_out(db: sqlite_utils.Database, request: ExportRequest, written: int) -> int:
    """How many more rows ``request`` would give with near-duplicate copies included (0 when it includes them)."""
    if request.include_duplicates or request.table == "headlines":
        return 0
    everything = build_query(db, replace(request, include_duplicates=True))
    total = db.conn.execute(f"SELECT count(*) FROM ({everything.sql})", everything.params).fetchone()[0]
    return max(int(total) - written, 0)


def iter_rows(db: sqlite_utils.Database, query: ExportQuery) -> Iterator[dict[str, Any]]:
    """Stream the rows of ``query`` as dicts, one cursor step at a time."""
    cursor = db.conn.execute(query.sql, query.params)
    try:
        for values in cursor:
            yield dict(zip(query.columns, values, strict=True))
    finally:
        try:
            cursor.close()
        except sqlite3.ProgrammingError:  # the connection closed first, taking the cursor with it
            pass
