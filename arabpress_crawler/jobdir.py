"""A resumable crawl's job directory: Scrapy's ``JOBDIR``, one per database.

With ``ARABPRESS_RESUMABLE = True`` (what ``arabpress cron-line --scrapyd`` schedules) a crawl keeps its
frontier on disk in ``<db>.job/`` beside the real database file: Scrapy's scheduler queue, the fingerprints
of the requests already made (``requests.seen``) and the spider's state. A job that is stopped (Scrapyd's
``cancel.json``, a restart of Scrapyd or of the machine, SIGTERM, a time or page cap) leaves the directory; the
next resumable crawl of the same database resumes from it: its start requests (home page, feed, robots.txt)
are already seen and filtered out, and the queued requests are fetched. A crawl that *finished* (the spider
ran out of work) removes the directory, so the next one starts afresh and reads the listings, the feed and
the sitemaps again (fingerprints kept across finished runs would make it fetch nothing).

The directory is derived from the database rather than from Scrapyd's job id, so a new job resumes what an
earlier job left; the crawl lock (:mod:`arabpress_crawler.lock`) makes sure one crawl at a time uses it. A
``JOBDIR`` given explicitly (``-s JOBDIR=...``, Scrapyd's ``jobs_dir`` option) wins and is never removed.
Requests are written with ``pickle``: the spider's requests (callbacks that are spider methods, ``meta`` of
plain data classes) all are.
"""

from __future__ import annotations

import logging
import os
import shutil
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from scrapy.settings import Settings

logger = logging.getLogger(__name__)

RESUMABLE_SETTING = "ARABPRESS_RESUMABLE"
#: The only finish reason after which nothing is left to resume.
FINISHED = "finished"


def job_dir_for(db: Path | str) -> Path:
    """``<db>.job`` beside the real database file (symlinks resolved, as for the lock)."""
    real = Path(os.path.realpath(db))
    return real.with_name(real.name + ".job")


def configure(settings: Settings, db: Path) -> Path | None:
    """Set ``JOBDIR`` for a resumable crawl of ``db``; the directory this module manages, or ``None``."""
    if not settings.getbool(RESUMABLE_SETTING):
        return None
    if settings.get("JOBDIR"):
        logger.info("JOBDIR %s given explicitly: the crawl resumes from it", settings.get("JOBDIR"))
        return None
    path = job_dir_for(db)
    if (path / "requests.queue").exists():
        logger.info("resuming the stopped crawl of %s from %s", db, path)
    settings.set("JOBDIR", str(path), priority="project")
    return path


def crawl_ended(path: Path, reason: str | None) -> None:
    """Remove the job directory of a finished crawl; keep it (to resume) after any other end."""
    if reason == FINISHED:
        shutil.rmtree(path, ignore_errors=True)
    elif path.exists():
        logger.info("crawl ended (%s): the next resumable crawl resumes from %s", reason, path)
