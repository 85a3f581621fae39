"""Run a command in its own process and measure it: wall time, CPU time and peak resident memory (RSS).

The peak RSS is the kernel's high-water mark of the command's own address space, ``VmHWM`` in
``/proc/<pid>/status``, read every few milliseconds while it runs (the mark only rises, so the last reading is
the peak up to that moment). ``ru_maxrss`` from ``wait4`` is not used for it: on Linux a child's
``ru_maxrss`` keeps the RSS of the parent it was forked from, so a large benchmark process would show up in
every command it measures. CPU time (user + system) does come from ``wait4``.
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from bench import ROOT

logger = logging.getLogger(__name__)

#: ``VmHWM`` is given in kB (KiB).
KIB = 1024
MIB = 1024 * 1024
#: Output kept in a failure message.
TAIL_CHARS = 2000
VENV_BIN = Path(sys.executable).parent
#: How often a running command's memory high-water mark is read and its end checked.
POLL_SECONDS = 0.01


class CommandFailed(RuntimeError):
    """A measured command exited with an error."""


@dataclass(frozen=True)
class Measured:
    """What one measured command did."""

    command: tuple[str, ...]
    returncode: int
    wall_seconds: float
    peak_rss_bytes: int  # VmHWM: the command's own peak, sampled every POLL_SECONDS
    cpu_seconds: float  # user + system time of the process
    stdout: str
    stderr: str

    @property
    def peak_rss_mib(self) -> float:
        return self.peak_rss_bytes / MIB

    def check(self) -> Measured:
        """``self``, or :class:`CommandFailed` with the end of its output when it failed."""
        if self.returncode != 0:
            tail = (self.stderr or self.stdout)[-TAIL_CHARS:]
            raise CommandFailed(f"{shell_line(self.command)} exited with {self.returncode}:\n{tail}")
        return self


def tool(name: str) -> str:
    """The path of a console script of this venv (``arabpress``), so the benchmark runs what it measures."""
    candidate = VENV_BIN / name
    return str(candidate) if candidate.exists() else name


def shell_line(command: Sequence[str]) -> str:
    """The command as one would type it, with the venv's path and the repository root shortened."""
    parts = []
    for part in command:
        text = str(part).replace(str(VENV_BIN) + "/", "").replace(str(ROOT) + "/", "")
        parts.append(text)
    return " ".join(parts)


def run_measured(
    command: Sequence[str],
    *,
    env: Mapping[str, str] | None = None,
    cwd: Path = ROOT,
    timeout: float | None = None,
) -> Measured:
    """Run ``command`` to its end; wall time and peak RSS of that process.

    Output goes to temporary files (no pipe can fill up). ``timeout`` kills the command and raises
    :class:`CommandFailed` when it runs longer.
    """
    full_env = {**os.environ, **(env or {})}
    logger.info("running %s", shell_line(command))
    with tempfile.TemporaryFile("w+", encoding="utf-8") as out, tempfile.TemporaryFile("w+", encoding="utf-8") as err:
        started = time.perf_counter()
        process = subprocess.Popen([str(part) for part in command], cwd=cwd, env=full_env, stdout=out, stderr=err)
        code, peak, cpu = _reap(process, started, timeout)
        wall = time.perf_counter() - started
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read(), err.read()
    if code is None:
        raise CommandFailed(f"{shell_line(command)} ran longer than {timeout} s and was killed:\n{stderr[-TAIL_CHARS:]}")
    return Measured(
        command=tuple(str(part) for part in command),
        returncode=code,
        wall_seconds=wall,
        peak_rss_bytes=peak,
        cpu_seconds=cpu,
        stdout=stdout,
        stderr=stderr,
    )


def peak_rss(pid: int) -> int | None:
    """``VmHWM`` of a running process in bytes; ``None`` once it has exited (or on a system without it)."""
    try:
        with open(f"/proc/{pid}/status", encoding="ascii", errors="replace") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * KIB
    except (OSError, ValueError, IndexError):
        return None
    return None


def _reap(
    process: subprocess.Popen[bytes], started: float, timeout: float | None
) -> tuple[int | None, int, float]:
    """Watch ``process`` to its end: ``(exit code, peak RSS in bytes, CPU seconds)``.

    The code is ``None`` when the process was killed for running past ``timeout``.
    """
    killed = False
    peak = 0
    while True:
        peak = max(peak, peak_rss(process.pid) or 0)
        pid, status, usage = os.wait4(process.pid, os.WNOHANG)
        if pid:
            break
        if timeout is not None and not killed and time.perf_counter() - started > timeout:
            process.kill()
            killed = True
        time.sleep(POLL_SECONDS)
    code = os.waitstatus_to_exitcode(status)
    process.returncode = code  # reaped here: Popen must not wait for it again
    return (None if killed else code), peak, usage.ru_utime + usage.ru_stime
