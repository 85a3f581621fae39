"""arabpress cron-line: a ready crontab line with absolute paths, and a validated --every."""

from __future__ import annotations

import shlex
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from arabpress_crawler.cli import cli
from arabpress_crawler.cli import health as health_cli


def run_cron_line(*args: str, cwd: Path):
    runner = CliRunner()
    return runner.invoke(cli, ["cron-line", *args, "--project-dir", str(cwd)])


@pytest.mark.parametrize(
    ("every", "schedule"),
    [
        ("3h", "17 */3 * * *"),
        ("1h", "17 * * * *"),
        ("30m", "*/30 * * * *"),
        ("1d", "17 3 * * *"),
        ("2d", "17 3 */2 * *"),
        (" 6H ", "17 */6 * * *"),
    ],
)
def test_schedule_fields(tmp_path, every, schedule):
    result = run_cron_line("--every", every, cwd=tmp_path)
    assert result.exit_code == 0, result.output
    assert result.output.startswith(schedule + " ")


def test_line_has_absolute_paths_and_quiet_logged_crawl(tmp_path):
    result = run_cron_line("--db", "data/x.db", "--log-file", "logs/c.log", cwd=tmp_path)
    assert result.exit_code == 0, result.output
    line = result.output.strip()
    assert "\n" not in line
    fields = line.split(" ", 5)
    command = shlex.split(fields[5])
    assert command[:3] == ["cd", str(tmp_path.resolve()), "&&"]
    executable, *args = command[3:]
    assert Path(executable).is_absolute() and Path(executable).name == "arabpress"
    assert args[0] == "crawl"
    assert args[args.index("--db") + 1] == str(tmp_path.resolve() / "data" / "x.db")
    assert args[args.index("--log-file") + 1] == str(tmp_path.resolve() / "logs" / "c.log")
    assert "--quiet" in args


def test_executable_is_the_one_beside_this_python(tmp_path):
    beside = Path(sys.executable).absolute().parent / "arabpress"
    if not beside.exists():
        pytest.skip("the arabpress script is not installed beside this Python")
    assert health_cli.arabpress_executable() == beside


def test_paths_with_spaces_are_quoted(tmp_path):
    project = tmp_path / "my project"
    project.mkdir()
    result = run_cron_line(cwd=project)
    assert result.exit_code == 0, result.output
    command = shlex.split(result.output.strip().split(" ", 5)[5])
    assert command[1] == str(project.resolve())


@pytest.mark.parametrize(
    ("every", "message"),
    [
        ("3x", "use minutes, hours or days like 30m, 3h or 1d"),
        ("soon", "use minutes, hours or days"),
        ("0h", "hours must be 1, 2, 3, 4, 6, 8 or 12"),
        ("45m", "minutes must be 1, 2, 3, 4, 5, 6, 10, 12, 15, 20 or 30"),
        ("90m", "for longer use 1h or more"),
        ("24h", "for longer use 1d or more"),
        ("32d", "days must be between 1 and 31"),
        ("-1h", "use minutes, hours or days"),
    ],
)
def test_bad_every_is_one_clear_error(tmp_path, every, message):
    result = run_cron_line("--every", every, cwd=tmp_path)
    assert result.exit_code == 2
    assert message in result.output
    assert "Traceback" not in result.output


def test_missing_project_dir_is_an_error(tmp_path):
    result = CliRunner().invoke(cli, ["cron-line", "--project-dir", str(tmp_path / "nowhere")])
    assert result.exit_code == 2
    assert "does not exist" in result.output


@pytest.mark.parametrize(
    ("values", "expected"),
    [([], ""), ([0, 0], "▁▁"), ([0, 4, 8], "▁▅█"), ([5], "█")],
)
def test_sparkline(values, expected):
    assert health_cli.sparkline(values) == expected


def test_bar_scales_to_peak():
    assert health_cli.bar(10, 10, width=8) == "█" * 8
    assert health_cli.bar(5, 10, width=8) == "█" * 4
    assert health_cli.bar(0, 0) == ""


def test_scrapyd_line_schedules_a_resumable_job_on_the_absolute_database(tmp_path):
    result = CliRunner().invoke(
        cli,
        ["cron-line", "--every", "6h", "--scrapyd", "http://127.0.0.1:6800/", "--db", "data/x y.db",
         "--base-url", "http://127.0.0.1:8765", "--project-dir", str(tmp_path)],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    line = result.output.strip()
    assert line.startswith("17 */6 * * * curl ")
    words = shlex.split(line.split(" ", 5)[5])
    assert "http://127.0.0.1:6800/schedule.json" in words
    fields = [words[i + 1] for i, word in enumerate(words) if word == "--data-urlencode"]
    assert fields == [
        "project=arabpress_crawler",
        "spider=articles",
        f"setting=ARABPRESS_DB={tmp_path.resolve() / 'data' / 'x y.db'}",
        "setting=ARABPRESS_RESUMABLE=True",
        "base_url=http://127.0.0.1:8765",
    ]


def test_scrapyd_line_escapes_percent_for_cron(tmp_path):
    result = CliRunner().invoke(
        cli, ["cron-line", "--scrapyd", "http://h:6800", "--db", "/srv/100%.db", "--project-dir", str(tmp_path)]
    )
    assert result.exit_code == 0, result.output
    assert r"ARABPRESS_DB=/srv/100\%.db" in result.output


# --- crawl options and --install ------------------------------------------------------------------

#: A stand-in for crontab(1): `crontab -l` prints the stored table (exit 1 when there is none), `crontab -`
#: stores standard input.
FAKE_CRONTAB = """#!/bin/sh
table="$(dirname "$0")/table"
if [ "$1" = "-l" ]; then
  [ -f "$table" ] || { echo "no crontab for $USER" >&2; exit 1; }
  cat "$table"
elif [ "$1" = "-" ]; then
  cat > "$table"
else
  exit 2
fi
"""


@pytest.fixture
def fake_crontab(tmp_path, monkeypatch) -> Path:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    script = bin_dir / "crontab"
    script.write_text(FAKE_CRONTAB)
    script.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}:/usr/bin:/bin")
    return bin_dir / "table"


def test_crawl_options_are_passed_through(tmp_path):
    result = CliRunner().invoke(cli, ["cron-line", "--project-dir", str(tmp_path), "--every", "6h", "--",
                                      "--base-url", "http://127.0.0.1:8765", "--max-pages", "500"])
    assert result.exit_code == 0, result.output
    command = shlex.split(result.output.strip().split(" ", 5)[5])
    assert command[-4:] == ["--base-url", "http://127.0.0.1:8765", "--max-pages", "500"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--scrapyd", "ftp://h:6800"], "is not a Scrapyd URL"),
        (["--scrapyd", "http://h:6800/?x=1"], "without a query"),
        (["--base-url", "http://127.0.0.1:8765"], "only with --scrapyd"),
    ],
)
def test_scrapyd_line_bad_input_is_one_clear_error(tmp_path, args, message):
    result = CliRunner().invoke(cli, ["cron-line", "--project-dir", str(tmp_path), *args])
    assert result.exit_code == 2
    assert message in result.output
    assert "Traceback" not in result.output


@pytest.mark.parametrize(
    ("args", "message"),
    [(["--", "--max-pagez", "5"], "No such option '--max-pagez'"),
     (["--", "--max-pages", "zero"], "'zero' is not a valid integer"),
     (["--", "--db", "other.db"], "cron-line sets --db, --log-file and --quiet itself")],
)
def test_bad_crawl_options_are_one_clear_error(tmp_path, args, message):
    result = CliRunner().invoke(cli, ["cron-line", "--project-dir", str(tmp_path), *args])
    assert result.exit_code == 2
    assert message in result.output and "Traceback" not in result.output


def test_install_twice_leaves_one_line_and_keeps_the_others(tmp_path, fake_crontab):
    fake_crontab.write_text("MAILTO=me@example.org\n0 1 * * * /usr/bin/backup\n")
    first = run_cron_line("--install", "--every", "3h", cwd=tmp_path)
    second = run_cron_line("--install", "--every", "3h", cwd=tmp_path)
    third = run_cron_line("--install", "--every", "6h", cwd=tmp_path)
    assert first.exit_code == second.exit_code == third.exit_code == 0, first.output + second.output + third.output
    assert first.output.startswith("installed: 17 */3 * * * ")
    assert second.output.startswith("already installed: ")
    assert third.output.startswith("replaced the crawl of ")
    lines = fake_crontab.read_text().splitlines()
    assert lines[:2] == ["MAILTO=me@example.org", "0 1 * * * /usr/bin/backup"]
    assert len(lines) == 3 and lines[2].startswith("17 */6 * * * ")


def test_install_keeps_the_crawls_of_other_databases(tmp_path, fake_crontab):
    assert run_cron_line("--install", "--db", "data/a.db", cwd=tmp_path).exit_code == 0
    assert run_cron_line("--install", "--db", "data/b.db", cwd=tmp_path).exit_code == 0
    assert len(fake_crontab.read_text().splitlines()) == 2
