"""The window sets a patient's NEWS2 SpO2 scale (REFERENCE.md §7.1: scale 2 only by clinical
decision): a menu action, a confirm dialog, the change audited with who and when, and NEWS2
scored again on the new scale (issue 15 item 4)."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox

from crs_desktop.domain.errors import UserError
from crs_desktop.store import ChartStore, Entry
from crs_desktop.ui.app import dispose
from crs_desktop.ui.main_window import MainWindow

NOW = 1_795_176_000.0  # 2026-11-20T12:00:00Z: a fixed clock
NURSE = "RN Scale"
VITALS = [
    Entry("temperature", "37.0"),
    Entry("systolic_bp", "120"),
    Entry("diastolic_bp", "70"),
    Entry("heart_rate", "80"),
    Entry("resp_rate", "16"),
    Entry("spo2", "90"),  # on air: scale 1 scores 3 (<= 91), scale 2 scores 0 (88-92)
    Entry("o2_device", "room_air"),
    Entry("acvpu", "A"),
]


@pytest.fixture
def store(tmp_path):
    s = ChartStore(tmp_path / "chart.sqlite3", clock=lambda: NOW)
    patient = s.create_patient("MRN-1", "Test, Pat", actor="setup", weight_kg=70.0)
    s.chart(patient.id, VITALS, observed_at=NOW - 600, actor="setup")
    yield s
    s.close()


@pytest.fixture
def window(qtbot, store):
    w = MainWindow(store, NURSE, clock=lambda: NOW)
    qtbot.addWidget(w)
    w.open_patient_by_mrn("MRN-1")
    yield w
    dispose(w)


def _scale_action(window: MainWindow):
    actions = [a for menu in window.menuBar().actions() for a in menu.menu().actions()]
    return next(a for a in actions if a.text() == "NEWS2 SpO2 scale…")


def _news2_badge(window: MainWindow) -> str:
    return window.grading.cards["news2"].badge.text()


def test_menu_sets_scale_2_after_a_confirm_audited_and_scored_again(window, store, qtbot):
    qtbot.waitUntil(lambda: _news2_badge(window) == "score 3")
    _scale_action(window).trigger()
    box = window.news2_scale_dialog
    assert "scale 1 (the usual scale)" in box.text() and "set by" not in box.text()
    assert "target SpO2 of 88–92 %" in box.text() and f"charted by {NURSE}" in box.text()
    qtbot.mouseClick(box.button(QMessageBox.StandardButton.Yes), Qt.MouseButton.LeftButton)

    patient = store.patient("MRN-1")
    assert patient.news2_scale == 2
    change = [r for r in store.audit_rows(patient.id) if r["action"] == "update_patient"]
    assert len(change) == 1
    assert change[0]["actor"] == NURSE and change[0]["at"] == NOW
    assert change[0]["detail"] == {"old": {"news2_scale": 1}}
    assert store.last_change(patient.id, "news2_scale") == (NURSE, NOW)
    # The window grades on the new scale at once, and says which scale it is on.
    qtbot.waitUntil(lambda: _news2_badge(window) == "score 0")
    assert "NEWS2 SpO2 scale 2" in window.header.details.text().replace("\u00a0", " ")
    # Asked again, the dialog says who set scale 2 and when.
    _scale_action(window).trigger()
    assert f"scale 2 (target SpO2 88–92 %, by clinical decision), set by {NURSE} at" in (
        window.news2_scale_dialog.text()
    )


def test_cancel_changes_nothing(window, store, qtbot):
    before = len(store.audit_rows())
    _scale_action(window).trigger()
    box = window.news2_scale_dialog
    qtbot.mouseClick(box.button(QMessageBox.StandardButton.Cancel), Qt.MouseButton.LeftButton)
    assert store.patient("MRN-1").news2_scale == 1
    assert len(store.audit_rows()) == before


def test_store_refuses_a_scale_other_than_1_or_2(store):
    patient = store.patient("MRN-1")
    before = len(store.audit_rows())
    with pytest.raises(UserError, match="NEWS2 scale 3: allowed 1 or 2"):
        store.update_patient(patient.id, actor=NURSE, news2_scale=3)
    assert store.patient("MRN-1").news2_scale == 1 and len(store.audit_rows()) == before
