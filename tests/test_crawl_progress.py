"""The live progress line: on a terminal only, never with --quiet, never in a pipe (cron)."""

from __future__ import annotations

import os
import pty
import subprocess

import pytest
from conftest import CRAWL_TIMEOUT_SECONDS, arabpress_command, clean_env

from arabpress_crawler.cli.crawl import progress_line
from arabpress_crawler.crawling import Progress

pytestmark = pytest.mark.slow


def crawl_on_a_terminal(base_url: str, db, *options: str) -> tuple[int, str]:
    """Run ``arabpress crawl`` with a pseudo-terminal as stdout and stderr; return its status and output."""
    controller, terminal = pty.openpty()
    args = ["crawl", "--base-url", base_url, "--db", str(db), "--log-file", str(db.with_suffix(".log"))]
    process = subprocess.Popen(
        arabpress_command(*args, "--mirror-profile", *options),
        stdin=subprocess.DEVNULL,
        stdout=terminal,
        stderr=terminal,
        cwd=db.parent,
        env=clean_env(TERM="xterm", COLUMNS="160"),
    )
    os.close(terminal)
    chunks = []
    while True:
        try:
            chunk = os.read(controller, 65536)
        except OSError:  # EIO: the child closed the terminal
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(controller)
    return process.wait(timeout=CRAWL_TIMEOUT_SECONDS), b"".join(chunks).decode("utf-8", "replace")


def test_progress_line_on_a_terminal_and_not_with_quiet(mirror, temp_db):
    status, output = crawl_on_a_terminal(mirror.base_url, temp_db, "--max-pages", "3")
    assert status == 0, output
    assert "0/3 articles, ETA" in output  # the first frame of the live line
    assert "pages fetched" in output  # then the summary table

    status, output = crawl_on_a_terminal(mirror.base_url, temp_db, "--max-pages", "3", "--quiet")
    assert status == 0, output
    assert "ETA" not in output and "pages fetched" not in output


def test_progress_line_figures():
    progress = Progress(
        elapsed=10.0, pages=50, article_pages=20, articles_new=15, articles_updated=2, articles_unchanged=1,
        duplicates=1, dropped=0, errors=3, max_pages=40,
    )  # fmt: skip
    assert progress.rate == 5.0
    assert progress.eta == 10.0  # 20 article pages to go at 2 per second
    line = progress_line(progress)
    assert line == "50 pages · 15 new, 2 updated · 1 duplicates · 3 errors · 5 pages/s · 20/40 articles, ETA 0:10"
    assert "ETA" not in progress_line(Progress(10.0, 50, 20, 15, 2, 1, 1, 0, 3))
