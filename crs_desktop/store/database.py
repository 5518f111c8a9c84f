"""Opening the SQLite chart file safely.

Before anything is written, the file is checked read-only: a file that is not
SQLite, not ours, corrupt, or from a newer version is refused with one clear
line and left byte-for-byte as it was. A new file is created owner-only; an
older schema is copied aside before it is migrated.
"""

from __future__ import annotations

import os
import sqlite3
import stat
import time
from pathlib import Path

from crs_desktop.domain.errors import UserError
from crs_desktop.store.schema import APPLICATION_ID, LATEST_VERSION, apply_migrations

SQLITE_MAGIC = b"SQLite format 3\x00"
BUSY_TIMEOUT_MS = 15_000


class StoreError(UserError):
    """The chart file cannot be used; the message says which file and why."""


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
        conn = sqlite3.connect(_uri(path, "ro"), uri=True, isolation_level=None)
    except sqlite3.Error as exc:
        raise StoreError(f"{path}: cannot be opened ({exc}); left unchanged") from None
    try:
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
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


def check_damage(path: Path) -> None:
    """The page-by-page check on a read-only connection of its own (any thread may run it).

    Raises StoreError naming the damage; the file is not changed.
    """
    try:
        conn = sqlite3.connect(_uri(path, "ro"), uri=True, isolation_level=None)
    except sqlite3.Error as exc:
        raise StoreError(f"{path}: cannot be opened ({exc}); left unchanged") from None
    try:
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        _quick_check(conn, path)
    except sqlite3.DatabaseError as exc:
        raise StoreError(f"{path}: the file is damaged ({exc}); left unchanged") from None
    finally:
        conn.close()


def _create_owner_only(path: Path) -> None:
    folder = path.parent
    if not folder.exists():
        folder.mkdir(parents=True, mode=0o700)
        os.chmod(folder, 0o700)  # mkdir's mode is filtered by the umask
    fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
    os.close(fd)
    os.chmod(path, 0o600)


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


def open_connection(path: Path, verify: bool = True) -> sqlite3.Connection:
    """Open (creating if new) the chart file at `path`, migrated to the latest schema.

    A migration always verifies the file first, whatever `verify` says.
    """
    path = Path(path)
    if path.is_dir():
        raise StoreError(f"{path}: is a folder, not a chart file")
    is_new = not path.exists()
    if is_new:
        try:
            _create_owner_only(path)
        except OSError as exc:
            raise StoreError(f"{path}: cannot create the chart file ({exc.strerror})") from None
        version = 0
    else:
        if path.stat().st_size == 0:
            raise StoreError(
                f"{path}: an empty file, not a crs_desktop chart store; left unchanged"
            )
        version = _inspect_existing(path, verify)
        if not verify and version < LATEST_VERSION:
            check_damage(path)  # never migrate a file that has not been checked

    try:
        conn = _connect(_uri(path, "rw"))
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = FULL")
        conn.execute("PRAGMA foreign_keys = ON")
        if version < LATEST_VERSION:
            if version > 0:
                backup_before_migration(path, version)
            apply_migrations(conn, version)
    except sqlite3.DatabaseError as exc:
        raise StoreError(f"{path}: cannot be opened for writing ({exc})") from None
    _tighten_permissions(path)
    return conn


def _tighten_permissions(path: Path) -> None:
    """WAL and SHM files should be owner-only like the chart itself."""
    for suffix in ("", "-wal", "-shm"):
        part = Path(f"{path}{suffix}")
        try:
            if part.exists() and stat.S_IMODE(part.stat().st_mode) & 0o077:
                os.chmod(part, 0o600)
        except OSError:
            pass  # someone else's file on a shared folder: leave it
