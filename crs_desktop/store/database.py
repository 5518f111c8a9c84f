"""Opening the SQLite chart file safely.

Before anything is written, the file is checked read-only: a file that is not
SQLite, not ours, corrupt, or from a newer version is refused with one clear
line and left byte-for-byte as it was. A new file is created owner-only; an
older schema is copied aside before it is migrated.

A file that cannot be written (a read-only file, folder or disk, a full disk)
is named as such, never as "damaged", and its permissions are left alone.
Commands that only read (export, handover) open it read-only, so they work
from an intact chart on read-only media or a full disk.
"""

from __future__ import annotations

import errno
import os
import sqlite3
import time
from pathlib import Path

from crs_desktop.domain.errors import UserError
from crs_desktop.store.filesystems import network_problem
from crs_desktop.store.paths import is_server_target
from crs_desktop.store.schema import APPLICATION_ID, LATEST_VERSION, apply_migrations

SQLITE_MAGIC = b"SQLite format 3\x00"
BUSY_TIMEOUT_MS = 15_000


class StoreError(UserError):
    """The chart file cannot be used; the message says which file and why."""


# SQLite's primary result codes (the low byte of an extended code).
_SQLITE_PERM, _SQLITE_READONLY, _SQLITE_IOERR, _SQLITE_FULL, _SQLITE_CANTOPEN = 3, 8, 10, 13, 14
# Less free space than this, when SQLite reports an I/O error, is a full disk: the WAL
# index alone needs 32 KiB.
_NEARLY_FULL_BYTES = 1 << 20


def _writable(path: Path) -> bool:
    return os.access(path, os.W_OK) and bool(path.stat().st_mode & 0o222)


def _media_problem(path: Path, space: bool = True) -> str | None:
    """Why the chart file cannot be written, as seen from outside SQLite; None if none shows.

    Read-only is what this account may not write (os.access), and also a file or
    folder that nobody may write (no write bit at all): someone made it read-only on
    purpose, and the administrator's account, which may write anyway, respects that too."""
    folder = path.parent
    try:
        disk = os.statvfs(folder)
    except OSError:
        return None
    if disk.f_flag & os.ST_RDONLY:
        return "the disk it is on is read-only"
    if path.exists() and not _writable(path):
        return "the chart file is read-only"
    if not _writable(folder) or not os.access(folder, os.X_OK):
        return f"the folder {folder} is read-only (the chart keeps its journal files beside it)"
    if space and disk.f_bavail * disk.f_frsize < _NEARLY_FULL_BYTES:
        return "the disk is full"
    return None


def _why(path: Path, exc: sqlite3.Error) -> str | None:
    """A media fault behind a SQLite error, in words; None when it is not one."""
    code = getattr(exc, "sqlite_errorcode", 0) & 0xFF
    if code == _SQLITE_FULL:
        return "the disk is full"
    if code in (_SQLITE_PERM, _SQLITE_READONLY, _SQLITE_IOERR, _SQLITE_CANTOPEN):
        return _media_problem(path)
    return None


def _os_why(path: Path, exc: OSError) -> str | None:
    """The same for an OSError (the copy made before a migration)."""
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return "the disk is full"
    if exc.errno in (errno.EROFS, errno.EACCES, errno.EPERM):
        return _media_problem(path, space=False) or exc.strerror
    return None


def write_failure(path: Path | str, exc: BaseException) -> StoreError | None:
    """A write that failed on the media (full, read-only) as a one-line StoreError; None
    for any other failure (and any on the ward server), which the caller lets through."""
    if is_server_target(path):
        return None
    why = _why(Path(path), exc) if isinstance(exc, sqlite3.Error) else None
    return StoreError(f"{path}: {why}; nothing was written") if why else None


def _has_pending_journal(path: Path) -> bool:
    wal = Path(f"{path}-wal")
    try:
        return wal.stat().st_size > 0
    except OSError:
        return False


def _open_read_only(path: Path) -> sqlite3.Connection:
    """A read-only connection that also works where the WAL index cannot be created.

    A WAL file needs its index (-shm) beside it; on a read-only or full disk with no
    index yet, SQLite cannot make one. Then no other process has the chart open (it
    would have made the index), so the file is read as immutable: safe, as long as no
    journal holds changes not yet in the file (then refused, naming what is wrong).
    """
    conn = _connect(_uri(path, "ro"))
    try:
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
        return conn
    except sqlite3.DatabaseError as exc:
        conn.close()
        why = _why(path, exc)
        if why is None:
            raise
        if _has_pending_journal(path):
            raise StoreError(
                f"{path}: cannot be read here: {why}, and its journal ({path.name}-wal) holds "
                "changes not yet in the file. Copy the file and its -wal and -shm files to a "
                "writable disk and open the copy; left unchanged"
            ) from None
    conn = _connect(f"{_uri(path, 'ro')}&immutable=1")
    conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
    return conn


def _connect(uri: str) -> sqlite3.Connection:
    # isolation_level=None: we issue BEGIN IMMEDIATE ourselves, so a writer
    # takes the write lock up front and waits on busy_timeout instead of
    # failing with "database is locked" when it upgrades a read lock.
    # check_same_thread stays on: a connection belongs to the thread that opened it.
    conn = sqlite3.connect(uri, uri=True, isolation_level=None, timeout=BUSY_TIMEOUT_MS / 1000)
    conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    return conn


def _uri(path: Path, mode: str) -> str:
    return f"{path.resolve().as_uri()}?mode={mode}"


def _inspect_existing(path: Path, verify: bool = True) -> int:
    """Check an existing file without changing it; return its schema version.

    `verify=False` leaves out the page-by-page check (quick_check, a few
    hundred ms on a month of monitor data); the caller must then run
    check_damage() before it writes.
    """
    try:
        with path.open("rb") as handle:
            magic = handle.read(len(SQLITE_MAGIC))
    except OSError as exc:
        raise StoreError(f"{path}: cannot be read ({exc.strerror})") from None
    if magic != SQLITE_MAGIC:
        raise StoreError(
            f"{path}: not a crs_desktop chart store (not a SQLite file); left unchanged"
        )
    try:
        conn = _open_read_only(path)
    except sqlite3.DatabaseError as exc:
        raise StoreError(f"{path}: the file is damaged ({exc}); left unchanged") from None
    except sqlite3.Error as exc:
        raise StoreError(f"{path}: cannot be opened ({exc}); left unchanged") from None
    try:
        app_id = conn.execute("PRAGMA application_id").fetchone()[0]
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        tables = conn.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]
        if app_id != APPLICATION_ID and (tables or version):
            raise StoreError(
                f"{path}: a SQLite file of another program, not a crs_desktop chart store; "
                "left unchanged"
            )
        if version > LATEST_VERSION:
            raise StoreError(
                f"{path}: written by a newer crs_desktop (schema {version}; this version reads "
                f"up to {LATEST_VERSION}); update crs_desktop. The file was left unchanged"
            )
        if verify:
            _quick_check(conn, path)
        return int(version)
    except sqlite3.DatabaseError as exc:
        raise StoreError(f"{path}: the file is damaged ({exc}); left unchanged") from None
    finally:
        conn.close()


def _quick_check(conn: sqlite3.Connection, path: Path) -> None:
    result = conn.execute("PRAGMA quick_check").fetchone()[0]
    if result != "ok":
        raise StoreError(f"{path}: the file is damaged ({result}); left unchanged")


def check_damage(path: Path | str) -> None:
    """The page-by-page check on a read-only connection of its own (any thread may run it).

    Raises StoreError naming the damage; the file is not changed. The ward server keeps
    its own pages: nothing to check there.
    """
    if is_server_target(path):
        return
    path = Path(path)
    try:
        conn = _open_read_only(path)
    except sqlite3.DatabaseError as exc:
        raise StoreError(f"{path}: the file is damaged ({exc}); left unchanged") from None
    except sqlite3.Error as exc:
        raise StoreError(f"{path}: cannot be opened ({exc}); left unchanged") from None
    try:
        _quick_check(conn, path)
    except sqlite3.DatabaseError as exc:
        raise StoreError(f"{path}: the file is damaged ({exc}); left unchanged") from None
    finally:
        conn.close()


def _create_owner_only(path: Path) -> None:
    """The new file, readable by this account only. Its folder must exist: a mistyped
    --db is refused, not made into a new tree of folders (the default folder is made by
    paths.ensure_default_folder)."""
    if not path.parent.is_dir():
        raise StoreError(
            f"{path}: the folder {path.parent} does not exist; no chart file was created"
        )
    problem = _media_problem(path, space=False)
    if problem:
        raise StoreError(f"{path}: cannot create the chart file: {problem}")
    try:
        fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
    except OSError as exc:
        raise StoreError(f"{path}: cannot create the chart file ({exc.strerror})") from None
    os.close(fd)
    os.chmod(path, 0o600)  # O_CREAT's mode is filtered by the umask


def _remove_unfinished(path: Path) -> None:
    """A new chart file whose schema could not be written (a full disk): gone, with its
    journal files, so that no half-made store is left to be mistaken for a chart."""
    for suffix in ("-wal", "-shm", ""):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


def backup_before_migration(path: Path, from_version: int) -> Path:
    """Copy the file (and its WAL) aside; the copy keeps owner-only permissions."""
    stamp = time.strftime("%Y%m%dT%H%M%S", time.gmtime())
    target = path.with_name(f"{path.name}.v{from_version}-{stamp}.bak")
    source = sqlite3.connect(_uri(path, "ro"), uri=True)
    try:
        fd = os.open(target, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
        os.close(fd)
        dest = sqlite3.connect(target)
        try:
            source.backup(dest)  # a consistent copy, including what is still in the WAL
        finally:
            dest.close()
    finally:
        source.close()
    return target


def open_connection(path: Path, verify: bool = True, read_only: bool = False) -> sqlite3.Connection:
    """Open (creating if new) the chart file at `path`, migrated to the latest schema.

    A migration always verifies the file first, whatever `verify` says. `read_only`
    opens an existing, current file without writing anything (an older one is still
    upgraded first, which needs a writable disk, and says so).
    """
    path = Path(path)
    if path.is_dir():
        raise StoreError(f"{path}: is a folder, not a chart file")
    is_new = not path.exists()
    shared = network_problem(path)
    if shared:
        raise StoreError(
            f"{path}: cannot be used: {shared}" + ("" if is_new else "; left unchanged")
        )
    if is_new:
        if read_only:
            raise StoreError(f"{path}: no chart file there")
        _create_owner_only(path)
        version = 0
    else:
        if path.stat().st_size == 0:
            raise StoreError(
                f"{path}: an empty file, not a crs_desktop chart store; left unchanged"
            )
        version = _inspect_existing(path, verify)
        if not verify and version < LATEST_VERSION:
            check_damage(path)  # never migrate a file that has not been checked
        if read_only and version == LATEST_VERSION:
            return _open_read_only(path)
        problem = _media_problem(path, space=False)  # a full disk: SQLite says so on writing
        if problem:  # found before SQLite opens it read-only behind our back
            action = "it needs an upgrade to this version's layout, but" if read_only else ""
            raise StoreError(
                f"{path}: cannot be written: {action}{' ' if action else ''}{problem}; "
                "left unchanged"
            )

    conn: sqlite3.Connection | None = None
    try:
        conn = _connect(_uri(path, "rw"))
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = FULL")
        conn.execute("PRAGMA foreign_keys = ON")
        if version < LATEST_VERSION:
            if version > 0:
                backup_before_migration(path, version)
            apply_migrations(conn, version)
    except (sqlite3.DatabaseError, OSError) as exc:
        if conn is not None:
            conn.close()
        why = _why(path, exc) if isinstance(exc, sqlite3.Error) else _os_why(path, exc)
        if is_new:
            _remove_unfinished(path)
            reason = why or str(exc)
            raise StoreError(f"{path}: the chart file could not be created ({reason})") from None
        if why:
            raise StoreError(f"{path}: cannot be written: {why}; left unchanged") from None
        raise StoreError(f"{path}: cannot be opened for writing ({exc})") from None
    return conn
