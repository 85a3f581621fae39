"""Rewrite the ``expected.json`` of golden fixtures on purpose, showing what changes.

Run it after a deliberate change to extraction, read the diff, and commit the new expectations with the
change. Tests never run it. ``meta.json`` (URL, encoding, kind, the fields the case claims to have) is
written by hand and never touched here.

Usage::

    .venv/bin/python scripts/regenerate_fixtures.py                 # every case
    .venv/bin/python scripts/regenerate_fixtures.py seed-article    # some cases
    .venv/bin/python scripts/regenerate_fixtures.py --check         # only show differences; exit 1 if any
"""

from __future__ import annotations

import argparse
import difflib
import logging
import sys
from pathlib import Path

from arabpress_crawler.pages.snapshot import dumps, load_case, snapshot

logger = logging.getLogger(__name__)

FIXTURES = Path(__file__).resolve().parent.parent / "tests" / "fixtures"


def case_directories(names: list[str]) -> list[Path]:
    if not names:
        return sorted(path.parent for path in FIXTURES.glob("*/meta.json"))
    directories = [FIXTURES / name.rstrip("/").split("/")[-1] for name in names]
    missing = [str(path.name) for path in directories if not (path / "meta.json").is_file()]
    if missing:
        raise SystemExit(f"No such fixture case: {', '.join(missing)} (cases live in {FIXTURES}).")
    return directories


def regenerate(directory: Path, check: bool) -> bool:
    """Compute the case's snapshot; print a diff and (unless ``check``) write it. True when it changed."""
    meta, response = load_case(directory)
    new_text = dumps(snapshot(response, meta["kind"]))
    path = directory / "expected.json"
    old_text = path.read_text(encoding="utf-8") if path.exists() else ""
    if new_text == old_text:
        return False
    diff = difflib.unified_diff(
        old_text.splitlines(keepends=True),
        new_text.splitlines(keepends=True),
        fromfile=f"{directory.name}/expected.json (committed)",
        tofile=f"{directory.name}/expected.json (extracted now)",
    )
    sys.stdout.writelines(diff)
    if not check:
        path.write_text(new_text, encoding="utf-8")
    return True


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("cases", nargs="*", metavar="CASE", help="fixture directory names (default: all)")
    parser.add_argument("--check", action="store_true", help="show differences only; exit 1 if there are any")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    changed = [
        directory.name for directory in case_directories(args.cases) if regenerate(directory, args.check)
    ]
    verb = "differ" if args.check else "rewritten"
    print(f"{len(changed)} case(s) {verb}: {', '.join(changed) or 'none'}", file=sys.stderr)
    return 1 if args.check and changed else 0


if __name__ == "__main__":
    sys.exit(main())
