"""The treatment checklist in the real window: what to do at the grade, NEW items and the
banner, marking done (tocilizumab's dose and limits), reasons, timers and the handover."""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest
from PySide6.QtCore import QDateTime, Qt, QTimer
from PySide6.QtWidgets import QApplication, QInputDialog

from crs_desktop.app.demo_course import DEMO_MRN, DEMO_NURSE
from crs_desktop.domain.checklist import DONE, NOT_APPLICABLE, NOT_DONE
from crs_desktop.store import ChartStore
from crs_desktop.store.records import Entry
from crs_desktop.ui.app import dispose
from crs_desktop.ui.main_window import MainWindow

NURSE = "RN Test"
HOUR = 3600.0
MINUTE = 60.0
CRS = "astct_crs"
VITALS = [
    Entry("temperature", "38.2"),
    Entry("systolic_bp", "104"),
    Entry("heart_rate", "102"),
    Entry("resp_rate", "20"),
    Entry("spo2", "96"),
]


class Clock:
    """A clock the test moves: shared by the window and the store (which refuses observed
    times in the future by its own clock)."""

    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def open_demo(qtbot, tmp_path: Path, clock: Clock, chart_demo, demo_now):
    """The demo patient charted to `hour` h after the infusion (its last value now), in a
    window and a store that share the test's clock."""
    opened: list[tuple[MainWindow, ChartStore]] = []

    def open_at(hour: float) -> tuple[MainWindow, ChartStore]:
        db = tmp_path / f"chart-{hour:g}.sqlite3"
        chart_demo(db, hour)
        clock.now = demo_now  # the demo's last value (DEMO_NOW in conftest.py)
        store = ChartStore(db, clock=clock)
        window = MainWindow(store, NURSE, clock=clock)
        qtbot.addWidget(window)
        window.open_patient_by_mrn(DEMO_MRN)
        window.resize(1920, 1080)
        window.show()
        # The session starts its feed from the event loop; a window disposed before that
        # starts it afterwards, and its timer outlives the store.
        qtbot.waitUntil(lambda: window.session.feed._timer.isActive())
        opened.append((window, store))
        return window, store

    yield open_at
    for window, store in opened:
        dispose(window)  # while Qt is up: pyqtgraph items left to the final GC crash PySide6
        store.close()


@pytest.fixture
def grade2(open_demo):
    """CRS grade 2 (nasal cannula since 60.25 h), tocilizumab given at 61 h by the demo feed."""
    return open_demo(62)


@pytest.fixture
def before_tocilizumab(open_demo):
    """CRS grade 2 since 60.25 h, no tocilizumab yet."""
    return open_demo(60.5)


# -- helpers ------------------------------------------------------------------------------


def counts(store: ChartStore) -> tuple[int, int, int]:
    return tuple(
        store.conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
        for table in ("observations", "events", "audit")
    )  # type: ignore[return-value]


def pid(store: ChartStore) -> int:
    return store.patient(DEMO_MRN).id


def keys(actions) -> set[str]:
    return {a.key for a in actions}


def is_new(window: MainWindow, key: str) -> bool:
    return window.checklist.rows[key].title.text().startswith("NEW · ")


def press_button(qtbot, window: MainWindow, key: str, status: str):
    """Click the row's button; the dialog it opens."""
    qtbot.mouseClick(window.checklist.rows[key].buttons[status], Qt.MouseButton.LeftButton)
    dialog = window.mark_dialog
    qtbot.waitUntil(dialog.isVisible)
    assert dialog.action.key == key and dialog.status == status
    return dialog


def enter(qtbot, dialog, field) -> None:
    """Enter in a field of the dialog: Save is its default button."""
    field.setFocus()
    qtbot.keyClick(field, Qt.Key.Key_Return)


def toci_rows(store: ChartStore):
    return store.rows(pid(store), items=["tocilizumab"])


# -- 1. the actions at the grade, NEW, the banner and acknowledging ---------------------


def test_grade_2_shows_the_protocols_grade_2_actions(grade2):
    window, _store = grade2
    protocol = window.protocol
    # The demo's NEWS2 is 9 at 62 h: the §7.2 emergency response is on the checklist too.
    expected = keys(protocol.actions_for(CRS, 2)) | keys(protocol.actions_for("news2", 3))
    assert set(window.checklist.rows) == expected and "news2_emergency" in expected
    heading = window.checklist.heading.text()
    assert "CRS grade 2" in heading and "ICANS grade 0" in heading
    for action in protocol.actions_for(CRS, 2):
        assert action.title in window.checklist.rows[action.key].title.text()
    # What the demo feed charted answers its actions: paracetamol at 46.5 h, tocilizumab at 61 h.
    for key in ("crs_antipyretic", "crs_tocilizumab"):
        state = window.checklist.rows[key].state.text()
        assert state.startswith("✔ DONE") and f"by {DEMO_NURSE}" in state
    todo = window.checklist.rows["crs_telemetry"].state.text()
    # Due since grade 2 began (about 2 h before the demo's last value): how long it has waited.
    assert re.fullmatch(r"☐ outstanding since \d\d:\d\d \(\d+ h\)", todo), todo
    assert "9 to do" in heading


def test_grade_3_brings_its_actions_up_new_named_on_the_banner_until_acknowledged(
    qtbot, grade2, clock
):
    window, store = grade2
    protocol = window.protocol
    qtbot.mouseClick(window.banner.button, Qt.MouseButton.LeftButton)  # grade 2 seen
    assert window.banner.isHidden()
    assert not any(is_new(window, key) for key in window.checklist.rows)

    clock.advance(5 * MINUTE)
    window.session.chart([Entry("o2_device", "non_rebreather")], clock())
    qtbot.waitUntil(lambda: "CRS grade 3" in window.checklist.heading.text())

    grade3 = keys(protocol.actions_for(CRS, 3)) - keys(protocol.actions_for(CRS, 2))
    assert grade3 and grade3 <= set(window.checklist.rows)
    assert set(window.checklist.rows) == keys(protocol.actions_for(CRS, 3)) | {"news2_emergency"}
    for key in window.checklist.rows:
        assert is_new(window, key) == (key in grade3), key
    assert f"{len(grade3)} NEW" in window.checklist.heading.text()
    banner = window.banner.text.text()
    assert window.banner.isVisible() and "GRADE 3 (was 2)" in banner
    escalations = [a.title for a in protocol.actions_for(CRS, 3) if a.group == "Escalation"]
    assert escalations and all(title in banner for title in escalations)

    qtbot.mouseClick(window.banner.button, Qt.MouseButton.LeftButton)
    assert window.banner.isHidden()
    for key in grade3:
        assert not is_new(window, key)
        assert window.checklist.rows[key].state.text().startswith("☐ outstanding since")
    # The demo's NEWS2 of 9 was acknowledged with grade 2 (one banner, one Ctrl+K).
    acks = [e for e in store.events(pid(store), kind="alert_ack") if e.key == CRS]
    assert [(e.key, e.detail["grade"], e.charted_by) for e in acks] == [
        (CRS, 2, NURSE),
        (CRS, 3, NURSE),
    ]
    assert acks[-1].recorded_at == clock()


def test_a_rise_charted_late_still_brings_its_actions_up_new(qtbot, grade2, clock):
    """Vitals taken before the acknowledgement and charted after it: the grade 3 actions
    were never on the screen when the nurse acknowledged grade 2."""
    window, _store = grade2
    clock.advance(2 * MINUTE)
    qtbot.mouseClick(window.banner.button, Qt.MouseButton.LeftButton)
    clock.advance(10 * MINUTE)
    window.session.chart([Entry("o2_device", "non_rebreather")], clock() - 11 * MINUTE)
    qtbot.waitUntil(lambda: "CRS grade 3" in window.checklist.heading.text())
    assert is_new(window, "crs_icu") and is_new(window, "crs_inform_doctor_g3")
    assert not is_new(window, "crs_oxygen")  # due since grade 2, seen then
    assert window.protocol.action("crs_icu").title in window.banner.text.text()


# -- 2. marking tocilizumab done charts the dose ---------------------------------------


def test_tocilizumab_done_charts_the_dose_from_the_weight_and_the_time_given(
    qtbot, before_tocilizumab, clock
):
    window, store = before_tocilizumab
    assert window.checklist.rows["crs_tocilizumab"].state.text().startswith("☐ outstanding since")
    dialog = press_button(qtbot, window, "crs_tocilizumab", DONE)
    assert dialog.dose.text() == "576"  # 8 mg/kg × 72 kg
    assert dialog.warnings.isHidden()
    given_at = int(clock() - 10 * MINUTE)
    dialog.when.setDateTime(QDateTime.fromSecsSinceEpoch(given_at))
    enter(qtbot, dialog, dialog.dose)
    qtbot.waitUntil(lambda: not dialog.isVisible())

    [row] = toci_rows(store)
    assert (row.value, row.unit, row.charted_by) == (576, "mg", NURSE)
    assert row.observed_at == given_at
    [event] = store.events(pid(store), kind="checklist")
    assert (event.key, event.status, event.at, event.charted_by) == (
        "crs_tocilizumab",
        DONE,
        given_at,
        NURSE,
    )
    assert event.detail["rows"] == [row.id] and "reason" not in event.detail
    state = window.checklist.rows["crs_tocilizumab"].state.text()
    assert state.startswith("✔ DONE") and f"by {NURSE}" in state
    assert "1 in total (576 mg)" in window.checklist.drugs.text()


def test_tocilizumab_charted_the_usual_way_answers_the_action(qtbot, before_tocilizumab, clock):
    window, store = before_tocilizumab
    title = window.protocol.action("crs_tocilizumab").title
    assert title in window.handover_todo()[0]
    window.session.chart([Entry("tocilizumab", "576", "mg")], clock() - MINUTE)
    qtbot.waitUntil(lambda: "DONE" in window.checklist.rows["crs_tocilizumab"].state.text())
    assert f"by {NURSE}" in window.checklist.rows["crs_tocilizumab"].state.text()
    assert title not in window.handover_todo()[0]
    assert store.events(pid(store), kind="checklist") == []  # the chart alone answers it


# -- 3. tocilizumab limits: a warning, a reason to go on ---------------------------------


def test_a_second_dose_within_8_h_needs_a_reason_which_is_charted(qtbot, grade2):
    window, store = grade2
    dialog = window.give_tocilizumab()
    qtbot.waitUntil(dialog.isVisible)
    warning = dialog.warnings.text()
    assert dialog.warnings.isVisible()
    assert "since the last dose (at least 8 h between doses)" in warning
    before = counts(store)
    enter(qtbot, dialog, dialog.dose)
    assert dialog.isVisible() and dialog.error.isVisible()
    assert "reason to go on: required" in dialog.error.text()
    assert counts(store) == before

    reason = "consultant ordered a repeat dose, rising oxygen need"
    qtbot.keyClicks(dialog.reason, reason)
    enter(qtbot, dialog, dialog.reason)
    qtbot.waitUntil(lambda: not dialog.isVisible())
    event = store.events(pid(store), kind="checklist")[-1]
    assert (event.key, event.status) == ("crs_tocilizumab", DONE)
    assert event.detail["reason"] == reason
    assert "since the last dose" in event.detail["warnings"]
    row = toci_rows(store)[-1]
    assert row.id in event.detail["rows"] and row.value == 576
    assert reason in row.note
    state = window.checklist.rows["crs_tocilizumab"].state.text()
    assert state.startswith("✔ DONE") and f"by {NURSE}: {reason}" in state


def test_a_fourth_dose_in_24_h_and_a_fifth_in_total_warn(qtbot, before_tocilizumab, clock):
    window, store = before_tocilizumab
    for hours_ago in (23, 14, 8.5):  # each at least 8 h apart from the next: only the count
        window.session.chart([Entry("tocilizumab", "576", "mg")], clock() - hours_ago * HOUR)
    dialog = window.give_tocilizumab()
    qtbot.waitUntil(dialog.isVisible)
    warning = dialog.warnings.text()
    assert "this would be dose 4 in 24 h (no more than 3 in 24 h)" in warning
    assert "since the last dose" not in warning and "in total" not in warning.split("24 h)")[1]
    before = counts(store)
    enter(qtbot, dialog, dialog.dose)
    assert dialog.error.isVisible() and counts(store) == before
    dialog.reject()

    window.session.chart([Entry("tocilizumab", "576", "mg")], clock() - 30 * HOUR)
    dialog = window.give_tocilizumab()
    qtbot.waitUntil(dialog.isVisible)
    warning = dialog.warnings.text()
    assert "this would be dose 5 in total (no more than 4 in total)" in warning
    assert "this would be dose 4 in 24 h" in warning
    before = counts(store)
    enter(qtbot, dialog, dialog.dose)
    assert dialog.error.isVisible() and counts(store) == before
    qtbot.keyClicks(dialog.reason, "haematologist's order")
    enter(qtbot, dialog, dialog.reason)
    qtbot.waitUntil(lambda: not dialog.isVisible())
    assert len(toci_rows(store)) == 5
    assert "5 in total" in window.checklist.drugs.text()


def test_a_dose_given_8_h_after_the_last_needs_no_reason(qtbot, grade2, clock):
    window, store = grade2
    clock.advance(7 * HOUR)  # the demo's dose was at 61 h: now 69 h
    window.refresh_treatment()
    dialog = window.give_tocilizumab()
    qtbot.waitUntil(dialog.isVisible)
    assert dialog.warnings.isHidden()
    enter(qtbot, dialog, dialog.dose)
    qtbot.waitUntil(lambda: not dialog.isVisible())
    assert len(toci_rows(store)) == 2


def _answer_tocilizumab_reason(qtbot, form, reason: str | None) -> list[str]:
    """Answer the real dialog asking the reason before a dose past a warning (None: Cancel);
    returns (once the form has saved) what the dialog said."""
    said: list[str] = []
    tries = iter(range(100))  # looks for 2 s, then stops looking

    def answer() -> None:
        box = QApplication.activeModalWidget()
        if not isinstance(box, QInputDialog) or box.objectName() != "tocilizumab_reason":
            if next(tries, None) is not None:
                QTimer.singleShot(20, answer)
            return
        said.append(box.labelText())
        if reason is None:
            box.reject()
        else:
            box.setTextValue(reason)
            box.accept()

    QTimer.singleShot(0, answer)
    return said


def test_a_dose_charted_on_the_form_meets_the_same_limits_and_needs_a_reason(qtbot, grade2):
    """F2 is the other way to chart tocilizumab: the same limits as Give tocilizumab…,
    and going past one needs a reason, charted in the dose's note."""
    window, store = grade2
    before = counts(store)
    form = window.new_observations()
    qtbot.keyClicks(form.fields["tocilizumab"].editor, "576")

    said = _answer_tocilizumab_reason(qtbot, form, None)  # Cancel
    form.save()
    assert form.isVisible() and counts(store) == before
    assert "since the last dose (at least 8 h between doses)" in said[0]

    _answer_tocilizumab_reason(qtbot, form, "")  # OK with no reason
    form.save()
    assert form.isVisible() and counts(store) == before
    assert "reason to go on: required" in form.form_error.text()

    reason = "consultant ordered a repeat dose"
    _answer_tocilizumab_reason(qtbot, form, reason)
    form.save()
    assert not form.isVisible()
    row = toci_rows(store)[-1]
    assert row.value == 576 and row.charted_by == NURSE
    assert f"reason to go on: {reason}" in row.note and "since the last dose" in row.note


def test_a_dose_on_the_form_within_the_limits_asks_nothing(qtbot, grade2, clock):
    window, store = grade2
    clock.advance(8 * HOUR)
    form = window.new_observations()
    qtbot.keyClicks(form.fields["tocilizumab"].editor, "576")
    said = _answer_tocilizumab_reason(qtbot, form, None)  # would cancel, if asked
    form.save()
    assert not form.isVisible() and said == []
    assert len(toci_rows(store)) == 2 and "reason" not in toci_rows(store)[-1].note


def test_a_dose_above_the_maximum_per_infusion_warns_in_the_dialog(qtbot, grade2, clock):
    window, store = grade2
    clock.advance(8 * HOUR)
    window.refresh_treatment()
    dialog = window.give_tocilizumab()
    qtbot.waitUntil(dialog.isVisible)
    assert dialog.warnings.isHidden()
    dialog.dose.setText("1000")
    assert dialog.warnings.isVisible()
    assert "1000 mg is more than the 800 mg maximum per infusion" in dialog.warnings.text()
    dialog.dose.setText("576")
    assert dialog.warnings.isHidden()
    dialog.reject()


# -- 4. not done and not applicable need a reason --------------------------------------


@pytest.mark.parametrize("status", [NOT_DONE, NOT_APPLICABLE])
def test_not_done_and_not_applicable_need_a_reason(qtbot, grade2, status):
    window, store = grade2
    dialog = press_button(qtbot, window, "crs_cultures", status)
    before = counts(store)
    enter(qtbot, dialog, dialog.reason)
    assert dialog.isVisible() and dialog.error.isVisible()
    assert "reason: required" in dialog.error.text()
    qtbot.keyClicks(dialog.reason, "   ")  # spaces are no reason
    enter(qtbot, dialog, dialog.reason)
    assert dialog.isVisible() and counts(store) == before

    dialog.reason.clear()
    qtbot.keyClicks(dialog.reason, "taken at 58 h, results pending")
    enter(qtbot, dialog, dialog.reason)
    qtbot.waitUntil(lambda: not dialog.isVisible())
    event = store.events(pid(store), kind="checklist")[-1]
    assert (event.key, event.status, event.charted_by) == ("crs_cultures", status, NURSE)
    assert event.detail["reason"] == "taken at 58 h, results pending"
    assert counts(store)[0] == before[0]  # no drug: nothing charted but the mark
    state = window.checklist.rows["crs_cultures"].state.text()
    expected = {NOT_DONE: "✘ NOT DONE", NOT_APPLICABLE: "– NOT APPLICABLE"}[status]
    assert state.startswith(expected) and state.endswith(": taken at 58 h, results pending")


def test_cancel_writes_nothing(qtbot, grade2):
    window, store = grade2
    dialog = press_button(qtbot, window, "crs_oxygen", DONE)
    before = counts(store)
    qtbot.keyClick(dialog.reason, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: not dialog.isVisible())
    assert counts(store) == before
    assert window.checklist.rows["crs_oxygen"].state.text().startswith("☐ outstanding since")


# -- 5. timers --------------------------------------------------------------------------


def test_vitals_fall_overdue_with_the_clock_and_clear_when_charted(qtbot, grade2, clock):
    window, store = grade2
    clock.advance(5 * MINUTE)
    window.refresh_treatment()
    label = window.due.labels["vitals"]
    assert window.due.overdue_keys() == []
    assert " due " in label.text() and "OVERDUE" not in label.text()
    assert "every 1 h: CRS grade ≥ 2" in label.text()

    clock.advance(HOUR)  # the last set was at 62 h: due at 63 h
    window.refresh_treatment()
    assert "vitals" in window.due.overdue_keys()
    assert "OVERDUE" in label.text() and label.property("overdue") is True
    assert "#b00020" in label.styleSheet()
    assert any("OVERDUE" in line for line in window.handover_todo()[1])

    # All but one item charted: still overdue, and the one left behind is named.
    window.session.chart(VITALS[:-1], clock())
    qtbot.waitUntil(lambda: "spo2 last charted" in label.text())
    assert "vitals" in window.due.overdue_keys()
    window.session.chart(VITALS[-1:], clock())
    qtbot.waitUntil(lambda: "vitals" not in window.due.overdue_keys())
    assert "OVERDUE" not in label.text() and label.property("overdue") is False
    assert store.rows(pid(store), items=["spo2"])[-1].charted_by == NURSE


def test_overdue_timers_come_first(qtbot, grade2, clock):
    window, _store = grade2
    clock.advance(2.5 * HOUR)  # vitals due at 63 h, ICE at 64 h: both overdue
    window.refresh_treatment()
    assert set(window.due.overdue_keys()) == {"vitals", "ice"}
    window.session.chart(VITALS, clock())  # vitals clear; ICE is still overdue
    qtbot.waitUntil(lambda: window.due.overdue_keys() == ["ice"])
    layout = window.due.layout_
    order = [layout.itemAt(n).widget() for n in range(layout.count())]
    assert order[0] is window.due.labels["ice"]


# -- 6. the handover --------------------------------------------------------------------


def test_the_handover_lists_what_is_left_and_the_timers(qtbot, grade2):
    window, store = grade2
    outstanding, due = window.handover_todo()
    shown = [
        row.item.action.title for row in window.checklist.rows.values() if row.item.outstanding
    ]
    assert outstanding == shown and len(outstanding) == 9
    assert window.protocol.action("crs_tocilizumab").title not in outstanding  # given at 61 h
    # The fluid bolus given at grade 2 (56 h) is still done after the dip to grade 1.
    assert window.protocol.action("crs_fluids").title not in outstanding
    timers = window.protocol.timers
    assert len(due) == len(timers)
    for line, timer in zip(due, timers, strict=True):
        assert line.startswith(timer.title) and " due " in line

    telemetry = window.protocol.action("crs_telemetry").title
    dialog = press_button(qtbot, window, "crs_telemetry", DONE)
    enter(qtbot, dialog, dialog.reason)
    qtbot.waitUntil(lambda: not dialog.isVisible())
    after, _due = window.handover_todo()
    assert after == [title for title in outstanding if title != telemetry]
    assert window.checklist.rows["crs_telemetry"].state.text().startswith("✔ DONE")


def test_the_observed_time_follows_the_clock_until_the_nurse_sets_it(qtbot, grade2, clock):
    """A form opened, then left for a call: the vitals typed on return are charted now, as
    the form shows, not at the time it was opened."""
    window, store = grade2
    form = window.new_observations()
    opened = int(clock())
    clock.advance(40 * MINUTE)
    qtbot.keyClicks(form.fields["heart_rate"].editor, "101")
    form.save()  # a heart rate alone: NEWS2 asks for the rest, or why not
    qtbot.keyClicks(form.vitals.reason, "spot check")
    form.save()
    assert not form.isVisible()
    row = store.rows(pid(store), items=["heart_rate"])[-1]
    assert row.observed_at == int(clock()) and row.observed_at - opened == 40 * MINUTE

    form = window.new_observations()
    taken = int(clock() - 25 * MINUTE)
    form.time_edit.setDateTime(QDateTime.fromSecsSinceEpoch(taken))  # the nurse sets it
    clock.advance(10 * MINUTE)
    form.time_row.follow_clock()  # the form's timer: a time the nurse set stays
    assert form.time_edit.dateTime().toSecsSinceEpoch() == taken
    qtbot.keyClicks(form.fields["heart_rate"].editor, "99")
    form.save()
    qtbot.keyClicks(form.vitals.reason, "spot check")
    form.save()
    newest = max(store.rows(pid(store), items=["heart_rate"]), key=lambda r: r.id)
    assert (newest.value, newest.observed_at) == (99, taken)


def test_a_dose_marked_given_after_the_dialog_waited_is_charted_when_given(
    qtbot, before_tocilizumab, clock
):
    """The dialog opened, the dose drawn up and given, then saved: charted at the saving
    (what the dialog showed by then), so the next dose's 8 h count from the real time."""
    window, store = before_tocilizumab
    dialog = press_button(qtbot, window, "crs_tocilizumab", DONE)
    clock.advance(30 * MINUTE)
    dialog.when_row.follow_clock()  # its timer, every few seconds
    assert dialog.when.dateTime().toSecsSinceEpoch() == int(clock())
    enter(qtbot, dialog, dialog.dose)
    qtbot.waitUntil(lambda: not dialog.isVisible())
    [row] = toci_rows(store)
    assert row.observed_at == int(clock())


def test_an_item_marked_meanwhile_on_another_workstation_is_refused_naming_who(qtbot, grade2):
    """Two nurses at two workstations mark the same item: the second is told who did it."""
    window, store = grade2
    dialog = press_button(qtbot, window, "crs_cultures", NOT_DONE)
    with ChartStore(store.path, clock=store.clock) as other:  # the other workstation
        other.record_event(
            pid(store),
            "checklist",
            actor="RN Other",
            key="crs_cultures",
            status=DONE,
            detail={"title": "Blood cultures"},
        )
    # The other's mark reaches this window (its feed) while the dialog is still open.
    qtbot.waitUntil(lambda: window.checklist.rows["crs_cultures"].state.text().startswith("✔"))
    before = counts(store)
    qtbot.keyClicks(dialog.reason, "taken at 58 h")
    enter(qtbot, dialog, dialog.reason)
    assert dialog.isVisible() and dialog.error.isVisible()
    assert "Blood cultures: already marked done by RN Other at " in dialog.error.text()
    assert counts(store) == before
