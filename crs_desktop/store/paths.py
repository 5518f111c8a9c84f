"""Where the chart store lives: --db, then CRS_DESKTOP_DB, then the user's data folder."""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

ENV_VAR = "CRS_DESKTOP_DB"
FILE_NAME = "chart.sqlite3"


def default_store_path() -> Path:
    return Path(platformdirs.user_data_dir("crs-desktop", appauthor=False)) / FILE_NAME


def resolve_store_path(cli_value: str | os.PathLike[str] | None = None) -> Path:
    """The store file to use: the --db option wins, then the environment, then the default."""
    if cli_value:
        return Path(cli_value).expanduser()
    env = os.environ.get(ENV_VAR, "").strip()
    if env:
        return Path(env).expanduser()
    return default_store_path()
