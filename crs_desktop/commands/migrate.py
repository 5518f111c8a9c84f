"""`crs-desktop migrate --from chart.sqlite3 --to postgresql://…`: move a ward's chart
file to the ward server, every patient, value, correction, event and audit row."""

from __future__ import annotations

import argparse

from crs_desktop.commands.errors import UsageError
from crs_desktop.store import ChartStore, StoreError
from crs_desktop.store.paths import is_server_target
from crs_desktop.store.transfer import copy_chart


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--from", dest="source", required=True, metavar="FILE", help="the chart file to move"
    )
    parser.add_argument(
        "--to",
        dest="target",
        required=True,
        metavar="ADDRESS",
        help="the ward server's database, postgresql://… (its password in ~/.pgpass, never "
        "here; see the README)",
    )
    parser.add_argument(
        "--replace",
        action="store_true",
        help="the target already holds a chart: empty it and copy the file in its place",
    )


def run(args: argparse.Namespace) -> int:
    if is_server_target(args.source):
        raise UsageError(f"--from {args.source!r}: a chart file is moved, not a server")
    if not is_server_target(args.target):
        raise UsageError(f"--to {args.target!r}: allowed a postgresql://… address")
    with ChartStore(args.source, read_only=True) as source:
        try:
            target = ChartStore(args.target)
        except StoreError as exc:
            raise StoreError(f"{exc}; nothing was copied") from None
        with target:
            copied = copy_chart(source, target, replace=args.replace)
    counts = copied.counts
    print(
        f"copied {counts.get('patients', 0)} patients, {counts.get('observations', 0)} chart "
        f"values, {counts.get('events', 0)} events and {counts.get('audit', 0)} audit rows "
        f"from {args.source}; every row read back identical"
    )
    return 0
