"""Author names from bylines and author metadata, English and Arabic.

A byline mixes names with words and dates ("By Jane Doe and Omar Farouk - 28 December 2022",
"بقلم: سارة العتيبي | ٢٠ أكتوبر ٢٠٢٥"). :func:`names_from_byline` keeps the names; :func:`drop_noise`
removes "Staff"-style entries (desk, editor, the site's own name) when real names sit beside them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from arabpress_crawler.arabic import DIGITS
from arabpress_crawler.dates import normalize_date
from arabpress_crawler.pages.common import collapse_whitespace, unique

#: Words that open a byline before the names (compared case-insensitively, a colon allowed after them).
BYLINE_PREFIX = re.compile(
    r"^(?:(?:written|reported|reporting|words|story|text|posted|compiled)\s+by|by|from|"
    r"بقلم|كتب|كتبت|كتبه|كتبها|إعداد|اعداد|تقرير|بواسطة|الكاتب|الكاتبة|المحرر)\s*[:：\-–]?\s+",
    re.IGNORECASE,
)
#: Separators between names, or between the names and the rest of the byline (a date, a role).
NAME_SEPARATORS = re.compile(r"\s*(?:[,،;|•·/]|\s[-–—]\s|\band\b|&|\s+و\s+|\s+with\s+)\s*", re.IGNORECASE)
#: Parts of a byline that are never a name: publication words and roles.
NOT_NAME_PREFIXES = (
    "published",
    "updated",
    "posted",
    "last updated",
    "min read",
    "نشر",
    "تحديث",
    "آخر تحديث",
    "اخر تحديث",
)
#: "Staff"-style authors: dropped when a real name is given too (Latin words; Arabic as substrings).
NOISE_WORDS = re.compile(
    r"\b(?:staff|desk|editors?|editorial|admin|administrator|newsroom|team|webmaster|web\s*editor)\b",
    re.IGNORECASE,
)
NOISE_ARABIC = ("محرر", "التحرير", "وكالات", "فريق", "ادارة الموقع", "إدارة الموقع")
#: A name has at most this many words and characters; longer parts are sentences or roles.
MAX_NAME_WORDS = 6
MAX_NAME_CHARS = 60
_DIGITS = re.compile(f"[{DIGITS}]")
_EDGE_PUNCTUATION = " .:،,-–—|()[]"


def strip_byline_prefix(text: str) -> str:
    """``text`` without an opening "By"/"بقلم"/"كتب" (repeated prefixes too: "By: Written by …")."""
    text = collapse_whitespace(text)
    while True:
        stripped = BYLINE_PREFIX.sub("", text, count=1).strip(_EDGE_PUNCTUATION)
        if stripped == text:
            return text
        text = stripped


def is_name(part: str) -> bool:
    """``part`` can be a person's (or desk's) name: short, no digits, not a date, not a byline word."""
    if not part or len(part) > MAX_NAME_CHARS or len(part.split()) > MAX_NAME_WORDS:
        return False
    if _DIGITS.search(part) or "@" in part or part.startswith(("http://", "https://")):
        return False
    if part.lower().startswith(NOT_NAME_PREFIXES) or BYLINE_PREFIX.match(part + " "):
        return False
    return normalize_date(part) is None


def names_from_byline(text: str) -> list[str]:
    """The names in a byline's text, in order."""
    parts = (strip_byline_prefix(part) for part in NAME_SEPARATORS.split(strip_byline_prefix(text)))
    return unique(part for part in parts if is_name(part))


def is_noise(name: str, site_name: str | None = None) -> bool:
    """``name`` is a desk, a role or the site itself rather than a person."""
    if site_name and collapse_whitespace(name).lower() == collapse_whitespace(site_name).lower():
        return True
    return bool(NOISE_WORDS.search(name)) or any(word in name for word in NOISE_ARABIC)


def drop_noise(names: Iterable[str], site_name: str | None = None) -> list[str]:
    """``names`` without "Staff"-style entries when at least one real name is among them."""
    names = unique(collapse_whitespace(name) for name in names)
    real = [name for name in names if not is_noise(name, site_name)]
    return real or names
