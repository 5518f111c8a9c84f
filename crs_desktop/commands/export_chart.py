"""`crs-desktop export --patient MRN -o FILE`: write a patient's chart as chart CSV."""

from __future__ import annotations

import argparse

from crs_desktop.commands.common import add_db_argument, open_store, require_patient
from crs_desktop.commands.output import add_force_argument, check_output, write_text
from crs_desktop.interop.chart_csv import ExportRow, write_chart_csv


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--patient", required=True, metavar="MRN", help="the patient's MRN")
    parser.add_argument(
        "-o", "--output", required=True, metavar="FILE", help="CSV file, or - (standard output)"
    )
    add_force_argument(parser)
    add_db_argument(parser)


def run(args: argparse.Namespace) -> int:
    if args.output != "-":
        check_output(args.output, args.force, device_ok=True)  # before the store is opened
    with open_store(args, read_only=True) as store:  # reads only: works from read-only media
        patient = require_patient(store, args.patient)
        # The current chart: entered-in-error rows are not part of it (the
        # chart format has no place for them); values as they were written.
        rows = [
            ExportRow(
                r.observed_at, r.utc_offset_min, r.item, r.written_value, r.written_unit, r.note
            )
            for r in store.rows(patient.id, include_errors=False, readable_only=False)
        ]
    count = write_text(args.output, args.force, lambda handle: write_chart_csv(rows, handle))
    if args.output != "-":
        print(f"exported {count} values of {patient.mrn} to {args.output}")
    return 0
