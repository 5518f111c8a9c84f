"""Options and helpers shared by the subcommands."""

from __future__ import annotations

import argparse
import getpass

from crs_desktop.commands.errors import UsageError
from crs_desktop.store import ChartStore, Patient, StoreError, resolve_store_path
from crs_desktop.store.paths import ensure_default_folder, uses_default


def add_db_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--db",
        metavar="PATH",
        help="the chart store file, or the ward server as postgresql://… (default: "
        "$CRS_DESKTOP_DB, else a file in the user's data folder)",
    )


def add_protocol_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--protocol",
        metavar="FILE",
        help="the ward's treatment protocol (TOML; default: $CRS_DESKTOP_PROTOCOL, else the one "
        "shipped). A file that is refused leaves the last good one in use",
    )


def open_store(
    args: argparse.Namespace, verify: bool = True, read_only: bool = False
) -> ChartStore:
    """The store named by --db / CRS_DESKTOP_DB / the default; StoreError if unusable.

    `read_only` for commands that only read: they then work from read-only media."""
    cli_value = getattr(args, "db", None)
    if uses_default(cli_value) and not read_only:
        try:
            ensure_default_folder()
        except OSError as exc:
            raise StoreError(f"cannot make the folder for the chart store ({exc})") from None
    return ChartStore(resolve_store_path(cli_value), verify=verify, read_only=read_only)


def require_patient(store: ChartStore, mrn: str) -> Patient:
    patient = store.patient(mrn)
    if patient is None:
        # Never other patients' MRNs in an error message (DESIGN.md): say where to look.
        raise UsageError(
            f"--patient {mrn!r}: no patient with this MRN in {store.path}; "
            "`crs-desktop patients` lists them"
        )
    return patient


def default_actor() -> str:
    """Who a command-line write is charted by when --by is not given: the OS account."""
    try:
        return f"{getpass.getuser()} (command line)"
    except Exception:  # no user name on this machine
        return "command line"
