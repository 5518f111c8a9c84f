"""The window on the ward server: other workstations' values arrive by notification (no
polling), and a server that goes away is said at once, refuses saving, keeps what was
typed, and is caught up with once it is back."""

from __future__ import annotations

import time

import pytest
from PySide6.QtCore import Qt

from crs_desktop.store import ChartStore, Entry
from crs_desktop.store.server import UNREACHABLE
from crs_desktop.ui.app import dispose
from crs_desktop.ui.main_window import MainWindow

NURSE = "RN Test"
HOUR = 3600.0
VITALS = [
    Entry("temperature", "37.0"),
    Entry("systolic_bp", "120"),
    Entry("diastolic_bp", "70"),
    Entry("heart_rate", "80"),
    Entry("resp_rate", "16"),
    Entry("spo2", "97"),
    Entry("o2_device", "room_air"),
    Entry("acvpu", "A"),
]


@pytest.fixture
def ward(pg_cluster):
    url = pg_cluster.new_database()
    now = time.time()
    with ChartStore(url) as s:
        p = s.create_patient("MRN-1", "Test, Pat", actor="setup", weight_kg=70.0)
        s.chart(p.id, VITALS, observed_at=now - 2 * HOUR, actor="setup")
    return url


@pytest.fixture
def window(qtbot, ward):
    store = ChartStore(ward)
    w = MainWindow(store, NURSE)
    qtbot.addWidget(w)
    w.open_patient_by_mrn("MRN-1")
    w.resize(1400, 900)
    w.show()
    qtbot.waitUntil(lambda: w.session.watch._conn is not None)
    yield w
    dispose(w)
    store.close()


def test_another_workstations_value_arrives_by_notification(qtbot, window, ward):
    assert not window.session.feed._timer.isActive()  # nothing polls the server
    before = len(window.plots.buffers["temperature"])
    with ChartStore(ward) as other:
        patient = other.patient("MRN-1")
        with qtbot.waitSignal(window.session.rows_added, timeout=5000):
            other.chart(
                patient.id,
                [Entry("temperature", "38.9")],
                observed_at=time.time() - 60,
                actor="RN Other",
            )
    temps = window.plots.buffers["temperature"]
    assert len(temps) == before + 1 and temps.v[-1] == 38.9


def test_a_server_gone_is_said_at_once_refuses_saving_keeps_the_typed_values_and_catches_up(
    qtbot, window, ward, pg_cluster
):
    notice = window.session.watch.notice
    assert not notice.isVisible()
    pg_cluster.stop()
    try:
        qtbot.waitUntil(notice.isVisible, timeout=5000)
        assert notice.text() == UNREACHABLE
        qtbot.keyClick(window, Qt.Key.Key_F2)
        form = window.entry_form
        qtbot.waitUntil(form.isVisible)
        typed = {"temperature": "38.4", "systolic_bp": "118", "diastolic_bp": "72"} | {
            "heart_rate": "88",
            "resp_rate": "16",
            "spo2": "97",
            "acvpu": "A",
            "o2_device": "r",
        }
        for key, text in typed.items():
            form.fields[key].editor.setFocus()
            qtbot.keyClicks(form.fields[key].editor, text)
        form.save()
        assert form.isVisible()  # not saved, and the nurse's value is still there
        assert UNREACHABLE in form.time_error.text()
        assert form.fields["temperature"].editor.text() == "38.4"
    finally:
        pg_cluster.start()
    # Meanwhile another workstation (after the restart) charted: caught up once back.
    with ChartStore(ward) as other:
        other.chart(
            other.patient("MRN-1").id,
            [Entry("spo2", "93")],
            observed_at=time.time() - 30,
            actor="RN Other",
        )
    qtbot.waitUntil(lambda: not notice.isVisible(), timeout=10000)
    qtbot.waitUntil(lambda: window.plots.buffers["spo2"].v[-1] == 93.0, timeout=5000)
    form.save()  # the same values, saved now that the server is back
    qtbot.waitUntil(lambda: not form.isVisible())
    assert window.plots.buffers["temperature"].v[-1] == 38.4


@pytest.mark.qt_no_exception_capture  # the window's own hook is what is tested
def test_a_read_while_the_server_is_away_prints_no_traceback(
    qtbot, ward, pg_cluster, monkeypatch, capsys
):
    import sys

    from PySide6.QtCore import QTimer

    printed: list[str] = []
    monkeypatch.setattr(sys, "excepthook", lambda kind, *_: printed.append(kind.__name__))
    store = ChartStore(ward)
    window = MainWindow(store, NURSE)
    qtbot.addWidget(window)
    window.open_patient_by_mrn("MRN-1")
    window.show()
    qtbot.waitUntil(lambda: window.session.watch._conn is not None)
    notice = window.session.watch.notice
    try:
        pg_cluster.stop()
        try:
            # The chart table read in a slot, before the watch has noticed anything.
            QTimer.singleShot(0, lambda: window.session.core.rows())
            qtbot.waitUntil(notice.isVisible, timeout=5000)
            QTimer.singleShot(0, lambda: window.session.core.rows())
            QTimer.singleShot(0, lambda: {}["a bug, not the server"])
            qtbot.waitUntil(lambda: printed == ["KeyError"], timeout=5000)
            assert notice.text() == UNREACHABLE
        finally:
            pg_cluster.start()
        qtbot.waitUntil(lambda: not notice.isVisible(), timeout=10000)
    finally:
        dispose(window)
        store.close()
    assert "Traceback" not in capsys.readouterr().err
