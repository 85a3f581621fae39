"""The ``articles`` spider's arguments, parsed and checked in one place.

``scrapy crawl articles -a name=value`` passes strings; ``arabpress crawl`` passes typed values. Both go
through :func:`parse_arguments`, which raises :class:`ArgumentError` (a ``ValueError``) with a message that
says how to fix the value, so the CLI can show it as one line before anything is crawled.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date
from typing import Any
from urllib.parse import urlsplit

from arabpress_crawler.spiders.incremental import DEFAULT_REFRESH_DAYS

logger = logging.getLogger(__name__)

TRUE_WORDS = frozenset({"1", "true", "yes", "on"})
FALSE_WORDS = frozenset({"0", "false", "no", "off", ""})
WEB_SCHEMES = frozenset({"http", "https"})


class ArgumentError(ValueError):
    """A spider argument has a value that cannot be used."""


@dataclass(frozen=True)
class SpiderArguments:
    base_url: str
    max_pages: int | None = None
    max_depth: int | None = None
    since: date | None = None
    backfill: bool = False
    refresh: bool = False
    refresh_days: int = DEFAULT_REFRESH_DAYS


def parse_base_url(value: Any) -> str:
    """``http(s)://host[:port]`` without a trailing slash; the path, if any, is kept."""
    text = str(value or "").strip()
    parts = urlsplit(text)
    if parts.scheme.lower() not in WEB_SCHEMES or not parts.hostname:
        raise ArgumentError(
            f"base URL {text!r} is not an http(s) URL; give one like https://arab.press or http://127.0.0.1:8000"
        )
    try:
        parts.port  # noqa: B018 - raises ValueError for a bad port
    except ValueError:
        raise ArgumentError(
            f"base URL {text!r} has a bad port; give one like http://127.0.0.1:8000"
        ) from None
    return text.rstrip("/")


def parse_since(value: Any) -> date | None:
    if value is None or value == "":
        return None
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value).strip())
    except ValueError:
        raise ArgumentError(
            f"since {value!r} is not a date; give it as YYYY-MM-DD, e.g. 2025-01-31"
        ) from None


def parse_count(name: str, value: Any, *, minimum: int) -> int | None:
    if value is None or value == "":
        return None
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise ArgumentError(
            f"{name} {value!r} is not a whole number; give e.g. {name.replace('_', '-')} 100"
        ) from None
    if number < minimum:
        raise ArgumentError(f"{name} must be at least {minimum} (got {number})")
    return number


def parse_flag(name: str, value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in TRUE_WORDS:
        return True
    if text in FALSE_WORDS:
        return False
    raise ArgumentError(f"{name} {value!r} is not a yes/no value; give 1 or 0")


def parse_arguments(
    base_url: Any,
    *,
    max_pages: Any = None,
    max_depth: Any = None,
    since: Any = None,
    backfill: Any = False,
    refresh: Any = False,
    refresh_days: Any = DEFAULT_REFRESH_DAYS,
) -> SpiderArguments:
    days = parse_count("refresh_days", refresh_days, minimum=0)
    return SpiderArguments(
        base_url=parse_base_url(base_url),
        max_pages=parse_count("max_pages", max_pages, minimum=1),
        max_depth=parse_count("max_depth", max_depth, minimum=0),
        since=parse_since(since),
        backfill=parse_flag("backfill", backfill),
        refresh=parse_flag("refresh", refresh),
        refresh_days=DEFAULT_REFRESH_DAYS if days is None else days,
    )
