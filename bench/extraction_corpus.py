"""Real-world pages for extraction quality: loading ``../shared/corpora/readability/`` and scoring against it.

Shared by the harness (:mod:`bench.extraction_quality`, ``make bench-extraction``) and the quality floor of
``make test`` (``tests/test_extraction_floor.py``), so both compute every figure the same way.

Body scoring is the metric of the scrapinghub article-extraction-benchmark: ``\\w+`` tokens, bags of
4-token shingles, precision and recall per page, averaged over the pages, F1 of the two averages.
The other fields are scored per page on the pages whose label gives them (see :class:`PageScore`).
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lxml import etree, html

#: Where the corpus sits, from the project's root (beside it, never in it).
CORPUS_DIR = Path(__file__).resolve().parent.parent.parent / "shared" / "corpora" / "readability"
SKIP_MESSAGE = f"no real-world corpus at {CORPUS_DIR} (see ../shared/corpora/README.md); skipped"
#: Shingle size of the benchmark.
SHINGLE = 4
_TOKEN = re.compile(r"\w+", re.UNICODE)
_CANONICAL = re.compile(r"""<link[^>]+rel=["']?canonical["']?[^>]*>""", re.IGNORECASE)
_HREF = re.compile(r"""href=["']?(https?://[^"' >]+)""", re.IGNORECASE)
#: Languages written right to left (primary subtags).
RTL_LANGUAGES = frozenset({"ar", "he", "fa", "ur", "ps", "yi", "ckb", "dv", "sd", "ug"})
#: Microdata attributes removed from a metadata-stripped page.
MICRODATA_ATTRIBUTES = ("itemprop", "itemscope", "itemtype", "itemid", "itemref")


@dataclass(frozen=True)
class Case:
    """One page of the corpus with its labels."""

    name: str
    url: str
    body: bytes
    expected_text: str
    label: dict[str, Any]

    @property
    def readerable(self) -> bool:
        return bool(self.label.get("readerable"))


@dataclass
class Extraction:
    """What one extractor gave for one page (``None``/empty when it gave nothing)."""

    refused: bool = False
    body: str | None = None
    title: str | None = None
    authors: list[str] = field(default_factory=list)
    language: str | None = None
    published: str | None = None
    reason: str | None = None
    ms: float = 0.0
    #: The extractor gives title, authors, language and date (``False``: the body only; those are not scored).
    with_metadata: bool = True
    #: The extractor names the page's language (trafilatura's ``extract`` does not: not scored).
    gives_language: bool = True


@dataclass(frozen=True)
class PageScore:
    """The scores of one extraction of one page. ``None``: the page's label does not give the field."""

    case: str
    readerable: bool
    precision: float
    recall: float
    title: bool | None
    byline: bool | None
    language: bool | None
    direction: bool | None
    published: bool | None
    refused_readerable: bool
    accepted_not_readerable: bool
    ms: float

    @property
    def f1(self) -> float:
        return f1(self.precision, self.recall)


def f1(precision: float, recall: float) -> float:
    return 2 * precision * recall / (precision + recall) if precision + recall else 0.0


def available(directory: Path = CORPUS_DIR) -> bool:
    return directory.is_dir() and any(directory.glob("*/source.html"))


def page_url(name: str, source: str) -> str:
    """The page's absolute canonical link, else ``https://example.org/<case>/``."""
    for link in _CANONICAL.findall(source[:200_000]):
        found = _HREF.search(link)
        if found:
            return found.group(1)
    return f"https://example.org/{name}/"


def html_text(markup: str) -> str:
    """The visible text of an HTML fragment or page, one block per line."""
    if not markup.strip():
        return ""
    root = html.fromstring(markup)
    for element in root.iter("script", "style", "noscript"):
        element.drop_tree()
    return "\n".join(text.strip() for text in root.itertext() if text.strip())


def load_cases(directory: Path = CORPUS_DIR) -> list[Case]:
    """Every case of the corpus, sorted by name."""
    cases = []
    for source in sorted(directory.glob("*/source.html")):
        folder = source.parent
        raw = source.read_bytes()
        label = json.loads((folder / "expected-metadata.json").read_text(encoding="utf-8"))
        expected = html_text((folder / "expected.html").read_text(encoding="utf-8"))
        cases.append(
            Case(folder.name, page_url(folder.name, raw.decode("utf-8", "replace")), raw, expected, label)
        )
    return cases


def strip_metadata(body: bytes) -> bytes:
    """The page without its ``<meta>`` elements, JSON-LD scripts and microdata attributes (UTF-8)."""
    root = html.fromstring(body.decode("utf-8", "replace"))
    for element in list(root.iter("meta")):
        element.drop_tree()
    for script in list(root.iter("script")):
        if "ld+json" in (script.get("type") or "").lower():
            script.drop_tree()
    for element in root.iter(etree.Element):
        for name in MICRODATA_ATTRIBUTES:
            element.attrib.pop(name, None)
    return b"<!DOCTYPE html>\n" + etree.tostring(root, encoding="utf-8", method="html")


# -- scoring ----------------------------------------------------------------------------------------------


def tokens(text: str | None) -> list[str]:
    return _TOKEN.findall(text or "")


def shingles(text: str | None, size: int = SHINGLE) -> Counter[str]:
    """The bag of ``size``-token shingles of ``text`` (a short text is one shingle)."""
    words = tokens(text)
    return Counter(" ".join(words[i : i + size]) for i in range(max(1, len(words) - size + 1)) if words)


def body_precision_recall(expected: str, found: str | None) -> tuple[float, float]:
    """Shingle precision and recall of ``found`` against ``expected`` (both empty: a perfect 1, 1)."""
    truth, guess = shingles(expected), shingles(found)
    true_positives = sum((truth & guess).values())
    false_positives = sum((guess - truth).values())
    false_negatives = sum((truth - guess).values())
    if false_positives == false_negatives == 0:
        return 1.0, 1.0
    if true_positives == 0:
        return 0.0, 0.0
    return (
        true_positives / (true_positives + false_positives),
        true_positives / (true_positives + false_negatives),
    )


def normalize_space(text: str | None) -> str:
    return " ".join(unicodedata.normalize("NFC", text or "").split())


def _folded_tokens(text: str | None) -> list[str]:
    return [token.casefold() for token in tokens(unicodedata.normalize("NFKC", text or ""))]


def byline_matches(label: str | None, authors: Sequence[str]) -> bool | None:
    """Every named author appears in the labelled byline, and something was named (``None``: no label)."""
    if not label or not label.strip():
        return None
    expected = set(_folded_tokens(label))
    names = [token for name in authors for token in _folded_tokens(name)]
    return bool(names) and all(token in expected for token in names)


def primary_language(value: str | None) -> str | None:
    if not value:
        return None
    primary = re.split(r"[-_]", value.strip().lower())[0]
    return primary or None


def score(case: Case, found: Extraction) -> PageScore:
    """The scores of ``found`` against the labels of ``case``."""
    label = case.label
    precision, recall = body_precision_recall(case.expected_text, None if found.refused else found.body)
    title_label = normalize_space(label.get("title"))
    language_label = primary_language(label.get("lang"))
    found_language = primary_language(found.language)
    direction_label = label.get("dir")
    published_label = label.get("publishedTime") if found.with_metadata else None
    if not found.with_metadata:
        title_label = language_label = direction_label = None
    if not found.gives_language:
        language_label = direction_label = None
    return PageScore(
        case=case.name,
        readerable=case.readerable,
        precision=precision,
        recall=recall,
        title=normalize_space(found.title) == title_label if title_label else None,
        byline=byline_matches(label.get("byline"), found.authors) if found.with_metadata else None,
        language=found_language == language_label if language_label else None,
        direction=(
            (found_language in RTL_LANGUAGES) == (direction_label == "rtl") if direction_label else None
        ),
        published=(found.published or "")[:10] == published_label[:10] if published_label else None,
        refused_readerable=found.refused and case.readerable,
        accepted_not_readerable=not found.refused and not case.readerable,
        ms=found.ms,
    )


@dataclass(frozen=True)
class Summary:
    """Corpus-level figures of one extractor (shares over the pages that have the label)."""

    pages: int
    precision: float
    recall: float
    f1: float
    title: float | None
    byline: float | None
    language: float | None
    direction: float | None
    published: float | None
    refused_readerable: int
    accepted_not_readerable: int
    empty_bodies: int
    ms_per_page: float


def _share(values: Iterable[bool | None]) -> float | None:
    """The share of ``True`` among the pages that have the label (``None``: no page has it)."""
    labelled = [value for value in values if value is not None]
    return sum(labelled) / len(labelled) if labelled else None


def summarize(scores: Sequence[PageScore]) -> Summary:
    count = len(scores) or 1
    precision = sum(s.precision for s in scores) / count
    recall = sum(s.recall for s in scores) / count
    return Summary(
        pages=len(scores),
        precision=precision,
        recall=recall,
        f1=f1(precision, recall),
        title=_share(s.title for s in scores),
        byline=_share(s.byline for s in scores),
        language=_share(s.language for s in scores),
        direction=_share(s.direction for s in scores),
        published=_share(s.published for s in scores),
        refused_readerable=sum(s.refused_readerable for s in scores),
        accepted_not_readerable=sum(s.accepted_not_readerable for s in scores),
        empty_bodies=sum(1 for s in scores if s.recall == 0.0),
        ms_per_page=sum(s.ms for s in scores) / count,
    )
