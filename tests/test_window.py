"""The real bedside window, driven through pytest-qt: charting, live values, alerts, corrections."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from PySide6.QtCore import QSize, Qt, QTimer
from PySide6.QtWidgets import QApplication, QMessageBox, QScrollArea, QSplitter

from crs_desktop.store import ChartStore
from crs_desktop.store.records import Entry
from crs_desktop.ui.app import dispose
from crs_desktop.ui.main_window import MainWindow

NURSE = "RN Test"
HOUR = 3600.0


@pytest.fixture
def store(tmp_path: Path):
    s = ChartStore(tmp_path / "chart.sqlite3")
    now = time.time()
    patient = s.create_patient(
        "MRN-1",
        "Test, Pat",
        actor="setup",
        weight_kg=70.0,
        infusion_time=now - 50 * HOUR,
        car_t_product="tisagenlecleucel",
    )
    # Two normal sets of vitals: no CRS.
    for hours_ago in (4, 2):
        s.chart(
            patient.id,
            [
                Entry("temperature", "37.0"),
                Entry("systolic_bp", "120"),
                Entry("diastolic_bp", "70"),
                Entry("heart_rate", "80"),
                Entry("resp_rate", "16"),
                Entry("spo2", "97"),
                Entry("o2_device", "room_air"),
                Entry("acvpu", "A"),
            ],
            observed_at=now - hours_ago * HOUR,
            actor="setup",
        )
    s.create_patient("MRN-2", "Second, Sam", actor="setup", weight_kg=80.0)
    yield s
    s.close()


@pytest.fixture
def window(qtbot, store):
    w = MainWindow(store, NURSE)
    qtbot.addWidget(w)
    w.open_patient_by_mrn("MRN-1")
    w.resize(1400, 900)
    w.show()
    yield w
    dispose(w)  # while Qt is up: pyqtgraph items left to the final GC crash PySide6 6.12


def counts(store: ChartStore) -> tuple[int, int, int]:
    conn = store.conn
    return tuple(
        conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
        for table in ("observations", "audit", "events")
    )  # type: ignore[return-value]


def crs_badge(window: MainWindow) -> str:
    return window.grading.cards["astct_crs"].badge.text()


def type_into(qtbot, form, values: dict[str, str]) -> None:
    for key, text in values.items():
        editor = form.fields[key].editor
        editor.setFocus()
        qtbot.keyClicks(editor, text)


def test_header_shows_patient_and_signed_in_nurse(window):
    assert window.header.name.text() == "Test, Pat"
    details = window.header.details.text().replace("\u00a0", " ")  # no break inside a part
    assert "MRN MRN-1" in details and "70 kg" in details and "Day +" in details
    assert "tisagenlecleucel" in details
    assert NURSE in window.header.nurse.text()
    assert crs_badge(window) == "grade 0 (none)"
    assert window.banner.isHidden()


def test_charting_vitals_by_keyboard_updates_plots_grade_and_store(qtbot, window, store):
    before = len(window.plots.buffers["temperature"])
    qtbot.keyClick(window, Qt.Key.Key_F2)
    form = window.entry_form
    qtbot.waitUntil(form.isVisible)
    type_into(
        qtbot,
        form,
        {"temperature": "38.6", "systolic_bp": "85", "diastolic_bp": "50", "heart_rate": "118"}
        | {"resp_rate": "18", "spo2": "96", "acvpu": "A", "o2_device": "r"},  # all of NEWS2
    )
    qtbot.keyClick(form.fields["o2_device"].editor, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: not form.isVisible())

    rows = store.rows(store.patient("MRN-1").id, items=["temperature"])
    assert rows[-1].value == 38.6 and rows[-1].charted_by == NURSE
    temps = window.plots.buffers["temperature"]
    assert len(temps) == before + 1 and temps.v[-1] == 38.6
    x, y = window.plots.curves["temperature"].getData()
    assert y[-1] == 38.6
    # Fever and systolic 85 without vasopressors: ASTCT grade 2.
    assert crs_badge(window) == "GRADE 2"
    reasons = window.grading.cards["astct_crs"].reasons.text()
    assert "38.6 °C" in reasons and "85 mmHg" in reasons
    assert window.banner.isVisible() and "GRADE 2" in window.banner.text.text()


def test_escape_cancels_and_writes_nothing(qtbot, window, store):
    before = counts(store)
    form = window.new_observations()
    qtbot.waitUntil(form.isVisible)
    type_into(qtbot, form, {"temperature": "39.0"})
    asked = _answer_next_message_box(QMessageBox.StandardButton.Yes)  # "Discard 1 value?"
    qtbot.keyClick(form.fields["temperature"].editor, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: not form.isVisible())
    assert asked == ["Discard 1 value?"]
    assert counts(store) == before
    assert crs_badge(window) == "grade 0 (none)"


def test_bad_input_is_shown_at_the_field_and_nothing_is_saved(qtbot, window, store):
    before = counts(store)
    form = window.new_observations()
    type_into(qtbot, form, {"temperature": "38.5", "heart_rate": "fast", "spo2": "140"})
    qtbot.keyClick(form.fields["spo2"].editor, Qt.Key.Key_Return)
    assert form.isVisible()
    hr_error = form.fields["heart_rate"].error
    assert hr_error.isVisible() and "Heart rate 'fast'" in hr_error.text()
    spo2_error = form.fields["spo2"].error
    assert spo2_error.isVisible() and "140" in spo2_error.text()
    assert not form.fields["temperature"].error.isVisible()
    assert counts(store) == before
    assert crs_badge(window) == "grade 0 (none)"


def test_an_incomplete_ice_assessment_is_refused_and_a_complete_one_charted(qtbot, window, store):
    form = window.new_observations()
    for part, text in (("orientation", "3"), ("naming", "3"), ("commands", "1")):
        qtbot.keyClicks(form.ice_edits[part], text)
    assert form.ice_total.text() == "ICE score: incomplete"
    before = counts(store)
    form.save()
    assert form.isVisible() and "writing" in form.ice_error.text()
    assert counts(store) == before
    for part, text in (("writing", "0"), ("attention", "1")):
        qtbot.keyClicks(form.ice_edits[part], text)
    assert form.ice_total.text() == "ICE score: 8 / 10"
    form.save()
    assert not form.isVisible()
    row = store.rows(store.patient("MRN-1").id, items=["ice_score"])[-1]
    assert row.value == 8 and "writing 0/1" in row.note
    assert window.grading.cards["astct_icans"].badge.text() == "GRADE 1"


def _answer_next_message_box(
    button: QMessageBox.StandardButton, tries: int | None = None
) -> list[str]:
    """Click `button` on the next message box (looking `tries` times 20 ms apart, or until
    one comes); returns, once answered, the box's text."""
    said: list[str] = []
    left = iter(range(tries)) if tries is not None else None

    def answer() -> None:
        box = QApplication.activeModalWidget()
        if isinstance(box, QMessageBox):
            said.append(box.text())
            box.button(button).click()
        elif left is None or next(left, None) is not None:
            QTimer.singleShot(20, answer)

    QTimer.singleShot(0, answer)
    return said


def test_extreme_value_needs_confirmation(qtbot, window, store):
    before = counts(store)
    form = window.new_observations()
    type_into(qtbot, form, {"heart_rate": "230"})
    form.save()  # a heart rate alone: NEWS2 asks for the rest, or why not
    qtbot.keyClicks(form.vitals.reason, "spot check")
    _answer_next_message_box(QMessageBox.StandardButton.No)
    form.save()
    assert form.isVisible() and counts(store) == before
    _answer_next_message_box(QMessageBox.StandardButton.Yes)
    form.save()
    assert not form.isVisible()
    row = store.rows(store.patient("MRN-1").id, items=["heart_rate"])[-1]
    assert row.value == 230 and row.extreme


def test_a_value_written_by_another_process_appears_within_a_second(qtbot, window, store):
    assert crs_badge(window) == "grade 0 (none)"
    script = textwrap.dedent(
        f"""
        import time
        from crs_desktop.store import ChartStore
        from crs_desktop.store.records import Entry
        s = ChartStore({str(store.path)!r})
        p = s.patient("MRN-1")
        s.chart(p.id, [Entry("temperature", "39.1")], observed_at=time.time(), actor="monitor")
        """
    )
    subprocess.run([sys.executable, "-c", script], check=True, timeout=60)
    written = time.monotonic()
    qtbot.waitUntil(lambda: crs_badge(window) == "GRADE 1", timeout=1000)
    assert time.monotonic() - written <= 1.0
    assert window.plots.buffers["temperature"].v[-1] == 39.1
    assert "39.1 °C" in window.grading.cards["astct_crs"].reasons.text()


def test_a_rising_grade_raises_the_banner_and_acknowledging_is_charted(qtbot, window, store):
    pid = store.patient("MRN-1").id
    window.session.chart([Entry("temperature", "38.4")], time.time() - 60)
    assert window.banner.isVisible()
    assert "CRS (ASTCT 2019) is now GRADE 1" in window.banner.text.text()
    qtbot.mouseClick(window.banner.button, Qt.MouseButton.LeftButton)
    assert window.banner.isHidden()
    acks = store.events(pid, kind="alert_ack")
    assert len(acks) == 1
    assert acks[0].charted_by == NURSE and acks[0].detail["grade"] == 1
    assert abs(acks[0].recorded_at - time.time()) < 60
    # A further rise brings it back.
    window.session.chart([Entry("systolic_bp", "82")], time.time() - 30)
    assert window.banner.isVisible() and "GRADE 2 (was 1)" in window.banner.text.text()


def test_a_correction_keeps_the_old_value_and_replots(qtbot, window, store):
    pid = store.patient("MRN-1").id
    [row_id] = window.session.chart([Entry("temperature", "39.5")], time.time() - 60)
    assert crs_badge(window) == "GRADE 1"
    dialog = window.correct_row(row_id)
    qtbot.keyClicks(dialog.value, "36.9")
    dialog.save()  # no reason yet
    assert dialog.isVisible() and "reason" in dialog.error.text()
    qtbot.keyClicks(dialog.reason, "typed into the wrong field")
    dialog.save()
    assert not dialog.isVisible()
    old = store.row(row_id)
    assert old.entered_in_error and old.error_reason == "typed into the wrong field"
    assert old.error_by == NURSE
    assert store.rows(pid, include_errors=False, items=["temperature"])[-1].value == 36.9
    assert window.plots.buffers["temperature"].v[-1] == 36.9
    assert 39.5 not in window.plots.buffers["temperature"].v
    assert crs_badge(window) == "grade 0 (none)"
    # The chart table shows both, the old one struck through with its reason.
    window.tabs.setCurrentWidget(window.table)
    model = window.table.model
    texts = [model.data(model.index(n, 8)) for n in range(model.rowCount())]
    assert any("ENTERED IN ERROR: typed into the wrong field" in t for t in texts)
    struck = [n for n in range(model.rowCount()) if model.row_at(n).id == row_id][0]
    assert model.data(model.index(struck, 2), Qt.ItemDataRole.FontRole).strikeOut()


def test_switching_patients_shows_only_that_patients_chart(qtbot, window, store):
    window.open_patient_by_mrn("MRN-2")
    assert window.header.name.text() == "Second, Sam"
    assert len(window.plots.buffers["temperature"]) == 0
    assert window.grading.cards["astct_crs"].badge.text() == "not graded"
    # A value for the first patient does not reach the second's window.
    other = store.patient("MRN-1").id
    store.chart(other, [Entry("temperature", "39.9")], observed_at=time.time(), actor="x")
    window.session.feed.check_now()
    assert len(window.plots.buffers["temperature"]) == 0
    window.session.chart([Entry("temperature", "38.2")], time.time())
    assert window.plots.buffers["temperature"].v[-1] == 38.2
    assert store.rows(store.patient("MRN-2").id)[-1].charted_by == NURSE


def test_a_long_chart_is_graded_in_the_background_without_losing_live_values(qtbot, store):
    w = MainWindow(store, NURSE)
    try:
        w.open_patient(store.patient("MRN-1"))  # the fixture patient: 16 values
        assert w.session.grades_ready  # a ward chart is graded before the window shows
        w.session.close()
        from crs_desktop.ui.session import PatientSession

        session = PatientSession(store, store.patient("MRN-1"), NURSE, grade_at_once_up_to=5)
        session.start()
        assert w.grading.cards  # the panel exists while grading runs
        # A value arriving while the background grading runs is neither lost nor doubled.
        session.chart([Entry("temperature", "38.8")], time.time() - 5)
        qtbot.waitUntil(lambda: session.grades_ready, timeout=10_000)
        qtbot.waitUntil(lambda: session.grades is not None, timeout=1000)
        crs = session.grades.systems["astct_crs"]
        assert crs.grade == 1 and any("38.8 °C" in r for r in crs.reasons)
        temps = [o for o in session.grader._at_time[session.grades.time] if o.item == "temperature"]
        assert len(temps) == 1
        session.close()
    finally:
        dispose(w)


def test_news2_uses_the_patients_spo2_scale_in_the_window_and_on_the_handover(qtbot, store):
    """A patient whose record says SpO2 scale 2 (target 88-92 %, REFERENCE.md §7.1): 90 % on
    air scores 0 there, not 3 as on scale 1, on the panel and on the printed handover alike."""
    now = time.time()
    patient = store.create_patient("MRN-S2", "Scale, Two", actor="setup", news2_scale=2)
    vitals = [
        Entry("temperature", "37.0"),
        Entry("systolic_bp", "120"),
        Entry("diastolic_bp", "70"),
        Entry("heart_rate", "80"),
        Entry("resp_rate", "16"),
        Entry("spo2", "90"),
        Entry("o2_device", "room_air"),
        Entry("acvpu", "A"),
    ]
    store.chart(patient.id, vitals, observed_at=now - 60, actor="setup")
    w = MainWindow(store, NURSE)
    qtbot.addWidget(w)
    try:
        w.open_patient_by_mrn("MRN-S2")
        news2 = w.session.grader.latest().systems["news2"]
        assert news2.grade == 0, news2.reasons
        assert w.grading.cards["news2"].badge.text() == "score 0"
        printed = w.gather_handover(now - 12 * HOUR, now + HOUR).grade("news2")
        assert printed.grade == 0
    finally:
        dispose(w)


@pytest.mark.parametrize("badge", ["grade 0 (none)", "GRADE 4"])
@pytest.mark.parametrize("size", [None, (1600, 1000), (1920, 1080)])
def test_the_grade_and_the_latest_values_are_never_cut_off(qtbot, themed, store, size, badge):
    """At the window's smallest size and at common screens, with the grades and the
    checklist at their narrowest: every grade badge whole (no sideways scrolling), the
    widest ("grade 0 (none)" at the large size) too; every plot's right edge (now) inside
    the window."""
    window = MainWindow(store, NURSE)
    qtbot.addWidget(window)
    window.open_patient_by_mrn("MRN-1")
    window.show()
    if badge == "GRADE 4":
        window.session.chart(
            [Entry("temperature", "39.0"), Entry("o2_device", "mechanical_ventilation")],
            time.time() - 60,
        )
    qtbot.waitUntil(lambda: crs_badge(window) == badge)
    window.grading.more.setChecked(True)  # Lee and CTCAE too
    window.resize(window.minimumSizeHint() if size is None else QSize(*size))
    QApplication.processEvents()
    # The plots given all they can take: the grades and the checklist at their narrowest.
    window.findChild(QSplitter).setSizes([10_000, 0, 0])
    QApplication.processEvents()
    try:
        scroll = window.grading.findChild(QScrollArea)
        assert scroll.horizontalScrollBar().maximum() == 0
        viewport = scroll.viewport()
        for system, card in window.grading.cards.items():
            badge = card.badge
            right = badge.mapTo(viewport, badge.rect().topRight()).x()
            assert badge.width() >= badge.sizeHint().width(), system
            assert right < viewport.width(), system
        view = window.plots.view
        for key, plot in window.plots.plots.items():
            if plot.isVisible():
                assert plot.vb.sceneBoundingRect().right() <= view.viewport().width(), key
    finally:
        dispose(window)


def test_the_window_fits_a_1280_pixel_ward_screen(qtbot, themed, tmp_path, chart_demo, demo_now):
    """The demo at grade 2 (banner up, long product name, checklist full): the window's
    narrowest is within 1280 px, so nothing of it is off a small ward screen."""
    db = tmp_path / "demo.sqlite3"
    chart_demo(db, 62)  # its last value at DEMO_NOW (conftest.py)
    demo = ChartStore(db, clock=lambda: demo_now)
    window = MainWindow(demo, NURSE, clock=lambda: demo_now)
    qtbot.addWidget(window)
    try:
        window.open_patient_by_mrn("DEMO-001")
        window.show()
        QApplication.processEvents()
        assert window.banner.isVisible()
        assert window.minimumSizeHint().width() <= 1280
    finally:
        dispose(window)
        demo.close()


def test_the_observations_form_is_never_larger_than_the_screen(qtbot, window):
    form = window.new_observations()
    room = form.screen().availableGeometry()
    assert form.width() <= room.width() and form.height() <= room.height()
    assert form.save_button.isVisible()
    form.reject()


def test_a_vasopressor_rate_is_charted_only_for_the_drug_chosen(qtbot, window, store):
    """The form named one drug and charted the rate as another: no drug is chosen until
    the nurse chooses one, and the rate is charted as the drug shown."""
    pid = store.patient("MRN-1").id
    before = counts(store)
    form = window.new_observations()
    assert form.pressor_choice.currentData() in ("", None)
    type_into(qtbot, form, {"pressor_rate": "5"})
    form.save()
    assert form.isVisible() and counts(store) == before
    error = form.fields["pressor_rate"].error
    assert error.isVisible() and "choose the drug" in error.text()

    unit = form.fields["pressor_rate"].unit
    assert unit.count() == 0  # no drug, no units
    form.pressor_choice.setCurrentIndex(form.pressor_choice.findData("dopamine"))
    assert [unit.itemData(i) for i in range(unit.count())] == ["ug/min", "ug/kg/min"]
    form.pressor_choice.setCurrentIndex(form.pressor_choice.findData("norepinephrine"))
    form.save()
    assert not form.isVisible()
    (row,) = store.rows(pid, items=["norepinephrine", "dopamine", "epinephrine"])
    assert (row.item, row.value, row.unit) == ("norepinephrine", 5.0, "ug/min")


def test_a_correction_offers_the_unit_the_value_was_charted_in(qtbot, window):
    [row_id] = window.session.chart([Entry("temperature", "101.3", "degF")], time.time() - 60)
    dialog = window.correct_row(row_id)
    assert dialog.unit.currentData() == "[degF]"
    qtbot.keyClicks(dialog.value, "100.3")
    qtbot.keyClicks(dialog.reason, "typing error")
    dialog.save()
    assert not dialog.isVisible()
    latest = window.session.store.rows(window.session.patient.id, include_errors=False)[-1]
    assert (latest.written_value, latest.written_unit) == ("100.3", "[degF]")
    assert abs(latest.value - 37.94) < 0.01  # (100.3 - 32) × 5/9 °C


def _long_chart_store(tmp_path) -> tuple[ChartStore, int]:
    """A store whose patient MRN-L has a chart long enough to be graded in the background
    (and a short second patient, MRN-S); returns it and MRN-L's minutes of vitals."""
    from datetime import UTC, datetime

    from crs_desktop.cli import main
    from crs_desktop.ui.session import GRADE_AT_ONCE_UP_TO

    minutes = GRADE_AT_ONCE_UP_TO // 6 + 600  # past the threshold, two days and more
    start = time.time() // 60 * 60 - minutes * 60
    lines = ["time,item,value,unit,note"]
    vitals = (("temperature", "37.0"), ("heart_rate", "80"), ("systolic_bp", "120"))
    vitals += (("diastolic_bp", "70"), ("resp_rate", "16"), ("spo2", "97"))
    for m in range(minutes):
        at = datetime.fromtimestamp(start + m * 60, UTC).isoformat()
        lines += [f"{at},{item},{value},," for item, value in vitals]
    chart = tmp_path / "long.csv"
    chart.write_text("\n".join(lines) + "\n", encoding="utf-8")
    db = tmp_path / "long.sqlite3"
    assert main(["import", str(chart), "--patient", "MRN-L", "--db", str(db)]) == 0
    store = ChartStore(db)
    store.create_patient("MRN-S", "Short, Sam", actor="setup", weight_kg=70.0)
    return store, minutes


def test_a_long_chart_shows_its_grades_then_the_plots_older_history(qtbot, tmp_path):
    long_store, minutes = _long_chart_store(tmp_path)
    w = MainWindow(long_store, NURSE)
    qtbot.addWidget(w)
    try:
        w.open_patient_by_mrn("MRN-L")
        assert not w.session.grades_ready  # graded in the background
        w.show()
        qtbot.waitUntil(lambda: w.session.grades_ready, timeout=20_000)
        qtbot.waitUntil(lambda: len(w.plots.buffers["temperature"]) == minutes, timeout=5_000)
        assert crs_badge(w) == "grade 0 (none)"
    finally:
        dispose(w)
        long_store.close()


def test_other_cause_in_the_note_of_several_values_is_confirmed_first(qtbot, window, store):
    """The note applies to every value of the set: other_cause written for the fever would
    also hide the hypotension from grading. Asked first (No keeps the form, saves nothing)."""
    pid = store.patient("MRN-1").id
    before = counts(store)
    form = window.new_observations()
    type_into(qtbot, form, {"temperature": "39.0", "systolic_bp": "84"})
    qtbot.keyClicks(form.note, "other_cause: blood transfusion reaction")
    form.save()  # not a whole NEWS2 set: asked first
    qtbot.keyClicks(form.vitals.reason, "spot check")
    _answer_next_message_box(QMessageBox.StandardButton.No)
    form.save()
    assert form.isVisible() and counts(store) == before
    _answer_next_message_box(QMessageBox.StandardButton.Yes)
    form.save()
    assert not form.isVisible()
    rows = store.rows(pid, items=["temperature", "systolic_bp"])[-2:]
    assert all("other_cause" in r.note for r in rows)
    assert crs_badge(window) == "grade 0 (none)"  # both left out, as confirmed


def test_other_cause_on_a_value_charted_alone_is_not_asked(qtbot, window, store):
    form = window.new_observations()
    type_into(qtbot, form, {"temperature": "39.0"})
    qtbot.keyClicks(form.note, "other_cause: transfusion reaction")
    form.save()  # not a whole NEWS2 set: asked first
    qtbot.keyClicks(form.vitals.reason, "spot check")
    asked = _answer_next_message_box(QMessageBox.StandardButton.No, tries=50)
    form.save()
    assert not form.isVisible() and asked == []


def test_switching_away_while_a_long_chart_is_graded_is_clean(qtbot, tmp_path):
    """The nurse opens the wrong patient and switches at once: the first chart's grading
    ends in the background without touching the window now showing the second."""
    long_store, _minutes = _long_chart_store(tmp_path)
    w = MainWindow(long_store, NURSE)
    qtbot.addWidget(w)
    try:
        w.open_patient_by_mrn("MRN-L")
        assert not w.session.grades_ready
        w.show()
        w.open_patient_by_mrn("MRN-S")
        qtbot.wait(1500)  # the first chart's grading finishes meanwhile
        assert w.session.patient.mrn == "MRN-S"
        assert w.header.name.text() == "Short, Sam"
        assert w.grading.as_of.text() == "No values charted yet"
    finally:
        dispose(w)
        long_store.close()
