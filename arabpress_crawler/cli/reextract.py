"""``arabpress reextract``: today's extraction over the archived responses, without fetching anything."""

from __future__ import annotations

import json
import logging
from datetime import date
from pathlib import Path

import click

from arabpress_crawler import crawling
from arabpress_crawler.cli import cli
from arabpress_crawler.db import UnusableDatabase
from arabpress_crawler.reextract import (
    ALIAS,
    CHANGED,
    DROPPED,
    MISSING,
    NO_RECORD,
    NOT_ARTICLE,
    REPORTED_FIELDS,
    UNCHANGED,
    Report,
)
from arabpress_crawler.reextracting import ReextractError, run
from arabpress_crawler.urls import canonicalize_url

logger = logging.getLogger(__name__)

OUTCOME_LABELS = (
    (CHANGED, "changed (earlier values kept as revisions, reason 'reextract')"),
    (ALIAS, "now the text of an earlier article: an alias of it, as a crawl records it"),
    (UNCHANGED, "unchanged"),
    (NO_RECORD, "no archived response (crawled with --no-archive or before the archive)"),
    (MISSING, "archived response missing or unreadable (see arabpress check)"),
    (NOT_ARTICLE, "no longer extracted as an article (row left as it is)"),
    (DROPPED, "would now be dropped by validation (row left as it is)"),
)


def _since(value: str | None) -> str | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value).isoformat()
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date: use YYYY-MM-DD, e.g. 2025-01-31") from None


def _url(value: str | None) -> str | None:
    if value is None:
        return None
    canonical = canonicalize_url(value)
    if canonical is None:
        raise click.BadParameter(f"{value!r} is not an http(s) URL of an article")
    return canonical


def report_lines(report: Report) -> list[str]:
    """The human summary: outcomes, then per field how many values changed."""
    verb = "Would re-extract" if report.dry_run else "Re-extracted"
    lines = [
        f"{verb} {report.articles} articles from the web archive in {report.seconds:.1f} s "
        f"({report.rate:,.0f} pages/s), extraction {report.version}; nothing was fetched."
    ]
    lines += [f"  {report.outcomes[key]:>7}  {label}" for key, label in OUTCOME_LABELS if report.outcomes[key]]
    if report.fields:
        lines.append("Values changed, per field:")
        lines += [f"  {report.fields[name]:>7}  {name}" for name in REPORTED_FIELDS if report.fields[name]]
    else:
        lines.append("No field changed.")
    if report.dry_run and report.changed:
        lines.append("Dry run: nothing was written. Run again without --dry-run to apply.")
    return lines


def report_json(report: Report) -> str:
    return json.dumps(
        {
            "version": report.version,
            "dry_run": report.dry_run,
            "articles": report.articles,
            "outcomes": dict(report.outcomes),
            "fields": {name: report.fields[name] for name in REPORTED_FIELDS if report.fields[name]},
            "seconds": round(report.seconds, 3),
            "pages_per_second": round(report.rate, 1),
        },
        ensure_ascii=False,
        sort_keys=True,
    )


@cli.command()
@click.option("--db", type=click.Path(dir_okay=False, path_type=Path), default=crawling.DEFAULT_DB, show_default=True,
              envvar="ARABPRESS_DB", help="SQLite database written by `arabpress crawl` (its archive/ beside it).")
@click.option("--since", metavar="YYYY-MM-DD", help="Only articles published on or after this day.")
@click.option("--url", metavar="URL", help="Only this article (its URL or an alias of it).")
@click.option("--dry-run", is_flag=True, help="Report what would change; write nothing.")
@click.option("--jobs", "-j", type=click.IntRange(min=0, max=64), default=0, show_default=True,
              help="Worker processes extracting in parallel; 0: one per usable core (a few hundred articles "
                   "or fewer are extracted in this process).")
@click.option("--json", "as_json", is_flag=True, help="Print the report as one JSON object.")
def reextract(db: Path, since: str | None, url: str | None, dry_run: bool, jobs: int, as_json: bool) -> None:
    """Extract stored articles again from their archived responses, without fetching.

    Runs today's page objects and the clean and validate steps over the response each row was extracted
    from (the WARC archive a crawl writes beside the database), updates the rows whose fields change,
    keeps their earlier values as revisions (reason 'reextract', with the extraction version) and reports
    per field how many values changed. A second run over the same code changes nothing.

    Example:

    \b
        arabpress reextract --db data/arabpress.db --dry-run
        arabpress reextract --db data/arabpress.db --since 2025-01-01
        arabpress reextract --db data/arabpress.db --url https://arab.press/2025/01/05/some-story/
    """
    try:
        report = run(db, since=_since(since), url=_url(url), dry_run=dry_run, jobs=jobs or None)
    except (ReextractError, UnusableDatabase) as error:
        raise click.ClickException(str(error)) from error
    if as_json:
        click.echo(report_json(report))
        return
    for line in report_lines(report):
        click.echo(line)
