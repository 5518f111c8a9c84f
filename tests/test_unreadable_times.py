"""A value already in a store at a time no calendar shows in every zone (year 0001 at
+14:00, 9999 at -14:00: let in by an older `import`) never stops a chart from opening:
the window, export, handover and grade work; the value is kept, listed, never changed."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
import shiboken6
from PySide6.QtCore import QEvent
from PySide6.QtWidgets import QApplication, QLabel

from crs_desktop.cli import main
from crs_desktop.store import ChartStore, Entry
from crs_desktop.ui.app import dispose
from crs_desktop.ui.main_window import MainWindow

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC).timestamp()
YEAR_1 = datetime(1, 1, 1, tzinfo=timezone(timedelta(hours=14))).timestamp()  # year 0 in UTC
YEAR_9999 = datetime(9999, 12, 31, 23, 59, tzinfo=timezone(timedelta(hours=-14))).timestamp()


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "chart.sqlite3"
    with ChartStore(path, clock=lambda: NOW) as store:
        patient = store.create_patient("Y-1", "Year, One", actor="setup")
        store.chart(
            patient.id,
            [Entry("temperature", "38.4"), Entry("heart_rate", "96")],
            observed_at=NOW - 3600,
            actor="setup",
        )
    # As an older import wrote them (it checked no year): straight into the file.
    conn = sqlite3.connect(path)
    with conn:
        for epoch, offset in ((YEAR_1, 14 * 60), (YEAR_9999, -14 * 60)):
            conn.execute(
                "INSERT INTO observations (patient_id, item, observed_at, utc_offset_min, "
                "recorded_at, value, text, unit, written_value, written_unit, note, extreme, "
                "charted_by, source, status) VALUES (1, 'temperature', ?, ?, ?, 39.5, NULL, "
                "'Cel', '39.5', '', '', 0, 'old import', 'import', 'final')",
                (epoch, offset, NOW),
            )
    conn.close()
    return path


def test_the_window_opens_the_chart(qtbot, db):
    with ChartStore(db, clock=lambda: NOW) as store:
        w = MainWindow(store, "RN Test", clock=lambda: NOW)
        qtbot.addWidget(w)
        try:
            w.open_patient_by_mrn("Y-1")
            w.resize(1400, 900)
            w.show()
            qtbot.waitUntil(lambda: w.session is not None and w.session.feed._timer.isActive())
            # Graded on the readable values: the fever of an hour ago.
            assert "grade 1" in w.grading.cards["astct_crs"].badge.text().lower()
            # And said: the values left out are not hidden silently.
            flag = w.findChild(QLabel, "unreadable_times")
            assert flag is not None and flag.text().startswith("⚠ 2 value(s)")
        finally:
            dispose(w)
            # Deleted now, with its 20-second timer, before its store is closed: left to
            # a later test's event loop, the timer would read the closed store.
            QApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
            assert not shiboken6.isValid(w)
        # Kept, never changed, and listed for correction.
        assert [r.observed_at for r in store.unreadable_rows(1)] == [YEAR_1, YEAR_9999]
        assert len(store.rows(1)) == 2


def test_export_writes_them_back_exactly_and_import_names_their_lines(tmp_path, db, capsys):
    out = tmp_path / "out.csv"
    assert main(["export", "--db", str(db), "--patient", "Y-1", "-o", str(out)]) == 0
    lines = out.read_text(encoding="utf-8").splitlines()
    assert "0001-01-01T00:00:00+14:00,temperature,39.5,," in lines
    assert "9999-12-31T23:59:00-14:00,temperature,39.5,," in lines
    capsys.readouterr()
    assert main(["grade", str(out)]) == 2
    err = capsys.readouterr().err
    assert "line 2: temperature time '0001-01-01T00:00:00+14:00': is before 1900" in err
    assert "line 5: temperature time '9999-12-31T23:59:00-14:00'" in err


def test_handover_is_written(tmp_path, db, capsys):
    pdf = tmp_path / "handover.pdf"
    status = main(
        [
            "handover",
            "--db",
            str(db),
            "--patient",
            "Y-1",
            "--from",
            "2026-12-01T00:00:00Z",
            "--to",
            "2026-12-01T12:00:00Z",
            "-o",
            str(pdf),
        ]
    )
    assert status == 0, capsys.readouterr().err
    assert pdf.read_bytes().startswith(b"%PDF")
