"""`crs-desktop [--patient MRN] [--nurse NAME]`: the bedside window."""

from __future__ import annotations

import argparse

from crs_desktop.commands.common import (
    add_db_argument,
    add_protocol_argument,
    open_store,
    require_patient,
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--patient", metavar="MRN", help="open straight onto this patient")
    parser.add_argument("--nurse", metavar="NAME", help="sign in as this nurse (name or initials)")
    add_protocol_argument(parser)
    parser.add_argument(
        "--quit-after-ms", type=int, metavar="MS", help=argparse.SUPPRESS
    )  # for start-up measurements: show the window, then quit
    parser.add_argument(
        "--report-start-up", action="store_true", help=argparse.SUPPRESS
    )  # tests/perf/bench_window.py: print when the window was shown, and peak memory
    add_db_argument(parser)


def run(args: argparse.Namespace) -> int:
    # Not a SQLite file, another program's, a newer schema: refused before any window.
    # The page-by-page damage check (slow on a long chart) runs beside the window as
    # it starts; the store takes no write until it has passed.
    store = open_store(args, verify=False)
    if args.patient:
        require_patient(store, args.patient)
    from PySide6.QtCore import Qt, QTimer
    from PySide6.QtWidgets import QMessageBox

    from crs_desktop.app.protocol_file import load_protocol
    from crs_desktop.ui import trace
    from crs_desktop.ui.app import dispose, make_app
    from crs_desktop.ui.damage_check import DamageCheck
    from crs_desktop.ui.main_window import MainWindow
    from crs_desktop.ui.sign_in import SignInDialog

    # A refused ward protocol never stops the window: the last good one is used, and the
    # checklist says so with the line that was wrong.
    protocol, protocol_warning = load_protocol(args.protocol)
    app = make_app()
    damaged: list[str] = []
    check = DamageCheck(store)
    check.start()
    nurse, mrn = (args.nurse or "").strip(), args.patient
    if not nurse or not mrn:
        dialog = SignInDialog(store.patients(), nurse, mrn)
        if not dialog.exec():
            return 0
        nurse, mrn = dialog.chosen()
    window = MainWindow(store, nurse, protocol=protocol, protocol_warning=protocol_warning)
    window.open_patient_by_mrn(mrn)
    window.resize(1600, 1000)
    window.showMaximized()  # a ward workstation gives the chart the whole screen

    def refuse(message: str) -> None:
        damaged.append(message)
        QMessageBox.critical(window, "crs_desktop: the chart file is damaged", message)
        app.exit(2)

    check.failed.connect(refuse)
    if args.report_start_up:
        report_start_up(app)
        session = window.session
        quit_after = args.quit_after_ms is not None  # else it runs on (bench_soak.py)
        if session is not None and not session.grades_ready:
            # Once the background grading is done and its grades painted, say when (and
            # quit, if asked to quit).
            def painted() -> None:
                report_graded()
                if quit_after:
                    app.quit()

            session.grades_changed.connect(
                lambda _grades: trace.on_next_paint(window.grading, painted),
                Qt.ConnectionType.SingleShotConnection,
            )
            args.quit_after_ms = None
        else:
            report_graded()
    if args.quit_after_ms is not None:
        QTimer.singleShot(args.quit_after_ms, app.quit)
    status = int(app.exec())
    check.wait()
    dispose(window)
    store.close()
    if damaged:
        from crs_desktop.store import StoreError

        raise StoreError(damaged[0])
    return status


def report_start_up(app: object) -> None:
    """One JSON line: the moment the window had painted, and the peak memory so far."""
    import json
    import resource
    import time

    app.processEvents()  # type: ignore[attr-defined]  # the first paint
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"shown_at": time.time(), "peak_mb": round(peak_mb, 1)}), flush=True)


def report_graded() -> None:
    import json
    import time

    print(json.dumps({"graded_at": time.time()}), flush=True)
