"""Figures with their targets, and the Markdown writer of ``docs/benchmarks.md``.

Each bench module returns a :class:`Section`: a table of measurements, the exact commands, and the
:class:`Figure` objects that carry a target (met or not). :func:`render` puts them together with the
machine, a summary of every target, and the profiling findings kept in ``bench/findings.toml`` (what was
profiled, what was changed, figures before and after), so the document is generated, never hand-edited.
"""

from __future__ import annotations

import json
import logging
import tomllib
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from bench.machine import Machine

logger = logging.getLogger(__name__)

FINDINGS_PATH = Path(__file__).with_name("findings.toml")
MET = "met"
NOT_MET = "**not met**"
#: The target of a figure shown only for context (no target to meet); its verdict says so.
CONTEXT_ONLY = "none (for comparison)"
CONTEXT_VERDICT = "context only"
NOT_MEASURED = "not measured"


@dataclass(frozen=True)
class Figure:
    """One measured figure with its target."""

    key: str  # stable id, also the key of its note in findings.toml
    name: str
    value: str
    target: str
    met: bool | None  # None: could not be measured in this run

    @property
    def verdict(self) -> str:
        if self.met is None:
            return NOT_MEASURED
        if self.target == CONTEXT_ONLY:
            return CONTEXT_VERDICT
        return MET if self.met else NOT_MET


@dataclass
class Section:
    """One part of the document: what was measured, how, and the figures with targets."""

    title: str
    intro: str
    headers: Sequence[str] = ()
    rows: list[Sequence[str]] = field(default_factory=list)
    commands: list[str] = field(default_factory=list)
    figures: list[Figure] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Fix:
    """A profiling finding: what dominated, what was changed (commit), the figures before and after."""

    title: str
    profile: str
    change: str
    before: str
    after: str
    commit: str = ""


@dataclass(frozen=True)
class Findings:
    fixes: tuple[Fix, ...] = ()
    #: figure key → what was done about it (shown beside a missed target, and in the figure's section).
    notes: dict[str, str] = field(default_factory=dict)


@dataclass
class Report:
    machine: Machine
    command: str
    duration_seconds: float
    quick: bool
    sections: list[Section]
    findings: Findings = field(default_factory=Findings)


def load_findings(path: Path = FINDINGS_PATH) -> Findings:
    """The findings file, or no findings when it is absent."""
    if not path.exists():
        return Findings()
    with path.open("rb") as handle:
        data = tomllib.load(handle)
    fixes = tuple(Fix(**entry) for entry in data.get("fix", []))
    notes = {str(key): str(value) for key, value in data.get("notes", {}).items()}
    return Findings(fixes=fixes, notes=notes)


def _cell(value: object) -> str:
    return str(value).replace("|", "\\|").replace("\n", " ")


def table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> list[str]:
    """A GitHub Markdown table."""
    lines = ["| " + " | ".join(_cell(h) for h in headers) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(_cell(value) for value in row) + " |" for row in rows]
    return lines


def _duration(seconds: float) -> str:
    minutes, secs = divmod(round(seconds), 60)
    return f"{minutes} min {secs:02d} s"


TARGETS_HEADING = "## Targets\n"
TARGETS_HEADERS = ("figure", "target", "measured", "verdict", "what was done")


def _target_rows(report: Report) -> list[tuple[str, str, str, str, str]]:
    rows = []
    for section in report.sections:
        for figure in section.figures:
            note = report.findings.notes.get(figure.key, "") if figure.met is not True else ""
            rows.append((figure.name, figure.target, figure.value, figure.verdict, note))
    return rows


def _summary(report: Report) -> list[str]:
    rows = _target_rows(report)
    if not rows:
        return []
    return ["## Targets", "", *table(TARGETS_HEADERS, rows), ""]


def _splice_targets(document: str, report: Report) -> str:
    """``document`` with the Targets table's rows of ``report``'s figures replaced (same figure name) or added."""
    if TARGETS_HEADING not in document:
        return document
    start = document.index(TARGETS_HEADING)
    following = document.find("\n## ", start + len(TARGETS_HEADING))
    end = len(document) if following < 0 else following + 1
    lines = document[start:end].rstrip("\n").split("\n")
    for row in _target_rows(report):
        rendered = table(TARGETS_HEADERS, [row])[-1]
        prefix = rendered[: rendered.index(" | ") + 3]  # "| figure name | "
        at = next((i for i, line in enumerate(lines) if line.startswith(prefix)), None)
        if at is None:
            lines.append(rendered)
        else:
            lines[at] = rendered
    return document[:start] + "\n".join(lines) + "\n\n" + document[end:]


def _section(section: Section, findings: Findings) -> list[str]:
    lines = [f"## {section.title}", "", section.intro.strip(), ""]
    if section.headers and section.rows:
        lines += [*table(section.headers, section.rows), ""]
    for figure in section.figures:
        lines.append(f"- **{figure.name}**: {figure.value} — target {figure.target}: {figure.verdict}")
        if figure.key in findings.notes:
            lines.append(f"  - {findings.notes[figure.key]}")
    if section.figures:
        lines.append("")
    for note in section.notes:
        lines += [note.strip(), ""]
    if section.commands:
        lines += ["Commands:", "", "```", *section.commands, "```", ""]
    return lines


def _fixes(fixes: Sequence[Fix]) -> list[str]:
    if not fixes:
        return []
    lines = ["## Profiling and fixes", ""]
    for fix in fixes:
        commit = f" ({fix.commit})" if fix.commit else ""
        lines += [
            f"### {fix.title}{commit}",
            "",
            f"- profile: {fix.profile.strip()}",
            f"- change: {fix.change.strip()}",
            f"- before: {fix.before.strip()}",
            f"- after: {fix.after.strip()}",
            "",
        ]
    return lines


FIXES_HEADING = "## Profiling and fixes"


def splice(document: str, report: Report) -> str:
    """``document`` with the sections of ``report`` put in: each replaces the section of the same title, or
    goes before the profiling notes; their figures replace their rows of the Targets table (or are added to
    it). For a part measured on its own (``--only … --splice``)."""
    for section in report.sections:
        intro = f"{section.intro.strip()} (Measured on its own by `{report.command}`, not in the last full run.)"
        block = "\n".join(_section(replace(section, intro=intro), report.findings)).rstrip() + "\n\n"
        heading = f"## {section.title}\n"
        if heading in document:
            start = document.index(heading)
            following = document.find("\n## ", start + len(heading))
            end = len(document) if following < 0 else following + 1
            document = document[:start] + block + document[end:]
        elif FIXES_HEADING in document:
            at = document.index(FIXES_HEADING)
            document = document[:at] + block + document[at:]
        else:
            document = document.rstrip() + "\n\n" + block
    return _splice_targets(document, report).rstrip() + "\n"


def render(report: Report) -> str:
    """The whole document as Markdown."""
    mode = " (quick smoke run: small inputs, figures not comparable to the targets)" if report.quick else ""
    lines = [
        "# Benchmarks",
        "",
        f"Generated by `{report.command}`{mode} in {_duration(report.duration_seconds)}; do not edit by hand "
        "(profiling notes live in `bench/findings.toml`).",
        "Figures are medians of at least 3 runs with min and max, except the scale curve (single runs). "
        "Ratios compare runs taken side by side in the same session, on the same server.",
        "",
    ]
    lines += _summary(report)
    lines += ["## Machine and versions", "", *table(("what", "value"), report.machine.rows()), ""]
    for section in report.sections:
        lines += _section(section, report.findings)
    lines += _fixes(report.findings.fixes)
    return "\n".join(lines).rstrip() + "\n"


def write(report: Report, path: Path) -> Path:
    """Write the document atomically (a temporary file renamed over the old one)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(path.name + ".part")
    temporary.write_text(render(report), encoding="utf-8")
    temporary.replace(path)
    logger.info("wrote %s", path)
    return path


def save_measurements(report: Report, path: Path) -> Path:
    """Keep what was measured (without the findings), so the document can be rendered again."""
    data = asdict(report)
    data.pop("findings")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8")
    return path


def _section_from(data: dict[str, Any]) -> Section:
    figures = [Figure(**figure) for figure in data.pop("figures")]
    data["headers"] = tuple(data["headers"])
    data["rows"] = [tuple(row) for row in data["rows"]]
    return Section(**data, figures=figures)


def load_measurements(path: Path, findings: Findings) -> Report:
    """A report saved by :func:`save_measurements`, with ``findings`` as they are now."""
    data = json.loads(path.read_text(encoding="utf-8"))
    sections = [_section_from(section) for section in data.pop("sections")]
    report = Report(machine=Machine(**data.pop("machine")), sections=sections, **data)
    return replace(report, findings=findings)
