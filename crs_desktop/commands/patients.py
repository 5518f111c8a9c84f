"""`crs-desktop patients`: the patients in the chart store, one a line (MRN, then name)."""

from __future__ import annotations

import argparse

from crs_desktop.commands.common import add_db_argument, open_store
from crs_desktop.commands.output import write_text


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_db_argument(parser)


def run(args: argparse.Namespace) -> int:
    with open_store(args, read_only=True) as store:  # reads only
        patients = store.patients()  # archived ones (an old demo patient) are left out
        path = store.path
    if not patients:
        print(f"no patients in {path}")
        return 0
    # Tab between MRN and name: easy to read, and to cut(1) or paste into a sheet.
    lines = "".join(f"{p.mrn}\t{p.name}{' (demo)' if p.is_demo else ''}\n" for p in patients)
    write_text("-", False, lambda out: out.write(lines))
    return 0
