"""An endless site for the reliability suite: every page it serves leads to pages it has never served.

:class:`EndlessSite` runs an HTTP server on 127.0.0.1 (a thread of the test process) that makes its pages up
as they are asked for:

* ``/2025/06/30/story-<n>/`` is a well-formed article whose "Related Articles" list links to
  :data:`RELATED_PER_PAGE` stories never seen before, plus its own path with the next ``?page=N``;
* ``/2025/06/30/story-<n>/?page=<k>`` is the same article again (a variant a careless CMS links to);
* ``/robots.txt`` names ``/sitemap-index-1.xml``, and ``/sitemap-index-<n>.xml`` is an index listing the next
  index and a sitemap of stories (a chain of sitemap indexes without end);
* the homepage links to the first story; the feed is 404.

Requests are counted per path, so a test can assert how far the crawl went.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from .harness import ORIGIN, Article, case_path

logger = logging.getLogger(__name__)

RELATED_PER_PAGE = 10
STORY_PREFIX = "/2025/06/30/story-"
HOME = f'<!DOCTYPE html><html lang="en"><head><meta charset="UTF-8"><title>Endless</title></head><body><main><ul><li><a href="{ORIGIN}{case_path("story-1")}">first story</a></li></ul></main></body></html>'
SITEMAP_NS = "http://www.sitemaps.org/schemas/sitemap/0.9"


def story(number: int, page: int | None) -> bytes:
    """Story ``number`` (or its ``?page=`` variant): related links to never-seen stories and the next variant."""
    path = case_path(f"story-{number}")
    first = number * RELATED_PER_PAGE
    related = (f"{ORIGIN}{path}?page={(page or 0) + 1}",)
    related += tuple(f"{ORIGIN}{case_path(f'story-{first + k}')}" for k in range(1, RELATED_PER_PAGE + 1))
    return Article(slug=f"story-{number}", title=f"Endless story number {number}", related=related).html()


def sitemap_index(number: int) -> bytes:
    entries = "".join(
        f"<sitemap><loc>{ORIGIN}{path}</loc></sitemap>"
        for path in (f"/sitemap-index-{number + 1}.xml", f"/post-sitemap{number}.xml")
    )
    return f'<?xml version="1.0"?><sitemapindex xmlns="{SITEMAP_NS}">{entries}</sitemapindex>'.encode()


def post_sitemap(number: int) -> bytes:
    loc = f"{ORIGIN}{case_path(f'story-{10_000_000 + number}')}"
    return f'<?xml version="1.0"?><urlset xmlns="{SITEMAP_NS}"><url><loc>{loc}</loc></url></urlset>'.encode()


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 (stdlib signature)
        logger.debug("endless site: " + format, *args)

    def do_GET(self) -> None:  # noqa: N802 (stdlib naming)
        site = self.server.site
        split = urlsplit(self.path)
        site.count(self.path)
        if site.delay:
            time.sleep(site.delay)
        body, kind = self._page(split.path, parse_qs(split.query))
        if body is None:
            self.send_error(404)
            return
        body = body.replace(ORIGIN.encode(), site.base_url.encode())
        self.send_response(200)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _page(self, path: str, query: dict[str, list[str]]) -> tuple[bytes | None, str]:
        html, xml = "text/html; charset=utf-8", "application/xml"
        if path == "/":
            return HOME.encode(), html
        if path == "/robots.txt":
            return f"User-agent: *\nAllow: /\nSitemap: {ORIGIN}/sitemap-index-1.xml\n".encode(), "text/plain"
        number = _number(path, "/sitemap-index-", ".xml")
        if number is not None:
            return sitemap_index(number), xml
        number = _number(path, "/post-sitemap", ".xml")
        if number is not None:
            return post_sitemap(number), xml
        number = _number(path, STORY_PREFIX, "/")
        if number is not None:
            page = int(query["page"][0]) if query.get("page", [""])[0].isdigit() else None
            return story(number, page), html
        return None, html


def _number(path: str, prefix: str, suffix: str) -> int | None:
    if not (path.startswith(prefix) and path.endswith(suffix)):
        return None
    digits = path[len(prefix) : len(path) - len(suffix)]
    return int(digits) if digits.isdigit() else None


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    site: EndlessSite


class EndlessSite:
    """The endless site on a free port of 127.0.0.1; a context manager. ``delay``: seconds before each answer."""

    def __init__(self, *, delay: float = 0.0) -> None:
        self.delay = delay
        self.requests: Counter[str] = Counter()
        self._lock = threading.Lock()
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.site = self
        self._thread = threading.Thread(target=self._server.serve_forever, name="endless-site", daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def count(self, path: str) -> None:
        with self._lock:
            self.requests[path] += 1

    def paths(self, prefix: str) -> list[str]:
        with self._lock:
            return [path for path in self.requests if path.startswith(prefix)]

    def __enter__(self) -> EndlessSite:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=10)
