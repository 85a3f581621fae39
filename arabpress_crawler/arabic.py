"""Arabic text, one place: letters, folding, digits and month names.

Every module that compares Arabic text reads it from here, so the folding is the same everywhere (the hash,
the search index, dates, related-list headings):

* **digits** — Arabic-Indic (``٠١٢٣٤٥٦٧٨٩``, U+0660…) and Eastern Arabic / Persian (``۰۱۲۳۴۵۶۷۸۹``, U+06F0…)
  digits as ASCII (:func:`to_ascii_digits`, :data:`DIGIT_TABLE`, :data:`DIGITS` for regular expressions);
* **folding** — hamza and madda forms of alef (``أ إ آ ٱ``) to bare alef, alef maqsura (``ى``) to yeh, ta
  marbuta (``ة``) to heh, tatweel (``ـ``) and diacritics (tashkeel, Quranic marks, superscript alef) removed
  (:func:`fold`). :func:`fold_light` keeps ta marbuta and alef maqsura as they are, for the stored search
  copy (whose form existing databases already hold);
* **month names** of the three families: Egyptian/Gulf (يناير…ديسمبر), Levantine/Iraqi (كانون الثاني…كانون
  الأول) and Maghrebi (Moroccan يناير…دجنبر, Algerian/Tunisian جانفي…ديسمبر), written folded
  (:data:`MONTHS`), and the weekday names (:data:`WEEKDAYS`).

Nothing here changes text that is shown to users: these are comparison forms only.
"""

from __future__ import annotations

import re

#: Arabic letters (the Arabic block's letters, its extended letters and the Persian/Urdu ones).
ARABIC_LETTER = re.compile("[\u0621-\u064a\u066e-\u06d3\u06fa-\u06ff]")
#: Any character of the Arabic script blocks (letters, marks, presentation forms), to tell a script apart.
ARABIC_SCRIPT = re.compile("[\u0600-\u06ff\u0750-\u077f\u08a0-\u08ff\ufb50-\ufdff\ufe70-\ufeff]")

TATWEEL = "\u0640"
ALEF = "\u0627"
#: Alef with hamza above/below, with madda and wasla: written interchangeably with bare alef.
ALEF_VARIANTS = "\u0622\u0623\u0625\u0671"
ALEF_MAQSURA = "\u0649"
YEH = "\u064a"
TA_MARBUTA = "\u0629"
HEH = "\u0647"
#: Arabic diacritics (tashkeel), Quranic annotation marks and the superscript alef.
DIACRITICS = re.compile(
    "[\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06dc\u06df-\u06e4\u06e7\u06e8\u06ea-\u06ed\u08d3-\u08e1\u08e3-\u08ff]"
)

ARABIC_INDIC_DIGITS = "٠١٢٣٤٥٦٧٨٩"
PERSIAN_DIGITS = "۰۱۲۳۴۵۶۷۸۹"
#: A digit of any of the three systems, for regular expressions.
DIGITS = f"0-9{ARABIC_INDIC_DIGITS[0]}-{ARABIC_INDIC_DIGITS[-1]}{PERSIAN_DIGITS[0]}-{PERSIAN_DIGITS[-1]}"
#: ``str.translate`` table: Arabic-Indic and Persian digits to ASCII.
DIGIT_TABLE: dict[int, int | str | None] = {
    **{ord(c): ord("0") + i for i, c in enumerate(ARABIC_INDIC_DIGITS)},
    **{ord(c): ord("0") + i for i, c in enumerate(PERSIAN_DIGITS)},
}
#: Tatweel removed, alef variants to bare alef (the stored search copy's folding).
LIGHT_FOLD_TABLE: dict[int, int | str | None] = {
    ord(TATWEEL): None,
    **{ord(c): ord(ALEF) for c in ALEF_VARIANTS},
}
#: :data:`LIGHT_FOLD_TABLE` plus alef maqsura to yeh and ta marbuta to heh (comparison of words and names).
#: :data:`LIGHT_FOLD_TABLE` plus alef maqsura to yeh: ta marbuta kept (furniture words written with ``ة``).
WORD_FOLD_TABLE: dict[int, int | str | None] = {**LIGHT_FOLD_TABLE, ord(ALEF_MAQSURA): ord(YEH)}
#: :data:`WORD_FOLD_TABLE` plus ta marbuta to heh (names, month names).
FOLD_TABLE: dict[int, int | str | None] = {**WORD_FOLD_TABLE, ord(TA_MARBUTA): ord(HEH)}


def to_ascii_digits(text: str) -> str:
    """Arabic-Indic and Persian digits as ASCII; nothing else changes."""
    return text.translate(DIGIT_TABLE)


def strip_diacritics(text: str) -> str:
    """``text`` without tashkeel, Quranic marks and the superscript alef."""
    return DIACRITICS.sub("", text)


def fold_light(text: str) -> str:
    """Tatweel and diacritics removed, alef variants to bare alef; ta marbuta and alef maqsura kept."""
    return strip_diacritics(text).translate(LIGHT_FOLD_TABLE)


def fold(text: str, *, ta_marbuta: bool = True) -> str:
    """The comparison form of Arabic words: lower case, :func:`fold_light`, ``ى``→``ي``, ``ة``→``ه`` (unless
    ``ta_marbuta`` is false), digits as ASCII."""
    if text.isascii():
        return text.lower()  # nothing else to fold
    table = FOLD_TABLE if ta_marbuta else WORD_FOLD_TABLE
    return strip_diacritics(text.lower()).translate(table).translate(DIGIT_TABLE)


def _folded(names: dict[str, int]) -> dict[str, int]:
    return {fold(name): number for name, number in names.items()}


#: Egyptian / Gulf family (transliterated Latin names), with their common variant spellings.
EGYPTIAN_MONTHS = {
    "يناير": 1, "فبراير": 2, "مارس": 3, "أبريل": 4, "إبريل": 4, "مايو": 5, "يونيو": 6, "يونيه": 6,
    "يوليو": 7, "يوليه": 7, "أغسطس": 8, "سبتمبر": 9, "أكتوبر": 10, "نوفمبر": 11, "ديسمبر": 12,
}  # fmt: skip
#: Levantine / Iraqi family (Syriac names).
LEVANTINE_MONTHS = {
    "كانون الثاني": 1, "شباط": 2, "آذار": 3, "نيسان": 4, "أيار": 5, "حزيران": 6, "تموز": 7,
    "آب": 8, "أيلول": 9, "تشرين الأول": 10, "تشرين الثاني": 11, "كانون الأول": 12,
}  # fmt: skip
#: Maghreb: Moroccan (French-derived spellings) and Algerian / Tunisian names.
MAGHREB_MONTHS = {
    "يناير": 1, "فبراير": 2, "مارس": 3, "أبريل": 4, "ماي": 5, "يونيو": 6, "يوليوز": 7, "غشت": 8,
    "شتنبر": 9, "أكتوبر": 10, "نونبر": 11, "دجنبر": 12,
    "جانفي": 1, "فيفري": 2, "أفريل": 4, "جوان": 6, "جويلية": 7, "أوت": 8,
    "سبتمبر": 9, "نوفمبر": 11, "ديسمبر": 12,
}  # fmt: skip
#: Every Arabic month name, folded (:func:`fold`), to its number.
MONTHS: dict[str, int] = {
    **_folded(EGYPTIAN_MONTHS),
    **_folded(LEVANTINE_MONTHS),
    **_folded(MAGHREB_MONTHS),
}
#: Weekday names, folded.
WEEKDAYS: frozenset[str] = frozenset(
    fold(name)
    for name in ("الأحد", "الإثنين", "الاثنين", "الثلاثاء", "الأربعاء", "الخميس", "الجمعة", "السبت")
)
