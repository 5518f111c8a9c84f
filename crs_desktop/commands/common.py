"""Options and helpers shared by the subcommands."""

from __future__ import annotations

import argparse
import getpass

from crs_desktop.store import ChartStore, Patient, resolve_store_path


def add_db_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--db",
        metavar="PATH",
        help="the chart store file (default: $CRS_DESKTOP_DB, else the user's data folder)",
    )


def add_protocol_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--protocol",
        metavar="FILE",
        help="the ward's treatment protocol (TOML; default: $CRS_DESKTOP_PROTOCOL, else the one "
        "shipped). A file that is refused leaves the last good one in use",
    )


def open_store(args: argparse.Namespace, verify: bool = True) -> ChartStore:
    """The store named by --db / CRS_DESKTOP_DB / the default; StoreError if unusable."""
    return ChartStore(resolve_store_path(getattr(args, "db", None)), verify=verify)


def require_patient(store: ChartStore, mrn: str) -> Patient:
    from crs_desktop.cli import UsageError

    patient = store.patient(mrn)
    if patient is None:
        known = ", ".join(p.mrn for p in store.patients()[:10]) or "none yet"
        raise UsageError(f"--patient {mrn!r}: no patient with this MRN (known: {known})")
    return patient


def default_actor() -> str:
    """Who a command-line write is charted by when --by is not given: the OS account."""
    try:
        return f"{getpass.getuser()} (command line)"
    except Exception:  # no user name on this machine
        return "command line"
