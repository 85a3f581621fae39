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
#: Other languages' "by" (French, German, Spanish/Portuguese, Dutch, Scandinavian), stripped once at the start
#: and only before a capitalised word ("Von Jonas Keller", "Par Claire Dumas").
FOREIGN_PREFIX = re.compile(r"^(?:[Pp]ar|[Vv]on|[Pp]or|[Dd]oor|[Aa]v)\s+(?=[^\W\d_])(?=[A-ZÀ-ÞĀ-ſ])")
#: A second role after the author's name ("… Edited by …", "… Photographs by …"): the rest is not authors.
ROLE_TAIL = re.compile(
    r"[\s.,;|]+(?:edited|photographs?|photos?|photography|illustrations?|illustrated|graphics|video|"
    r"additional\s+reporting|fact[-\s]checked|translated)\s+by\b.*$",
    re.IGNORECASE,
)
#: Separators between names, or between the names and the rest of the byline (a date, a role); other
#: languages' "and" and "with" only in lower case, so that an initial ("John E Smith") is not taken for one.
NAME_SEPARATORS = re.compile(
    r"\s*(?:[,،;|•·/]|\s[-–—]\s|\band\b|&|\s+و\s+|\s+\(?(?:with|(?-i:avec|mit|con|com|met|med))\s+|\s(?-i:et|und|y|e|en|och|og|ve)\s)\s*",
    re.IGNORECASE,
)
#: Weekday names that open a date running on after a name ("Joe Wee Monday, February 29, 2016").
WEEKDAY_NAMES = (
    "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday",
    "الأحد", "الإثنين", "الاثنين", "الثلاثاء", "الأربعاء", "الخميس", "الجمعة", "السبت",
)  # fmt: skip
#: A name part's tail that is a date: a weekday after the name, or "on"/"at"/"le"/"في" and a digit.
DATE_TAIL = re.compile(
    r"(?<=\w)\s+(?:(?:" + "|".join(WEEKDAY_NAMES) + r")\b|(?:on|at|le|am|el|في|يوم)\s+[" + DIGITS + r"]).*$"
)
#: Degrees and credentials written after a name ("Brenda Holt, MA", "Sam Ortiz, MD, PhD"), dots removed.
CREDENTIALS = frozenset(
    ("MA", "MD", "PhD", "DPhil", "RN", "MPH", "MS", "MSc", "BSc", "BA", "DO", "DDS", "MBA", "JD", "LLB",
     "LLM", "FACP", "FRCP", "CPA", "Esq", "EdD", "PsyD", "PharmD", "NP", "LCSW", "RD", "MFA", "DVM")
)  # fmt: skip
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
    """``text`` without an opening "By"/"بقلم"/"كتب" (repeated prefixes too: "By: Written by …"), or another
    language's "by" ("Par", "Von", "Por", "Door", "Av") before a capitalised name."""
    text = FOREIGN_PREFIX.sub("", collapse_whitespace(text), count=1)
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


def is_credential(part: str) -> bool:
    """``part`` is a degree or credential ("MD", "Ph.D."), or opens with one ("MA WebMD Health News")."""
    words = part.split()
    return bool(words) and words[0].replace(".", "") in CREDENTIALS


def names_from_byline(text: str) -> list[str]:
    """The names in a byline's text, in order: no second role ("Edited by …"), no date running on after a
    name, no credentials."""
    names: list[str] = []
    for part in NAME_SEPARATORS.split(ROLE_TAIL.sub("", strip_byline_prefix(text))):
        part = strip_byline_prefix(part)
        name = DATE_TAIL.sub("", part)
        if is_name(name) and not is_credential(name):
            names.append(name)
        if name != part:  # the date that ran on after this name ends the names
            break
    return unique(names)


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
