"""The hints printed after a demo run as printed: from the folder they were printed in, without an active venv."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from conftest import clean_env
from test_export_sample import build_sample_db

from arabpress_crawler.cli import crawl as crawl_cli

#: Hints that start a long-running program (datasette, a crawl): checked by their own tests.
LONG_RUNNING = (" serve ", " demo", "make demo")


def runnable(lines: list[str]) -> list[str]:
    commands = [line.strip() for line in lines[1:] if not line.strip().startswith("(")]
    return [command.split("    #")[0] for command in commands if not any(part in command for part in LONG_RUNNING)]


def test_try_next_lines_run_as_printed_without_the_venv_on_path(tmp_path, monkeypatch):
    db = build_sample_db(tmp_path / "data" / "demo.db")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("PATH", "/usr/bin:/bin")  # a fresh shell: the venv is not active
    lines = crawl_cli.try_next(Path("data/demo.db"))
    assert lines[0] == "Try next:"
    assert crawl_cli.arabpress_command() != "arabpress", "not on PATH: the hint must say where the script is"
    assert any(". " in line and "activate" in line for line in lines), "the activation step is named"
    commands = runnable(lines)
    assert len(commands) == 2, lines
    env = clean_env(PATH="/usr/bin:/bin")
    for command in commands:
        result = subprocess.run(command, shell=True, cwd=tmp_path, env=env, capture_output=True, text=True)
        assert result.returncode == 0, f"{command!r}: {result.stderr}"
    exported = tmp_path / "data" / "articles.csv"
    assert exported.read_bytes().startswith(b"\xef\xbb\xbf"), "--excel: a byte-order mark for spreadsheets"
    assert db.is_file() and not (tmp_path / "articles.csv").exists()


def test_try_next_lines_use_the_bare_name_when_the_venv_is_active(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("PATH", f"{Path(sys.executable).parent}{os.pathsep}/usr/bin:/bin")
    lines = crawl_cli.try_next(Path("data/demo.db"))
    assert "  arabpress stats --db data/demo.db" in lines
    assert not any("activate" in line for line in lines)
