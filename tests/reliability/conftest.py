"""Fixtures of the reliability suite and the hooks that write ``docs/reliability.md`` from its outcomes.

Every test module of the suite names its category in a module constant ``CATEGORY`` (one of
:data:`report.CATEGORIES`). A parametrised case whose parameter has a ``description`` is reported with it;
any other case with the first paragraph of its docstring.

The report is written when the session ends, and only after a full run of the suite (every module
collected, nothing deselected, every case run), so running one case never overwrites the figures.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

from arabpress_mirror.server import MirrorServer

from . import harness
from .report import CATEGORIES, Case, ReliabilityReport

logger = logging.getLogger(__name__)

HERE = Path(__file__).resolve().parent
REPORT = ReliabilityReport()
_STATE = {"deselected": False}


# -- the report ---------------------------------------------------------------------------------------------


def _in_suite(item: pytest.Item) -> bool:
    return HERE in Path(str(item.path)).resolve().parents


def _case_name(item: pytest.Item) -> str:
    callspec = getattr(item, "callspec", None)
    base = getattr(item, "originalname", item.name).removeprefix("test_")
    return f"{base}[{callspec.id}]" if callspec is not None else base


def _description(item: pytest.Item) -> str:
    callspec = getattr(item, "callspec", None)
    if callspec is not None:
        for value in callspec.params.values():
            text = getattr(value, "description", None)
            if text:
                return str(text)
    doc = getattr(getattr(item, "function", None), "__doc__", None) or ""
    return " ".join(doc.strip().split("\n\n")[0].split())


def pytest_deselected(items: list[pytest.Item]) -> None:
    if any(_in_suite(item) for item in items):
        _STATE["deselected"] = True


def pytest_collection_finish(session: pytest.Session) -> None:
    for item in session.items:
        if not _in_suite(item):
            continue
        category = getattr(item.module, "CATEGORY", None)
        if category not in CATEGORIES:
            raise pytest.UsageError(f"{item.nodeid}: set CATEGORY to one of {', '.join(CATEGORIES)}")
        REPORT.add_case(Case(item.nodeid, category, _case_name(item), _description(item)))


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if report.skipped:
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else ""
        REPORT.record(report.nodeid, "skipped", str(reason))
    elif report.failed:
        outcome = "failed" if report.when == "call" else "error"
        REPORT.record(report.nodeid, outcome, f"{report.when} failed")
    elif report.when == "call":
        REPORT.record(report.nodeid, "passed")


def _full_run(session: pytest.Session) -> bool:
    if _STATE["deselected"] or any("::" in str(arg) for arg in session.config.args):
        return False
    modules = {Path(case.nodeid.split("::")[0]).name for case in REPORT.cases.values()}
    return modules == {path.name for path in HERE.glob("test_*.py")} and REPORT.complete


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if REPORT.cases and _full_run(session):
        path = REPORT.write()
        logger.info("reliability report: %s", path)


# -- fixtures -------------------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def baseline(tmp_path_factory: pytest.TempPathFactory) -> Iterator[harness.CrawlResult]:
    """A crawl of the unmodified demo mirror: what every case's crawl must also store."""
    workdir = tmp_path_factory.mktemp("baseline")
    root = harness.build_site(workdir / "site")
    with MirrorServer(root) as server:
        result = harness.crawl(server.base_url, workdir)
    harness.assert_finished(result)
    assert result.articles(), "the baseline crawl stored nothing"
    yield result


@pytest.fixture(scope="session")
def baseline_paths(baseline: harness.CrawlResult) -> set[str]:
    """URL paths of the articles the baseline crawl stored."""
    return set(baseline.articles())
