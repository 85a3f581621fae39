"""Writing an output file (an export) so that a half-written one never looks finished, and nothing else breaks.

:func:`output_stream` is what ``arabpress export --output PATH`` writes through:

* a **symlink** is followed: the file it points to gets the export, the link stays a link;
* a **special file** (a FIFO, ``/dev/stdout``, a terminal, any device) is written straight through: it cannot
  be replaced, and replacing a device node with a regular file would be a disaster when run as root;
* a **regular file** (or a new one) is written to a temporary file in the same folder and renamed over it
  when complete, keeping the old file's permissions (a new one gets the usual ones under the umask).

The temporary file is unnamed while it is written (Linux ``O_TMPFILE``): a process killed at any moment,
``SIGKILL`` included, leaves nothing behind. Where the file system cannot do that, a hidden named
``.<name>.*.part`` file is used, removed on every exit Python sees (errors, ``SIGINT``, and ``SIGTERM`` /
``SIGHUP``, which are turned into an exit while the file is written).
"""

from __future__ import annotations

import contextlib
import errno
import logging
import os
import secrets
import signal
import stat
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

logger = logging.getLogger(__name__)

NEW_FILE_MODE = 0o666
#: Errors of ``open(O_TMPFILE)`` on a file system (or kernel) that cannot make unnamed files.
NO_TMPFILE_ERRNOS = frozenset({errno.EOPNOTSUPP, errno.EISDIR, errno.EINVAL, errno.ENOENT})
#: Signals that end a process without unwinding Python's stack unless handled: turned into an exit while a
#: named temporary file exists, so it is removed.
EXIT_SIGNALS = (signal.SIGTERM, signal.SIGHUP)
ENCODING = "utf-8"


class OutputError(ValueError):
    """An output path that cannot receive the output; the message says how to fix it."""


def resolve_output(path: Path) -> Path:
    """The file that will really be written: symlinks followed; :class:`OutputError` if that cannot be."""
    target = Path(os.path.realpath(path))
    if target.is_dir():
        raise OutputError(f"--output {path} is a directory: give a file name, e.g. {path / 'articles.csv'}")
    parent = target.parent
    if not parent.is_dir():
        raise OutputError(f"--output {path}: folder {parent} does not exist; create it first")
    if is_special(target):
        if not os.access(target, os.W_OK):
            raise OutputError(f"--output {path} is not writable; choose another path")
    elif not os.access(parent, os.W_OK):
        raise OutputError(f"--output {path}: folder {parent} is not writable; choose another path")
    return target


def is_special(path: Path) -> bool:
    """``path`` exists and is neither a regular file nor a directory (a FIFO, a device, a socket)."""
    try:
        mode = path.stat().st_mode
    except OSError:
        return False
    return not stat.S_ISREG(mode) and not stat.S_ISDIR(mode)


def file_mode(path: Path) -> int:
    """The permissions the output gets: those of the file it replaces, else the usual ones under the umask."""
    if path.exists():
        return path.stat().st_mode & 0o777
    umask = os.umask(0)
    os.umask(umask)
    return NEW_FILE_MODE & ~umask


@contextmanager
def output_stream(path: Path) -> Iterator[IO[str]]:
    """A text stream to ``path`` (see the module docstring); the file appears only if the block completes."""
    target = resolve_output(path)
    if is_special(target):
        with open(target, "w", encoding=ENCODING, newline="") as stream:
            yield stream
        return
    mode = file_mode(target)
    try:
        fd = os.open(target.parent, os.O_TMPFILE | os.O_WRONLY, 0o600)
    except AttributeError:  # not Linux
        fd = None
    except OSError as error:
        if error.errno not in NO_TMPFILE_ERRNOS:
            raise OutputError(f"--output {path} is not writable ({error.strerror}); choose another path") from None
        fd = None
    if fd is None:
        with _named_temporary(target, path, mode) as stream:
            yield stream
        return
    with os.fdopen(fd, "w", encoding=ENCODING, newline="") as stream:
        yield stream
        stream.flush()
        os.fchmod(fd, mode)
        _link_over(fd, target)


def _link_over(fd: int, target: Path) -> None:
    """Give the unnamed file ``fd`` the name ``target``, replacing what is there (link, then rename)."""
    temp = target.with_name(f".{target.name}.{secrets.token_hex(6)}.part")
    folder = os.open(target.parent, os.O_RDONLY | os.O_DIRECTORY)
    try:  # linkat(AT_SYMLINK_FOLLOW) through /proc: a dir fd makes Python call linkat, not link
        os.link(f"/proc/self/fd/{fd}", temp.name, src_dir_fd=folder, dst_dir_fd=folder, follow_symlinks=True)
    finally:
        os.close(folder)
    try:
        os.replace(temp, target)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise


@contextmanager
def _named_temporary(target: Path, given: Path, mode: int) -> Iterator[IO[str]]:
    try:
        handle = tempfile.NamedTemporaryFile(
            "w", encoding=ENCODING, newline="", dir=target.parent, prefix=f".{target.name}.", suffix=".part",
            delete=False,
        )  # fmt: skip
    except OSError as error:
        raise OutputError(f"--output {given} is not writable ({error.strerror}); choose another path") from None
    temp = Path(handle.name)
    try:
        with _exit_on_signals(), handle:
            yield handle
            handle.flush()
            os.chmod(temp, mode)
            os.replace(temp, target)
    finally:
        temp.unlink(missing_ok=True)


@contextmanager
def _exit_on_signals() -> Iterator[None]:
    """Turn SIGTERM/SIGHUP into ``SystemExit`` for the block (main thread only), so ``finally`` runs."""

    def leave(signum: int, frame: Any) -> None:
        raise SystemExit(128 + signum)

    previous: dict[int, Any] = {}
    with contextlib.suppress(ValueError):  # not the main thread: nothing to install
        for signum in EXIT_SIGNALS:
            previous[signum] = signal.signal(signum, leave)
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
