"""Recall and precision of Arabic search on the project's query set, for our stemmer and the libraries.

Usage::

    python -m bench.search_quality            # the table of docs/search.md
    python -m bench.search_quality --misses   # also every query whose results differ from the expected

Each part of ``tests/fixtures/search/arabic_queries.json`` (documents and the queries a reader would type,
each with every document it should find) is indexed in an in-memory SQLite FTS5 table the way the store
indexes articles (:func:`arabpress_crawler.search.search_text`), and each query is run as
:func:`arabpress_crawler.search.match_expression` builds it. Recall and precision are micro-averaged over
the (query, document) pairs. The library stemmers (tashaphyne, NLTK's ISRI, Snowball's Arabic) are measured
in place of :func:`arabpress_crawler.search.stem`, with the same normalisation and ة/ى folding before them;
a library that is not installed is skipped (none is a dependency of the project).
"""

from __future__ import annotations

import argparse
import json
import logging
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from arabpress_crawler import search

logger = logging.getLogger(__name__)

QUERY_SET = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "search" / "arabic_queries.json"
#: The parts of the set, in the order they were written: (label, key prefix).
PARTS = (("design", ""), ("held out", "held_out_"), ("final", "final_"))
FTS_TOKENIZER = "unicode61 remove_diacritics 2"
BROKEN = "with broken plurals"


@dataclass
class Score:
    """Counts of (query, document) pairs and the queries whose results were not the expected ones."""

    found_relevant: int = 0
    found_other: int = 0
    missed: int = 0
    queries: int = 0
    misses: list[str] = field(default_factory=list)

    @property
    def recall(self) -> float:
        relevant = self.found_relevant + self.missed
        return self.found_relevant / relevant if relevant else 1.0

    @property
    def precision(self) -> float:
        found = self.found_relevant + self.found_other
        return self.found_relevant / found if found else 1.0

    def add(self, other: Score) -> None:
        self.found_relevant += other.found_relevant
        self.found_other += other.found_other
        self.missed += other.missed
        self.queries += other.queries
        self.misses += other.misses


def load_set(path: Path = QUERY_SET) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def evaluate(documents: dict[str, str], queries: list[dict], *, broken_plurals: bool = False) -> Score:
    """Index ``documents`` and run ``queries`` with the current :mod:`arabpress_crawler.search`.

    With ``broken_plurals`` the documents that hold a query's word only as a broken plural are relevant too.
    """
    conn = sqlite3.connect(":memory:")
    try:
        conn.execute(f"CREATE VIRTUAL TABLE docs USING fts5(name UNINDEXED, body, tokenize='{FTS_TOKENIZER}')")
        conn.executemany("INSERT INTO docs VALUES (?, ?)",
                         [(name, search.search_text(text)) for name, text in documents.items()])
        score = Score()
        for case in queries:
            expression = search.match_expression(case["query"])
            found = {row[0] for row in conn.execute("SELECT name FROM docs WHERE docs MATCH ?", [expression])}
            relevant = set(case["relevant"]) | (set(case.get("broken_plural", ())) if broken_plurals else set())
            score.queries += 1
            score.found_relevant += len(found & relevant)
            score.found_other += len(found - relevant)
            score.missed += len(relevant - found)
            if found != relevant:
                score.misses.append(f"{case['query']} -> {expression}: found {sorted(found)}, expected {sorted(relevant)}")
        return score
    finally:
        conn.close()


def evaluate_parts(data: dict) -> dict[str, Score]:
    """One score per part of the set, ``"all"``, and ``"with broken plurals"`` (all, those counted too)."""
    scores = {label: evaluate(data[f"{key}documents"], data[f"{key}queries"]) for label, key in PARTS}
    total, broken = Score(), Score()
    for score in scores.values():
        total.add(score)
    for _, key in PARTS:
        broken.add(evaluate(data[f"{key}documents"], data[f"{key}queries"], broken_plurals=True))
    return {**scores, "all": total, BROKEN: broken}


# --- the library stemmers, measured in place of ours ----------------------------------------------


def _library_stemmers() -> Iterator[tuple[str, Callable[[str], str]]]:
    try:
        from tashaphyne.stemming import ArabicLightStemmer

        tashaphyne = ArabicLightStemmer()
        yield "tashaphyne 0.3 light_stem", tashaphyne.light_stem
    except ImportError:
        logger.info("tashaphyne not installed: skipped")
    try:
        from nltk.stem.isri import ISRIStemmer

        yield "NLTK ISRI", ISRIStemmer().stem
    except ImportError:
        logger.info("nltk not installed: skipped")
    try:
        import snowballstemmer

        yield "Snowball arabic", snowballstemmer.stemmer("arabic").stemWord
    except ImportError:
        logger.info("snowballstemmer not installed: skipped")


@contextmanager
def stemmer_replaced(library_stem: Callable[[str], str]) -> Iterator[None]:
    """Use ``library_stem`` (after the same folding) for indexing and queries while inside."""
    ours, ours_prefix = search.stem, search.prefix_stem

    def replaced(word: str) -> str:
        folded = search.fold(word)
        return (library_stem(folded) or folded) if search._ARABIC_WORD.match(folded) else folded

    search.stem, search.prefix_stem = replaced, replaced
    try:
        yield
    finally:
        search.stem, search.prefix_stem = ours, ours_prefix


def no_stemming(word: str) -> str:
    return word


def table(data: dict, *, misses: bool) -> str:
    rows = [("arabpress_crawler.search (ours)", evaluate_parts(data))]
    for name, library_stem in [("no stemming (folding only)", no_stemming), *_library_stemmers()]:
        with stemmer_replaced(library_stem):
            rows.append((name, evaluate_parts(data)))
    labels = [label for label, _ in PARTS] + ["all", BROKEN]
    lines = ["| stemmer | " + " | ".join(f"{label}: recall / precision" for label in labels) + " |",
             "|---|" + "---|" * len(labels)]
    for name, scores in rows:
        cells = [f"{scores[label].recall:.3f} / {scores[label].precision:.3f}" for label in labels]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    counts = ", ".join(f"{label} {rows[0][1][label].queries}" for label in labels)
    lines.append(f"\nQueries: {counts}.")
    if misses:
        for name, scores in rows:
            lines.append(f"\n{name}:")
            lines += [f"  {miss}" for miss in scores[BROKEN].misses]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--misses", action="store_true", help="list the queries each stemmer gets wrong")
    args = parser.parse_args()
    print(table(load_set(), misses=args.misses))


if __name__ == "__main__":
    main()
