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


#: Exit status of a command refused because its database file is damaged (``PRAGMA quick_check``).
EXIT_DAMAGED = 3


class DamagedDatabaseError(click.ClickException):
    """A damaged database file: one line naming it, and an exit status of its own (:data:`EXIT_DAMAGED`)."""

    exit_code = EXIT_DAMAGED


def user_error(error: Exception) -> click.ClickException:
    """The one-line error a command shows for ``error``; a damaged database gets :data:`EXIT_DAMAGED`."""
    from arabpress_crawler.db.connection import DamagedDatabase

    cause: BaseException | None = error
    while cause is not None:
        if isinstance(cause, DamagedDatabase):
            return DamagedDatabaseError(str(error))
        cause = cause.__cause__
    return click.ClickException(str(error))


def _register() -> None:
    # Each topic module defines its commands and attaches them to ``cli``.
    from arabpress_crawler.cli import crawl, db, export, extract, health, mirror, serve  # noqa: F401


_register()


def main() -> None:
    cli()
