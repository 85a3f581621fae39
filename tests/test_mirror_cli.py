"""arabpress mirror serve / generate: one-line errors, refusal of non-empty directories, clean Ctrl-C."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import urllib.request
from pathlib import Path

from click.testing import CliRunner

from arabpress_crawler.cli import cli

STARTUP_TIMEOUT = 30


def run(*args: str):
    return CliRunner().invoke(cli, ["mirror", *args], prog_name="arabpress")


def test_generate_writes_a_mirror(tmp_path: Path) -> None:
    out = tmp_path / "mirror"
    result = run("generate", "--articles", "120", "--out", str(out), "--seed", "4")
    assert result.exit_code == 0, result.output
    assert "Generated 121 article pages" in result.output
    assert (out / "sitemap_index.xml").is_file() and (out / "index.html").is_file()


def test_generate_refuses_a_non_empty_directory(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("keep me", encoding="utf-8")
    result = run("generate", "--articles", "10", "--out", str(tmp_path))
    assert result.exit_code == 1
    assert result.output.strip().splitlines() == [
        f"Error: {tmp_path} is not empty: choose an empty directory or pass --force"
    ]
    assert "Traceback" not in result.output


def test_generate_force_replaces_a_previous_mirror(tmp_path: Path) -> None:
    out = tmp_path / "mirror"
    assert run("generate", "--articles", "30", "--out", str(out)).exit_code == 0
    (out / "stale.html").write_text("old", encoding="utf-8")
    assert run("generate", "--articles", "30", "--out", str(out), "--force").exit_code == 0
    assert not (out / "stale.html").exists()


def test_generate_force_keeps_unrelated_files(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("keep me", encoding="utf-8")
    result = run("generate", "--articles", "10", "--out", str(tmp_path), "--force")
    assert result.exit_code == 0, result.output
    assert (tmp_path / "notes.txt").read_text(encoding="utf-8") == "keep me"
    assert (tmp_path / "index.html").is_file()


def test_generate_rejects_impossible_counts(tmp_path: Path) -> None:
    result = run("generate", "--articles", "0", "--out", str(tmp_path / "x"))
    assert result.exit_code == 2 and "--articles" in result.output


def test_serve_rejects_a_bad_fault() -> None:
    result = run("serve", "--fault", "/feed/=teapot")
    assert result.exit_code == 2
    assert "unknown fault kind 'teapot'" in result.output and "Traceback" not in result.output


def test_serve_rejects_a_directory_without_a_mirror(tmp_path: Path) -> None:
    result = run("serve", "--root", str(tmp_path))
    assert result.exit_code == 1
    assert result.output.startswith(f"Error: {tmp_path} holds no mirror")


def test_serve_reports_a_busy_port() -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = run("serve", "--port", str(port))
    assert result.exit_code == 1
    assert f"cannot listen on 127.0.0.1:{port}" in result.output and "--port 0" in result.output


def test_serve_answers_and_stops_cleanly_on_ctrl_c() -> None:
    process = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "from arabpress_crawler.cli import main; main()",
            "mirror",
            "serve",
            "--port",
            "0",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    try:
        line = process.stdout.readline()
        url = line.rsplit(" at ", 1)[1].strip()
        with urllib.request.urlopen(url + "robots.txt", timeout=STARTUP_TIMEOUT) as response:
            assert b"Disallow: /wp-admin/" in response.read()
        process.send_signal(signal.SIGINT)
        _, errors = process.communicate(timeout=STARTUP_TIMEOUT)
    finally:
        process.kill()
    assert process.returncode == 0
    assert "Traceback" not in errors and "Stopping the mirror." in errors
