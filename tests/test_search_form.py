"""The form of the stored search copies is pinned: a change to :func:`arabpress_crawler.search.search_text`
(folding, stemming) must come with a migration that recomputes the stored copies, or old rows and new rows
of a database would be indexed differently and searches would silently miss the old ones."""

from __future__ import annotations

import hashlib
import inspect

from arabpress_crawler.db.schema import MIGRATIONS
from arabpress_crawler.search import search_text

#: Words of every kind the search copy treats differently: Arabic with attached prefixes, the article,
#: plurals, feminine endings, pronoun suffixes, hamza and alef forms, Arabic-Indic digits, diacritics,
#: English words, case and punctuation.
SAMPLE = (
    "والكتاب بالمدرسة للطلاب فالسيارات وسيارة الاقتصادية المصريون المعلمين كتابهم بيتها "
    "أحمد إبراهيم آمال مستشفى ٢٠٢٥ عامًا مُدرِّسة كتب الكتب "
    "The Ministers' meeting, re-elected; Governments GOVERNMENT 2025 café"
)
#: sha256 of the sample's search copy, and the migration that last recomputed the stored copies.
PINNED_FORM = "c0fe03ae00c926a8b8b1cf76cfe850670c2219e1d9fd9553e0a6ede767ad7dc3"
PINNED_MIGRATION = 7


def test_search_copies_change_form_only_with_a_migration() -> None:
    digest = hashlib.sha256(search_text(SAMPLE).encode("utf-8")).hexdigest()
    assert digest == PINNED_FORM, (
        "search_text() now gives another form: add a migration that calls recompute_search() so stored "
        "copies match, then pin this digest and that migration's version here"
    )
    recomputing = [step.version for step in MIGRATIONS if "recompute_search(" in inspect.getsource(step.apply)]
    assert recomputing and max(recomputing) == PINNED_MIGRATION
