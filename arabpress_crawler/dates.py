"""Date parsing and normalisation for English and Arabic news pages.

:func:`normalize_date` turns the date forms found on news pages and in feeds into one ISO 8601 form:

* ``YYYY-MM-DDTHH:MM:SSZ`` (UTC) when a time of day is known; an explicit offset (``+03:00``,
  ``+0300``, ``GMT+3``) is converted, a time without any zone is taken as UTC;
* ``YYYY-MM-DD`` when the value gives only a day;
* ``None`` when the value is not a date, is impossible (30 February), or is not credible (later than
  *now + 1 day*, or before :data:`MIN_YEAR`).

Accepted forms: ISO 8601 (extended and basic), RFC 822 (feeds), English month names ("Saturday, Nov 08,
2025", "28 December 2022", "Dec. 28, 2022 10:30 AM"), Arabic month names of both families (يناير…ديسمبر
and كانون الثاني…كانون الأول, with the Maghrebi and Algerian names), Arabic-Indic and Eastern Arabic
digits ("٢٨ ديسمبر ٢٠٢٢"), and unambiguous numeric dates (``2022/12/28``, ``28/12/2022``).

Everything here is pure (no I/O, no locale) and never raises on arbitrary input. ``dateparser`` is not
used: it is slow, and it resolves relative phrases ("2 hours ago") against the clock, which would make
extraction depend on when it runs.
"""

from __future__ import annotations

import logging
import re
from datetime import UTC, date, datetime, timedelta
from email.utils import parsedate_to_datetime
from urllib.parse import urlsplit

from arabpress_crawler import arabic

logger = logging.getLogger(__name__)

#: Dates before this year are not credible for a news page.
MIN_YEAR = 1900
#: Dates later than now + this margin are not credible (time zones and clock skew allowed for).
FUTURE_MARGIN = timedelta(days=1)
#: Longer values are not dates (a whole paragraph was passed); they are refused without scanning.
MAX_INPUT_LENGTH = 200

ISO_DATETIME_FORMAT = "%Y-%m-%dT%H:%M:%SZ"
ISO_DATE_FORMAT = "%Y-%m-%d"

ENGLISH_MONTHS: dict[str, int] = {
    "january": 1, "jan": 1, "february": 2, "feb": 2, "march": 3, "mar": 3, "april": 4, "apr": 4,
    "may": 5, "june": 6, "jun": 6, "july": 7, "jul": 7, "august": 8, "aug": 8, "september": 9,
    "sept": 9, "sep": 9, "october": 10, "oct": 10, "november": 11, "nov": 11, "december": 12, "dec": 12,
}  # fmt: skip

#: Arabic month names of the three families, folded (:func:`arabpress_crawler.arabic.fold`).
ARABIC_MONTHS: dict[str, int] = arabic.MONTHS

MONTHS: dict[str, int] = {**ENGLISH_MONTHS, **ARABIC_MONTHS}

# Longest names first, so that "كانون الثاني" wins over a shorter prefix and "sept" over "sep".
_MONTH_ALTERNATION = "|".join(re.escape(name) for name in sorted(MONTHS, key=len, reverse=True))
# A month name, optionally followed by its twin from the other family: "كانون الأول (ديسمبر)", "ديسمبر/كانون".
_MONTH = rf"(?P<month>{_MONTH_ALTERNATION})(?![\w])\.?(?:\s*[(/]\s*(?:{_MONTH_ALTERNATION})\s*\)?)?"
_SEP = r"[\s,.\-/،]*"
_ORDINAL = r"(?:st|nd|rd|th)?"

DAY_MONTH_YEAR = re.compile(
    rf"(?<!\d)(?P<day>\d{{1,2}}){_ORDINAL}{_SEP}(?:of\s+)?{_MONTH}{_SEP}(?P<year>\d{{4}})(?!\d)"
)
MONTH_DAY_YEAR = re.compile(
    rf"(?<![\w]){_MONTH}{_SEP}(?P<day>\d{{1,2}}){_ORDINAL}{_SEP}(?P<year>\d{{4}})(?!\d)"
)
YEAR_MONTH_DAY_NUMERIC = re.compile(r"(?<!\d)(?P<year>\d{4})[/.](?P<month>\d{1,2})[/.](?P<day>\d{1,2})(?!\d)")
DAY_MONTH_YEAR_NUMERIC = re.compile(r"(?<!\d)(?P<a>\d{1,2})[/.\-](?P<b>\d{1,2})[/.\-](?P<year>\d{4})(?!\d)")

ISO_8601 = re.compile(
    r"^(?P<year>\d{4})-?(?P<month>\d{2})-?(?P<day>\d{2})"
    r"(?:[T\s]+(?P<hour>\d{2}):?(?P<minute>\d{2})(?::?(?P<second>\d{2})(?:[.,]\d+)?)?"
    r"\s*(?P<zone>Z|UTC|GMT|[+\-]\d{2}(?::?\d{2})?)?)?$",
    re.IGNORECASE,
)
# Weekday, day, month name, year, time and zone: the shape of RFC 822 dates in RSS feeds.
RFC_822 = re.compile(r"^(?:[A-Za-z]{3},\s*)?\d{1,2}\s+[A-Za-z]{3}\s+\d{4}\s+\d{1,2}:\d{2}")

TIME_OF_DAY = re.compile(
    r"(?<!\d)(?P<hour>\d{1,2}):(?P<minute>\d{2})(?::(?P<second>\d{2}))?(?!\d)"
    r"\s*(?P<meridiem>a\.?\s?m\.?|p\.?\s?m\.?|ص|م(?!\w))?"
    r"\s*(?P<zone>(?:utc|gmt)?\s*[+\-]\d{1,2}(?::?\d{2})?|utc|gmt|z(?!\w))?",
    re.IGNORECASE,
)
ZONE_OFFSET = re.compile(r"(?:utc|gmt)?\s*(?P<sign>[+\-])(?P<hours>\d{1,2})(?::?(?P<minutes>\d{2}))?$", re.I)
PM_MARKERS = ("p", "م")

#: WordPress date permalinks: ``/2022/12/28/<slug>/``.
URL_DATE = re.compile(r"/(?P<year>(?:19|20)\d{2})/(?P<month>[01]?\d)/(?P<day>[0-3]?\d)(?:/|$)")


def normalize_date(value: str | None, now: datetime | None = None) -> str | None:
    """Return ``value`` as ``YYYY-MM-DDTHH:MM:SSZ`` (UTC) or ``YYYY-MM-DD``, or ``None``.

    ``now`` (default: the current time) bounds credible dates from above; pass it to freeze time.
    """
    if not isinstance(value, str):
        return None
    text = value.strip()
    if not text or len(text) > MAX_INPUT_LENGTH:
        return None
    text = arabic.to_ascii_digits(text)
    parsed = _parse_iso(text) or _parse_rfc822(text) or _parse_words(text) or _parse_numeric(text)
    if parsed is None:
        return None
    return _credible(parsed, now)


def date_from_url(url: str | None, now: datetime | None = None) -> str | None:
    """The ``YYYY-MM-DD`` day of a WordPress-style date permalink (``/2022/12/28/slug/``), else ``None``."""
    if not isinstance(url, str):
        return None
    match = URL_DATE.search(urlsplit(url).path)
    if match is None:
        return None
    day = _make_date(match["year"], match["month"], match["day"])
    return _credible(day, now) if day else None


def _credible(value: date | datetime, now: datetime | None) -> str | None:
    """Format ``value``; ``None`` when it lies before :data:`MIN_YEAR` or after now + :data:`FUTURE_MARGIN`."""
    limit = (now or datetime.now(UTC)).astimezone(UTC) + FUTURE_MARGIN
    if value.year < MIN_YEAR:
        return None
    if isinstance(value, datetime):
        if value > limit:
            return None
        return value.strftime(ISO_DATETIME_FORMAT)
    if value > limit.date():
        return None
    return value.strftime(ISO_DATE_FORMAT)


def _make_date(year: str | int, month: str | int, day: str | int) -> date | None:
    try:
        return date(int(year), int(month), int(day))
    except ValueError:
        return None


def _make_datetime(day: date, hour: int, minute: int, second: int, offset: timedelta) -> datetime | None:
    try:
        local = datetime(day.year, day.month, day.day, hour, minute, second, tzinfo=UTC)
        return local - offset
    except (ValueError, OverflowError):
        return None


def _zone_offset(zone: str | None) -> timedelta | None:
    """The UTC offset written as ``zone`` (``Z``, ``UTC``, ``GMT``, ``+03:00``, ``GMT+3``); ``None`` if unknown."""
    if not zone or zone.strip().lower() in {"z", "utc", "gmt"}:
        return timedelta(0)
    match = ZONE_OFFSET.match(zone.strip())
    if match is None:
        return None
    hours, minutes = int(match["hours"]), int(match["minutes"] or 0)
    if hours > 14 or minutes > 59:
        return None
    offset = timedelta(hours=hours, minutes=minutes)
    return -offset if match["sign"] == "-" else offset


def _parse_iso(text: str) -> date | datetime | None:
    match = ISO_8601.match(text)
    if match is None:
        return None
    day = _make_date(match["year"], match["month"], match["day"])
    if day is None or match["hour"] is None:
        return day
    offset = _zone_offset(match["zone"])
    if offset is None:
        return None
    return _make_datetime(day, int(match["hour"]), int(match["minute"]), int(match["second"] or 0), offset)


def _parse_rfc822(text: str) -> datetime | None:
    if RFC_822.match(text) is None:
        return None
    try:
        parsed = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def _parse_words(text: str) -> date | datetime | None:
    """Dates with a month name, English or Arabic, with an optional time of day."""
    folded = arabic.fold(text)
    match = DAY_MONTH_YEAR.search(folded) or MONTH_DAY_YEAR.search(folded)
    if match is None:
        return None
    day = _make_date(match["year"], MONTHS[match["month"]], match["day"])
    if day is None:
        return None
    rest = folded[: match.start()] + " " + folded[match.end() :]
    return _with_time_of_day(day, rest)


def _with_time_of_day(day: date, text: str) -> date | datetime | None:
    """``day`` combined with the time of day written in ``text``, if any; ``None`` if that time is impossible."""
    match = TIME_OF_DAY.search(text)
    if match is None:
        return day
    hour, minute, second = int(match["hour"]), int(match["minute"]), int(match["second"] or 0)
    meridiem = (match["meridiem"] or "").lower()
    if meridiem:
        if not 1 <= hour <= 12:
            return None
        hour = hour % 12 + (12 if meridiem.startswith(PM_MARKERS) else 0)
    offset = _zone_offset(match["zone"])
    if offset is None:
        return None
    return _make_datetime(day, hour, minute, second, offset)


def _parse_numeric(text: str) -> date | datetime | None:
    """``2022/12/28`` and ``28/12/2022``; a day-month order is accepted only when it cannot be misread."""
    match = YEAR_MONTH_DAY_NUMERIC.search(text)
    if match is not None:
        day = _make_date(match["year"], match["month"], match["day"])
    else:
        match = DAY_MONTH_YEAR_NUMERIC.search(text)
        if match is None:
            return None
        first, second = int(match["a"]), int(match["b"])
        if first <= 12 and second <= 12 and first != second:
            return None  # 03/04/2022: April 3rd or March 4th?
        day_number, month = (second, first) if second > 12 else (first, second)
        day = _make_date(match["year"], month, day_number)
    if day is None:
        return None
    return _with_time_of_day(day, text[: match.start()] + " " + text[match.end() :])
