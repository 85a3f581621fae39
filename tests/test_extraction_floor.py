"""The quality floor: this project's extraction on real pages nobody here wrote stays above pinned minimums.

The pages are ``../shared/corpora/readability/`` (beside the project, not in it); the test skips with one
line when they are absent. The minimums are pinned in ``tests/extraction_floor.toml``; the figures are
computed as ``make bench-extraction`` computes them (:mod:`bench.extraction_corpus`), fresh on every run.
"""

from __future__ import annotations

import logging
import tomllib
from pathlib import Path

import pytest

from bench.extraction_corpus import (
    SKIP_MESSAGE,
    Summary,
    available,
    load_cases,
    score,
    strip_metadata,
    summarize,
)
from bench.extraction_quality import project_extract

FLOOR = Path(__file__).with_name("extraction_floor.toml")
#: Floor keys and the summary figure each pins.
FIGURES = {
    "body_f1": "f1",
    "body_recall": "recall",
    "title": "title",
    "byline": "byline",
    "language": "language",
    "published": "published",
}

pytestmark = pytest.mark.skipif(not available(), reason=SKIP_MESSAGE)


def _below_floor(summary: Summary, floor: dict[str, float]) -> list[str]:
    failures = [
        f"{key}: {getattr(summary, figure):.3f} < floor {floor[key]}"
        for key, figure in FIGURES.items()
        if key in floor and (getattr(summary, figure) or 0.0) < floor[key]
    ]
    if summary.refused_readerable > floor.get("max_refused_readerable", 0):
        failures.append(f"{summary.refused_readerable} readerable pages refused as not articles")
    return failures


def test_extraction_stays_above_the_pinned_floor(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.ERROR)
    floors = tomllib.loads(FLOOR.read_text(encoding="utf-8"))
    cases = load_cases()
    full = summarize([score(case, project_extract(case, case.body)) for case in cases])
    stripped = summarize([score(case, project_extract(case, strip_metadata(case.body))) for case in cases])
    failures = [f"all pages, {line}" for line in _below_floor(full, floors["all_pages"])]
    failures += [f"metadata stripped, {line}" for line in _below_floor(stripped, floors["metadata_stripped"])]
    assert not failures, "\n".join(failures)
