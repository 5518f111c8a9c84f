"""`crs-desktop demo`: create (or reset) the demo patient; `--live` streams the course.

The course is placed so that its last value is charted "now": observed times
are never in the future. With --live the values are written from this
process in accelerated time (one course hour per second by default), so an
open window can be watched updating as another workstation would update it.
"""

from __future__ import annotations

import argparse
import itertools
import sys
import time

from crs_desktop.app.demo_course import (
    COURSE_END_HOUR,
    DEMO_BIRTH_DATE,
    DEMO_MRN,
    DEMO_NAME,
    DEMO_NURSE,
    DEMO_PRODUCT,
    DEMO_SOURCE,
    DEMO_WEIGHT_KG,
    CourseValue,
    course,
)
from crs_desktop.commands.common import add_db_argument, open_store
from crs_desktop.commands.errors import UsageError
from crs_desktop.store import ChartStore, Entry, Patient


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--until-hour",
        type=float,
        default=COURSE_END_HOUR,
        metavar="H",
        help=f"chart the course up to H hours after the infusion (default {COURSE_END_HOUR:g}, "
        "the whole course; e.g. 62 stops mid-episode, at CRS grade 2)",
    )
    parser.add_argument("--live", action="store_true", help="stream the course in accelerated time")
    parser.add_argument(
        "--speed",
        type=float,
        default=1.0,
        metavar="HOURS_PER_SECOND",
        help="with --live: course hours per second of real time (default 1)",
    )
    parser.add_argument(
        "--from-hour",
        type=float,
        default=0.0,
        metavar="H",
        help="with --live: chart everything before H at once, then stream from H (default 0)",
    )
    parser.add_argument(
        "--now",
        metavar="TIME",
        help="place the course so that its last value is at TIME (ISO 8601; without an offset, "
        "local time) instead of now, e.g. for a chart that is the same on every run. "
        "Not in the future",
    )
    add_db_argument(parser)


def _now(args: argparse.Namespace) -> float:
    """The moment the course's last value lands on: --now, else the clock (whole minutes)."""
    from crs_desktop.interop.chart_csv import parse_time

    clock = time.time()
    if args.now is None:
        return clock // 60 * 60  # whole minutes read better on the chart
    try:
        chosen = parse_time(args.now)[0]
    except ValueError as exc:
        raise UsageError(f"--now {args.now!r}: {exc}") from None
    if chosen > clock:  # the store refuses observed times in the future
        raise UsageError(f"--now {args.now!r}: is in the future; give a time up to now")
    return chosen


def reset_demo_patient(store: ChartStore, infusion_time: float) -> Patient:
    """A fresh demo patient; an earlier one is archived (kept, never deleted)."""
    old = store.patient(DEMO_MRN)
    if old is not None:
        store.archive_patient(old.id, actor=DEMO_NURSE)
    return store.create_patient(
        DEMO_MRN,
        DEMO_NAME,
        actor=DEMO_NURSE,
        source=DEMO_SOURCE,
        birth_date=DEMO_BIRTH_DATE,
        weight_kg=DEMO_WEIGHT_KG,
        car_t_product=DEMO_PRODUCT,
        infusion_time=infusion_time,
        is_demo=True,
    )


def _by_hour(values: list[CourseValue]) -> list[tuple[float, list[CourseValue]]]:
    return [(hour, list(group)) for hour, group in itertools.groupby(values, key=lambda v: v.hour)]


def _chart_group(store: ChartStore, patient: Patient, at: float, group: list[CourseValue]) -> int:
    entries = [Entry(v.item, v.value, v.unit, v.note) for v in group]
    store.chart(patient.id, entries, observed_at=at, actor=DEMO_NURSE, source=DEMO_SOURCE)
    return len(entries)


def run(args: argparse.Namespace) -> int:
    if args.speed <= 0:
        raise UsageError(f"--speed {args.speed:g}: must be more than 0 (course hours per second)")
    if not 0 < args.until_hour <= COURSE_END_HOUR:
        raise UsageError(f"--until-hour {args.until_hour:g}: allowed 0–{COURSE_END_HOUR:g}")
    if args.live and not args.from_hour < args.until_hour:
        raise UsageError(f"--from-hour {args.from_hour:g}: must be before --until-hour")

    infusion = _now(args) - args.until_hour * 3600  # the last value lands at "now"
    groups = [(h, g) for h, g in _by_hour(course()) if h <= args.until_hour]
    with open_store(args) as store:
        patient = reset_demo_patient(store, infusion)
        if not args.live:
            count = sum(_chart_group(store, patient, infusion + h * 3600, g) for h, g in groups)
            print(
                f"demo patient {DEMO_MRN} charted: {count} values, day 0 to "
                f"{args.until_hour:g} h after the infusion, in {store.path}"
            )
            return 0
        return _stream(store, patient, infusion, groups, args)


def _stream(
    store: ChartStore,
    patient: Patient,
    infusion: float,
    groups: list[tuple[float, list[CourseValue]]],
    args: argparse.Namespace,
) -> int:
    print(
        f"streaming demo patient {DEMO_MRN} into {store.path} at {args.speed:g} course hour(s) "
        "per second; Ctrl-C stops",
        flush=True,
    )
    wall_start = time.monotonic()
    try:
        for hour, group in groups:
            if hour > args.from_hour:
                due = wall_start + (hour - args.from_hour) / args.speed
                delay = due - time.monotonic()
                if delay > 0:
                    time.sleep(delay)
            count = _chart_group(store, patient, infusion + hour * 3600, group)
            print(f"hour {hour:+g}: charted {count} values", flush=True)
    except KeyboardInterrupt:
        print("stopped", file=sys.stderr)
        return 130
    print("demo course complete", flush=True)
    return 0
