"""The window under a stream of values from another process (issue 17): the grades are
painted for each value, the banner, checklist and timers are refreshed once for a burst
(their refresh cost the event loop per value), and this window's own writes still show
whole at once. The window and the store share a fixed clock."""

from __future__ import annotations

from pathlib import Path

import pytest

from crs_desktop.store import ChartStore
from crs_desktop.store.records import Entry
from crs_desktop.ui.app import dispose
from crs_desktop.ui.main_window import MainWindow

NURSE = "RN Test"
HOUR = 3600.0
NOW = 1_795_132_800.0  # 2026-11-20T00:00:00Z: fixed, never the wall clock


def vitals(temperature: str = "37.0", systolic: str = "120") -> list[Entry]:
    return [
        Entry("temperature", temperature),
        Entry("systolic_bp", systolic),
        Entry("diastolic_bp", "70"),
        Entry("heart_rate", "80"),
        Entry("resp_rate", "16"),
        Entry("spo2", "97"),
        Entry("o2_device", "room_air"),
        Entry("acvpu", "A"),
    ]


@pytest.fixture
def store(tmp_path: Path):
    s = ChartStore(tmp_path / "chart.sqlite3", clock=lambda: NOW)
    patient = s.create_patient(
        "MRN-1", "Test, Pat", actor="setup", weight_kg=72.0, infusion_time=NOW - 50 * HOUR
    )
    s.chart(patient.id, vitals(), observed_at=NOW - 2 * HOUR, actor="setup")
    yield s
    s.close()


@pytest.fixture
def window(qtbot, store):
    w = MainWindow(store, NURSE, clock=lambda: NOW)
    qtbot.addWidget(w)
    w.open_patient_by_mrn("MRN-1")
    w.show()
    qtbot.waitUntil(lambda: w.session.feed._timer.isActive())
    yield w
    dispose(w)


def spy_refreshes(window: MainWindow) -> list[int]:
    """Count the window's checklist-and-timers refreshes (the real one still runs)."""
    calls: list[int] = []
    real = window.refresh_treatment

    def counted():
        calls.append(1)
        return real()

    window.refresh_treatment = counted  # type: ignore[method-assign]
    return calls


def test_a_burst_from_another_process_paints_each_grade_and_refreshes_the_checklist_once(
    qtbot, window, store
):
    other = ChartStore(store.path, clock=lambda: NOW)  # another writer on the same file
    try:
        pid = other.patient("MRN-1").id
        calls = spy_refreshes(window)
        for minute, temperature in enumerate(["37.2", "38.4", "38.6", "38.9", "39.1"]):
            other.chart(
                pid,
                [Entry("temperature", temperature)],
                observed_at=NOW - HOUR + minute * 60,
                actor="monitor",
            )
            window.session.feed.check_now()  # picked up, as the feed's timer or wake-up does
            # Each value's grade is painted at once: a fever is CRS grade 1 (ASTCT 2019).
            badge = window.grading.cards["astct_crs"].badge.text()
            assert badge == ("grade 0 (none)" if temperature == "37.2" else "GRADE 1")
        assert calls == []  # five values: no refresh yet, one is due
        qtbot.waitUntil(lambda: len(calls) == 1)
        assert "is now GRADE 1" in window.banner.text.text()
        assert "CRS grade 1" in window.checklist.heading.text()
    finally:
        other.close()


def test_this_windows_own_value_refreshes_the_checklist_at_once(qtbot, window):
    calls = spy_refreshes(window)
    window.session.chart([Entry("temperature", "38.5")], NOW - HOUR)
    assert len(calls) == 1
    assert "is now GRADE 1" in window.banner.text.text()


def test_a_row_coming_onto_the_checklist_leaves_the_other_rows_as_they_are(qtbot, window):
    """A NEWS2 trigger adds its row (§1.3a item 7): the rows already shown, unchanged, are
    the same widgets (only the new one is built)."""
    window.session.chart([Entry("temperature", "38.5")], NOW - HOUR)  # CRS grade 1
    before = dict(window.checklist.rows)
    assert before  # grade 1's actions
    qtbot.waitUntil(lambda: not any(row.isHidden() for row in before.values()))  # shown
    window.session.chart([Entry("resp_rate", "25")], NOW - HOUR + 60)  # scores 3 (§7.1)
    after = window.checklist.rows
    added = set(after) - set(before)
    assert added and all("news2" in key for key in added)
    kept = [key for key in before if key in after and after[key] is before[key]]
    changed = [key for key in before if key in after and after[key] is not before[key]]
    assert kept and not changed, (kept, changed)
    for key in kept:  # in the layout, shown, and not deleted once the events have run
        assert window.checklist.rows_layout.indexOf(after[key]) >= 0
    qtbot.waitUntil(lambda: not any(after[key].isHidden() for key in after))
    assert all(window.checklist.rows_layout.indexOf(after[key]) >= 0 for key in kept)
