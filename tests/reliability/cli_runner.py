"""Run the ``arabpress`` command line with test-only overrides, in a child process of the reliability suite.

``python tests/reliability/cli_runner.py crawl --db ...`` is ``arabpress crawl --db ...`` (the same click
group, the same exit codes and messages), with these overrides read from the JSON environment variable
``ARABPRESS_RELIABILITY_OVERRIDES``:

``settings``
    Scrapy settings given the highest priority (e.g. a short ``DOWNLOAD_TIMEOUT`` for the stall case);
``busy_timeout_ms``
    the store's SQLite busy timeout (the locked-database case waits 1 s instead of 30 s);
``max_page_count_growth``
    caps the database file at its size when opened plus this many pages (``PRAGMA max_page_count``),
    which makes SQLite answer "database or disk is full" exactly as a full disk does.

The crawl's writer process is started through this runner too (``--writer-process``), so the overrides of the
database apply to the writer's connection as well.
"""

from __future__ import annotations

import functools
import json
import logging
import os
import sys
from typing import Any

from arabpress_crawler import crawling
from arabpress_crawler.cli import cli
from arabpress_crawler.db import connection
from arabpress_crawler.writer import __main__ as writer_main
from arabpress_crawler.writer import client as writer_client

logger = logging.getLogger(__name__)

OVERRIDES_ENV = "ARABPRESS_RELIABILITY_OVERRIDES"


def _override_settings(extra: dict[str, Any]) -> None:
    original = crawling.scrapy_settings

    @functools.wraps(original)
    def scrapy_settings(checked: crawling.CheckedCrawl) -> Any:
        settings = original(checked)
        settings.setdict(extra, priority="cmdline")
        return settings

    crawling.scrapy_settings = scrapy_settings


def _cap_database_size(growth: int) -> None:
    original = connection.open_db

    @functools.wraps(original)
    def open_db(path: Any, *, create: bool = True) -> Any:
        db = original(path, create=create)
        pages = db.execute("PRAGMA page_count").fetchone()[0]
        db.execute(f"PRAGMA max_page_count = {int(pages) + growth}")
        logger.info("database %s capped at %d pages (simulated full disk)", path, int(pages) + growth)
        return db

    connection.open_db = open_db


def apply_overrides(overrides: dict[str, Any]) -> None:
    if overrides.get("settings"):
        _override_settings(dict(overrides["settings"]))
    if overrides.get("busy_timeout_ms") is not None:
        connection.BUSY_TIMEOUT_MS = int(overrides["busy_timeout_ms"])
    if overrides.get("max_page_count_growth") is not None:
        _cap_database_size(int(overrides["max_page_count_growth"]))


#: First argument of this runner when it runs the writer process (started by the crawl it runs).
WRITER_FLAG = "--writer-process"


def main() -> None:
    apply_overrides(json.loads(os.environ.get(OVERRIDES_ENV) or "{}"))
    if sys.argv[1:2] == [WRITER_FLAG]:  # the crawl's writer process: the same overrides apply to its database
        sys.exit(writer_main.main(sys.argv[2:]))
    writer_client.WRITER_COMMAND = [sys.executable, os.path.abspath(__file__), WRITER_FLAG]
    cli(args=sys.argv[1:], prog_name="arabpress")


if __name__ == "__main__":
    main()
