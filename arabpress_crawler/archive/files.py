"""Archive files on disk: where they live, their names, the lock of the writer, and files cut short.

A database ``data/arabpress.db`` keeps its archive in ``data/archive/`` as
``arabpress-<UTC timestamp, ms>-<serial>.warc.gz``. A file being written is named ``….warc.gz.open`` and its
writer holds an advisory lock on it (``fcntl.flock``; the OS drops it when the process dies, even by
SIGKILL). Rows keep the final name (without ``.open``) relative to the database's directory, so the data
directory can be moved as a whole; :func:`resolve` finds a file under either name.

:func:`recover_abandoned` closes the files a killed writer left ``.open``: each is cut back to the end of its
last complete gzip member (one member per WARC record, so a complete member is a complete record) and renamed
to its final name. The next writer then starts a new file.
"""

from __future__ import annotations

import fcntl
import logging
import os
import zlib
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO

logger = logging.getLogger(__name__)

ARCHIVE_DIR_NAME = "archive"
WARC_SUFFIX = ".warc.gz"
OPEN_SUFFIX = ".open"
#: gzip framing for :mod:`zlib` (a header and a CRC-32 trailer per member).
GZIP_WBITS = 31
READ_CHUNK = 1 << 20


def default_directory(db: Path) -> Path:
    """The archive directory of a database: ``archive`` beside it."""
    return db.parent / ARCHIVE_DIR_NAME


def file_prefix(db: Path) -> str:
    """Archive file names start with the database's stem, so two databases can share a directory."""
    return db.stem or "arabpress"


def new_file_name(prefix: str, serial: int, now: datetime | None = None) -> str:
    """``<prefix>-<YYYYmmddHHMMSSfff>-<serial>.warc.gz`` (the final name, without ``.open``)."""
    moment = now or datetime.now(UTC)
    stamp = f"{moment:%Y%m%d%H%M%S}{moment.microsecond // 1000:03d}"
    return f"{prefix}-{stamp}-{serial:05d}{WARC_SUFFIX}"


def stored_name(path: Path, base: Path) -> str:
    """How a row names ``path``: relative to ``base`` (the database's directory) when inside it."""
    try:
        return path.relative_to(base).as_posix()
    except ValueError:
        return str(path)


def resolve(name: str, base: Path) -> Path | None:
    """The file a row's ``name`` refers to (final or still ``.open``), or ``None`` when there is none."""
    path = Path(name)
    if not path.is_absolute():
        path = base / path
    for candidate in (path, path.with_name(path.name + OPEN_SUFFIX)):
        if candidate.is_file():
            return candidate
    return None


def try_lock(handle: BinaryIO) -> bool:
    """Take the writer's exclusive lock on an open file without waiting; ``False`` when another holds it."""
    try:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


def complete_length(handle: BinaryIO) -> int:
    """Bytes from the start of ``handle`` up to the end of its last complete gzip member.

    A member is complete when :mod:`zlib` reaches its end and its CRC-32 and length trailer match; anything
    after the last one (a member cut short, or bytes that are no gzip) is not counted.
    """
    handle.seek(0)
    complete = 0
    consumed = 0
    decompressor = zlib.decompressobj(GZIP_WBITS)
    while chunk := handle.read(READ_CHUNK):
        data = chunk
        while data:
            try:
                decompressor.decompress(data)
            except zlib.error:
                return complete
            if not decompressor.eof:
                consumed += len(data)
                break
            rest = decompressor.unused_data
            consumed += len(data) - len(rest)
            complete = consumed
            data = rest
            decompressor = zlib.decompressobj(GZIP_WBITS)
    return complete


@dataclass(frozen=True)
class Recovered:
    """A file a killed writer left open, now closed."""

    path: Path
    removed_bytes: int


def recover_abandoned(directory: Path, prefix: str) -> list[Recovered]:
    """Close every ``<prefix>-*.warc.gz.open`` file no live writer holds (see the module docstring)."""
    recovered: list[Recovered] = []
    if not directory.is_dir():
        return recovered
    for path in sorted(directory.glob(f"{prefix}-*{WARC_SUFFIX}{OPEN_SUFFIX}")):
        with path.open("r+b") as handle:
            if not try_lock(handle):
                logger.info("archive file %s is being written by another process: left alone", path)
                continue
            size = os.fstat(handle.fileno()).st_size
            keep = complete_length(handle)
            if keep < size:
                handle.truncate(keep)
            final = path.with_name(path.name.removesuffix(OPEN_SUFFIX))
            path.rename(final)
        removed = size - keep
        logger.warning(
            "archive file %s was left open by a crawl that did not finish: %s; closed as %s",
            path,
            f"{removed} bytes of a record cut short removed" if removed else "every record is complete",
            final.name,
        )
        recovered.append(Recovered(final, removed))
    return recovered
