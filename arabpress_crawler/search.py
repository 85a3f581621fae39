"""Full-text search as people type it: the indexed form of text and the FTS5 query of what they typed.

Both sides go through the same steps, so a word matches however it is written:

1. :func:`arabpress_crawler.text.normalize_for_search` (case, diacritics, tatweel, alef forms, digits);
2. Arabic letter folding: ``ة`` → ``ه`` and ``ى`` → ``ي`` (written interchangeably);
3. a light Arabic stemmer (:func:`stem`): the attached conjunctions, prepositions and article
   (``و ف ب ك ل ال`` in any combination: ``والقهوة``, ``لمترو``, ``بالرياض``) are taken off the front, and a
   few common endings off the back (plural ``ون ين``; ``ات`` as the plural of ``ة``; pronouns ``ها هم هما هن``;
   the feminine ``ية`` of an adjective becomes its masculine ``ي``). A stem keeps at least three letters
   (four before a plural ending), so short words are left whole. Latin words are not stemmed.

Stemming is deliberately greedy and symmetrical: a leading ``و ف ب ك ل`` is taken off even when it belongs
to the word (``كتاب`` → ``تاب``), because the same happens to every written form of it (``الكتاب``,
``بالكتاب``), so they all meet. ``docs/search.md`` has the evaluation (recall and precision on the
project's query set, and why no library stemmer was used).

:func:`match_expression` turns a query into an FTS5 MATCH expression over the stemmed index. Accepted
syntax (:data:`SYNTAX`): words (all must occur), ``"an exact phrase"``, ``prefix*`` and ``OR`` between
alternatives. Anything else that looks like FTS syntax (an unclosed quote, a dangling ``OR``, ``NEAR``,
parentheses, ``column:``) is searched as text, never passed to FTS5; a query left without words matches
nothing, and ``arabpress export`` refuses it naming :data:`SYNTAX`.
"""

from __future__ import annotations

import functools
import logging
import re
from dataclasses import dataclass

from arabpress_crawler.text import normalised_words, normalize_for_search

logger = logging.getLogger(__name__)

SYNTAX = 'words (all must occur), "an exact phrase", prefix* (e.g. defen*) and OR between alternatives'
ARABIC_FOLDING = str.maketrans({"\u0629": "\u0647", "\u0649": "\u064a"})  # ة → ه, ى → ي
#: The article with the conjunction and preposition letters that come before it: ال وال فال بال كال لل ولل…
_ARTICLE_GROUP = re.compile("^[\u0648\u0641]?(?:[\u0628\u0643]?\u0627\u0644|\u0644\u0644)")
#: After the article a stem may be two letters (الحر → حر): no two-letter word starts with ال.
MIN_ARTICLE_STEM = 2
TA = "\u062a"  # ت
HA = "\u0647"  # ه
ALEF = "\u0627"  # ا
#: Single letters attached before a word: conjunctions (و ف) and prepositions (ب ك ل).
PREFIX_LETTERS = frozenset("\u0648\u0641\u0628\u0643\u0644")
MIN_STEM = 3
#: Distinct words whose stems are remembered (a few MB at most).
STEM_CACHE_WORDS = 65536
#: A plural ending leaves at least this many letters (``بحرين`` stays whole: ``بحر`` is another word).
MIN_PLURAL_STEM = 4
#: Endings taken off (longest first) and what replaces them.
PRONOUN_SUFFIXES = ("\u0647\u0645\u0627", "\u0647\u0627", "\u0647\u0645", "\u0647\u0646")  # هما ها هم هن
#: A bare ه is only taken off after ت, as "its" after a feminine noun (شركته → شركه): alone it is ة.
PLURAL_SUFFIXES = ("\u0648\u0646", "\u064a\u0646")  # ون ين
FEMININE_PLURAL = "\u0627\u062a"  # ات → ه (سيارات → سياره, like سيارة)
FEMININE_NISBA = "\u064a\u0647"  # يه (ية after folding) → ي (الاقتصادية → اقتصادي)
#: Frequent names that begin with a prefix letter (or end like a plural): kept whole, so that
#: لبنان does not become نان (as فنان does) and فلسطين keeps its ين. Normalised and folded spellings.
PROTECTED_WORDS = frozenset(
    "لبنان بيروت بغداد بريطانيا فلسطين فرنسا كندا كوريا بلجيكا برازيل بكين برلين باريس ليبيا لندن"
    " واشنطن فنزويلا كابول كويت بنغازي فيتنام بلغاريا بولندا بنما بوليفيا كوبا كينيا لاوس لوكسمبورغ"
    " فنلندا فلبين بحرين".split()
)
_ARABIC_WORD = re.compile(r"^[\u0621-\u064a]+$")
_WORD = re.compile(r"\w+")
#: A query token: a quoted phrase (closed or not), or a run of characters other than space and quote.
_QUERY_TOKEN = re.compile(r'"([^"]*)("?)|([^\s"]+)')


def _strip_article(word: str) -> str:
    """Take off a prefix group with the article (``ال وال فال بال كال لل ولل فلل``…), once."""
    match = _ARTICLE_GROUP.match(word)
    if match and len(word) - match.end() >= MIN_ARTICLE_STEM:
        return word[match.end():]
    return word


def _strip_letters(word: str) -> str:
    """Take off leading conjunction and preposition letters while a stem of :data:`MIN_STEM` is left."""
    while word[:1] in PREFIX_LETTERS and len(word) - 1 >= MIN_STEM:
        word = word[1:]
    return word


def _strip_suffix(word: str) -> str:
    if word.endswith(TA + HA) and len(word) - 2 >= MIN_STEM:  # شركته → شركه (شركة)
        word = word[:-2] + HA
    else:
        for suffix in PRONOUN_SUFFIXES:
            if word.endswith(suffix) and len(word) - len(suffix) >= MIN_STEM:
                word = word[: -len(suffix)]
                if word.endswith(TA) and len(word) > MIN_STEM:  # حكومتها → حكومه: ة is ت before a pronoun
                    word = word[:-1] + HA
                break
    if word.endswith(ALEF) and len(word) - 1 >= MIN_STEM:  # the accusative تطبيقاً → تطبيق
        word = word[:-1]
    if word.endswith(FEMININE_PLURAL) and len(word) - 2 >= MIN_STEM:
        word = word[:-2] + HA  # مستشفيات → مستشفيه → (below) مستشفي
    if word.endswith(FEMININE_NISBA) and len(word) - 1 >= MIN_STEM:
        return word[:-1]
    for suffix in PLURAL_SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= MIN_PLURAL_STEM:
            return word[: -len(suffix)]
    return word


def _protected(word: str) -> str | None:
    """The name of :data:`PROTECTED_WORDS` that ``word`` is, after leading prefix letters, if any."""
    while True:
        if word in PROTECTED_WORDS:
            return word
        if word[:1] not in PREFIX_LETTERS or len(word) - 1 < MIN_STEM:
            return None
        word = word[1:]


def fold(word: str) -> str:
    """``ة`` → ``ه`` and ``ى`` → ``ي`` in a normalised word."""
    return word.translate(ARABIC_FOLDING)


@functools.lru_cache(maxsize=STEM_CACHE_WORDS)
def stem(word: str) -> str:
    """The search stem of one normalised word (Arabic words only; anything else comes back as it is).

    Remembered: a crawl's vocabulary is small next to its word count, and every body goes through here.
    """
    word = fold(word)
    if not _ARABIC_WORD.match(word):
        return word
    word = _strip_article(word)
    return _protected(word) or _strip_letters(_strip_suffix(word))


def prefix_stem(word: str) -> str:
    """The stem of a word typed as a prefix (``word*``): its front is stripped, its end is not complete."""
    word = fold(word)
    return _strip_letters(_strip_article(word)) if _ARABIC_WORD.match(word) else word


def search_words(text: str | None) -> list[str]:
    """The indexed words of ``text``: normalised, folded, stemmed, in order."""
    return list(map(stem, normalised_words(text)))


def search_text(text: str | None) -> str:
    """The copy of ``text`` the full-text index holds (its :func:`search_words`, space-separated)."""
    return " ".join(map(stem, normalised_words(text)))


# --- queries --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Term:
    """One part of a query: a phrase of stems (one stem: a word), possibly a prefix."""

    stems: tuple[str, ...]
    prefix: bool = False

    def fts(self) -> str:
        return '"' + " ".join(self.stems) + '"' + ("*" if self.prefix else "")


def _word_terms(chunk: str) -> list[_Term]:
    prefix = chunk.endswith("*")
    words = _WORD.findall(normalize_for_search(chunk))
    terms = [_Term((stem(word),)) for word in words]
    if prefix and terms and re.search(r"\w\*+$", chunk):
        terms[-1] = _Term((prefix_stem(words[-1]),), prefix=True)
    return terms


def _parse(query: str) -> list[_Term | str]:
    """Terms and ``"OR"`` markers, in order."""
    parts: list[_Term | str] = []
    for match in _QUERY_TOKEN.finditer(query):
        phrase, closed, chunk = match.groups()
        if phrase is not None and not closed:
            parts.extend(_parse(phrase))  # a stray quote is punctuation
        elif phrase is not None:
            stems = tuple(search_words(phrase))
            if stems:
                parts.append(_Term(stems))
        elif chunk == "OR":
            parts.append("OR")
        else:
            parts.extend(_word_terms(chunk))
    return parts


def match_expression(query: str | None) -> str:
    """The FTS5 MATCH expression of a query typed by a person ("" when it has no words).

    ``OR`` between two terms is an alternative; anywhere else it is searched as the word "or". Every
    other word, phrase and prefix must occur. Quotes inside words and FTS operators other than ``OR`` and
    ``*`` are never passed to FTS5.
    """
    parts = _parse(query or "")
    out: list[str] = []
    for index, part in enumerate(parts):
        if part == "OR":
            between = 0 < index < len(parts) - 1 and parts[index - 1] != "OR" and parts[index + 1] != "OR"
            out.append("OR" if between else _Term(("or",)).fts())
        else:
            assert isinstance(part, _Term)
            out.append(part.fts())
    return " ".join(out)
