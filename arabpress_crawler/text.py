"""Text cleaning for stored columns, and the normalised form used for hashing and full-text search.

Two different jobs live here:

* **Cleaning** (:func:`clean_text`, :func:`clean_body`) makes extracted text tidy while keeping it faithful:
  markup leftovers and entities are resolved, invisible and bidi control characters removed, whitespace
  collapsed (paragraph breaks in bodies are kept as one blank line). Letters, diacritics, tatweel and digits
  stay exactly as published.
* **Normalising** (:func:`normalize_for_search`) builds the comparison form: NFKC, case-folded, Arabic
  tatweel and diacritics removed, hamza/madda forms of alef folded to bare alef, Arabic-Indic and Eastern
  Arabic-Indic digits turned into ASCII. It is what content hashes, near-duplicate shingles and the
  full-text index are computed from; it is never shown to users as the article's text.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import re
import unicodedata
from collections import OrderedDict
from collections.abc import Iterable

from w3lib.html import remove_comments, remove_tags, remove_tags_with_content, replace_entities

from arabpress_crawler import arabic

logger = logging.getLogger(__name__)

PARAGRAPH_SEPARATOR = "\n\n"

#: Zero-width characters, bidi embeddings/overrides/isolates, marks and other invisible format characters.
INVISIBLE_CHARACTERS = (
    "\u00ad"  # soft hyphen
    "\u034f"  # combining grapheme joiner
    "\u061c"  # Arabic letter mark
    "\u115f\u1160\u17b4\u17b5"  # Hangul/Khmer fillers
    "\u180e"  # Mongolian vowel separator
    "\u200b\u200c\u200d"  # zero-width space, non-joiner, joiner
    "\u200e\u200f"  # left-to-right / right-to-left marks
    "\u202a\u202b\u202c\u202d\u202e"  # bidi embeddings and overrides
    "\u2060\u2061\u2062\u2063\u2064"  # word joiner, invisible operators
    "\u2066\u2067\u2068\u2069"  # bidi isolates
    "\u206a\u206b\u206c\u206d\u206e\u206f"  # deprecated format characters
    "\ufeff"  # byte order mark / zero-width no-break space
    "\ufff9\ufffa\ufffb"  # interlinear annotation
)
#: C0/C1 control characters other than tab and newline (carriage returns become newlines first).
CONTROL_CHARACTERS = "".join(
    chr(c) for c in [*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20), *range(0x7F, 0xA0)]
)
_INVISIBLE_RE = re.compile(f"[{re.escape(INVISIBLE_CHARACTERS + CONTROL_CHARACTERS)}]")

#: Digits as ASCII, tatweel dropped, alef variants folded (:mod:`arabpress_crawler.arabic`).
_SEARCH_TABLE = {**arabic.DIGIT_TABLE, **arabic.LIGHT_FOLD_TABLE}

_TAG_LIKE_RE = re.compile(r"</?[A-Za-z][^<>]*>")
_PARAGRAPH_SPLIT_RE = re.compile(r"\n\s*\n")
_WORD_RE = re.compile(r"\w+")
#: Tags whose content is never article text.
CONTENT_TAGS = ("script", "style", "noscript", "template")
#: Whole paragraphs that are site furniture rather than article text (compared in normalised form).
BOILERPLATE_PARAGRAPHS = frozenset(
    {
        "advertisement",
        "share",
        "share this article",
        "share this",
        "related articles",
        "newsletter",
        "read more",
        "إعلان",
        "اعلان",
        "شارك",
        "شارك المقال",
        "مقالات ذات صلة",
        "اقرا ايضا",
    }
)
#: Paragraph openings of "read also" teasers that link to another story.
BOILERPLATE_PREFIXES = ("read also:", "read more:", "see also:", "اقرا ايضا:", "اقرا ايضا :")
#: Paragraphs longer than this are never furniture (saves normalising every paragraph).
MAX_BOILERPLATE_LENGTH = 200
_MAX_NORMALISE_ROUNDS = 4
_MAX_MARKUP_ROUNDS = 6


def remove_invisible(text: str) -> str:
    """Remove zero-width, bidi control, format and control characters (tabs and newlines stay)."""
    if text.isascii() and text.isprintable():
        return text  # printable ASCII holds no control or invisible character (nor a carriage return)
    return _INVISIBLE_RE.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))


def _strip_markup_once(text: str) -> str:
    text = remove_invisible(text)
    if "&" in text:
        text = replace_entities(text, keep=(), remove_illegal=False)
    if "<" in text:
        text = remove_comments(text)
        text = remove_tags_with_content(text, which_ones=CONTENT_TAGS)
        if _TAG_LIKE_RE.search(text):
            text = remove_tags(text)
    return text


def strip_markup(text: str) -> str:
    """Remove HTML leftovers: entities decoded, comments, script/style blocks and tags removed, invisibles gone.

    Only tag-shaped sequences go (``a < b`` survives). Escaped markup (``&lt;b&gt;``) counts as markup: a
    double-escaped page would otherwise leave tags in the text. Repeated until nothing changes, so cleaning
    cleaned text is a no-op.
    """
    for _ in range(_MAX_MARKUP_ROUNDS):
        stripped = _strip_markup_once(text)
        if stripped == text:
            break
        text = stripped
    return text


def collapse_whitespace(text: str | None) -> str:
    """Turn every run of whitespace (newlines and no-break spaces included) into one space; strip ends.

    ``""`` for ``None``. ``str.split()`` splits on exactly the characters ``\\s`` matches in a ``str`` pattern
    (``str.isspace``), several times faster than the regular expression on paragraphs.
    """
    return " ".join(text.split()) if text else ""


def clean_text(value: str | None) -> str | None:
    """Clean a one-line field (title, subtitle, author, tag, section); ``None`` when nothing is left."""
    if value is None:
        return None
    text = collapse_whitespace(unicodedata.normalize("NFC", strip_markup(str(value))))
    return text or None


def split_paragraphs(text: str) -> list[str]:
    """Split a body on blank lines; each paragraph has its inner whitespace collapsed."""
    paragraphs = (collapse_whitespace(p) for p in _PARAGRAPH_SPLIT_RE.split(text))
    return [p for p in paragraphs if p]


def is_boilerplate_paragraph(paragraph: str) -> bool:
    """True for site furniture ("Advertisement", "Read also: …") that slipped into a body."""
    if len(paragraph) > MAX_BOILERPLATE_LENGTH:
        return False
    key = normalize_for_search(paragraph)
    return key in BOILERPLATE_PARAGRAPHS or key.startswith(BOILERPLATE_PREFIXES)


def clean_body(value: str | None) -> str | None:
    """Clean an article body: paragraphs separated by exactly one blank line, boilerplate paragraphs dropped.

    ``<p>``/``<br>`` leftovers become paragraph breaks before the remaining markup is stripped.
    """
    if value is None:
        return None
    text = remove_invisible(str(value))
    if "<" in text:
        text = re.sub(r"(?i)</p\s*>|<br\s*/?>\s*<br\s*/?>", PARAGRAPH_SEPARATOR, text)
    text = unicodedata.normalize("NFC", strip_markup(text))
    # No pass turning horizontal whitespace into spaces first: splitting on blank lines (newlines with any
    # whitespace between) and collapsing each paragraph with ``str.split`` gives the same paragraphs.
    paragraphs = [p for p in split_paragraphs(text) if not is_boilerplate_paragraph(p)]
    return PARAGRAPH_SEPARATOR.join(paragraphs) or None


def clean_list(values: Iterable[str | None] | None) -> list[str]:
    """Clean each entry of a list field (authors, tags), dropping empties and repeats, keeping order."""
    seen: set[str] = set()
    cleaned: list[str] = []
    for value in values or ():
        text = clean_text(value)
        if text and text.casefold() not in seen:
            seen.add(text.casefold())
            cleaned.append(text)
    return cleaned


def _normalise_once(text: str) -> str:
    text = unicodedata.normalize("NFKC", remove_invisible(text)).casefold()
    text = unicodedata.normalize("NFKC", text)
    text = arabic.strip_diacritics(text).translate(_SEARCH_TABLE)
    return collapse_whitespace(text)


class NormalisedCache:
    """The most recent normalised forms, bounded by entries and by the characters they hold.

    One article's title and body are normalised by validation, the content hash, the shingles and the
    store's search copy (a batch later); remembering them saves the repeats. Least recently used first out.
    """

    def __init__(self, *, max_entries: int, max_chars: int) -> None:
        self.max_entries = max_entries
        self.max_chars = max_chars
        self.entries: OrderedDict[str, str] = OrderedDict()
        self.chars = 0

    def get(self, text: str) -> str | None:
        result = self.entries.get(text)
        if result is not None:
            self.entries.move_to_end(text)
        return result

    def put(self, text: str, result: str) -> None:
        size = len(text) + len(result)
        if size > self.max_chars or text in self.entries:
            return
        self.entries[text] = result
        self.chars += size
        while len(self.entries) > self.max_entries or self.chars > self.max_chars:
            old_text, old_result = self.entries.popitem(last=False)
            self.chars -= len(old_text) + len(old_result)

    def clear(self) -> None:
        self.entries.clear()
        self.chars = 0


#: A store batch (100 articles) of titles, bodies and related headlines fits; a few MB at most.
NORMALISED_CACHE_ENTRIES = 4096
NORMALISED_CACHE_CHARS = 2_000_000
_normalised = NormalisedCache(max_entries=NORMALISED_CACHE_ENTRIES, max_chars=NORMALISED_CACHE_CHARS)


def normalize_for_search(text: str | None) -> str:
    """The comparison form of ``text`` for hashing, shingling and full-text search.

    NFKC, case-folded, Arabic tatweel and diacritics removed, alef variants folded, Arabic-Indic digits as
    ASCII, whitespace collapsed. Idempotent: normalising a normalised string changes nothing. Recent results
    are remembered (:class:`NormalisedCache`): the same text is normalised by several stages.
    """
    if not text:
        return ""
    text = str(text)
    result = _normalised.get(text)
    if result is None:
        result = _normalise_uncached(text)
        _normalised.put(text, result)
    return result


def _normalise_uncached(text: str) -> str:
    """:func:`normalize_for_search` computed afresh."""
    result = _normalise_once(text)
    if result.isascii():
        return result  # NFKC and case folding of ASCII are stable after one round
    for _ in range(_MAX_NORMALISE_ROUNDS):
        again = _normalise_once(result)
        if again == result:
            break
        result = again
    return result


to_ascii_digits = arabic.to_ascii_digits


def words(text: str | None) -> list[str]:
    """The words of the normalised form of ``text`` (letters and digits of any script)."""
    return list(normalised_words(text))


#: Texts whose words are remembered: the dedupe stage's shingles and the store's search copy of the same
#: article follow each other in the writer (a record is deduped, then written).
WORDS_CACHE_TEXTS = 64


@functools.lru_cache(maxsize=WORDS_CACHE_TEXTS)
def normalised_words(text: str | None) -> tuple[str, ...]:
    """:func:`words`, as a tuple, remembered for the most recent texts."""
    return tuple(_WORD_RE.findall(normalize_for_search(text)))


def word_count(text: str | None) -> int:
    """Number of words in ``text`` (Arabic and Latin alike)."""
    return len(_WORD_RE.findall(text or ""))


def content_hash(title: str | None, body: str | None) -> str:
    """SHA-256 of the normalised title and body: equal for the same story however it was typeset."""
    key = normalize_for_search(title) + "\n" + normalize_for_search(body)
    return hashlib.sha256(key.encode("utf-8")).hexdigest()
