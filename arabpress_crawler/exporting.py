"""Streaming exports of the database to CSV, JSON and JSON Lines.

Rows come from one SQLite cursor (the query is built and checked by :mod:`arabpress_crawler.db.exports`)
and go straight to the output, so memory stays flat whatever the size of the table. Files are written through
:mod:`arabpress_crawler.outputs`: a regular file is replaced only once complete (a half-written export never
looks finished), symlinks are followed and FIFOs and devices are written through.
"""

from __future__ import annotations

import csv
import json
import logging
import os
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO, Any

import sqlite_utils

from arabpress_crawler import outputs
from arabpress_crawler.db import connection
from arabpress_crawler.db.exports import (
    SORT_DATE,
    SORT_RELEVANCE,
    SORTS,
    TABLES,
    ExportError,
    ExportQuery,
    ExportRequest,
    build_query,
    duplicate_rows_left_out,
    fts_match_expression,
    iter_rows,
)

__all__ = [
    "SORTS",
    "SORT_DATE",
    "SORT_RELEVANCE",
    "TABLES",
    "ExportError",
    "ExportQuery",
    "ExportRequest",
    "build_query",
    "duplicate_rows_left_out",
    "fts_match_expression",
    "iter_rows",
]

logger = logging.getLogger(__name__)

FORMATS = ("csv", "json", "jsonl")

#: Columns holding a JSON array: arrays in JSON/JSONL, ``;``-joined in CSV.
JSON_ARRAY_COLUMNS = frozenset({"authors", "tags"})
#: Columns holding a JSON object: objects in JSON/JSONL, JSON text in CSV.
JSON_OBJECT_COLUMNS = frozenset({"extraction"})
CSV_LIST_SEPARATOR = ";"
EXCEL_BOM = "\ufeff"

# --- opening the database -------------------------------------------------------------------------


def open_readonly(path: str | os.PathLike[str]) -> sqlite_utils.Database:
    """Open an existing arabpress database read-only; :class:`ExportError` if it is missing or foreign."""
    try:
        return connection.open_readonly(path)
    except connection.NotADatabase as error:
        raise ExportError(str(error)) from error


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
    try:
        outputs.resolve_output(path)
    except outputs.OutputError as exc:
        raise ExportError(str(exc)) from None


def _rows(db: sqlite_utils.Database, request: ExportRequest, query: ExportQuery
          ) -> tuple[Iterator[dict[str, Any]], tuple[str, ...]]:
    """The rows to write and their columns (the archived page added with ``with_html``)."""
    rows = iter_rows(db, query)
    if not request.with_html:
        return rows, query.columns
    from arabpress_crawler.archive.export import HTML_COLUMN, with_html
    from arabpress_crawler.db.archive import database_dir

    return with_html(rows, database_dir(db.conn) or Path(".")), (*query.columns, HTML_COLUMN)


def export_to_file(
    db: sqlite_utils.Database, request: ExportRequest, fmt: str, path: Path, *, excel: bool = False
) -> int:
    """Export to ``path``: a regular file is replaced atomically when complete; a symlink is followed; a FIFO
    or device is written through (see :mod:`arabpress_crawler.outputs`)."""
    check_format(fmt, excel=excel)
    check_output_path(path)
    query = build_query(db, request)
    try:
        with outputs.output_stream(path) as out:
            count = write_rows(*_rows(db, request, query), out, fmt, excel=excel)
    except outputs.OutputError as exc:
        raise ExportError(str(exc)) from None
    logger.info("exported %d %s rows to %s", count, request.table, path)
    return count


def export_to_stream(
    db: sqlite_utils.Database, request: ExportRequest, fmt: str, out: IO[str], *, excel: bool = False
) -> int:
    """Export to an open text stream (stdout)."""
    check_format(fmt, excel=excel)
    query = build_query(db, request)
    return write_rows(*_rows(db, request, query), out, fmt, excel=excel)
