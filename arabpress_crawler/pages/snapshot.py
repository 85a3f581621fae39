"""A JSON-ready snapshot of what the page objects extract from one response.

Golden fixtures (``tests/fixtures/<case>/expected.json``) store these snapshots; the fixture tests and
``scripts/regenerate_fixtures.py`` compute them the same way, through :func:`snapshot`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from scrapy.http import HtmlResponse

from arabpress_crawler.pages.article import ArticlePage, item_to_dict
from arabpress_crawler.pages.listing import FeedPage, ListingPage

#: Kinds of page a fixture can hold.
ARTICLE, LISTING, FEED = "article", "listing", "feed"
KINDS = (ARTICLE, LISTING, FEED)


def snapshot(response: HtmlResponse, kind: str) -> dict[str, Any]:
    """The extraction of ``response`` read as a page of ``kind`` (``article``, ``listing`` or ``feed``)."""
    if kind not in KINDS:
        raise ValueError(f"unknown page kind {kind!r}; expected one of {', '.join(KINDS)}")
    if kind == FEED:
        entries = FeedPage(response).entries()
        return {
            "entries": [{"url": e.url, "title": e.title, "published_at": e.published_at} for e in entries]
        }
    page = ArticlePage(response)
    item = page.to_item()
    if item is not None:
        return item_to_dict(item)
    listing = ListingPage(response)
    return {
        "not_article": page.not_article_reason,
        "article_urls": listing.article_urls(),
        "next_page_url": listing.next_page_url(),
    }


def load_case(directory: Path) -> tuple[dict[str, Any], HtmlResponse]:
    """The ``meta.json`` of a fixture directory and the response of its ``page.html``, encoding as declared."""
    meta = json.loads((directory / "meta.json").read_text(encoding="utf-8"))
    body = (directory / "page.html").read_bytes()
    return meta, HtmlResponse(meta["url"], body=body, encoding=meta.get("encoding", "utf-8"))


def dumps(data: dict[str, Any]) -> str:
    """The canonical text of an ``expected.json``: UTF-8 characters, two-space indent, final newline."""
    return json.dumps(data, ensure_ascii=False, indent=2) + "\n"
