"""How long and how much memory one huge page costs to read: an article with N related links.

A hostile (or broken) site can serve an article whose "Related Articles" list holds 100,000 links, or whose
JSON-LD ``articleBody`` is 9 MB. Reading it must stay linear in its size and bounded in memory. This script
builds such pages in memory and reads each in a fresh process, printing the seconds spent in
``ArticlePage(response).to_item()`` (wall clock, and the process's CPU time, the steadier figure on a busy
machine) and the process's peak resident memory (``VmHWM``)::

    .venv/bin/python -m bench.big_page                  # site template, 100,000 related links
    .venv/bin/python -m bench.big_page --links 8000 --generic
    .venv/bin/python -m bench.big_page --article-body-mb 9.4

``--generic`` writes the list in markup no profile knows (the generic layer's related-list finder, and
trafilatura, read it). The figure is for the bench, never asserted in a test: the tests count work instead
(``tests/test_pages_big.py``).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

from arabpress_mirror.layout import DEMO_SITE_DIR

MIRROR_PAGE = next((DEMO_SITE_DIR / "2022" / "12" / "28").glob("*/index.html"))
URL = (
    "https://arab.press/2022/12/28/russia-turkey-syria-defence-ministers-meet-for-talks-after-over-10-years/"
)
GENERIC_URL = "https://news.example/2024/05/03/a-page-with-many-links/"


def site_page(links: int, article_body_bytes: int = 0) -> bytes:
    """The mirror's seed article with ``links`` more related links (and a JSON-LD ``articleBody`` if asked)."""
    page = MIRROR_PAGE.read_bytes()
    items = b"".join(
        b'<li class="related-post"><a href="https://arab.press/2024/01/01/s-%d/">Story %d</a></li>' % (i, i)
        for i in range(links)
    )
    page = page.replace(b'<ul class="related-posts">', b'<ul class="related-posts">' + items, 1)
    if article_body_bytes:
        page = page.replace(b"</head>", json_ld_article_body(article_body_bytes) + b"</head>", 1)
    return page


def json_ld_article_body(article_body_bytes: int) -> bytes:
    """A JSON-LD ``NewsArticle`` script whose ``articleBody`` is about ``article_body_bytes`` long."""
    body = json.dumps({"@type": "NewsArticle", "articleBody": "word " * (article_body_bytes // 5)})
    return b'<script type="application/ld+json">' + body.encode() + b"</script>"


def generic_page(links: int, article_body_bytes: int = 0) -> bytes:
    """An article of no known template, its related list under a "Related Articles" heading."""
    paragraph = (
        b"<p>" + b"Running text of the article body, long enough to count as a paragraph. " * 3 + b"</p>"
    )
    items = b"".join(
        b'<li><a href="https://news.example/2024/01/01/story-%d/">Story number %d of the list</a></li>'
        % (i, i)
        for i in range(links)
    )
    return (
        b'<html lang="en"><head><title>A page with many links</title>'
        + (json_ld_article_body(article_body_bytes) if article_body_bytes else b"")
        + b"</head><body><main><article>"
        b"<h1>A page with a very long related list</h1><p>By Jane Doe \xc2\xb7 3 May 2024</p>"
        + paragraph * 4
        + b"<h2>Related Articles</h2><ul>"
        + items
        + b"</ul></article></main></body></html>"
    )


def peak_rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def measure(links: int, generic: bool, article_body_mb: float) -> dict[str, float]:
    """Read one page in this process: seconds, peak memory before and after, related links found."""
    from scrapy.http import HtmlResponse

    from arabpress_crawler.pages.article import ArticlePage

    url = GENERIC_URL if generic else URL
    article_body_bytes = int(article_body_mb * 1_000_000)
    body = generic_page(links, article_body_bytes) if generic else site_page(links, article_body_bytes)
    response = HtmlResponse(url, body=body, encoding="utf-8")
    del body
    before = peak_rss_mb()
    start, start_cpu = time.perf_counter(), time.process_time()
    item = ArticlePage(response).to_item()
    seconds, cpu_seconds = time.perf_counter() - start, time.process_time() - start_cpu
    return {
        "page_mb": round(len(response.body) / 1_000_000, 1),
        "links": links,
        "seconds": round(seconds, 2),
        "cpu_seconds": round(cpu_seconds, 2),
        "peak_rss_mb_before": round(before),
        "peak_rss_mb": round(peak_rss_mb()),
        "related": len(item.related) if item else 0,
        "body_chars": len(item.body or "") if item else 0,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--links", type=int, default=100_000)
    parser.add_argument("--generic", action="store_true", help="markup of no known template")
    parser.add_argument(
        "--article-body-mb", type=float, default=0.0, help="add a JSON-LD articleBody this big"
    )
    parser.add_argument("--in-process", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.in_process:
        print(json.dumps(measure(args.links, args.generic, args.article_body_mb)))
        return 0
    command = [sys.executable, "-m", "bench.big_page", "--in-process", "--links", str(args.links)]
    command += ["--article-body-mb", str(args.article_body_mb)] + (["--generic"] if args.generic else [])
    result = subprocess.run(command, capture_output=True, text=True, check=True)
    print(result.stdout.strip())
    return 0


if __name__ == "__main__":
    sys.exit(main())
