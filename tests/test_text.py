"""Cleaning helpers and the normalised form used for hashing and search."""

from __future__ import annotations

import unicodedata

from hypothesis import given, settings
from hypothesis import strategies as st

from arabpress_crawler.text import (
    clean_body,
    clean_list,
    clean_text,
    content_hash,
    normalize_for_search,
    remove_invisible,
    strip_markup,
    word_count,
    words,
)

ARABIC_WITH_DIACRITICS = "مَرْحَبًا بِالْعَالَمِ"
ARABIC_PLAIN = "مرحبا بالعالم"
# Text biased towards the characters the cleaners care about: Arabic, marks, bidi controls, markup.
TRICKY_ALPHABET = st.sampled_from(
    list("abcXYZ <>/&;#\n\t  ")
    + list("مرحبالعـًٌٍَُِّْٰ٠١٢٣۴۵")
    + [
        "\u200b",
        "\u200c",
        "\u200f",
        "\u202b",
        "\u2067",
        "\ufeff",
        "\u00ad",
        "ﷺ",
        "ß",
        "İ",
        "ﬁ",
        "&amp;",
        "<p>",
        "</p>",
    ]
)
tricky_text = st.lists(TRICKY_ALPHABET, max_size=60).map("".join) | st.text(max_size=80)


def test_clean_text_strips_markup_entities_and_invisible_characters() -> None:
    assert clean_text("  <b>Syria</b> &amp; Turkey\u200b talks\u202b ") == "Syria & Turkey talks"


def test_clean_text_keeps_a_literal_less_than_sign() -> None:
    assert clean_text("a < b and c > d") == "a < b and c > d"


def test_clean_text_turns_empty_into_none() -> None:
    assert clean_text(" \u200b\u200f ") is None
    assert clean_text(None) is None


def test_stored_text_stays_faithful() -> None:
    # Diacritics, tatweel and Arabic-Indic digits are kept in stored columns.
    value = "مَرْحَبًا ـــ ١٢٣"
    assert clean_text(value) == value


def test_double_escaped_markup_is_removed_like_markup() -> None:
    assert clean_text("&lt;p&gt;Syria talks&lt;/p&gt; &amp;amp; more") == "Syria talks & more"
    assert clean_text("&bogus; stays") == "&bogus; stays"


def test_clean_body_keeps_paragraph_breaks_and_collapses_the_rest() -> None:
    body = "First   line\nstill first.\n\n\n\n  Second\u00a0paragraph.  \n \n"
    assert clean_body(body) == "First line still first.\n\nSecond paragraph."


def test_clean_body_turns_html_paragraphs_into_breaks_and_drops_scripts() -> None:
    body = "<p>One.</p><script>var x = 1;</script><p>Two &amp; three.</p>"
    assert clean_body(body) == "One.\n\nTwo & three."


def test_clean_body_drops_boilerplate_paragraphs() -> None:
    body = "Real text.\n\nAdvertisement\n\nRead also: Another story\n\nاقرأ أيضاً: خبر آخر\n\nMore text."
    assert clean_body(body) == "Real text.\n\nMore text."


def test_clean_list_drops_empties_and_repeats() -> None:
    assert clean_list([" Ali ", "", None, "ali", "Sara\u200b"]) == ["Ali", "Sara"]


def test_remove_invisible_keeps_newlines_and_tabs() -> None:
    assert remove_invisible("a\u200d\tb\r\nc\x00") == "a\tb\nc"


def test_strip_markup_removes_comments() -> None:
    assert strip_markup("a<!-- hidden -->b") == "ab"


def test_normalize_removes_arabic_diacritics_and_tatweel() -> None:
    assert normalize_for_search(ARABIC_WITH_DIACRITICS) == ARABIC_PLAIN
    assert normalize_for_search("مــرحبا") == "مرحبا"


def test_normalize_folds_alef_forms_and_digits() -> None:
    assert normalize_for_search("أحمد إسلام آمن ٱلله") == "احمد اسلام امن الله"
    assert normalize_for_search("٢٠٢٣ ۱۴") == "2023 14"


def test_normalize_is_case_folded_nfkc() -> None:
    assert normalize_for_search("STRASSE Straße ﬁle") == "strasse strasse file"


def test_words_and_word_count_work_for_arabic() -> None:
    assert words("قال الرئيسُ: نعم!") == ["قال", "الرئيس", "نعم"]
    assert word_count("قال الرئيس نعم، and yes.") == 5


def test_content_hash_ignores_typesetting_but_not_words() -> None:
    assert content_hash("Title", ARABIC_WITH_DIACRITICS) == content_hash("TITLE ", ARABIC_PLAIN + "\u200b")
    assert content_hash("Title", ARABIC_PLAIN) != content_hash("Title", ARABIC_PLAIN + " جديد")


@settings(max_examples=300, deadline=None)
@given(tricky_text)
def test_normalize_for_search_is_idempotent(text: str) -> None:
    once = normalize_for_search(text)
    assert normalize_for_search(once) == once


@settings(max_examples=300, deadline=None)
@given(tricky_text)
def test_clean_text_is_idempotent_and_never_raises(text: str) -> None:
    once = clean_text(text)
    assert clean_text(once) == once
    if once is not None:
        assert once == once.strip()
        assert unicodedata.is_normalized("NFC", once)


@settings(max_examples=300, deadline=None)
@given(tricky_text)
def test_clean_body_is_idempotent_and_never_raises(text: str) -> None:
    once = clean_body(text)
    assert clean_body(once) == once
    if once is not None:
        assert "\n\n\n" not in once


@settings(max_examples=200, deadline=None)
@given(tricky_text)
def test_normalised_form_has_no_marks_tatweel_or_arabic_digits(text: str) -> None:
    result = normalize_for_search(text)
    assert "\u0640" not in result
    assert not any("\u064b" <= char <= "\u065f" or "\u0660" <= char <= "\u0669" for char in result)
