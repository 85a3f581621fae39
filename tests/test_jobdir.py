"""``ARABPRESS_RESUMABLE``: a stopped crawl resumes where it stopped from ``<db>.job`` (Scrapy's JOBDIR).

The first crawl stops after a few pages (``CLOSESPIDER_PAGECOUNT``, as a cancelled Scrapyd job or a time cap
stops it); the second, on the same database, resumes its queue: it does not start over from the home page,
fetches no article the first stored, stores every article of the mirror and, having finished, removes the job
directory, so a third crawl reads the listings afresh instead of finding every page already seen.

(A resumed crawl may fetch an article a second time when the first fetched it without storing it — in flight
when it stopped. One it queued under another link, e.g. with ``utm_`` parameters, is not: article requests are
fingerprinted by their canonical URL, ``tests/test_fingerprints.py``.)
"""

from __future__ import annotations

import re
import subprocess
import sys
from collections import Counter
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

from tests.conftest import CRAWL_TIMEOUT_SECONDS, ROOT, clean_env, read_rows

pytestmark = pytest.mark.slow
ARTICLE_REQUEST = re.compile(r"^/\d{4}/\d{2}/\d{2}/[^/]+/$")


def resumable_crawl(base_url: str, db: Path, *settings: str) -> subprocess.CompletedProcess[str]:
    args = [sys.executable, "-m", "scrapy", "crawl", "articles", "-a", f"base_url={base_url}"]
    for setting in (f"ARABPRESS_DB={db}", "ARABPRESS_PROFILE=mirror", "ARABPRESS_RESUMABLE=True", *settings):
        args += ["-s", setting]
    completed = subprocess.run(
        args, cwd=ROOT, env=clean_env(), capture_output=True, text=True, timeout=CRAWL_TIMEOUT_SECONDS
    )
    assert completed.returncode == 0, completed.stderr
    return completed


def article_requests(requests: Counter[str]) -> Counter[str]:
    return Counter({path: count for path, count in requests.items() if ARTICLE_REQUEST.match(path)})


def test_a_stopped_crawl_resumes_where_it_stopped(demo_site, serve, temp_db):
    server = serve(demo_site)
    job_dir = temp_db.with_name(temp_db.name + ".job")
    resumable_crawl(server.base_url, temp_db, "CLOSESPIDER_PAGECOUNT=25")
    assert job_dir.is_dir()
    first = article_requests(server.requests)
    stored_first = {unquote(urlsplit(row["url"]).path) for row in read_rows(temp_db, "SELECT url FROM articles")}
    assert 0 < len(stored_first) < 62

    resumable_crawl(server.base_url, temp_db)
    second = article_requests(server.requests) - first
    assert read_rows(temp_db, "SELECT count(*) AS n FROM articles")[0]["n"] == 62
    assert not stored_first & set(second), "the resumed crawl fetched articles the first had stored"
    assert server.request_count("/") == 1  # the resumed crawl did not start over from the home page
    runs = read_rows(temp_db, "SELECT finish_reason FROM crawl_runs ORDER BY id")
    assert [run["finish_reason"] for run in runs] == ["closespider_pagecount", "finished"]
    assert not job_dir.exists()

    resumable_crawl(server.base_url, temp_db)
    assert server.request_count("/") == 2  # a new crawl after a finished one reads the listings again
