"""docs/cli.md is generated from the CLI's help and kept in sync; every command's help has an example."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from arabpress_crawler.cli import cli

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "scripts" / "gen_cli_docs.py"


def _load_generator():
    spec = importlib.util.spec_from_file_location("gen_cli_docs", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("gen_cli_docs", module)
    spec.loader.exec_module(module)
    return module


GENERATOR = _load_generator()
COMMANDS = [path for path, _ in GENERATOR.iter_commands(cli)]


def test_cli_doc_is_up_to_date():
    expected = GENERATOR.render()
    current = GENERATOR.CLI_DOC.read_text(encoding="utf-8")
    assert current == expected, "docs/cli.md is out of date: run `.venv/bin/python scripts/gen_cli_docs.py`"


def test_generator_lists_the_commands_of_this_topic():
    names = {" ".join(path) for path in COMMANDS}
    assert {"export", "serve", "check", "stats", "cron-line"} <= names


@pytest.mark.parametrize("path", [(), *COMMANDS], ids=lambda path: " ".join(path) or "arabpress")
def test_every_command_help_has_an_example(path):
    result = CliRunner().invoke(cli, [*path, "--help"], prog_name="arabpress")
    assert result.exit_code == 0, result.output
    assert "Example:" in result.output, f"`arabpress {' '.join(path)} --help` has no Example: block"
    example = result.output.split("Example:", 1)[1]
    assert "arabpress" in example, "the Example: block shows no arabpress command line"


def test_every_command_is_in_the_doc():
    text = GENERATOR.CLI_DOC.read_text(encoding="utf-8")
    for path in COMMANDS:
        assert f"\n## arabpress {' '.join(path)}\n" in text


def test_check_mode_reports_a_stale_doc(tmp_path, monkeypatch):
    stale = tmp_path / "cli.md"
    stale.write_text("# old\n", encoding="utf-8")
    monkeypatch.setattr(GENERATOR, "CLI_DOC", stale)
    assert GENERATOR.main(["--check"]) == 1
    assert GENERATOR.main([]) == 0
    assert GENERATOR.main(["--check"]) == 0
