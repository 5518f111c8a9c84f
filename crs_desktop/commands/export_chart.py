"""`crs-desktop export --patient MRN -o FILE`: write a patient's chart as chart CSV."""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

from crs_desktop.commands.common import add_db_argument, open_store, require_patient
from crs_desktop.interop.chart_csv import ExportRow, write_chart_csv


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--patient", required=True, metavar="MRN", help="the patient's MRN")
    parser.add_argument("-o", "--output", required=True, metavar="FILE", help="CSV file, or -")
    add_db_argument(parser)


def run(args: argparse.Namespace) -> int:
    from crs_desktop.cli import UsageError

    with open_store(args) as store:
        patient = require_patient(store, args.patient)
        # The current chart: entered-in-error rows are not part of it (the
        # chart format has no place for them); values as they were written.
        rows = [
            ExportRow(
                r.observed_at, r.utc_offset_min, r.item, r.written_value, r.written_unit, r.note
            )
            for r in store.rows(patient.id, include_errors=False, readable_only=False)
        ]
    if args.output == "-":
        write_chart_csv(rows, sys.stdout)
        return 0
    target = Path(args.output)
    if target.is_dir():
        raise UsageError(f"-o {args.output!r}: is a folder; give a file name")
    if not target.parent.exists():
        raise UsageError(f"-o {args.output!r}: the folder {target.parent} does not exist")
    # Write beside the target and rename, so a failure never leaves half a file.
    try:
        fd, temp = tempfile.mkstemp(dir=target.parent, prefix=".export-", suffix=".csv")
    except OSError as exc:
        raise UsageError(f"-o {args.output!r}: cannot write there ({exc.strerror})") from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            count = write_chart_csv(rows, handle)
        os.replace(temp, target)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
    print(f"exported {count} values of {patient.mrn} to {target}")
    return 0
