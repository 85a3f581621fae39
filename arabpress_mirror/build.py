"""Render the packaged demo mirror: ``python -m arabpress_mirror.build``.

The demo mirror (``arabpress_mirror/site/``) is committed package data, so ``arabpress demo`` works
from any install. Regenerate it deliberately with this module after changing the content or the templates;
``tests/test_mirror_build.py`` fails while the committed files differ from a fresh render.
"""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

from arabpress_mirror.content import demo_articles
from arabpress_mirror.layout import DEMO_SITE_DIR
from arabpress_mirror.writer import RenderStats, render_site

logger = logging.getLogger(__name__)


def build_demo_site(out_dir: Path = DEMO_SITE_DIR) -> RenderStats:
    """Render the demo mirror into ``out_dir``, replacing what was there."""
    return render_site(demo_articles(), Path(out_dir), clean=True)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Render the packaged demo mirror of Arab Press.")
    parser.add_argument(
        "--out", type=Path, default=DEMO_SITE_DIR, help="output directory (default: the package's)"
    )
    args = parser.parse_args(argv)
    stats = build_demo_site(args.out)
    print(f"{stats.articles} articles, {stats.listing_pages} listing pages, {stats.files} files, "
          f"{stats.bytes / 1024:.0f} KiB in {args.out}")  # fmt: skip


if __name__ == "__main__":
    main()
