"""Escalations in the real window (REFERENCE.md §1.3a items 7-9): NEWS2 triggers alert like a
CRS rise, an unacknowledged rise is never lost, a drug given is done for its interval. The
window and the store share a clock the test moves."""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from crs_desktop.domain.checklist import DONE
from crs_desktop.domain.grading.wording import clock as clock_words
from crs_desktop.report.handover_data import build_handover
from crs_desktop.store import ChartStore
from crs_desktop.store.records import Entry
from crs_desktop.ui.app import dispose
from crs_desktop.ui.main_window import MainWindow

NURSE = "RN Test"
HOUR = 3600.0
MINUTE = 60.0
CRS = "astct_crs"


class Clock:
    """A clock the test moves, shared by the window and the store."""

    def __init__(self) -> None:
        self.now = float(int(time.time()))

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def vitals(
    temperature="37.0", systolic="120", heart_rate="80", resp_rate="16", spo2="97"
) -> list[Entry]:
    """A whole NEWS2 set (REFERENCE.md §7.1), room air and alert unless changed."""
    return [
        Entry("temperature", temperature),
        Entry("systolic_bp", systolic),
        Entry("diastolic_bp", "70"),
        Entry("heart_rate", heart_rate),
        Entry("resp_rate", resp_rate),
        Entry("spo2", spo2),
        Entry("o2_device", "room_air"),
        Entry("acvpu", "A"),
    ]


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def store(tmp_path: Path, clock: Clock):
    s = ChartStore(tmp_path / "chart.sqlite3", clock=clock)
    patient = s.create_patient(
        "MRN-1",
        "Test, Pat",
        actor="setup",
        weight_kg=72.0,
        infusion_time=clock() - 50 * HOUR,
        car_t_product="tisagenlecleucel",
    )
    s.chart(patient.id, vitals(), observed_at=clock() - 2 * HOUR, actor="setup")
    yield s
    s.close()


@pytest.fixture
def window(qtbot, store, clock):
    w = MainWindow(store, NURSE, clock=clock)
    qtbot.addWidget(w)
    w.open_patient_by_mrn("MRN-1")
    w.resize(1366, 768)
    w.show()
    qtbot.waitUntil(lambda: w.session.feed._timer.isActive())
    yield w
    dispose(w)  # while Qt is up: pyqtgraph items left to the final GC crash PySide6


def chart(qtbot, window: MainWindow, clock: Clock, entries: list[Entry], minutes: float = 5):
    """The clock moves on `minutes`; the entries are charted now and reach the grades."""
    clock.advance(minutes * MINUTE)
    ids = window.session.chart(entries, clock())
    qtbot.waitUntil(lambda: ids[-1] in _graded_ids(window))
    window.refresh_treatment()


def _graded_ids(window: MainWindow) -> set[int]:
    return window.session.grader.row_ids()


def acknowledge(qtbot, window: MainWindow) -> None:
    """The banner's button (its shortcut is Ctrl+K)."""
    assert window.banner.button.shortcut().toString() == "Ctrl+K"
    qtbot.mouseClick(window.banner.button, Qt.MouseButton.LeftButton)


def acks(store: ChartStore, system: str = CRS):
    pid = store.patient("MRN-1").id
    return [e for e in store.events(pid, kind="alert_ack") if e.key == system]


def is_new(window: MainWindow, key: str) -> bool:
    return window.checklist.rows[key].title.text().startswith("NEW · ")


def state(window: MainWindow, key: str) -> str:
    return window.checklist.rows[key].state.text()


def hm(epoch: float, now: float) -> str:
    """As the window writes a time: with the date when it is not today."""
    return clock_words(epoch, None, now)


# -- §1.3a item 8: an unacknowledged rise is never lost -------------------------------------


def test_a_rise_then_a_fall_before_anyone_acknowledged_keeps_the_peak(qtbot, window, store, clock):
    chart(qtbot, window, clock, [Entry("temperature", "38.6")])  # CRS 1
    chart(qtbot, window, clock, [Entry("o2_device", "nasal_cannula"), Entry("o2_flow", "2")])
    rose_at = clock()
    assert window.grading.cards[CRS].badge.text() == "GRADE 2"
    chart(qtbot, window, clock, [Entry("o2_device", "room_air")], minutes=20)  # back to 1
    assert window.grading.cards[CRS].badge.text() == "GRADE 1"

    banner = window.banner.text.text()
    assert window.banner.isVisible()
    assert f"CRS (ASTCT 2019) rose to GRADE 2 at {hm(rose_at, clock())}, now grade 1" in banner
    assert "not yet acknowledged" in banner

    acknowledge(qtbot, window)
    assert window.banner.isHidden()
    [ack] = acks(store)
    assert (ack.detail["grade"], ack.detail["now"], ack.charted_by) == (2, 1, NURSE)
    assert ack.detail["text"] == "CRS (ASTCT 2019) grade 2 acknowledged (was 0); now grade 1"
    # The handover prints the same words.
    data = build_handover(
        store, store.patient("MRN-1").id, clock() - HOUR, clock(), printed_by=NURSE, now=clock()
    )
    assert [a.text for a in data.alerts] == [ack.detail["text"]]


def test_a_fall_alone_is_no_alarm_and_brings_nothing_up_new(qtbot, window, store, clock):
    chart(qtbot, window, clock, [Entry("temperature", "38.6")])
    chart(qtbot, window, clock, [Entry("o2_device", "nasal_cannula"), Entry("o2_flow", "2")])
    acknowledge(qtbot, window)
    assert window.banner.isHidden()
    chart(qtbot, window, clock, [Entry("o2_device", "room_air")], minutes=30)  # 2 -> 1
    assert window.grading.cards[CRS].badge.text() == "GRADE 1"
    assert window.banner.isHidden()
    # Grade 1's own actions are due again, not NEW: no rise brought them.
    assert "crs_inform_doctor_g1" in window.checklist.rows
    assert not any(is_new(window, key) for key in window.checklist.rows)
    assert "NEW" not in window.checklist.heading.text()


def test_a_rise_again_after_an_acknowledged_fall_alerts_again(qtbot, window, store, clock):
    chart(qtbot, window, clock, [Entry("temperature", "38.6")])
    chart(qtbot, window, clock, [Entry("o2_device", "nasal_cannula"), Entry("o2_flow", "2")])
    acknowledge(qtbot, window)
    chart(qtbot, window, clock, [Entry("o2_device", "room_air")], minutes=30)  # 2 -> 1
    chart(qtbot, window, clock, [Entry("o2_device", "nasal_cannula"), Entry("o2_flow", "3")])
    assert window.banner.isVisible()
    assert "CRS (ASTCT 2019) is now GRADE 2 (was 1)" in window.banner.text.text()
    acknowledge(qtbot, window)
    assert [(a.detail["grade"], a.detail["from"]) for a in acks(store)] == [(2, 0), (2, 1)]


def test_an_acknowledgement_charted_in_codes_prints_in_ward_words(store, clock):
    """Acknowledgements charted before these words ('astct_crs grade 2 acknowledged') print
    as a nurse reads them."""
    pid = store.patient("MRN-1").id
    store.record_event(
        pid,
        "alert_ack",
        actor=NURSE,
        key=CRS,
        status="acknowledged",
        detail={
            "system": CRS,
            "grade": 2,
            "from": 0,
            "text": "astct_crs grade 2 acknowledged (was 0)",
        },
    )
    data = build_handover(store, pid, clock() - HOUR, clock(), printed_by=NURSE, now=clock())
    assert [a.text for a in data.alerts] == ["CRS (ASTCT 2019) grade 2 acknowledged (was 0)"]


# -- §1.3a item 7: NEWS2 triggers are escalations like a CRS rise ----------------------------


def test_a_single_news2_parameter_scoring_3_alerts_and_asks_who_was_informed(
    qtbot, window, store, clock
):
    assert window.banner.isHidden()
    chart(qtbot, window, clock, vitals(resp_rate="26"))  # 26 /min scores 3 (§7.1): total 3
    assert window.banner.isVisible()
    assert "NEWS2 3: a single parameter scoring 3" in window.banner.text.text()
    assert is_new(window, "news2_single_3")
    assert "inform the medical team" in window.checklist.rows["news2_single_3"].title.text()
    assert window.protocol.action("news2_single_3").title in window.banner.text.text()

    # Done says who was informed: required, and charted with the mark.
    qtbot.mouseClick(
        window.checklist.rows["news2_single_3"].buttons[DONE], Qt.MouseButton.LeftButton
    )
    dialog = window.mark_dialog
    qtbot.waitUntil(dialog.isVisible)
    dialog.save()
    assert dialog.isVisible() and "who was informed" in dialog.error.text().lower()
    qtbot.keyClicks(dialog.reason, "Dr Lee, registrar")
    dialog.save()
    assert not dialog.isVisible()
    assert state(window, "news2_single_3").startswith("✔ DONE")
    assert f"by {NURSE}: Dr Lee, registrar" in state(window, "news2_single_3")

    acknowledge(qtbot, window)
    assert window.banner.isHidden()
    [ack] = acks(store, "news2")
    assert ack.detail["text"] == "NEWS2 single parameter scoring 3 acknowledged"


def test_news2_5_then_7_each_alert_and_7_asks_for_continuous_monitoring(
    qtbot, window, store, clock
):
    # RR 22 (2) + HR 115 (2) + SpO2 95 (1) = 5 (§7.1): urgent response threshold.
    chart(qtbot, window, clock, vitals(resp_rate="22", heart_rate="115", spo2="95"))
    assert "NEWS2 5: 5 or more (urgent response threshold)" in window.banner.text.text()
    assert is_new(window, "news2_urgent")
    acknowledge(qtbot, window)
    assert window.banner.isHidden()
    assert "continuous monitoring" not in window.due.labels["vitals"].text()

    # RR 26 (3) + HR 115 (2) + SpO2 94 (1) + systolic 105 (1) = 7: emergency.
    chart(qtbot, window, clock, vitals(resp_rate="26", heart_rate="115", spo2="94", systolic="105"))
    banner = window.banner.text.text()
    assert window.banner.isVisible()
    assert "NEWS2 7: 7 or more (emergency response threshold)" in banner
    assert is_new(window, "news2_emergency") and "news2_urgent" not in window.checklist.rows
    # Seen without scrolling on a 1366×768 screen: the banner is near the top of the window.
    top = window.banner.mapTo(window, window.banner.rect().bottomLeft()).y()
    assert top < 768 / 2
    due = window.due.labels["vitals"].text()
    assert due.startswith("Vital signs: continuous monitoring (NEWS2 ≥ 7); next set due")
    assert any("continuous monitoring" in line for line in window.handover_todo()[1])

    # A fall back below 5 before anyone acknowledged: the peak stays named.
    chart(qtbot, window, clock, vitals(), minutes=15)
    assert "NEWS2 reached 7 or more (emergency response threshold) at" in (
        window.banner.text.text()
    )
    assert "now 0" in window.banner.text.text()
    acknowledge(qtbot, window)
    assert [a.detail["grade"] for a in acks(store, "news2")] == [2, 3]


# -- §1.3a item 9: a drug given is done for its interval -------------------------------------


def test_tocilizumab_and_a_bolus_given_stay_done_through_a_grade_change_until_the_interval(
    qtbot, window, store, clock
):
    chart(qtbot, window, clock, [Entry("temperature", "38.8"), Entry("systolic_bp", "86")])
    chart(qtbot, window, clock, [Entry("fluid_bolus", "500", "mL")])
    chart(qtbot, window, clock, [Entry("o2_device", "nasal_cannula"), Entry("o2_flow", "2")])
    chart(qtbot, window, clock, [Entry("tocilizumab", "576", "mg")])
    given = clock()
    acknowledge(qtbot, window)
    # The grade changes: pressure and oxygen better (grade 1), then oxygen again (grade 2).
    chart(qtbot, window, clock, [Entry("systolic_bp", "112"), Entry("o2_device", "room_air")])
    assert window.grading.cards[CRS].badge.text() == "GRADE 1"
    chart(qtbot, window, clock, [Entry("o2_device", "nasal_cannula"), Entry("o2_flow", "2")], 40)
    assert window.grading.cards[CRS].badge.text() == "GRADE 2"

    toci = state(window, "crs_tocilizumab")
    assert toci.startswith("✔ DONE") and f"counts until {hm(given + 8 * HOUR, clock())}" in toci
    assert state(window, "crs_diverticulitis_check").startswith("✔ DONE")
    assert "Tocilizumab given" in state(window, "crs_diverticulitis_check")
    assert state(window, "crs_fluids").startswith("✔ DONE")
    for key in ("crs_tocilizumab", "crs_diverticulitis_check", "crs_fluids"):
        assert not is_new(window, key)
    # What the handover prints under "OUTSTANDING", beside "Tocilizumab 576 mg at ...".
    outstanding = window.gather_handover(clock() - 4 * HOUR, clock()).outstanding
    for key in ("crs_tocilizumab", "crs_diverticulitis_check", "crs_fluids"):
        assert window.protocol.action(key).title not in outstanding

    # Past the 8 h interval (REFERENCE.md §5.1) and still grade 2: outstanding again.
    clock.advance(10 * HOUR)
    window.refresh_treatment()
    assert window.grading.cards[CRS].badge.text() == "GRADE 2"
    since = hm(given + 8 * HOUR, clock())
    assert re.fullmatch(rf"☐ outstanding since {since} \(\d+ h\)", state(window, "crs_tocilizumab"))
    assert state(window, "crs_diverticulitis_check").startswith("☐ outstanding since")
    assert state(window, "crs_fluids").startswith("✔ DONE")  # no interval: for the episode
    outstanding = window.handover_todo()[0]
    assert window.protocol.action("crs_tocilizumab").title in outstanding
    assert window.protocol.action("crs_fluids").title not in outstanding
    assert not any("TO DO" in row.state.text() for row in window.checklist.rows.values())
