"""The ``arabpress`` command line, in the style of sqlite-utils: one click group, one module per topic.

``arabpress mirror`` is loaded on first use (click's lazy subcommands): it is the only topic that needs the
mirror package ``arabpress_mirror``, a test double installed beside the crawler, so every other command runs
without it.
"""

from __future__ import annotations

import importlib
from typing import Any

import click

from arabpress_crawler import __version__

#: The one line shown when ``arabpress mirror`` or ``arabpress demo`` runs where the mirror is not installed.
MIRROR_MISSING = (
    "the local mirror (package arabpress_mirror) is not installed: install arabpress-crawler from its "
    "repository (`make demo`)"
)


def mirror_missing(error: ModuleNotFoundError) -> bool:
    """True when ``error`` says the mirror package itself is absent (not a dependency of it)."""
    return (error.name or "").split(".")[0] == "arabpress_mirror"


class LazyCommandGroup(click.Group):
    """A click group whose ``lazy`` subcommands are imported from their module when first asked for."""

    def __init__(self, *args: Any, lazy: dict[str, str] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        #: Command name -> "module:attribute" of the command.
        self.lazy = dict(lazy or {})

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *self.lazy})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.lazy:
            return super().get_command(ctx, cmd_name)
        module_name, _, attribute = self.lazy[cmd_name].partition(":")
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as error:
            if not mirror_missing(error):
                raise
            return _unavailable(cmd_name)
        command: click.Command = getattr(module, attribute)
        return command


def _unavailable(name: str) -> click.Command:
    """A stand-in for a command whose package is not installed: it says so in one line."""

    def fail() -> None:
        raise click.ClickException(MIRROR_MISSING)

    return click.Command(
        name,
        callback=fail,
        help="The local mirror of Arab Press (not installed).",
        # ``arabpress mirror serve --port 1`` reaches the one-line message, not a usage error.
        context_settings={"ignore_unknown_options": True, "allow_extra_args": True},
    )


@click.group(
    cls=LazyCommandGroup,
    lazy={"mirror": "arabpress_crawler.cli.mirror:mirror"},
    context_settings={"help_option_names": ["-h", "--help"]},
)
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
    # Each topic module defines its commands and attaches them to ``cli`` (``mirror`` is loaded lazily).
    from arabpress_crawler.cli import crawl, db, export, extract, health, reextract, serve  # noqa: F401


_register()


def main() -> None:
    cli()
