"""Where a mirror's pages live on disk, as the writer lays them out and the server finds them.

On disk a page lives at ``<root>/<path>/index.html`` (non-ASCII slugs stored decoded); the feed at
``feed/index.rss``; sitemaps, ``robots.txt`` and the theme's ``404.html`` at the root.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import unquote

from arabpress_mirror.content import ORIGIN

#: The packaged demo mirror (rendered by ``python -m arabpress_mirror.build``; package data).
DEMO_SITE_DIR = Path(__file__).parent / "site"
FEED_PATH = "feed/index.rss"
NOT_FOUND_FILE = "404.html"
#: Files a directory URL (``/x/``) is served from, in this order.
DIRECTORY_INDEXES = ("index.html", "index.rss")


def url_to_file(out_dir: Path, url_path: str) -> Path:
    """Where a URL path lives on disk: directory paths get ``index.html``; escapes are decoded."""
    relative = unquote(url_path).lstrip("/")
    if not relative or relative.endswith("/"):
        relative += "index.html"
    return out_dir / relative


def image_file(out_dir: Path, image_url: str) -> Path:
    return url_to_file(out_dir, image_url.removeprefix(ORIGIN))
