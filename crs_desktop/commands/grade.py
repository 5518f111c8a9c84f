"""`crs-desktop grade CHART.csv [--system NAME] [--json] [--news2-scale 1|2] [--protocol FILE]`
(../shared/spec/grade-json.md).

Grades a chart file without touching any store: one line per distinct time,
graded with everything charted up to and including it.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import replace

from crs_desktop.commands.errors import UsageError
from crs_desktop.domain.grading import SYSTEM_TITLES, SYSTEMS, Grader, GradeSet, GradingSettings
from crs_desktop.domain.grading.wording import ShownZone
from crs_desktop.domain.observation import Observation
from crs_desktop.interop.chart_csv import read_chart_csv, rows_to_observations

# What "in the future" is judged against; tests fix it.
clock = time.time
NEWS2_SCALES = ("1", "2")  # REFERENCE.md §7.1: SpO2 scale 1, or 2 by clinical decision


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("chart", metavar="CHART.csv", help="a chart CSV (see the README)")
    parser.add_argument(
        "--system",
        action="append",
        choices=SYSTEMS,
        metavar="NAME",
        help=f"only these systems (repeatable): {', '.join(SYSTEMS)}",
    )
    parser.add_argument("--json", action="store_true", help="one JSON object per line")
    parser.add_argument(
        "--news2-scale",
        metavar="1|2",
        help="the NEWS2 SpO2 scale: 1 (the default), or 2 for a patient with a target SpO2 "
        "of 88-92 %% (hypercapnic respiratory failure), only by clinical decision",
    )
    parser.add_argument(
        "--protocol",
        metavar="FILE",
        help="the ward's protocol (TOML) whose [grading] numbers to grade by (default: the one "
        "shipped). A file that cannot be used is refused: exit 2, nothing graded",
    )


def run(args: argparse.Namespace) -> int:
    scale = args.news2_scale
    if scale is not None and scale.strip() not in NEWS2_SCALES:
        raise UsageError(
            f"--news2-scale {scale!r}: allowed 1 or 2 (2 only for a target SpO2 of 88-92 %, "
            "by clinical decision)"
        )
    # A protocol that cannot be used raises ProtocolError (a UserError): exit 2 naming the
    # file and line. Unlike the window, grading never falls back to another protocol.
    if args.protocol:
        from crs_desktop.app.protocol_file import read_protocol

        settings = read_protocol(args.protocol).grading
    else:
        from crs_desktop.app.protocol_file import default_protocol

        settings = default_protocol().grading
    if scale is not None:
        settings = replace(settings, news2_scale=int(scale))
    # A bad file raises ChartFileError (a UserError): exit 2, nothing on stdout.
    observations = rows_to_observations(read_chart_csv(args.chart, now=clock()))
    systems = args.system or list(SYSTEMS)
    out = sys.stdout
    for grade_set in _timeline(observations, systems, settings):
        if args.json:
            out.write(json.dumps(grade_set.to_json_dict(systems), ensure_ascii=False) + "\n")
        else:
            out.write(_table_block(grade_set, systems))
    return 0


def _timeline(
    observations: list[Observation], systems: list[str], settings: GradingSettings
) -> list[GradeSet]:
    """Every charted time graded, its reasons' times worded in the zone of its own `time`
    and marked with it ("at 08:00+05:30"): the output is read away from this machine's
    clock. A chart in two offsets (a daylight-saving change) is graded once in each."""
    timelines: dict[int, list[GradeSet]] = {}

    def in_zone(offset_min: int) -> list[GradeSet]:
        if offset_min not in timelines:
            grader = Grader(
                settings, local_tz=ShownZone(offset_min), systems=systems, word_every_time=True
            )
            grader.add(observations)
            timelines[offset_min] = grader.timeline()
        return timelines[offset_min]

    if not observations:
        return []
    first = in_zone(observations[-1].utc_offset_min)
    return [in_zone(g.utc_offset_min)[i] for i, g in enumerate(first)]


def _table_block(grade_set: GradeSet, systems: list[str]) -> str:
    lines = [grade_set.iso_time()]
    for name in systems:
        g = grade_set.systems[name]
        shown = "—" if g.grade is None else str(g.grade)
        top = "—" if g.max is None else str(g.max)
        lines.append(f"  {SYSTEM_TITLES[name]:<20} grade {shown:>2}   max {top:>2}")
        lines += [f"      because: {r}" for r in g.reasons]
        lines += [f"      review:  {f}" for f in g.flags]
    return "\n".join(lines) + "\n\n"
