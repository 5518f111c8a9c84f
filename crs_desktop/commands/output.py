"""Output files of the commands (export, handover): never over an existing file unless
--force, never half a file, and a fault of the disk or pipe said in one line.

A file is written to a temporary file in the same folder and renamed over the target
at the end: a failure leaves no partial file and the old file (if any) as it was. A
new file is owner-only (it holds patient data); a file replaced with --force keeps its
permissions, so whoever could read it before still can, and nobody else.
"""

from __future__ import annotations

import argparse
import contextlib
import errno
import os
import stat
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import IO, TypeVar

from crs_desktop.commands.errors import UsageError

T = TypeVar("T")

_REASONS = {
    errno.ENOSPC: "the disk is full",
    errno.EDQUOT: "the disk quota is used up",
    errno.EFBIG: "the file would be larger than allowed",
    errno.EROFS: "the disk is read-only",
    errno.EACCES: "not allowed to write there",
    errno.EPERM: "not allowed to write there",
    errno.EPIPE: "the output was closed before everything was written",
}


def add_force_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--force",
        action="store_true",
        help="replace the output file if it exists (it keeps its permissions)",
    )


def output_error(value: str, exc: OSError, to_file: bool = True) -> Exception:
    """A failed write of -o VALUE as the one-line error the user sees."""

    reason = _REASONS.get(exc.errno or 0) or exc.strerror or str(exc)
    if exc.errno is None and value != "-" and _nearly_full(Path(value).parent):
        reason = _REASONS[errno.ENOSPC]  # Qt's PDF writer fails without saying why
    left = "; no file was written" if to_file and value != "-" else ""
    return UsageError(f"-o {value!r}: could not be written ({reason}){left}")


def _nearly_full(folder: Path) -> bool:
    try:
        disk = os.statvfs(folder)
    except OSError:
        return False
    return disk.f_bavail * disk.f_frsize < 1 << 20


def check_output(value: str, force: bool, device_ok: bool = False) -> Path:
    """The output file named by -o: its folder exists, and it is not an existing file
    unless `force`. A device or pipe (/dev/null, a FIFO) is written into, if `device_ok`."""

    target = Path(value)
    if target.is_dir():
        raise UsageError(f"-o {value!r}: is a folder; give a file name")
    if not target.parent.is_dir():
        raise UsageError(f"-o {value!r}: the folder {target.parent} does not exist")
    if target.exists():
        if not target.is_file():
            if device_ok:
                return target
            raise UsageError(f"-o {value!r}: not an ordinary file; give a file name")
        if not force:
            raise UsageError(
                f"-o {value!r}: the file exists; give another name, or --force to replace it"
            )
    return target


def existing_mode(target: Path) -> int | None:
    """The permissions of the ordinary file a forced write replaces (None if none)."""
    try:
        info = target.stat()
    except OSError:
        return None
    return stat.S_IMODE(info.st_mode) if stat.S_ISREG(info.st_mode) else None


def write_text(value: str, force: bool, write: Callable[[IO[str]], T]) -> T:
    """Run `write` on the text output named by -o VALUE (a file, a device, or - for the
    standard output); OSError becomes one line."""
    if value == "-":
        return _to_stdout(write)
    target = check_output(value, force, device_ok=True)
    if target.exists() and not target.is_file():  # /dev/null, a FIFO: nothing to clobber
        try:
            with target.open("w", encoding="utf-8", newline="") as handle:
                return write(handle)
        except OSError as exc:
            raise output_error(value, exc, to_file=False) from None
    mode = existing_mode(target)
    try:
        fd, temp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}-", suffix=".tmp")
    except OSError as exc:
        raise output_error(value, exc) from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            result = write(handle)
            handle.flush()
            os.fsync(handle.fileno())  # on the disk before it replaces anything
        if mode is not None:
            os.chmod(temp, mode)
        os.replace(temp, target)
    except OSError as exc:
        Path(temp).unlink(missing_ok=True)
        raise output_error(value, exc) from None
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
    return result


def _to_stdout(write: Callable[[IO[str]], T]) -> T:
    try:
        result = write(sys.stdout)
        sys.stdout.flush()
    except OSError as exc:
        if isinstance(exc, BrokenPipeError):
            silence_stdout()
        raise output_error("-", exc) from None
    return result


def silence_stdout() -> None:
    """After the reader of our standard output went away: point it at /dev/null, so
    that Python's own flush at exit does not fail again with a traceback."""
    with contextlib.suppress(OSError, ValueError, AttributeError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
