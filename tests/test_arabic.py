"""The one Arabic text module: folding, digits and month names, and the modules that read it."""

from __future__ import annotations

import pytest

from arabpress_crawler import arabic
from arabpress_crawler.dates import normalize_date
from arabpress_crawler.pages.related import heading_strength
from arabpress_crawler.text import normalize_for_search


def test_fold_unifies_alef_forms_yeh_ta_marbuta_diacritics_tatweel_and_digits() -> None:
    assert arabic.fold("أإآٱ") == "اااا"
    assert arabic.fold("مُسْتَشْفَى") == "مستشفي"
    assert arabic.fold("مدرسة") == "مدرسه"
    assert arabic.fold("مدرسة", ta_marbuta=False) == "مدرسة"
    assert arabic.fold("عـــربـي") == "عربي"
    assert arabic.fold("٢٠٢٥ ۱۴۰۲") == "2025 1402"


def test_search_form_keeps_ta_marbuta_and_alef_maqsura_as_stored_databases_hold_them() -> None:
    assert normalize_for_search("مدرسةٌ على") == "مدرسة على"
    assert normalize_for_search("أحمد ٣") == "احمد 3"


@pytest.mark.parametrize(
    ("family", "names"),
    [
        ("levantine", arabic.LEVANTINE_MONTHS),
        ("egyptian", arabic.EGYPTIAN_MONTHS),
        ("maghreb", arabic.MAGHREB_MONTHS),
    ],
)
def test_every_month_name_of_every_family_parses_in_every_digit_system(
    family: str, names: dict[str, int]
) -> None:
    for name, number in names.items():
        for day, year in (("14", "2024"), ("١٤", "٢٠٢٤"), ("۱۴", "۲۰۲۴")):
            assert normalize_date(f"{day} {name} {year}") == f"2024-{number:02d}-14", (family, name, day)


def test_related_headings_match_whatever_the_spelling() -> None:
    assert heading_strength("مقالات ذات صلة") == 0
    assert heading_strength("اقرأ أيضاً") == 0
    assert heading_strength("إقرأ ايضا") == 0
