"""``arabpress export``: stream a table of the database to CSV, JSON or JSON Lines."""

from __future__ import annotations

import io
import logging
import sqlite3
import sys
from pathlib import Path

import click
import sqlite_utils

from arabpress_crawler import db as db_api
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


def warn_if_outdated(db: sqlite_utils.Database, db_path: str | Path) -> None:
    """One warning line when the file was written by an older arabpress (read-only commands do not migrate)."""
    found = db_api.schema_version(db)
    if found < db_api.SCHEMA_VERSION:
        click.echo(
            f"warning: {db_path} has schema version {found}, older than this arabpress ({db_api.SCHEMA_VERSION}):"
            f" searches may miss words until `arabpress db check --db {db_path}` migrates it (a crawl does too)",
            err=True,
        )


@cli.command()
@click.option("--db", "db_path", default=ARABPRESS_DB, show_default=True, type=click.Path(dir_okay=False),
              help="SQLite database written by `arabpress crawl`.")
@click.option("--table", type=click.Choice(exporting.TABLES, case_sensitive=False), default="articles", show_default=True,
              help="articles, headlines, or related (article → headline pairs with both titles).")
@click.option("--format", "fmt", type=click.Choice(exporting.FORMATS, case_sensitive=False), default="csv", show_default=True,
              help="csv (RFC 4180, UTF-8), json (one array) or jsonl (one object per line).")
@click.option("--output", "-o", default=STDOUT, show_default=True,
              help="File to write (replaced atomically when complete); - for standard output.")
@click.option("--since", metavar="YYYY-MM-DD", help="Only articles published on or after this day.")
@click.option("--until", metavar="YYYY-MM-DD", help="Only articles published on or before this day.")
@click.option("--section", help="Only articles of this section, e.g. Business (case does not matter).")
@click.option("--language", help="Only articles in this language: en or ar (case does not matter).")
@click.option("--search", metavar="QUERY",
              help='Full-text search: words (all must occur), "a phrase", prefix*, OR between alternatives. '
                   "Arabic words are found with or without diacritics and attached prefixes (قهوة finds القهوة).")
@click.option("--sort", type=click.Choice(exporting.SORTS, case_sensitive=False), default=exporting.SORT_DATE,
              show_default=True, help="date (publication, oldest first) or relevance (best match first; with --search).")
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
    sort: str,
    include_duplicates: bool,
    excel: bool,
    with_html: bool,
) -> None:
    """Export articles, headlines or related headlines to CSV, JSON or JSON Lines.

    Rows are streamed, so memory stays flat whatever the size of the table.
    Authors and tags stay arrays in JSON and JSON Lines and are ;-joined in CSV.

    Example:

        arabpress export --format json --section Business --since 2025-11-01 -o data/business.json

        arabpress export --table related --format jsonl -o data/related.jsonl

        arabpress export --search "قهوة" --language ar --excel -o data/coffee-ar.csv

        arabpress export --search "Syria OR Russia" --sort relevance --format jsonl -o data/syria.jsonl
    """
    request = exporting.ExportRequest(
        table=table, since=since, until=until, section=section, language=language, search=search,
        include_duplicates=include_duplicates, with_html=with_html, sort=sort.lower(),
    )
    try:
        db = exporting.open_readonly(db_path)
        warn_if_outdated(db, db_path)
        try:
            if output == STDOUT:
                _write_stdout(db, request, fmt, excel=excel)
            else:
                count = exporting.export_to_file(db, request, fmt, Path(output), excel=excel)
                left_out = exporting.duplicate_rows_left_out(db, request, count)
                note = (f" ({left_out} rows of near-duplicate copies left out; --include-duplicates keeps them)"
                        if left_out else "")
                click.echo(f"exported {count} {table} rows to {output}{note}", err=True)
        finally:
            db.conn.close()
    except exporting.ExportError as exc:
        raise user_error(exc) from exc
    except sqlite3.DatabaseError as exc:
        raise click.ClickException(
            f"reading {db_path} failed ({exc}): is it an arabpress database? `arabpress crawl --db {db_path}` migrates old ones"
        ) from exc
