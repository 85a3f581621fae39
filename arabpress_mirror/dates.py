"""Dates as the Arab Press theme writes them: WordPress's ``c`` format, the visible English and Arabic dates,
the masthead date and RFC 822 dates for the feed.

The Arabic digits, month and weekday names are the mirror's own copy on purpose: the mirror plays the site,
and the crawler's parser (``arabpress_crawler``) must read what the site writes without sharing its tables.
"""

from __future__ import annotations

from datetime import datetime
from email.utils import format_datetime
from functools import cache

from arabpress_mirror.content import masthead_date, parse_iso

MASTHEAD_FORMAT = "%A, %b %d, %Y"
ENGLISH_DATE_FORMAT = "%B %-d, %Y"

ARABIC_DIGITS = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")
ARABIC_MONTHS = (
    "يناير", "فبراير", "مارس", "أبريل", "مايو", "يونيو",
    "يوليو", "أغسطس", "سبتمبر", "أكتوبر", "نوفمبر", "ديسمبر",
)  # fmt: skip
ARABIC_WEEKDAYS = ("الاثنين", "الثلاثاء", "الأربعاء", "الخميس", "الجمعة", "السبت", "الأحد")


def iso_with_offset(value: str) -> str:
    """WordPress's ``c`` date format: ``2022-12-28T17:30:00+00:00`` for ``2022-12-28T17:30:00Z``."""
    return value.replace("Z", "+00:00")


def arabic_digits(value: int | str) -> str:
    return str(value).translate(ARABIC_DIGITS)


def display_date(value: str, language: str) -> str:
    """The visible date: "December 28, 2022" or "٢٨ ديسمبر ٢٠٢٢"."""
    moment = parse_iso(value)
    if language == "ar":
        return f"{arabic_digits(moment.day)} {ARABIC_MONTHS[moment.month - 1]} {arabic_digits(moment.year)}"
    return moment.strftime(ENGLISH_DATE_FORMAT)


@cache
def masthead_for(language: str) -> str:
    """The masthead date of the seed page, in the page's language."""
    english = masthead_date()
    if language != "ar":
        return english
    moment = datetime.strptime(english, MASTHEAD_FORMAT)
    weekday = ARABIC_WEEKDAYS[moment.weekday()]
    day = arabic_digits(f"{moment.day:02d}")
    return f"{weekday}، {day} {ARABIC_MONTHS[moment.month - 1]} {arabic_digits(moment.year)}"


def rfc822(value: str) -> str:
    return format_datetime(parse_iso(value))
