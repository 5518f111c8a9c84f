"""An open window never charts onto a record that was replaced: `crs-desktop demo --live`
run beside an open window archives the demo patient and creates a new one; the window
follows the new record and says so, and the old record takes no more values."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest
from PySide6.QtWidgets import QApplication

from crs_desktop.app.demo_course import DEMO_MRN
from crs_desktop.cli import main
from crs_desktop.domain.errors import UserError
from crs_desktop.store import ChartStore
from crs_desktop.store.records import Entry
from crs_desktop.ui.app import dispose
from crs_desktop.ui.main_window import MainWindow

NURSE = "RN Test"
ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def db(tmp_path):
    path = tmp_path / "chart.sqlite3"
    assert main(["demo", "--db", str(path), "--until-hour", "62"]) == 0
    return path


@pytest.fixture
def window(qtbot, db):
    store = ChartStore(db)
    w = MainWindow(store, NURSE)
    qtbot.addWidget(w)
    w.open_patient_by_mrn(DEMO_MRN)
    w.show()
    qtbot.waitExposed(w)
    yield w
    dispose(w)
    store.close()


def rows_of(store: ChartStore, patient_id: int) -> int:
    return len(store.rows(patient_id))


def test_demo_live_beside_an_open_window_is_followed_and_nothing_goes_to_the_old_record(
    qtbot, window, db
):
    store = window.store
    old_session = window.session
    old_id = old_session.patient.id
    # Another process, as the README says: `crs-desktop demo --live` beside the window.
    done = subprocess.run(
        [sys.executable, "-m", "crs_desktop", "demo", "--live", "--db", str(db)]
        + ["--speed", "1000", "--from-hour", "61", "--until-hour", "62"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    qtbot.waitUntil(lambda: window.session.patient.id != old_id, timeout=10_000)
    new = store.patient(DEMO_MRN)
    assert window.session.patient.id == new.id
    assert window.replaced_note.isVisible()
    assert "replaced" in window.replaced_note.text() and DEMO_MRN in window.replaced_note.text()
    assert "new record" in window.replaced_note.text()
    QApplication.processEvents()
    assert len(window.plots.buffers["temperature"]) > 0  # the new record's values

    archived_rows = rows_of(store, old_id)
    # A value charted in the window goes onto the new record...
    window.session.chart([Entry("temperature", "37.4")], time.time() - 60)
    mine = [r for r in store.rows(new.id, items=["temperature"]) if r.charted_by == NURSE]
    assert [r.value for r in mine] == [37.4]
    # ...and a form still open on the old record is refused, nothing written to it.
    with pytest.raises(UserError, match="replaced"):
        old_session.chart([Entry("temperature", "39.9")], time.time() - 60)
    with pytest.raises(UserError, match="replaced"):
        old_session.record_event("alert_ack", key="astct_crs", status="acknowledged")
    assert rows_of(store, old_id) == archived_rows


def test_a_record_replaced_with_no_successor_says_so_and_refuses_to_chart(qtbot, window, db):
    other = ChartStore(db)  # another workstation archives the patient
    try:
        other.archive_patient(window.session.patient.id, actor="RN Other")
    finally:
        other.close()
    qtbot.waitUntil(window.replaced_note.isVisible, timeout=5_000)
    assert "nothing more can be charted" in window.replaced_note.text()
    with pytest.raises(UserError, match="replaced"):
        window.session.chart([Entry("temperature", "37.0")], time.time() - 60)
