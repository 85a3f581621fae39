"""Which extraction produced a row: the package version and a digest of the extraction code.

Every article row records the version of the extraction that produced its fields (``articles.parser_version``)
and every revision written by ``arabpress reextract`` the version that replaced it. The version is
``<package version>+<12 hex digits>``: the digest covers the source of everything that turns a response into
stored fields (the page objects, the site module, the text, date and URL helpers, the item and the clean and
validate pipelines), so any change to them gives a new version without anyone remembering to bump a number.
"""

from __future__ import annotations

import hashlib
from functools import cache
from pathlib import Path

from arabpress_crawler import __version__

PACKAGE_DIR = Path(__file__).resolve().parent
#: Directories whose every module is extraction code.
EXTRACTION_PACKAGES = ("pages",)
#: Single modules that are extraction code (missing ones are skipped: they may not exist in every version).
EXTRACTION_MODULES = (
    "items.py",
    "text.py",
    "dates.py",
    "urls.py",
    "site.py",
    "arabic.py",
    "pipelines/clean.py",
    "pipelines/validate.py",
)
DIGEST_LENGTH = 12


def extraction_sources(root: Path = PACKAGE_DIR) -> list[Path]:
    """The source files the version covers, in a fixed order."""
    paths = [root / name for name in EXTRACTION_MODULES if (root / name).is_file()]
    for package in EXTRACTION_PACKAGES:
        paths.extend(sorted((root / package).rglob("*.py")))
    return paths


def source_digest(root: Path = PACKAGE_DIR) -> str:
    digest = hashlib.sha256()
    for path in extraction_sources(root):
        digest.update(path.relative_to(root).as_posix().encode("utf-8") + b"\0")
        digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()[:DIGEST_LENGTH]


@cache
def extraction_version() -> str:
    """This installation's extraction version, e.g. ``0.1.0+3f2a9c1b7d4e`` (computed once per process)."""
    return f"{__version__}+{source_digest()}"
