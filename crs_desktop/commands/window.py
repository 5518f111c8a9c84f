"""`crs-desktop [--patient MRN] [--nurse NAME]`: the bedside window."""

from __future__ import annotations

import argparse

from crs_desktop.commands.common import add_db_argument, open_store, require_patient


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--patient", metavar="MRN", help="open straight onto this patient")
    parser.add_argument("--nurse", metavar="NAME", help="sign in as this nurse (name or initials)")
    parser.add_argument(
        "--quit-after-ms", type=int, metavar="MS", help=argparse.SUPPRESS
    )  # for start-up measurements: show the window, then quit
    add_db_argument(parser)


def run(args: argparse.Namespace) -> int:
    store = open_store(args)  # a bad --db is refused before any window appears
    if args.patient:
        require_patient(store, args.patient)
    from PySide6.QtCore import QTimer

    from crs_desktop.ui.app import dispose, make_app
    from crs_desktop.ui.main_window import MainWindow
    from crs_desktop.ui.sign_in import SignInDialog

    app = make_app()
    nurse, mrn = (args.nurse or "").strip(), args.patient
    if not nurse or not mrn:
        dialog = SignInDialog(store.patients(), nurse, mrn)
        if not dialog.exec():
            return 0
        nurse, mrn = dialog.chosen()
    window = MainWindow(store, nurse)
    window.open_patient_by_mrn(mrn)
    window.resize(1600, 1000)
    window.show()
    if args.quit_after_ms is not None:
        QTimer.singleShot(args.quit_after_ms, app.quit)
    status = int(app.exec())
    dispose(window)
    store.close()
    return status
