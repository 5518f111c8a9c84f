"""`crs-desktop import FILE --patient MRN`: add a chart CSV to a patient's chart."""

from __future__ import annotations

import argparse
import itertools
from collections.abc import Iterator

from crs_desktop.commands.common import add_db_argument, default_actor, open_store
from crs_desktop.domain.chart_row import ChartRow
from crs_desktop.domain.collector import collector_paused
from crs_desktop.domain.errors import UserError
from crs_desktop.interop.chart_csv import read_chart_chunks
from crs_desktop.store import resolve_store_path
from crs_desktop.store.chart_import import NO_VALUES, import_chart
from crs_desktop.store.paths import store_exists


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", metavar="FILE", help="a chart CSV (see the README)")
    parser.add_argument("--patient", required=True, metavar="MRN", help="the patient's MRN")
    parser.add_argument("--name", help="the patient's name, when the MRN is new")
    parser.add_argument("--by", metavar="NAME", help="who is importing (default: your account)")
    add_db_argument(parser)


def run(args: argparse.Namespace) -> int:
    if not store_exists(resolve_store_path(args.db)):
        # No chart file yet: a file that will be refused does not create one either,
        # so it is checked (as a stream, never held whole) before the store is made.
        if not sum(len(chunk) for chunk in read_chart_chunks(args.file)):
            raise UserError(NO_VALUES)
    with open_store(args) as store:
        patient = store.patient(args.patient)
        # Read, checked and inserted a chunk at a time inside ONE transaction: every
        # line is checked, and a bad one anywhere (named, with every other bad line,
        # once the whole file is read) rolls the transaction back, so nothing is
        # written. Times are judged by the store's clock ("in the future").
        chunks = read_chart_chunks(
            args.file, weight_kg=patient.weight_kg if patient else None, now=store.clock()
        )
        count = 0

        def counted() -> Iterator[list[ChartRow]]:
            nonlocal count
            for chunk in chunks:
                count += len(chunk)
                yield chunk

        # The patient (when new) and the rows: one transaction, all or nothing. The
        # rows make no reference cycles, so the cycle collector is paused while they
        # stream through (it cost a sixth of the reading).
        rows = itertools.chain.from_iterable(counted())
        with collector_paused():
            patient, created = import_chart(
                store, args.patient, rows, name=args.name, actor=args.by or default_actor()
            )
    what = "new patient" if created else "patient"
    print(f"imported {count} values from {args.file} into {what} {patient.mrn}")
    return 0
