"""`crs-desktop grade CHART.csv [--system NAME] [--json]` (../shared/spec/grade-json.md).

Grades a chart file without touching any store: one line per distinct time,
graded with everything charted up to and including it.
"""

from __future__ import annotations

import argparse
import json
import sys

from crs_desktop.domain.grading import SYSTEM_TITLES, SYSTEMS, Grader, GradeSet
from crs_desktop.interop.chart_csv import read_chart_csv, rows_to_observations


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


def run(args: argparse.Namespace) -> int:
    # A bad file raises ChartFileError (a UserError): exit 2, nothing on stdout.
    observations = rows_to_observations(read_chart_csv(args.chart))
    systems = args.system or list(SYSTEMS)
    grader = Grader(systems=systems, word_every_time=True)  # every time is printed, worded
    grader.add(observations)
    out = sys.stdout
    for grade_set in grader.timeline():
        if args.json:
            out.write(json.dumps(grade_set.to_json_dict(systems), ensure_ascii=False) + "\n")
        else:
            out.write(_table_block(grade_set, systems))
    return 0


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
