"""Where the chart store lives: --db, then CRS_DESKTOP_DB, then the user's data folder."""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

ENV_VAR = "CRS_DESKTOP_DB"
FILE_NAME = "chart.sqlite3"


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


def resolve_store_path(cli_value: str | os.PathLike[str] | None = None) -> Path:
    """The store file to use: the --db option wins, then the environment, then the default."""
    if cli_value:
        return Path(cli_value).expanduser()
    env = os.environ.get(ENV_VAR, "").strip()
    if env:
        return Path(env).expanduser()
    return default_store_path()
