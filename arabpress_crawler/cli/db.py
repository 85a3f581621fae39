"""``arabpress db check`` and ``arabpress db rebuild-search``: the stored file's own health."""

from __future__ import annotations

import logging
import sys
from pathlib import Path

import click
import sqlite_utils

from arabpress_crawler import db
from arabpress_crawler.cli import cli, user_error
from arabpress_crawler.crawling import crawl_lock
from arabpress_crawler.settings import ARABPRESS_DB

logger = logging.getLogger(__name__)

DB_OPTION_HELP = "SQLite database written by `arabpress crawl` (migrated to this version when opened)."


def _open_existing(db_path: Path) -> sqlite_utils.Database:
    """The database at ``db_path`` opened for writing (and migrated); one clear error if it cannot be."""
    if not db_path.is_file():
        raise click.ClickException(f"no database at {db_path}: run `arabpress crawl --db {db_path}` first or pass --db")
    try:
        return db.open_db(db_path)
    except (db.UnusableDatabase, RuntimeError) as error:  # RuntimeError: written by a newer arabpress
        raise user_error(error) from error


@cli.group(name="db")
def db_group() -> None:
    """Check the database file, or rebuild its search indexes.

    Example:

        arabpress db check --db data/arabpress.db
    """


@db_group.command()
@click.option("--db", "db_path", default=ARABPRESS_DB, show_default=True,
              type=click.Path(dir_okay=False, path_type=Path), help=DB_OPTION_HELP)
@click.option("--deep", is_flag=True, help="Also recompute every search copy (one pass over the text).")
def check(db_path: Path, deep: bool) -> None:
    """Check the database's consistency; exit 1 with one line per problem.

    Checks SQLite's integrity and foreign keys, that the full-text indexes match their text, and the
    invariants of the crawler (one row per story, aliases, near-duplicate groups, run statuses). Prints
    "ok: ..." and exits 0 when all is well. A database of an earlier release is migrated first.

    Example:

        arabpress db check --db data/arabpress.db --deep
    """
    database = _open_existing(db_path)
    try:
        problems = db.check_consistency(database, deep=deep)
        version = db.schema_version(database)
    finally:
        database.close()
    if problems:
        for line in problems:
            click.echo(line)
        sys.exit(1)
    click.echo(f"ok: {db_path} (schema version {version}) is consistent")


@db_group.command(name="rebuild-search")
@click.option("--db", "db_path", default=ARABPRESS_DB, show_default=True,
              type=click.Path(dir_okay=False, path_type=Path), help=DB_OPTION_HELP)
def rebuild_search(db_path: Path) -> None:
    """Recompute the search copies and rebuild the full-text indexes.

    Needed after the text of articles or headlines was edited by hand (plain SQL cannot normalise), or
    when `arabpress db check` reports the indexes out of sync. Refused while a crawl writes the file.

    Example:

        arabpress db rebuild-search --db data/arabpress.db
    """
    db_path = db_path.absolute()
    database = _open_existing(db_path)
    try:
        with crawl_lock(db_path, wait=False) as locked:
            if not locked:
                raise click.ClickException(f"a crawl is writing {db_path}: run this again when it has finished")
            db.rebuild_search(database)
        problems = db.check_consistency(database)
    finally:
        database.close()
    click.echo(f"rebuilt the search indexes of {db_path}" + (f"; {len(problems)} other problem(s) remain: run "
               "`arabpress db check`" if problems else ""))
