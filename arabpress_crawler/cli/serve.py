"""``arabpress serve``: browse the database in datasette, read-only, on 127.0.0.1."""

from __future__ import annotations

import asyncio
import logging
import os
import socket
from pathlib import Path
from typing import Any

import click

from arabpress_crawler import exporting
from arabpress_crawler.cli import cli, user_error
from arabpress_crawler.cli.export import warn_if_outdated
from arabpress_crawler.settings import ARABPRESS_DB

logger = logging.getLogger(__name__)

#: The name of the datasette entry point (pyproject's ``[project.entry-points.datasette]``).
PLUGIN_NAME = "arabpress"
DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8001
#: Datasette settings: generous time limits for facets on big tables, newest rows first.
DATASETTE_SETTINGS = {
    "sql_time_limit_ms": 3000,
    "facet_time_limit_ms": 1000,
    "default_page_size": 50,
    "truncate_cells_html": 300,
}


def wal_has_data(db_path: Path) -> bool:
    """True when the database's write-ahead log holds pages (a crawl is running or was killed)."""
    wal = db_path.with_name(db_path.name + "-wal")
    return wal.exists() and wal.stat().st_size > 0


def build_datasette(db_path: Path, *, immutable: bool = False, live: bool = False) -> Any:
    """A configured :class:`datasette.app.Datasette` serving ``db_path`` read-only.

    By default the database is opened read-only but not immutable (SQLite ``mode=ro``, WAL-aware): a crawl
    from cron may write it at any time, and every request sees its last committed state. ``immutable`` (no
    locks, row counts cached) is for a file that never changes again; it is refused while the write-ahead log
    holds data, which immutable mode would ignore. ``live`` is the old name of the default and changes nothing.
    """
    from datasette.app import Datasette
    from datasette.plugins import pm

    from arabpress_crawler import datasette as plugin

    # The plugin is registered by its entry point when the package is installed; from a bare checkout
    # (no entry point) it is registered here, so `arabpress serve` always has it.
    if not pm.is_registered(plugin) and pm.get_plugin(PLUGIN_NAME) is None:
        pm.register(plugin, name=PLUGIN_NAME)
    if immutable and wal_has_data(db_path):
        logger.warning("%s has a write-ahead log with data (a crawl is running or was killed): served read-only,"
                       " not immutable", db_path)
    immutable = immutable and not live and not wal_has_data(db_path)
    if not immutable and not os.access(db_path.resolve().parent, os.W_OK):
        immutable = True  # a read-only folder or mount: nothing can change the file, and mode=ro cannot open it
        logger.info("%s is in a folder nothing can write to: served immutable", db_path)
    path = str(db_path)
    return Datasette(
        files=[] if immutable else [path],
        immutables=[path] if immutable else [],
        settings=DATASETTE_SETTINGS,
    )


def check_port_free(host: str, port: int) -> None:
    """Raise :class:`click.ClickException` when ``host:port`` cannot be bound (in use, bad host)."""
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
            probe.bind((host, port))
    except OSError as exc:
        raise click.ClickException(
            f"cannot listen on {host}:{port} ({exc.strerror or exc}): choose another --port or --host"
        ) from exc


def run_server(ds: Any, host: str, port: int) -> None:
    """Serve ``ds`` with uvicorn until interrupted (Ctrl-C stops it cleanly)."""
    import uvicorn

    asyncio.run(ds.invoke_startup())
    uvicorn.run(ds.app(), host=host, port=port, log_level="warning", lifespan="on")


@cli.command()
@click.option("--db", "db_path", default=ARABPRESS_DB, show_default=True, type=click.Path(dir_okay=False),
              help="SQLite database written by `arabpress crawl`.")
@click.option("--port", "-p", default=DEFAULT_PORT, show_default=True, type=click.IntRange(1, 65535),
              help="Port to listen on.")
@click.option("--host", default=DEFAULT_HOST, show_default=True,
              help="Interface to bind; keep 127.0.0.1 unless you mean to share the data on a network.")
@click.option("--immutable", is_flag=True,
              help="Open immutable (faster counts) for a file no crawl will write again; default: read-only and "
                   "live, safe while cron crawls write.")
@click.option("--live", is_flag=True, hidden=True, help="The default now; kept for old scripts.")
def serve(db_path: str, port: int, host: str, immutable: bool, live: bool) -> None:
    """Browse and search the database in datasette (read-only), with charts.

    Safe while cron crawls write the database: every page shows what the last crawl committed, no restart
    needed (use --immutable only for a file that never changes again).

    Opens datasette with full-text search in English and Arabic, facets, canned queries
    (latest articles, most-related headlines, edited articles, duplicates, run health) and a
    chart page at /-/charts. Stop it with Ctrl-C.

    Example:

        arabpress serve --db data/demo.db

        arabpress serve --port 8080
    """
    path = Path(db_path)
    try:
        database = exporting.open_readonly(path)
        try:
            warn_if_outdated(database, path)
        finally:
            database.conn.close()
    except exporting.ExportError as exc:
        raise user_error(exc) from exc
    check_port_free(host, port)
    ds = build_datasette(path, immutable=immutable, live=live)
    click.echo(f"Serving {path} on http://{host}:{port}/ (charts: /-/charts) — Ctrl-C to stop", err=True)
    try:
        run_server(ds, host, port)
    except KeyboardInterrupt:
        click.echo("stopped", err=True)
