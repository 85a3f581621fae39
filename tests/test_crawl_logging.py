"""The crawl's log: records below its ``LOG_LEVEL`` are never made, and the log file says what it said before.

``run_crawl`` used to put the root logger at ``DEBUG``: every message Scrapy logs for each page and each item
("Crawled (200) …", "Scraped from …") became a record that the log file's handler then threw away. The root
logger now stands at the crawl's ``LOG_LEVEL``; at ``DEBUG`` the file holds those messages as before.
"""

from __future__ import annotations

import json
import logging
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import CRAWL_TIMEOUT_SECONDS, ROOT, clean_env

from arabpress_crawler.crawling import root_log_level
from arabpress_mirror.server import MirrorServer

#: A child process (a reactor runs once per process): counts the records that reach the root logger's handlers,
#: by level, during ``run_crawl``, and prints them as JSON.
CHILD = """
import collections, json, logging, pathlib, sys
from arabpress_crawler.crawling import CrawlOptions, check_options, run_crawl

class Counter(logging.Handler):
    def __init__(self):
        super().__init__(logging.NOTSET)
        self.levels = collections.Counter()
    def emit(self, record):
        self.levels[record.levelname] += 1

counter = Counter()
logging.getLogger().addHandler(counter)
db = pathlib.Path(sys.argv[2])
options = CrawlOptions(base_url=sys.argv[1], db=db, mirror_profile=True, log_file=db.with_suffix(".log"),
                       settings={"LOG_LEVEL": sys.argv[3]})
outcome = run_crawl(check_options(options))
print(json.dumps({"levels": counter.levels, "pages": outcome.stats.get("response_received_count", 0)}))
"""


def crawl_with_level(base_url: str, db: Path, level: str) -> tuple[dict[str, int], int, str]:
    """Records by level that reached the root's handlers, pages fetched, and the log file of a crawl at ``level``."""
    completed = subprocess.run(
        [sys.executable, "-c", CHILD, base_url, str(db), level],
        cwd=ROOT, env=clean_env(), capture_output=True, text=True, timeout=CRAWL_TIMEOUT_SECONDS, check=False,
    )  # fmt: skip
    assert completed.returncode == 0, completed.stderr[-3000:]
    result = json.loads(completed.stdout.strip().splitlines()[-1])
    return result["levels"], result["pages"], db.with_suffix(".log").read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("log_level", "current", "expected"),
    [
        ("INFO", logging.WARNING, logging.INFO),  # Python's default root level: lowered to the crawl's
        ("info", logging.WARNING, logging.INFO),
        ("DEBUG", logging.WARNING, logging.DEBUG),
        (logging.INFO, logging.WARNING, logging.INFO),
        ("INFO", logging.DEBUG, logging.DEBUG),  # someone asked for DEBUG (a test capturing it): kept
        ("WARNING", logging.WARNING, logging.WARNING),
        ("NO-SUCH-LEVEL", logging.WARNING, logging.WARNING),
    ],
)
def test_the_root_level_is_the_crawls_unless_lower_was_asked_for(log_level, current, expected) -> None:
    assert root_log_level(log_level, current) == expected


def test_no_debug_record_is_made_at_info_and_debug_still_reaches_the_file(mirror: MirrorServer, tmp_path: Path) -> None:
    levels, pages, log = crawl_with_level(mirror.base_url, tmp_path / "info.db", "INFO")
    assert pages > 10
    # Before: a "Crawled (200)" record per page and a "Scraped from" per item. Now only the one Scrapy makes
    # while it sets up its logging ("Using CrawlerProcess"), before its loggers' level can be set.
    assert levels.get("DEBUG", 0) <= 1, levels
    assert levels.get("INFO", 0) > 0
    assert "[scrapy.core.engine] INFO: Spider opened" in log
    assert " DEBUG: " not in log

    levels, pages, log = crawl_with_level(mirror.base_url, tmp_path / "debug.db", "DEBUG")
    assert levels.get("DEBUG", 0) >= pages
    assert "[scrapy.core.engine] DEBUG: Crawled (200)" in log
    assert "[scrapy.core.scraper] DEBUG: Scraped from <200" in log
