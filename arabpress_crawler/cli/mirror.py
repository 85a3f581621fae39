"""``arabpress mirror serve`` and ``arabpress mirror generate``: the local mirror of Arab Press.

One of the two crawler modules that import the mirror package (the other is the demo command in
``cli/crawl.py``); ``arabpress_crawler.cli`` loads this module only when ``arabpress mirror`` is asked for.
"""

from __future__ import annotations

import logging
import signal
import threading
import time
from pathlib import Path
from types import FrameType
from typing import Any

import click

from arabpress_mirror.faults import FAULT_KINDS, parse_fault_spec
from arabpress_mirror.generate import MAX_ARTICLES, generate_mirror
from arabpress_mirror.layout import DEMO_SITE_DIR
from arabpress_mirror.server import MirrorServer

logger = logging.getLogger(__name__)

DEFAULT_PORT = 8765
#: A directory holding this file is a mirror (``generate --force`` may replace it).
MIRROR_MARKER = "sitemap_index.xml"
MEBIBYTE = 1024 * 1024


@click.group()
def mirror() -> None:
    """The local mirror of Arab Press: serve it, or generate a bigger one.

    The packaged demo mirror holds the seed article, one article per related headline, Arabic articles
    and the traps of real crawls (AMP copies, republished and edited copies, a broken link, tracking
    parameters).

    Example:

    \b
        arabpress mirror serve --port 8765
    """


def _parse_faults(
    ctx: click.Context, param: click.Parameter, values: tuple[str, ...]
) -> list[tuple[str, str, dict[str, Any]]]:
    faults = []
    for value in values:
        try:
            faults.append(parse_fault_spec(value))
        except ValueError as error:
            raise click.BadParameter(str(error), ctx=ctx, param=param) from None
    return faults


def _interrupt(signum: int, frame: FrameType | None) -> None:
    """SIGTERM stops the server as Ctrl-C does."""
    raise KeyboardInterrupt


def _check_root(root: Path) -> None:
    if not (root / "index.html").is_file():
        raise click.ClickException(
            f"{root} holds no mirror (no index.html): pass a directory made by `arabpress mirror generate`"
        )


@mirror.command()
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    default=DEFAULT_PORT,
    show_default=True,
    help="Port on 127.0.0.1 (0: any free port).",
)
@click.option(
    "--root",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    default=None,
    help="Mirror directory to serve (default: the packaged demo mirror).",
)
@click.option(
    "--fault",
    "faults",
    multiple=True,
    callback=_parse_faults,
    metavar="PATH=KIND[:OPT=VALUE,...]",
    help=f"Make a path misbehave; repeatable. Kinds: {', '.join(FAULT_KINDS)}.",
)
@click.option("--verbose", is_flag=True, help="Log every request to stderr.")
def serve(port: int, root: Path | None, faults: list[tuple[str, str, dict[str, Any]]], verbose: bool) -> None:
    """Serve a mirror of Arab Press on 127.0.0.1 until Ctrl-C.

    Pages are served as the real WordPress site serves them: 301 to the trailing slash, 404 page,
    ETag/Last-Modified with 304, gzip, and the public origin rewritten to the server's own URL.

    Example:

    \b
        arabpress mirror serve --port 8765 --fault /feed/=503:times=2,retry_after=5
    """
    root = root or DEMO_SITE_DIR
    _check_root(root)
    server = MirrorServer(root, port=port, verbose=verbose)
    try:
        server.start()
    except OSError as error:
        raise click.ClickException(
            f"cannot listen on 127.0.0.1:{port} ({error.strerror}): pass --port 0 for any free port"
        ) from None
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        for path, kind, options in faults:
            server.set_fault(path, kind, **options)
            click.echo(f"fault: {path} -> {kind} {options or ''}".rstrip(), err=True)
        click.echo(f"Serving the mirror in {root} at {server.base_url}/")
        click.echo("Press Ctrl-C to stop.", err=True)
        threading.Event().wait()
    except KeyboardInterrupt:
        click.echo("Stopping the mirror.", err=True)
    finally:
        server.stop()


@mirror.command()
@click.option(
    "--articles",
    type=click.IntRange(1, MAX_ARTICLES),
    required=True,
    help=f"Number of articles (posts, copies included; at most {MAX_ARTICLES:,}).",
)
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    required=True,
    help="Directory to write the mirror into (must be empty, or use --force).",
)
@click.option(
    "--seed", type=int, default=0, show_default=True, help="Random seed: the same seed, the same files."
)
@click.option(
    "--force", is_flag=True, help="Write into a non-empty directory (a previous mirror there is replaced)."
)
def generate(articles: int, out: Path, seed: int, force: bool) -> None:
    """Generate a deterministic mirror of N articles in the Arab Press template.

    English and Arabic articles, sections, tags, authors, related lists, dates over 2012-2025, the traps of
    the demo mirror scaled with N, listings with pagination, the feed and the sitemaps. All text is
    placeholder text.

    Example:

    \b
        arabpress mirror generate --articles 10000 --out data/mirror-10k --seed 1
    """
    replace_existing = True
    if out.exists() and any(out.iterdir()):
        if not force:
            raise click.ClickException(f"{out} is not empty: choose an empty directory or pass --force")
        replace_existing = (out / MIRROR_MARKER).is_file()
        if not replace_existing:
            click.echo(f"{out} holds other files: writing the mirror beside them", err=True)
    started = time.perf_counter()
    try:
        stats = generate_mirror(out, articles, seed, replace_existing=replace_existing)
    except OSError as error:
        raise click.ClickException(f"cannot write the mirror to {out}: {error.strerror}") from None
    elapsed = time.perf_counter() - started
    click.echo(
        f"Generated {stats.articles:,} article pages and {stats.listing_pages:,} listing pages "
        f"({stats.files:,} files, {stats.bytes / MEBIBYTE:,.0f} MiB) in {out} in {elapsed:.1f} s."
    )
    click.echo(f"Serve it with: arabpress mirror serve --root {out}")
