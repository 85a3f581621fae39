"""``arabpress export``: stream a table of the database to CSV, JSON or JSON Lines."""

from __future__ import annotations

import io
import logging
import sqlite3
import sys
from pathlib import Path

import click
import sqlite_utils

from arabpress_crawler import exporting
from arabpress_crawler.cli import cli, user_error
from arabpress_crawler.settings import ARABPRESS_DB

logger = logging.getLogger(__name__)

STDOUT = "-"


def _write_stdout(db: sqlite_utils.Database, request: exporting.ExportRequest, fmt: str, *, excel: bool) -> int:
    sys.stdout.flush()
    out = io.TextIOWrapper(sys.stdout.buffer, encoding="utf-8", newline="")
    try:
        return exporting.export_to_stream(db, request, fmt, out, excel=excel)
    finally:
        try:
            out.flush()
        except BrokenPipeError:  # the reader (e.g. `| head`) went away: nothing left to say
            pass
        out.detach()


@cli.command()
@click.option("--db", "db_path", default=ARABPRESS_DB, show_default=True, type=click.Path(dir_okay=False),
              help="SQLite database written by `arabpress crawl`.")
@click.option("--table", type=click.Choice(exporting.TABLES), default="articles", show_default=True,
              help="articles, headlines, or related (article → headline pairs with both titles).")
@click.option("--format", "fmt", type=click.Choice(exporting.FORMATS), default="csv", show_default=True,
              help="csv (RFC 4180, UTF-8), json (one array) or jsonl (one object per line).")
@click.option("--output", "-o", default=STDOUT, show_default=True,
              help="File to write (replaced atomically when complete); - for standard output.")
@click.option("--since", metavar="YYYY-MM-DD", help="Only articles published on or after this day.")
@click.option("--until", metavar="YYYY-MM-DD", help="Only articles published on or before this day.")
@click.option("--section", help="Only articles of this section, e.g. Politics.")
@click.option("--language", help="Only articles in this language: en or ar.")
@click.option("--search", metavar="QUERY", help="Full-text search; Arabic matches with or without diacritics.")
@click.option("--include-duplicates", is_flag=True,
              help="Also export near-duplicate copies (rows with duplicate_of set).")
@click.option("--excel", is_flag=True, help="Start the CSV with a byte-order mark so spreadsheets read Arabic right.")
@click.option("--with-html", is_flag=True,
              help="Add an html column: each article's page as archived by the crawl (large).")
def export(
    db_path: str,
    table: str,
    fmt: str,
    output: str,
    since: str | None,
    until: str | None,
    section: str | None,
    language: str | None,
    search: str | None,
    include_duplicates: bool,
    excel: bool,
    with_html: bool,
) -> None:
    """Export articles, headlines or related headlines to CSV, JSON or JSON Lines.

    Rows are streamed, so memory stays flat whatever the size of the table.
    Authors and tags stay arrays in JSON and JSON Lines and are ;-joined in CSV.

    Example:

        arabpress export --format json --section Politics --since 2025-11-01 -o politics.json

        arabpress export --table related --format jsonl -o related.jsonl

        arabpress export --search "سوريا" --language ar --excel -o syria-ar.csv
    """
    request = exporting.ExportRequest(
        table=table, since=since, until=until, section=section, language=language, search=search,
        include_duplicates=include_duplicates, with_html=with_html,
    )
    try:
        db = exporting.open_readonly(db_path)
        try:
            if output == STDOUT:
                _write_stdout(db, request, fmt, excel=excel)
            else:
                count = exporting.export_to_file(db, request, fmt, Path(output), excel=excel)
                click.echo(f"exported {count} {table} rows to {output}", err=True)
        finally:
            db.conn.close()
    except exporting.ExportError as exc:
        raise user_error(exc) from exc
    except sqlite3.DatabaseError as exc:
        raise click.ClickException(
            f"reading {db_path} failed ({exc}): is it an arabpress database? `arabpress crawl --db {db_path}` migrates old ones"
        ) from exc
