"""`crs-desktop handover --patient MRN [--from TIME --to TIME] -o FILE.pdf`: the handover PDF.

The same document as the window's File → Print handover…, drawn offscreen.
Without --from/--to the period is the shift now under way (by default
07:00–19:00 or 19:00–07:00 local time): a handover is printed at the end of
one's own shift, before it is over. Give --from and --to for any other period.
"""

from __future__ import annotations

import argparse
import os
import sys
import threading
import time
from pathlib import Path
from typing import Any

from crs_desktop.app.shifts import DEFAULT_SHIFT_STARTS, current_shift
from crs_desktop.commands.common import (
    add_db_argument,
    add_protocol_argument,
    default_actor,
    open_store,
    require_patient,
)
from crs_desktop.commands.errors import UsageError
from crs_desktop.commands.output import (
    add_force_argument,
    check_output,
    existing_mode,
    output_error,
)
from crs_desktop.interop.chart_csv import parse_time

_APP: Any = None  # the QGuiApplication this command made, kept alive while drawing


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--patient", required=True, metavar="MRN", help="the patient's MRN")
    parser.add_argument(
        "--from",
        dest="start",
        metavar="TIME",
        help="start of the period, ISO 8601 (e.g. 2026-11-20T07:00; without an offset, "
        "local time). Default: the start of the shift now under way",
    )
    parser.add_argument(
        "--to",
        dest="end",
        metavar="TIME",
        help="end of the period, ISO 8601. Default: the end of the shift now under way",
    )
    parser.add_argument(
        "--shift-starts",
        default=",".join(DEFAULT_SHIFT_STARTS),
        metavar="HH:MM,HH:MM",
        help="local times at which shifts start, for the default period (default %(default)s)",
    )
    parser.add_argument(
        "--paper", choices=("a4", "letter"), default="a4", help="paper size (default a4)"
    )
    parser.add_argument(
        "--nurse", metavar="NAME", help="printed by (default: this computer's user name)"
    )
    parser.add_argument("-o", "--output", required=True, metavar="FILE.pdf", help="the PDF file")
    add_force_argument(parser)
    add_protocol_argument(parser)
    add_db_argument(parser)


def _time(option: str, text: str) -> float:
    try:
        return parse_time(text)[0]
    except ValueError as exc:
        raise UsageError(f"{option} {text!r}: {exc}") from None


def _period(args: argparse.Namespace, now: float) -> tuple[float, float]:
    try:
        shift = current_shift(now, args.shift_starts.split(","))
    except ValueError as exc:
        raise UsageError(f"--shift-starts {args.shift_starts!r}: {exc}") from None
    if (args.start is None) != (args.end is None):
        given = "--from" if args.start is not None else "--to"
        raise UsageError(f"{given}: give both --from and --to, or neither (the current shift)")
    if args.start is None:
        return shift
    start, end = _time("--from", args.start), _time("--to", args.end)
    if not start < end:
        raise UsageError(f"--from {args.start!r}: must be before --to {args.end!r}")
    return start, end


def _check_output(output: str, force: bool) -> Path:
    target = check_output(output, force)  # an existing file only with --force
    folder = target.parent
    if not os.access(folder, os.W_OK | os.X_OK):
        raise UsageError(f"-o {output!r}: the folder {folder} is not writable")
    if target.exists() and not os.access(target, os.W_OK):
        raise UsageError(f"-o {output!r}: the file exists and is not writable")
    return target


def _qt_application() -> None:
    """A QGuiApplication for fonts and the PDF writer; offscreen, as no window is shown."""
    global _APP
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtGui import QGuiApplication

    if QGuiApplication.instance() is None:
        _APP = QGuiApplication(["crs-desktop"])


class DamageCheck:
    """The page-by-page damage check of the chart file (check_damage, a few hundred ms on a
    month of monitor data) in a thread of its own while the handover is gathered: SQLite
    checks outside the GIL, so it costs no wall time where a second core is free.
    passed() waits for it; nothing is drawn or written before it has passed."""

    def __init__(self, path: Path | str) -> None:  # a ward server address: nothing to check
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._check, args=(path,), daemon=True)
        self._thread.start()

    def _check(self, path: Path | str) -> None:
        from crs_desktop.store.database import check_damage

        try:
            check_damage(path)
        except BaseException as exc:  # said in the main thread by passed()
            self._error = exc

    def passed(self) -> None:
        """Wait for the check; raise what it found (StoreError naming the damage)."""
        self._thread.join()
        if self._error is not None:
            raise self._error


def run(args: argparse.Namespace) -> int:
    now = time.time()
    start, end = _period(args, now)  # every mistake is found before anything is opened
    target = _check_output(args.output, args.force)
    mode = existing_mode(target)  # a file replaced with --force keeps its permissions
    nurse = (args.nurse or "").strip() or default_actor()
    kept: list[Any] = []  # a grade checkpoint for the next handover (app/grade_checkpoint.py)
    # Reads only: works from read-only media. The damage check runs beside the reading.
    with open_store(args, read_only=True, verify=False) as store:
        check = DamageCheck(store.path)
        try:
            from crs_desktop.app.protocol_file import load_protocol

            protocol, refused = load_protocol(args.protocol)
            if refused:  # printed all the same, by the last good protocol: never lost
                print(f"crs-desktop: {refused}", file=sys.stderr)
            patient = require_patient(store, args.patient)
            from crs_desktop.report.handover_data import build_handover

            data = build_handover(
                store,
                patient.id,
                start,
                end,
                printed_by=nurse,
                now=now,
                protocol=protocol,
                checkpoints=kept,
            )
        except BaseException:
            check.passed()  # a damaged file is said first, whatever else went wrong
            raise
        chart_path = store.path
    _qt_application()
    from crs_desktop.report.render import write_handover_pdf

    check.passed()  # nothing is drawn from a file that has not passed it
    try:  # written beside the target and renamed: a failure never leaves half a file
        pages = write_handover_pdf(data, target, paper=args.paper)
        if mode is not None:
            os.chmod(target, mode)
    except OSError as exc:  # a full disk, a folder gone meanwhile: one line, not a traceback
        raise output_error(args.output, exc) from None
    print(f"handover of {patient.mrn}: {pages} page(s) written to {target}")
    _keep_checkpoints(chart_path, kept)
    return 0


def _keep_checkpoints(chart_path: Path | str, kept: list[Any]) -> None:
    """Save the grade checkpoint for the next handover, where the chart file can be
    written; else (read-only media, a busy chart) leave it: it is derived data, and
    the next handover grades the whole chart instead, to the same grades."""
    if not kept:
        return
    import sqlite3

    from crs_desktop.store import ChartStore, StoreError
    from crs_desktop.store.grade_checkpoints import save_checkpoint

    try:
        with ChartStore(chart_path, verify=False) as store:
            # The damage check of this file passed moments ago (DamageCheck).
            store.verified = True
            if not store.on_server:  # (the server has no busy wait to shorten)
                store.conn.execute("PRAGMA busy_timeout = 200")  # never keep the nurse waiting
            for checkpoint in kept:
                save_checkpoint(store, checkpoint)
    except (StoreError, sqlite3.Error, OSError):
        pass
