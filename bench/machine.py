"""The machine and the software versions a set of figures was taken with."""

from __future__ import annotations

import logging
import os
import platform
import sqlite3
import subprocess
import sys
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from bench import ROOT

logger = logging.getLogger(__name__)

CPUINFO = Path("/proc/cpuinfo")
MEMINFO = Path("/proc/meminfo")
KIB = 1024
GIB = 1024**3
#: Distributions whose versions the document lists.
PACKAGES = ("scrapy", "lxml", "twisted", "trafilatura", "parsel", "sqlite-utils", "datasketch")


@dataclass(frozen=True)
class Machine:
    cores: int
    memory_bytes: int
    cpu_model: str
    system: str
    python: str
    sqlite: str
    libxml2: str
    packages: dict[str, str]
    commit: str

    def rows(self) -> list[tuple[str, str]]:
        """``(what, value)`` pairs for the document's machine table."""
        rows = [
            ("CPU", self.cpu_model),
            ("cores", str(self.cores)),
            ("memory", f"{self.memory_bytes / GIB:.1f} GiB"),
            ("system", self.system),
            ("Python", self.python),
            ("SQLite", self.sqlite),
            ("libxml2 (lxml)", self.libxml2),
        ]
        rows += [(name, version) for name, version in self.packages.items()]
        rows.append(("arabpress-crawler commit", self.commit))
        return rows


def cpu_model(cpuinfo: Path = CPUINFO) -> str:
    """The ``model name`` of the first CPU, or the platform's processor string."""
    try:
        for line in cpuinfo.read_text(encoding="utf-8", errors="replace").splitlines():
            key, _, value = line.partition(":")
            if key.strip() == "model name":
                return value.strip()
    except OSError:
        logger.debug("no %s on this system", cpuinfo)
    return platform.processor() or "unknown"


def memory_bytes(meminfo: Path = MEMINFO) -> int:
    """Total memory (``MemTotal``), or 0 when unknown."""
    try:
        for line in meminfo.read_text(encoding="utf-8").splitlines():
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) * KIB
    except (OSError, ValueError, IndexError):
        logger.debug("cannot read MemTotal from %s", meminfo)
    return 0


def package_version(name: str) -> str:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "not installed"


def libxml2_version() -> str:
    from lxml import etree

    return ".".join(str(part) for part in etree.LIBXML_VERSION)


def git_commit(root: Path = ROOT) -> str:
    """The checked-out commit (short hash)."""
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=root, capture_output=True, text=True, check=True
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return commit


def capture() -> Machine:
    """The current machine and versions."""
    return Machine(
        cores=os.cpu_count() or 1,
        memory_bytes=memory_bytes(),
        cpu_model=cpu_model(),
        system=f"{platform.system()} {platform.release()}",
        python=sys.version.split()[0],
        sqlite=sqlite3.sqlite_version,
        libxml2=libxml2_version(),
        packages={name: package_version(name) for name in PACKAGES},
        commit=git_commit(),
    )
