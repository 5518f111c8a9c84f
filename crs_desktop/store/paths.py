"""Where the chart store lives: --db, then CRS_DESKTOP_DB, then the user's data folder.

Either names a SQLite file, or the ward server as a `postgresql://` address (libpq's
own PG* variables and service file fill in what the address leaves out).
"""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

ENV_VAR = "CRS_DESKTOP_DB"
FILE_NAME = "chart.sqlite3"
SERVER_SCHEMES = ("postgresql://", "postgres://")


def is_server_target(target: object) -> bool:
    """Whether a --db value names the ward server rather than a file."""
    return isinstance(target, str) and target.strip().lower().startswith(SERVER_SCHEMES)


def store_exists(target: str | Path) -> bool:
    """A chart file exists there; a server address always names a store (made on first use)."""
    return is_server_target(target) or Path(target).exists()


def default_store_path() -> Path:
    return Path(platformdirs.user_data_dir("crs-desktop", appauthor=False)) / FILE_NAME


def ensure_default_folder() -> None:
    """Make the user data folder for the default store, owner-only, if it is missing.

    Only the default: a --db or CRS_DESKTOP_DB in a missing folder is a typo, refused
    by the store rather than created."""
    folder = default_store_path().parent
    if not folder.exists():
        folder.mkdir(parents=True, mode=0o700)
        os.chmod(folder, 0o700)  # mkdir's mode is filtered by the umask


def uses_default(cli_value: str | os.PathLike[str] | None = None) -> bool:
    """Whether resolve_store_path(cli_value) falls back to the default store."""
    return not cli_value and not os.environ.get(ENV_VAR, "").strip()


def resolve_store_path(cli_value: str | os.PathLike[str] | None = None) -> Path | str:
    """The store to use: the --db option wins, then the environment, then the default file.
    A server address is returned as the string it is (a Path would fold its `//`)."""
    for value in (cli_value, os.environ.get(ENV_VAR, "").strip()):
        if value and is_server_target(value):
            return str(value).strip()
        if value:
            return Path(value).expanduser()
    return default_store_path()
