"""The fast paths of the pipelines give exactly what the straightforward versions give.

Each reference below is the code the fast path replaced, kept here as the specification.
"""

from __future__ import annotations

import hashlib
import re
import struct
import sys
import unicodedata

import numpy as np
from datasketch import MinHash
from hypothesis import given, settings
from hypothesis import strategies as st

from arabpress_crawler import text
from arabpress_crawler.pipelines import dedupe
from arabpress_crawler.pipelines.validate import letter_share
from arabpress_crawler.text import NormalisedCache, normalize_for_search

#: Letters, digits, marks, spaces and punctuation of the scripts the site publishes in, plus the odd ones.
TEXT_ALPHABET = st.sampled_from(
    list("abcXYZ019 \t\n\r\x0b\x0c\x1c\x1f.,;!?-'\"«»،؛؟")
    + list("ابتثجحخدذرسشصضطظعغفقكلمنهويءآأإٱةى")
    + [
        "\u064b",
        "\u064e",
        "\u0650",
        "\u0651",
        "\u0652",
        "\u0670",
        "\u0640",
    ]  # tashkeel, superscript alef, tatweel
    + list("٠١٢٣٤٥٦٧٨٩۰۴½²ǅﬁÅé\u0301\u00a0\u2003\u200b\u200f\ufeff")
)
TEXTS = st.text(alphabet=TEXT_ALPHABET, max_size=300) | st.text(max_size=200)


def reference_letter_share(value: str) -> float:
    """The original, character by character."""
    visible = [
        char for char in value if not char.isspace() and not unicodedata.category(char).startswith("M")
    ]
    return sum(1 for char in visible if char.isalpha()) / len(visible) if visible else 0.0


def reference_shingles(title: str | None, body: str | None) -> set[bytes]:
    """The original shingles: every window of the token list joined and encoded."""
    tokens = text.words(title) + text.words(body)
    size = dedupe.SHINGLE_WORDS
    if len(tokens) < size:
        return {" ".join(tokens).encode()} if tokens else set()
    return {" ".join(tokens[i : i + size]).encode() for i in range(len(tokens) - size + 1)}


def reference_signature(title: str | None, body: str | None) -> np.ndarray | None:
    """The original signature: datasketch's own MinHash (its permutations, hashing of each encoded shingle)."""
    grams = reference_shingles(title, body)
    if not grams:
        return None
    minhash = MinHash(num_perm=dedupe.NUM_PERM, seed=dedupe.MINHASH_SEED, scheme=dedupe.MINHASH_SCHEME)
    minhash.update_batch(list(grams))
    return minhash.hashvalues.astype(np.uint32)


@settings(max_examples=300, deadline=None)
@given(TEXTS)
def test_letter_share_equals_the_character_by_character_count(value: str) -> None:
    assert letter_share(value) == reference_letter_share(value)


def test_letter_share_of_ascii_and_arabic_bodies() -> None:
    """Both paths (ASCII in C, other text by distinct character) on texts of the kind the crawl sees."""
    english = "Talks resumed on Monday, 3 June 2024, after the 12th round.\n\n" * 20
    arabic = "اسْتَأْنَفَتِ المحادثاتُ يومَ الاثنين ٣ حزيران ٢٠٢٤ بعدَ الجولةِ ١٢.\n\n" * 20
    for value in (english, arabic, english + arabic, "", "   \n", "1234 5678"):
        assert letter_share(value) == reference_letter_share(value)


@settings(max_examples=200, deadline=None)
@given(TEXTS, TEXTS)
def test_shingles_and_signature_equal_datasketch_over_encoded_shingles(title: str, body: str) -> None:
    assert dedupe.shingles(title, body) == reference_shingles(title, body)
    fast, slow = dedupe.signature(title, body), reference_signature(title, body)
    if slow is None:
        assert fast is None
    else:
        assert fast is not None and fast.dtype == slow.dtype and np.array_equal(fast, slow)


def test_signature_of_an_article_body_equals_datasketch() -> None:
    """A real-sized text in both scripts: hundreds of shingles, the same 64 values."""
    body = " ".join(f"word{i % 97} كلمة{i % 13} Ünïcode{i % 7}" for i in range(400))
    fast, slow = dedupe.signature("A title", body), reference_signature("A title", body)
    assert fast is not None and slow is not None
    assert np.array_equal(fast, slow)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.text(min_size=1, max_size=30), max_size=50))
def test_shingle_hashes_are_datasketch_sha1_hash32(grams: list[str]) -> None:
    expected = [struct.unpack("<I", hashlib.sha1(gram.encode()).digest()[:4])[0] for gram in grams]
    assert dedupe.shingle_hashes(grams) == expected


@settings(max_examples=300, deadline=None)
@given(TEXTS)
def test_normalize_for_search_cached_equals_uncached(value: str) -> None:
    first = normalize_for_search(value)  # computed (or found, if hypothesis repeats itself)
    second = normalize_for_search(value)  # found in the cache
    assert first == second == text._normalise_uncached(value)


def test_normalised_cache_is_bounded_by_entries_and_characters() -> None:
    cache = NormalisedCache(max_entries=3, max_chars=20)
    for key in ("a", "b", "c", "d"):
        cache.put(key, key.upper())
    assert cache.get("a") is None  # the oldest went first
    assert [cache.get(key) for key in ("b", "c", "d")] == ["B", "C", "D"]
    cache.put("x" * 8, "y" * 8)  # 16 characters: pushes older entries out to stay within 20
    assert cache.chars <= 20
    assert cache.get("x" * 8) == "y" * 8
    cache.put("z" * 11, "w" * 11)  # larger than the whole budget: not kept, nothing evicted for it
    assert cache.get("z" * 11) is None
    assert cache.get("x" * 8) == "y" * 8


def test_normalised_cache_keeps_the_most_recently_used() -> None:
    cache = NormalisedCache(max_entries=2, max_chars=100)
    cache.put("a", "1")
    cache.put("b", "2")
    assert cache.get("a") == "1"  # "a" is now the most recent
    cache.put("c", "3")
    assert cache.get("b") is None
    assert cache.get("a") == "1"
    assert cache.get("c") == "3"


def test_normalize_for_search_of_a_huge_text_is_not_cached() -> None:
    huge = "Word " * (text.NORMALISED_CACHE_CHARS // 5 + 1)
    assert normalize_for_search(huge) == ("word " * (len(huge) // 5)).strip()
    assert text._normalised.get(huge) is None
    assert text._normalised.chars <= text.NORMALISED_CACHE_CHARS


WHITESPACE_HEAVY = st.text(
    alphabet=st.sampled_from(
        list(" \t\n\r\x0b\x0c\x1c\x1d\x1e\x1f\x85\xa0\u1680\u2000\u2007\u200b\u2028\u3000ab")
    ),
    max_size=40,
)
CONTROL_HEAVY = st.text(
    alphabet=st.characters(max_codepoint=0xFF) | st.sampled_from(list(text.INVISIBLE_CHARACTERS))
)


@settings(max_examples=300, deadline=None)
@given(WHITESPACE_HEAVY | TEXTS | st.text())
def test_collapse_whitespace_equals_the_regular_expression(value: str) -> None:
    assert text.collapse_whitespace(value) == re.sub(r"\s+", " ", value).strip()


def test_collapse_whitespace_agrees_with_the_regular_expression_on_every_character() -> None:
    value = "a".join(map(chr, range(sys.maxunicode + 1)))  # each character alone between two letters
    assert text.collapse_whitespace(value) == re.sub(r"\s+", " ", value).strip()


@settings(max_examples=300, deadline=None)
@given(CONTROL_HEAVY | TEXTS)
def test_remove_invisible_equals_the_regular_expression(value: str) -> None:
    expected = text._INVISIBLE_RE.sub("", value.replace("\r\n", "\n").replace("\r", "\n"))
    assert text.remove_invisible(value) == expected
