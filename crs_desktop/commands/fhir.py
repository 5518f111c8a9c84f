"""`crs-desktop fhir export|import`: a patient's chart as a FHIR R4 Bundle, and back.

    crs-desktop fhir export --patient MRN [--from T] [--to T] [--transaction]
                            [--protocol FILE] -o FILE
    crs-desktop fhir import FILE --patient MRN [--name NAME] [--by NAME]

Export writes every resource checked (fhir.resources R4B and our profile checks) as a
stream; import charts a Bundle's values by the chart CSV's rules, all or nothing.
"""

from __future__ import annotations

import argparse
import collections
import sys
import time
from collections.abc import Iterable, Iterator, Sequence
from typing import IO

from crs_desktop.commands.common import (
    add_db_argument,
    add_protocol_argument,
    default_actor,
    open_store,
    require_patient,
)
from crs_desktop.commands.errors import UsageError
from crs_desktop.commands.output import add_force_argument, check_output, write_text
from crs_desktop.domain.collector import collector_paused
from crs_desktop.domain.grading import Grader, GradingSettings
from crs_desktop.domain.grading.wording import ShownZone
from crs_desktop.domain.observation import Observation
from crs_desktop.domain.validation import is_readable_time
from crs_desktop.interop.chart_csv import parse_time
from crs_desktop.interop.fhir_codes import GRADE_CODES
from crs_desktop.interop.fhir_export import GradeChange, PatientFacts, write_bundle
from crs_desktop.interop.fhir_import import BundleFile, BundleRead, bundle_rows, patient_facts
from crs_desktop.store import resolve_store_path
from crs_desktop.store.chart_import import import_chart
from crs_desktop.store.paths import store_exists
from crs_desktop.store.records import ChartedRow

# What "in the future" is judged against before a chart file exists; tests fix it.
clock = time.time
# The events exported as Tasks: a checklist mark and an acknowledged alert.
TASK_KINDS = ("checklist", "alert_ack")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="action", metavar="export|import", required=True)
    out = sub.add_parser("export", help="write a patient's chart as a FHIR R4 Bundle (JSON)")
    out.add_argument("--patient", required=True, metavar="MRN", help="the patient's MRN")
    out.add_argument("--from", dest="since", metavar="TIME", help="from this time (ISO 8601)")
    out.add_argument("--to", dest="until", metavar="TIME", help="up to this time (ISO 8601)")
    out.add_argument(
        "--transaction", action="store_true", help="a transaction Bundle (default: collection)"
    )
    out.add_argument("-o", "--output", required=True, metavar="FILE", help="JSON file, or -")
    add_force_argument(out)
    add_protocol_argument(out)
    add_db_argument(out)
    into = sub.add_parser("import", help="chart a FHIR R4 Bundle's values, all or nothing")
    into.add_argument("file", metavar="FILE", help="a FHIR R4 Bundle (JSON)")
    into.add_argument("--patient", required=True, metavar="MRN", help="the patient's MRN")
    into.add_argument("--name", help="the patient's name, when the MRN is new")
    into.add_argument("--by", metavar="NAME", help="who is importing (default: your account)")
    add_db_argument(into)


def run(args: argparse.Namespace) -> int:
    return _export(args) if args.action == "export" else _import(args)


def _time_option(option: str, text: str | None) -> float | None:
    if text is None:
        return None
    try:
        return parse_time(text)[0]
    except ValueError as exc:
        raise UsageError(f"{option} {text!r}: {exc}") from None


def grade_changes(
    observations: Sequence[Observation], settings: GradingSettings
) -> Iterator[GradeChange]:
    """The ASTCT CRS and ICANS grades at each charted time where one changes, worded."""
    if not observations:
        return
    zone = ShownZone(observations[-1].utc_offset_min)
    grader = Grader(settings, local_tz=zone, systems=tuple(GRADE_CODES))
    grader.add(observations)
    last: dict[str, int | None] = {}
    for moment in grader.timeline():
        changed = [s for s in GRADE_CODES if moment.systems[s].grade != last.get(s, 0)]
        if not changed:
            continue
        worded = grader.at(moment.time)
        assert worded is not None
        for system in changed:
            grade = worded.systems[system]
            last[system] = grade.grade
            reasons = (*grade.reasons, *(f"review: {f}" for f in grade.flags))
            yield GradeChange(moment.time, moment.utc_offset_min, system, grade.grade, reasons)


def in_window(changes: Iterable[GradeChange], since: float | None) -> list[GradeChange]:
    """The grade changes from `since` on, and each system's grade in force then."""
    kept: list[GradeChange] = []
    before: dict[str, GradeChange] = {}
    for change in changes:
        if since is not None and change.time < since:
            before[change.system] = change
        else:
            kept.append(change)
    return [*before.values(), *kept]


def _export(args: argparse.Namespace) -> int:
    since = _time_option("--from", args.since)
    until = _time_option("--to", args.until)
    if args.output != "-":
        check_output(args.output, args.force, device_ok=True)
    from crs_desktop.app.protocol_file import load_protocol

    # The grades by the ward's protocol, as the window and the handover grade them.
    protocol, refused = load_protocol(args.protocol)
    if refused:  # exported all the same, by the last good protocol, as the handover does
        print(f"crs-desktop: {refused}", file=sys.stderr)
    settings = protocol.grading
    with open_store(args, read_only=True) as store:
        patient = require_patient(store, args.patient)
        # One committed state of the file for both reads, whatever other writers do.
        with store.read_snapshot():
            # Corrections too (entered-in-error, linked to their replacement), and rows at
            # times no reader shows: export writes back what was charted. Read as a stream,
            # twice (to grade, then to write): a 30-day chart is never held as rows.
            def rows(start: float | None = since) -> Iterator[ChartedRow]:
                return store.each_row(patient.id, since=start, until=until, readable_only=False)

            # Graded on the whole chart up to the end (a window's first hours are graded
            # with what came before them, as the window grades them).
            current = [
                r.to_observation()
                for r in rows(None)
                if not r.entered_in_error and is_readable_time(r.observed_at)
            ]
            grades = in_window(grade_changes(current, settings), since)
            del current  # graded: not needed while the Bundle is written
            events = [
                e
                for e in store.events(patient.id, since=since, until=until)
                if e.kind in TASK_KINDS
            ]
            facts = PatientFacts(patient.mrn, patient.name, patient.birth_date)
            now = store.clock()

            def write(handle: IO[str]) -> int:
                return write_bundle(
                    handle, facts, rows(), grades, events, transaction=args.transaction, now=now
                )

            count = write_text(args.output, args.force, write)
    if args.output != "-":
        print(f"exported {count} resources of {patient.mrn} to {args.output} (FHIR R4 Bundle)")
    return 0


def _import(args: argparse.Namespace) -> int:
    mrn = args.patient.strip()
    bundle = BundleFile(args.file)  # ChartFileError when it is not a Bundle at all
    if not store_exists(resolve_store_path(args.db)):
        # No chart file yet: a Bundle that will be refused does not create one either
        # (read through once, as a stream, before the store is made).
        collections.deque(bundle_rows(bundle, mrn, clock(), BundleRead()), maxlen=0)
    with open_store(args) as store:
        patient = store.patient(mrn)
        read = BundleRead()
        # Read, checked and inserted as a stream inside ONE transaction: a bad entry
        # anywhere (named, with every other, once the whole Bundle is read) rolls it back.
        rows = bundle_rows(
            bundle, mrn, store.clock(), read, weight_kg=patient.weight_kg if patient else None
        )
        with collector_paused():
            patient, created = import_chart(
                store,
                mrn,
                rows,
                name=args.name or _first_patient_name(bundle, mrn),
                actor=args.by or default_actor(),
                source="fhir",
            )
    what = "new patient" if created else "patient"
    left = ", ".join(f"{n} {kind}" for kind, n in sorted(read.left_out.items()))
    print(f"imported {read.count} values from {args.file} into {what} {patient.mrn}")
    if left:
        print(f"left out (not chart values): {left}")
    return 0


def _first_patient_name(bundle: BundleFile, mrn: str) -> str | None:
    """The name of the Bundle's Patient, when it comes first (as this app writes it): the
    name a new patient is created with when --name is not given."""
    for index, entry in bundle.entries():
        return patient_facts(index, entry, mrn, BundleRead())
    return None
