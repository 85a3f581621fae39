"""Streaming exports of the database to CSV, JSON and JSON Lines.

Rows come from one SQLite cursor and go straight to the output, so memory stays flat whatever the size
of the table. Files are written to a temporary file beside the target and renamed when complete: a
half-written export never looks finished. Every filter value is an SQL parameter.
"""

from __future__ import annotations

import csv
import datetime as dt
import difflib
import json
import logging
import os
import sqlite3
import tempfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import sqlite_utils

logger = logging.getLogger(__name__)

TABLES = ("articles", "headlines", "related")
FORMATS = ("csv", "json", "jsonl")

#: Columns holding a JSON array: arrays in JSON/JSONL, ``;``-joined in CSV.
JSON_ARRAY_COLUMNS = frozenset({"authors", "tags"})
#: Columns holding a JSON object: objects in JSON/JSONL, JSON text in CSV.
JSON_OBJECT_COLUMNS = frozenset({"extraction"})
CSV_LIST_SEPARATOR = ";"
EXCEL_BOM = "\ufeff"
NEW_FILE_MODE = 0o666

#: The full-text index of each exportable table (kept in sync by the store's triggers).
ARTICLES_FTS = "articles_fts"
HEADLINES_FTS = "headlines_fts"

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


@dataclass(frozen=True)
class ExportQuery:
    """A parameterised SELECT and the names of the columns it returns."""

    sql: str
    params: dict[str, Any]
    columns: tuple[str, ...]


# --- opening the database -------------------------------------------------------------------------


def open_readonly(path: str | os.PathLike[str]) -> sqlite_utils.Database:
    """Open an existing arabpress database read-only; :class:`ExportError` if it is missing or foreign."""
    db_path = Path(path)
    if not db_path.is_file():
        raise ExportError(f"no database at {db_path}: run `arabpress crawl --db {db_path}` first or pass --db")
    conn = sqlite3.connect(f"{db_path.resolve().as_uri()}?mode=ro", uri=True)
    db = sqlite_utils.Database(conn)
    try:
        has_articles = db["articles"].exists()
    except sqlite3.DatabaseError as exc:
        conn.close()
        raise ExportError(f"{db_path} is not a readable SQLite database ({exc})") from exc
    if not has_articles:
        conn.close()
        raise ExportError(f"{db_path} is not an arabpress database (no articles table): check --db")
    return db


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
    """Turn what a user typed into a safe FTS5 MATCH expression over the normalised index.

    The store's own query builder: each word normalised like the indexed text (Arabic diacritics,
    tatweel, case, digits) and quoted, so FTS operators and quotes in the input are never interpreted.
    """
    from arabpress_crawler.store import fts_query

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
        where.append(_search_clause(f"{alias}.rowid", ARTICLES_FTS))
        params["search"] = _checked_search(request.search)
    return where, params


def _search_clause(rowid: str, fts_table: str) -> str:
    return f"{rowid} IN (SELECT rowid FROM {fts_table} WHERE {fts_table} MATCH :search)"


def _checked_search(query: str) -> str:
    expression = fts_match_expression(query)
    if not expression:
        raise ExportError("--search is empty: give at least one word, e.g. --search Syria")
    return expression


def _where_sql(where: list[str]) -> str:
    return (" WHERE " + " AND ".join(where)) if where else ""


def _articles_query(db: sqlite_utils.Database, request: ExportRequest) -> ExportQuery:
    columns = table_columns(db, "articles")
    where, params = _article_filters(db, request, "a")
    select = ", ".join(f'a."{name}"' for name in columns)
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
    return builder(db, request)


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


# --- writing --------------------------------------------------------------------------------------


def _decode_json(value: Any, empty: Any) -> Any:
    if value is None or value == "":
        return empty
    if not isinstance(value, str):
        return value
    try:
        return json.loads(value)
    except json.JSONDecodeError:
        return value


def json_ready(row: dict[str, Any]) -> dict[str, Any]:
    """A row for JSON output: JSON array and object columns decoded to arrays and objects."""
    out = dict(row)
    for name in JSON_ARRAY_COLUMNS.intersection(out):
        out[name] = _decode_json(out[name], [])
    for name in JSON_OBJECT_COLUMNS.intersection(out):
        out[name] = _decode_json(out[name], None)
    return out


def csv_ready(row: dict[str, Any]) -> dict[str, Any]:
    """A row for CSV output: JSON arrays ``;``-joined, ``None`` as an empty cell."""
    out = dict(row)
    for name in JSON_ARRAY_COLUMNS.intersection(out):
        items = _decode_json(out[name], [])
        if isinstance(items, list):
            out[name] = CSV_LIST_SEPARATOR.join(str(item) for item in items)
    return {name: "" if value is None else value for name, value in out.items()}


def write_csv(rows: Iterable[dict[str, Any]], columns: tuple[str, ...], out: IO[str], *, excel: bool) -> int:
    """RFC 4180 CSV with a header row (CRLF line ends); a UTF-8 BOM first when ``excel``."""
    if excel:
        out.write(EXCEL_BOM)
    writer = csv.DictWriter(out, fieldnames=columns, lineterminator="\r\n")
    writer.writeheader()
    count = 0
    for row in rows:
        writer.writerow(csv_ready(row))
        count += 1
    return count


def write_json(rows: Iterable[dict[str, Any]], out: IO[str]) -> int:
    """One JSON array, written element by element."""
    count = 0
    out.write("[")
    for row in rows:
        out.write(",\n" if count else "\n")
        out.write(json.dumps(json_ready(row), ensure_ascii=False))
        count += 1
    out.write("\n]\n" if count else "]\n")
    return count


def write_jsonl(rows: Iterable[dict[str, Any]], out: IO[str]) -> int:
    """One JSON object per line."""
    count = 0
    for row in rows:
        out.write(json.dumps(json_ready(row), ensure_ascii=False))
        out.write("\n")
        count += 1
    return count


def check_format(fmt: str, *, excel: bool) -> None:
    """Raise :class:`ExportError` for an unknown format or ``--excel`` with a format other than CSV."""
    if fmt not in FORMATS:
        raise ExportError(f"unknown format {fmt!r}: use one of {', '.join(FORMATS)}")
    if excel and fmt != "csv":
        raise ExportError("--excel only applies to --format csv: drop it or add --format csv")


def write_rows(
    rows: Iterable[dict[str, Any]], columns: tuple[str, ...], out: IO[str], fmt: str, *, excel: bool = False
) -> int:
    """Write ``rows`` to ``out`` in ``fmt``; returns the number of rows written."""
    check_format(fmt, excel=excel)
    if fmt == "csv":
        return write_csv(rows, columns, out, excel=excel)
    if fmt == "json":
        return write_json(rows, out)
    return write_jsonl(rows, out)


def check_output_path(path: Path) -> None:
    """Raise :class:`ExportError` when ``path`` cannot receive an export."""
    if path.is_dir():
        raise ExportError(f"--output {path} is a directory: give a file name, e.g. {path / 'articles.csv'}")
    parent = path.parent
    if not parent.is_dir():
        raise ExportError(f"--output {path}: folder {parent} does not exist; create it first")
    if not os.access(parent, os.W_OK):
        raise ExportError(f"--output {path}: folder {parent} is not writable; choose another path")


def _file_mode(path: Path) -> int:
    """The permissions the export gets: those of the file it replaces, else the usual ones under the umask.

    (A temporary file is created private, 0600; a finished export should look like any other file.)
    """
    if path.exists():
        return path.stat().st_mode & 0o777
    umask = os.umask(0)
    os.umask(umask)
    return NEW_FILE_MODE & ~umask


def export_to_file(
    db: sqlite_utils.Database, request: ExportRequest, fmt: str, path: Path, *, excel: bool = False
) -> int:
    """Export to ``path`` atomically: a temporary file beside it, renamed once complete."""
    check_format(fmt, excel=excel)
    check_output_path(path)
    query = build_query(db, request)
    try:
        handle = tempfile.NamedTemporaryFile(
            "w", encoding="utf-8", newline="", dir=path.parent, prefix=f".{path.name}.", suffix=".part",
            delete=False,
        )
    except OSError as exc:
        raise ExportError(f"--output {path} is not writable ({exc.strerror}); choose another path") from exc
    temp_path = Path(handle.name)
    try:
        with handle:
            count = write_rows(iter_rows(db, query), query.columns, handle, fmt, excel=excel)
        os.chmod(temp_path, _file_mode(path))
        os.replace(temp_path, path)
    except BaseException:
        temp_path.unlink(missing_ok=True)
        raise
    logger.info("exported %d %s rows to %s", count, request.table, path)
    return count


def export_to_stream(
    db: sqlite_utils.Database, request: ExportRequest, fmt: str, out: IO[str], *, excel: bool = False
) -> int:
    """Export to an open text stream (stdout)."""
    check_format(fmt, excel=excel)
    query = build_query(db, request)
    return write_rows(iter_rows(db, query), query.columns, out, fmt, excel=excel)
