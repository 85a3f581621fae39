"""The commands a Markdown document gives its reader, and how a test treats each one.

:func:`commands` finds them: every line of a fenced block tagged ``bash`` (``sh``, ``shell``, ``console``),
comments and line continuations handled as the shell handles them, and every inline code span of the prose that
starts with a program a reader types (``arabpress``, ``make``, ``scrapy``, ``datasette``, ``python``, ``pip``…).
A fenced block without a tag is a sample of output, never a command (:func:`untagged_blocks` lists them, so a
test can insist that commands are tagged).

Each command is given one of four treatments (:data:`Treatment`), with the reason where it is not run:

* :class:`Run` — run as written; exit 0, and ``check`` for what the document promises it does;
* :class:`Server` — serves until Ctrl-C: started, asked for ``paths`` over HTTP on 127.0.0.1, stopped;
* :class:`NotRun` — cannot run in a test (the whole suite, a benchmark, an install, the public site, another
  machine): ``reason``, and a ``probe`` that shows it parses or is a safe no-op;
* :class:`Mention` — a command named in the prose, not a line to type: ``reason`` and an optional ``probe``.

``probe=HELP`` means "the command itself with ``--help``": its program, sub-command and options exist.

:class:`Walk` runs commands so in a fresh clone (:func:`make_clone`) and keeps an :class:`Outcome` for each.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import click
import pytest
from click.testing import CliRunner

from arabpress_crawler.cli import cli

SHELL_LANGUAGES = frozenset({"bash", "sh", "shell", "console"})
FENCE = re.compile(r"^\s*```\s*([\w+-]*)\s*$")
INLINE_CODE = re.compile(r"`([^`\n]+(?:\n[^`\n]+)*)`")
#: Inline code that starts with one of these is a command (the program a reader would type first).
PROGRAMS = re.compile(
    r"^(?:arabpress|make|scrapy|scrapyd|scrapyd-deploy|datasette|python3?|pip3?|apt-get|apt|curl|crontab|git"
    r"|sudo|cd|\.|\.venv/\S*|\.ci/\S*|bash|sh)(?:\s|$)"
)
#: ``probe=HELP``: the command with ``--help`` appended.
HELP = "--help"
COMMAND_TIMEOUT_SECONDS = 300  # generous: the slowest command (a crawl) takes ~10 s on an idle machine
SERVER_START_SECONDS = 90
FIXED_PORTS = re.compile(r"(?<=[:\s])(8765|8766|8001)\b")
ACTIVATE = ". .venv/bin/activate"
FRESH_PATH = "/usr/local/bin:/usr/bin:/bin"


@dataclass
class Outcome:
    """What running (or probing, or serving) one command gave."""

    command: str
    ran: str  # the line given to bash (ports replaced), or what was done instead
    returncode: int | None = None
    stdout: str = ""
    stderr: str = ""
    problems: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def output(self) -> str:
        return self.stdout + self.stderr


@dataclass(frozen=True)
class Command:
    """One command of a document, as written, and where it first appears."""

    text: str
    source: str  # file name, for messages
    line: int  # 1-based line of its first appearance
    inline: bool  # from an inline code span of the prose (not a fenced block)


@dataclass(frozen=True)
class Run:
    """Run as written (``check(clone, outcome)`` asserts what the document says it does)."""

    check: Callable[[Path, Any], None] | None = None


@dataclass(frozen=True)
class Server:
    """A program that serves until Ctrl-C: these ``paths`` must answer 200 on 127.0.0.1.

    ``add_port``: the command names no port (its program's default): one is appended with ``--port``.
    ``keep``: later commands use it (a crawl of the mirror), so it runs until every command has run.
    ``check(bodies)`` asserts on the answers (path -> text).
    """

    paths: tuple[str, ...] = ("/",)
    add_port: bool = False
    keep: bool = False
    check: Callable[[dict[str, str]], None] | None = None


@dataclass(frozen=True)
class NotRun:
    """Cannot run in a test, for ``reason``; ``probe`` (a shell line, or :data:`HELP`) must exit 0."""

    reason: str
    probe: str | None = None
    probe_check: Callable[[str], None] | None = field(default=None)


@dataclass(frozen=True)
class Mention:
    """Named in the prose rather than given to type, for ``reason``; ``probe`` as for :class:`NotRun`."""

    reason: str
    probe: str | None = None


Treatment = Run | Server | NotRun | Mention


def _fences(lines: list[str]) -> Iterator[tuple[str, int, int]]:
    """(language, first line index, closing line index) of each fenced block."""
    start: int | None = None
    language = ""
    for index, line in enumerate(lines):
        match = FENCE.match(line)
        if not match:
            continue
        if start is None:
            start, language = index, match.group(1).lower()
        else:
            yield language, start, index
            start = None


def strip_comment(line: str) -> str:
    """The line without a shell comment (a ``#`` at a word's start, outside quotes)."""
    quote: str | None = None
    for index, char in enumerate(line):
        if quote:
            if char == quote:
                quote = None
        elif char in "'\"":
            quote = char
        elif char == "#" and (index == 0 or line[index - 1].isspace()):
            return line[:index].rstrip()
    return line.rstrip()


def _block_commands(lines: list[str], source: str, start: int, end: int) -> Iterator[Command]:
    pending = ""
    first = start
    for index in range(start + 1, end):
        text = strip_comment(lines[index]).strip()
        if not pending:
            first = index
        if text.endswith("\\"):
            pending += text[:-1].rstrip() + " "
            continue
        text = (pending + text).strip()
        pending = ""
        if text:
            yield Command(text, source, first + 1, inline=False)


def commands(path: Path) -> list[Command]:
    """Every command ``path`` gives, in the order of the document, each once (its first appearance)."""
    lines = path.read_text(encoding="utf-8").splitlines()
    found: list[Command] = []
    prose = list(lines)
    for language, start, end in _fences(lines):
        if language in SHELL_LANGUAGES:
            found.extend(_block_commands(lines, path.name, start, end))
        for index in range(start, end + 1):
            prose[index] = ""
    text = "\n".join(prose)
    for match in INLINE_CODE.finditer(text):
        code = " ".join(match.group(1).split())
        if PROGRAMS.match(code):
            found.append(Command(code, path.name, text.count("\n", 0, match.start()) + 1, inline=True))
    found.sort(key=lambda command: command.line)
    unique: dict[str, Command] = {}
    for command in found:
        unique.setdefault(command.text, command)
    return list(unique.values())


def untagged_blocks(path: Path) -> list[tuple[int, str]]:
    """(line, first line of text) of each fenced block without a language: output samples, never commands."""
    lines = path.read_text(encoding="utf-8").splitlines()
    return [(start + 1, lines[start + 1] if start + 1 < end else "")
            for language, start, end in _fences(lines) if not language]


# -- the fresh clone and the walk -------------------------------------------------------------------------------


def arabpress_help_probe(text: str) -> str:
    """``arabpress SUB ... --help`` in-process: the sub-commands exist and name every ``--option`` of ``text``."""
    words = shlex.split(text)[1:]
    path: list[str] = []
    command: click.Command = cli
    while words and isinstance(command, click.Group):
        sub = command.get_command(click.Context(command), words[0])
        if sub is None:
            break
        path.append(words.pop(0))
        command = sub
    shown = " ".join(["arabpress", *path, "--help"])
    result = CliRunner().invoke(cli, [*path, "--help"])
    assert result.exit_code == 0, result.output
    for option in (word.split("=")[0] for word in words if word.startswith("--") and word != "--"):
        assert option in result.output, f"`{shown}` names no {option}"
    return f"{shown} names {[word for word in words if word.startswith('--')]}"


# -- the fresh clone and the walk -------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def make_clone(root: Path, folder: Path) -> Path:
    """The repository's files in ``folder/clone``, with ``.venv`` standing for this test run's environment."""
    listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=root,
                            capture_output=True, check=True).stdout.decode().split("\0")
    clone = folder / "clone"
    for name in filter(None, listed):
        source = root / name
        if source.is_file():
            (clone / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, clone / name)
    venv = clone / ".venv"
    venv.mkdir()
    for entry in Path(sys.prefix).iterdir():  # bin, lib, pyvenv.cfg...: .venv/bin/python finds its packages
        if not entry.name.startswith("."):
            (venv / entry.name).symlink_to(entry, target_is_directory=entry.is_dir())
    for stamp in (".installed", ".installed-dev"):  # newer than pyproject.toml: make does not reinstall
        (venv / stamp).touch()
    return clone


class Walk:
    """Runs the documents' commands in a clone, in order; keeps an :class:`Outcome` per command."""

    def __init__(self, clone: Path, home: Path, fake_bin: Path) -> None:
        self.clone = clone
        # A user's fresh terminal: none of this run's settings, virtual environment, or make's variables (when
        # `make test` runs this, MAKELEVEL makes the README's `make demo` print "make[1]: Entering directory").
        self.env = {name: value for name, value in os.environ.items()
                    if not name.startswith(("ARABPRESS_", "VIRTUAL_ENV", "PYTHON", "CONDA", "MAKE", "MFLAGS"))}
        self.env.update(PATH=f"{fake_bin}:{FRESH_PATH}", HOME=str(home))
        self.ports = {port: free_port() for port in ("8765", "8766", "8001")}
        self.prelude = ""
        self.servers: list[subprocess.Popen] = []
        self.outcomes: dict[str, Outcome] = {}
        self.hints: list[Outcome] = []

    def shell(self, line: str, timeout: float = COMMAND_TIMEOUT_SECONDS) -> subprocess.CompletedProcess[str]:
        return subprocess.run(["bash", "-c", self.prelude + line], cwd=self.clone, env=self.env,
                              capture_output=True, text=True, timeout=timeout)

    def with_ports(self, text: str) -> str:
        return FIXED_PORTS.sub(lambda match: str(self.ports[match.group(1)]), text)

    def run(self, command: Command, treatment: Treatment, record: bool = True) -> Outcome:
        """Run, serve or probe ``command``; its outcome is kept in :attr:`outcomes` when ``record``."""
        text = self.with_ports(command.text)
        outcome = Outcome(command.text, text)
        started = time.monotonic()
        try:
            if isinstance(treatment, Run):
                self._run(outcome, treatment)
            elif isinstance(treatment, Server):
                self._serve(outcome, treatment)
            elif treatment.probe is not None:
                self._probe(outcome, treatment)
        except (AssertionError, pytest.fail.Exception, OSError, ValueError, KeyError, StopIteration) as error:
            outcome.problems.append(f"{type(error).__name__}: {error}")
        except subprocess.TimeoutExpired as error:
            outcome.problems.append(f"did not end within {error.timeout} s")
        outcome.seconds = time.monotonic() - started
        if record:
            self.outcomes[command.text] = outcome
        return outcome

    def _run(self, outcome: Outcome, treatment: Run) -> None:
        if outcome.ran.startswith("make "):  # never let make reinstall into this test run's environment
            planned = self.shell(f"make -n {outcome.ran[5:]}").stdout
            assert "pip install" not in planned, f"make would install: {planned}"
        completed = self.shell(outcome.ran)
        outcome.returncode, outcome.stdout, outcome.stderr = completed.returncode, completed.stdout, completed.stderr
        assert completed.returncode == 0, f"exit {completed.returncode}: {completed.stderr[-2000:]}"
        if outcome.ran == ACTIVATE:
            self.prelude = ACTIVATE + "\n"
        if treatment.check is not None:
            treatment.check(self.clone, outcome)

    def _probe(self, outcome: Outcome, treatment: NotRun | Mention) -> None:
        if treatment.probe == HELP and outcome.ran.startswith("arabpress"):
            outcome.ran = f"(probe) {arabpress_help_probe(outcome.ran)}"
            return
        probe = f"{outcome.ran} {HELP}" if treatment.probe == HELP else treatment.probe
        outcome.ran = f"(probe) {probe}"
        completed = subprocess.run(["bash", "-c", f"{ACTIVATE}\n{probe}"], cwd=self.clone, env=self.env,
                                   capture_output=True, text=True, timeout=COMMAND_TIMEOUT_SECONDS)
        outcome.returncode, outcome.stdout, outcome.stderr = completed.returncode, completed.stdout, completed.stderr
        assert completed.returncode == 0, f"probe exit {completed.returncode}: {completed.stderr[-2000:]}"
        check = getattr(treatment, "probe_check", None)
        if check is not None:
            check(completed.stdout)

    def _serve(self, outcome: Outcome, treatment: Server) -> None:
        port = free_port() if treatment.add_port else int(re.search(r"--port (\d+)", outcome.ran).group(1))
        if treatment.add_port:
            outcome.ran += f" --port {port}"
        log = (self.clone.parent / f"server-{port}.log").open("w")
        process = subprocess.Popen(["bash", "-c", f"{self.prelude}exec {outcome.ran}"], cwd=self.clone,
                                   env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        self.servers.append(process)
        try:
            bodies = {path: self._answer(process, f"http://127.0.0.1:{port}{path}") for path in treatment.paths}
            if treatment.check is not None:
                treatment.check(bodies)
        finally:
            outcome.stdout = Path(log.name).read_text(encoding="utf-8", errors="replace")
            log.close()
            if not treatment.keep:
                self.stop(process)

    def _answer(self, process: subprocess.Popen, url: str) -> str:
        deadline = time.monotonic() + SERVER_START_SECONDS
        while True:
            try:
                with urllib.request.urlopen(url, timeout=30) as response:
                    assert response.status == 200, f"{url}: HTTP {response.status}"
                    return response.read().decode("utf-8", errors="replace")
            except (urllib.error.URLError, ConnectionError) as error:
                if isinstance(error, urllib.error.HTTPError):
                    raise AssertionError(f"{url}: HTTP {error.code}") from None
                if process.poll() is not None:
                    raise AssertionError(f"the server ended (exit {process.returncode}) before answering") from None
                if time.monotonic() > deadline:
                    raise AssertionError(f"{url}: no answer in {SERVER_START_SECONDS} s ({error})") from None
                time.sleep(0.3)

    @staticmethod
    def stop(process: subprocess.Popen) -> None:
        """Ctrl-C, as the README says; SIGKILL if it is still there after 20 s."""
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()

    def close(self) -> None:
        for process in self.servers:
            self.stop(process)
