"""Golden fixtures: every saved page's extraction matches its committed ``expected.json``, field by field.

Each case is ``tests/fixtures/<case>/{page.html, meta.json, expected.json}``. ``meta.json`` holds the URL,
the encoding (``null`` when only the page declares it, in ``<meta http-equiv>``), the kind of page and the
fields the case claims to have (written by hand), and ``pending`` (why) for a case that fails until a fix
due elsewhere lands: it is then an expected failure, strict, so its fix shows at once;
``expected.json`` is written by ``scripts/regenerate_fixtures.py``, never by the tests.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from arabpress_crawler.pages.snapshot import KINDS, load_case, snapshot

FIXTURES = Path(__file__).parent / "fixtures"
CASES = sorted(path.parent.name for path in FIXTURES.glob("*/meta.json"))
MIN_CASES = 20
EMPTY = (None, "", [], {})
LAYERS = {"site", "metadata", "generic"}


def _expected(case: str) -> dict[str, Any]:
    return json.loads((FIXTURES / case / "expected.json").read_text(encoding="utf-8"))


def _meta(case: str) -> dict[str, Any]:
    return json.loads((FIXTURES / case / "meta.json").read_text(encoding="utf-8"))


def test_there_are_enough_cases_of_every_kind() -> None:
    kinds = [_meta(case)["kind"] for case in CASES]
    assert len(CASES) >= MIN_CASES, f"only {len(CASES)} fixture cases"
    assert kinds.count("article") >= MIN_CASES // 2
    assert "listing" in kinds


@pytest.mark.parametrize("case", CASES)
def test_extraction_matches_expected(case: str, request: pytest.FixtureRequest) -> None:
    meta, response = load_case(FIXTURES / case)
    if meta.get("pending"):  # a case whose fix is due in another part of the work: it must fail until then
        request.applymarker(pytest.mark.xfail(reason=meta["pending"], strict=True))
    actual = snapshot(response, meta["kind"])
    expected = _expected(case)
    mismatches = [
        f"{case}: field {key!r}:\n  expected {expected.get(key)!r}\n  got      {actual.get(key)!r}"
        for key in sorted(expected.keys() | actual.keys())
        if actual.get(key) != expected.get(key)
    ]
    assert not mismatches, "\n".join(mismatches)


@pytest.mark.parametrize("case", CASES)
def test_meta_and_expected_are_consistent(case: str) -> None:
    meta, expected = _meta(case), _expected(case)
    assert meta["kind"] in KINDS
    assert meta["url"].startswith(("http://", "https://")), f"{case}: meta.json needs the page's URL"
    assert meta.get("description"), f"{case}: meta.json should say what the case is about"
    for field in meta.get("fields", []):
        assert expected.get(field) not in EMPTY, (
            f"{case}: the case claims {field!r}, but expected.json has it empty"
        )
    if meta["kind"] == "article":
        assert set(expected["extraction"].values()) <= LAYERS
        assert set(expected["extraction"]) == {
            k for k, v in expected.items() if k != "extraction" and v not in EMPTY
        }
        for field, layer in meta.get("layers", {}).items():
            assert expected["extraction"].get(field) == layer, (
                f"{case}: {field} should come from the {layer} layer"
            )
    if meta["kind"] == "listing":
        assert expected["not_article"], f"{case}: a listing page must not be an article"
