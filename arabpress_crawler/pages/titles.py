"""Titles as a reader sees them: site names stripped from ``<title>``/``og:title``, and the visible headline
preferred among the titles a page's metadata gives."""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence

#: Separators sites put between a headline and their name in ``og:title`` / ``<title>``.
TITLE_SITE_SEPARATORS = (" - ", " – ", " — ", " | ", " :: ", " · ", " « ", " » ")
#: A site-name part of a title is at most this many words.
MAX_SITE_NAME_WORDS = 5
#: Two titles that share more than this share of the shorter one's words are wordings of one headline.
SAME_HEADLINE_WORDS = 0.5


def strip_site_name(title: str, site_name: str | None) -> str:
    """``title`` without a trailing `` - Site Name`` (``og:title`` and ``<title>`` often carry one)."""
    if site_name:
        for separator in TITLE_SITE_SEPARATORS:
            suffix = f"{separator}{site_name}"
            if title.endswith(suffix) and len(title) > len(suffix):
                return title[: -len(suffix)].strip()
    return title


def strip_title_suffix(title: str) -> str:
    """``title`` without a short site-name part at its end or start: "Headline | Site" -> "Headline"."""
    for separator in TITLE_SITE_SEPARATORS:
        if separator in title:
            head, _, tail = title.rpartition(separator)
            if len(tail.split()) <= MAX_SITE_NAME_WORDS and len(head.split()) > len(tail.split()):
                return head.strip()
            first, _, rest = title.partition(separator)
            if len(first.split()) <= MAX_SITE_NAME_WORDS and len(rest.split()) > len(first.split()):
                return rest.strip()
    return title


def _key(text: str) -> str:
    return " ".join(unicodedata.normalize("NFKC", text).casefold().split())


def shared_words(one: str, other: str) -> float:
    """The share of the shorter title's words that the other has too (case and spacing aside)."""
    words, others = set(_key(one).split()), set(_key(other).split())
    return len(words & others) / max(1, min(len(words), len(others)))


def seen_title(candidates: Sequence[str], visible: str | None) -> str:
    """The candidate a reader sees as the headline, given the visible ``<h1>``.

    A first candidate that is the ``<h1>`` plus a site name (``og:title`` "Headline | Site") gives the
    ``<h1>``. Otherwise the first candidate stands when it is a wording of the visible headline (shares more
    than :data:`SAME_HEADLINE_WORDS` of its words: an editor's variant); when it is not (a JSON-LD
    ``headline`` that is a description, as on Wikipedia), the candidate equal to the ``<h1>`` (up to case
    and spacing) wins, else the ``<h1>`` itself when a candidate is it plus a site name. An ``<h1>`` that no
    candidate names (a logo, a section) decides nothing.
    """
    if not visible:
        return candidates[0]
    key = _key(visible)
    if _key(strip_title_suffix(candidates[0])) == key:
        return candidates[0] if _key(candidates[0]) == key else visible
    if shared_words(candidates[0], visible) > SAME_HEADLINE_WORDS:
        return candidates[0]
    for candidate in candidates:
        if _key(candidate) == key:
            return candidate
    for candidate in candidates:
        if _key(strip_title_suffix(candidate)) == key:
            return visible
    return candidates[0]
