"""Running the crawler as Scrapyd jobs: what a job is scheduled with, and the crontab line that schedules it.

Scrapyd runs jobs but has no scheduler of its own: cron calls its ``schedule.json`` endpoint. Every job gets:

* ``setting=ARABPRESS_DB=<absolute path on the Scrapyd host>``: the database the job writes (its lock, taken
  by :class:`arabpress_crawler.lock.DatabaseLock`, keeps a second job on it from running at the same time);
* ``setting=ARABPRESS_RESUMABLE=True``: the job keeps its frontier in ``<db>.job/`` (Scrapy's ``JOBDIR``, see
  :mod:`arabpress_crawler.jobdir`), so a job stopped by ``cancel.json`` or a restart is resumed by the next;
* spider arguments as fields of their own (``base_url=...``), as ``scrapy crawl -a`` takes them.

The project is deployed with ``scrapyd-deploy`` (``scrapy.cfg``'s ``[deploy]`` project, the egg's ``scrapy``
settings entry point): see docs/scrapyd.md.
"""

from __future__ import annotations

import shlex
from collections.abc import Sequence
from pathlib import Path
from urllib.parse import urlsplit

from arabpress_crawler.jobdir import RESUMABLE_SETTING
from arabpress_crawler.spiders import ARTICLES_SPIDER

#: The project name jobs are deployed under (``scrapy.cfg``: ``[deploy] project``).
SCRAPYD_PROJECT = "arabpress_crawler"
SCHEDULE_ENDPOINT = "schedule.json"


class ScrapydURLError(ValueError):
    """The Scrapyd URL cannot be used; the message says why."""


def schedule_url(server: str) -> str:
    """``<server>/schedule.json`` for a Scrapyd base URL (``http://host:6800``, credentials allowed)."""
    parts = urlsplit(server.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ScrapydURLError(f"{server!r} is not a Scrapyd URL: give one like http://127.0.0.1:6800")
    if parts.query or parts.fragment:
        raise ScrapydURLError(f"{server!r}: give Scrapyd's base URL, without a query or fragment")
    return parts._replace(path=parts.path.rstrip("/") + "/" + SCHEDULE_ENDPOINT).geturl()


def schedule_fields(
    db: Path, *, project: str = SCRAPYD_PROJECT, base_url: str | None = None
) -> list[tuple[str, str]]:
    """The form fields of ``schedule.json`` for one crawl of ``db`` (absolute on the Scrapyd host)."""
    fields = [
        ("project", project),
        ("spider", ARTICLES_SPIDER),
        ("setting", f"ARABPRESS_DB={db}"),
        ("setting", f"{RESUMABLE_SETTING}=True"),
    ]
    if base_url:
        fields.append(("base_url", base_url))
    return fields


def schedule_command(server: str, fields: Sequence[tuple[str, str]]) -> list[str]:
    """A ``curl`` command that schedules the job: silent when it works, one error line (and exit 22) when not."""
    command = ["curl", "--silent", "--show-error", "--fail", "--output", "/dev/null", schedule_url(server)]
    for name, value in fields:
        command += ["--data-urlencode", f"{name}={value}"]
    return command


def scrapyd_cron_line(schedule: str, server: str, fields: Sequence[tuple[str, str]]) -> str:
    """A crontab line that schedules the job every ``schedule`` (the five crontab time fields)."""
    # cron reads an unescaped % in the command as a newline.
    return f"{schedule} " + shlex.join(schedule_command(server, fields)).replace("%", r"\%")
