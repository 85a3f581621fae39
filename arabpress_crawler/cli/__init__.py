"""The ``arabpress`` command line, in the style of sqlite-utils: one click group, one module per topic."""

from __future__ import annotations

import click

from arabpress_crawler import __version__


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="arabpress")
def cli() -> None:
    """Crawl Arab Press into a clean, deduplicated SQLite database.

    Example:

        arabpress demo
    """


def _register() -> None:
    # Each topic module defines its commands and attaches them to ``cli``.
    from arabpress_crawler.cli import crawl, db, export, extract, health, mirror, serve  # noqa: F401


_register()


def main() -> None:
    cli()
