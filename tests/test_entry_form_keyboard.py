"""The observations form and its dialogs by keyboard, as a nurse uses them (issue 13): Tab goes
value to value in the monitor's order, a wrong blood pressure pair or an incomplete NEWS2 set
is caught at the field, Esc never throws typed values away unasked, and what is read is in
ward words."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from PySide6.QtCore import QEvent, Qt, QTimer
from PySide6.QtWidgets import QApplication, QMessageBox, QWidget

from crs_desktop.domain.checklist import NOT_DONE
from crs_desktop.domain.validation import ChartValueError, validate
from crs_desktop.store import ChartStore
from crs_desktop.store.records import Entry
from crs_desktop.ui.app import dispose
from crs_desktop.ui.chart_table import ChartRowsModel
from crs_desktop.ui.main_window import MainWindow

NURSE = "RN Keys"
MRN = "MRN-K"
# A fixed clock for the window and the store: nothing here depends on the wall clock.
NOW = datetime(2026, 3, 1, 10, 0, tzinfo=UTC).timestamp()
TAB = Qt.Key.Key_Tab
RETURN = Qt.Key.Key_Return
ESC = Qt.Key.Key_Escape


def clock() -> float:
    return NOW


@pytest.fixture
def store(tmp_path: Path):
    s = ChartStore(tmp_path / "chart.sqlite3", clock=clock)
    s.create_patient(MRN, "Keys, Kim", actor="setup", weight_kg=70.0)
    yield s
    s.close()


@pytest.fixture
def window(qtbot, store):
    w = MainWindow(store, NURSE, clock=clock)
    qtbot.addWidget(w)
    w.open_patient_by_mrn(MRN)
    w.resize(1366, 768)
    w.show()
    # The session starts its feed from the event loop: a window disposed before that would
    # start it afterwards, its timer outliving the store (as test_window_checklist.py waits).
    qtbot.waitUntil(lambda: w.session.feed._timer.isActive())
    yield w
    dispose(w)  # while Qt is up (PySide6 6.12 and pyqtgraph)
    # Deleted now, not at the next event loop: its 20 s timer must not outlive the store
    # (the grading tests after these run no event loop for longer than that).
    QApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)


@pytest.fixture
def form(qtbot, window):
    f = window.new_observations()  # F2 (typed through X in test_real_window_keyboard.py)
    qtbot.waitUntil(f.isVisible)
    return f


def charted(store: ChartStore) -> dict[str, tuple[str, str]]:
    """item -> (value as written, note) of the patient's rows."""
    patient = store.patient(MRN)
    return {r.item: (r.written_value, r.note) for r in store.rows(patient.id)}


def press(qtbot, form: QWidget, *keys: str | Qt.Key) -> None:
    """Keys as a nurse types them, each to whatever has the focus in the form then."""
    for key in keys:
        target = form.focusWidget() or form
        if isinstance(key, str):
            qtbot.keyClicks(target, key)
        else:
            qtbot.keyClick(target, key)


def asked(qtbot, key: Qt.Key | None = None, button=None) -> list[str]:
    """As answer_next_box, returning what each box said (and whether No was its default)."""
    said: list[str] = []

    def answer() -> None:
        box = QApplication.activeModalWidget()
        if not isinstance(box, QMessageBox):
            QTimer.singleShot(20, answer)
            return
        default_no = box.defaultButton() is box.button(QMessageBox.StandardButton.No)
        said.append(f"{box.text()} [default No]" if default_no else box.text())
        if key is not None:
            qtbot.keyClick(box, key)
        else:
            box.button(button).click()

    QTimer.singleShot(0, answer)
    return said


# -- 1. Tab goes value to value ------------------------------------------------------------


def test_tab_goes_through_the_vitals_in_the_monitors_order_and_never_into_a_unit_box(qtbot, form):
    assert form.focusWidget() is form.fields["temperature"].editor
    path = [form.focusWidget().objectName()]
    for _ in range(8):
        press(qtbot, form, TAB)
        path.append(form.focusWidget().objectName())
    assert path == [
        "field_temperature",
        "field_systolic_bp",
        "field_diastolic_bp",
        "field_heart_rate",
        "field_resp_rate",
        "field_spo2",
        "field_acvpu",
        "field_o2_device",
        "field_o2_flow",
    ]
    # The unit box is reached from its value by F4, and by the mouse.
    form.fields["temperature"].editor.setFocus()
    press(qtbot, form, "101.3")
    press(qtbot, form, Qt.Key.Key_F4)
    unit = form.fields["temperature"].unit
    assert form.focusWidget() is unit and unit.focusPolicy() == Qt.FocusPolicy.ClickFocus
    press(qtbot, form, Qt.Key.Key_Down, TAB)
    assert unit.currentData() == "[degF]"
    assert form.fields["temperature"].text() == "101.3"
    assert form.focusWidget() is form.fields["systolic_bp"].editor


def test_typing_37_2_tab_120_tab_80_tab_88_enter_charts_each_where_it_was_typed(qtbot, form, store):
    press(qtbot, form, "37.2", TAB, "120", TAB, "80", TAB, "88", RETURN)
    # Not a whole NEWS2 set: asked at the vitals, nothing charted yet.
    assert form.isVisible() and charted(store) == {}
    assert "respiratory rate" in form.vitals.gap_message.text()
    assert form.focusWidget() is form.fields["resp_rate"].editor
    press(qtbot, form, "16", TAB, "97", TAB, "A", TAB, "r", RETURN)
    qtbot.waitUntil(lambda: not form.isVisible())
    values = {item: value for item, (value, _) in charted(store).items()}
    assert values == {
        "temperature": "37.2",
        "systolic_bp": "120",
        "diastolic_bp": "80",
        "heart_rate": "88",
        "resp_rate": "16",
        "spo2": "97",
        "acvpu": "A",
        "o2_device": "room_air",
    }


@pytest.mark.parametrize(("systolic", "diastolic"), [("95", "110"), ("100", "100")])
def test_a_diastolic_not_below_the_systolic_is_refused_at_the_field(
    qtbot, form, store, systolic, diastolic
):
    press(qtbot, form, "37.0", TAB, systolic, TAB, diastolic, TAB)
    error = form.fields["diastolic_bp"].error
    assert error.isVisible()  # said as soon as the pair is typed
    press(qtbot, form, "80", TAB, "16", TAB, "97", TAB, "A", TAB, "r", RETURN)
    assert form.isVisible() and charted(store) == {}
    assert error.isVisible() and f"diastolic {diastolic} mmHg is not below systolic" in error.text()
    assert form.focusWidget() is form.fields["diastolic_bp"].editor
    # Put right, it is charted.
    form.fields["diastolic_bp"].editor.clear()
    press(qtbot, form, "60", RETURN)
    qtbot.waitUntil(lambda: not form.isVisible())
    assert charted(store)["diastolic_bp"][0] == "60"


# -- 2. Esc does not throw typed values away ----------------------------------------------


def test_escape_with_typed_values_asks_and_no_is_the_default(qtbot, window, form, store):
    press(qtbot, form, "38.2", TAB, "120", TAB, TAB, "95")
    said = asked(qtbot, key=RETURN)  # Enter on the question: its default
    press(qtbot, form, ESC)
    qtbot.waitUntil(lambda: bool(said))
    assert said == ["Discard 3 values? [default No]"]
    assert form.isVisible() and form.fields["heart_rate"].text() == "95"
    said = asked(qtbot, button=QMessageBox.StandardButton.Yes)
    press(qtbot, form, ESC)
    qtbot.waitUntil(lambda: not form.isVisible())
    assert said == ["Discard 3 values? [default No]"] and charted(store) == {}
    # Nothing typed: Esc closes at once.
    empty = window.new_observations()
    qtbot.waitUntil(empty.isVisible)
    press(qtbot, empty, ESC)
    assert not empty.isVisible()


def test_the_correction_dialog_opens_in_the_value_and_escape_asks(qtbot, window, store):
    patient = store.patient(MRN)
    [row_id] = window.session.chart([Entry("heart_rate", "88")], NOW - 60)
    dialog = window.correct_row(row_id)
    qtbot.waitUntil(dialog.isVisible)
    assert dialog.focusWidget() is dialog.value
    press(qtbot, dialog, "86")
    said = asked(qtbot, key=RETURN)
    press(qtbot, dialog, ESC)
    qtbot.waitUntil(lambda: bool(said))
    assert said == ["Discard 1 value? [default No]"] and dialog.isVisible()
    press(qtbot, dialog, TAB, "typing error", RETURN)
    qtbot.waitUntil(lambda: not dialog.isVisible())
    rows = store.rows(patient.id, items=["heart_rate"])
    assert [(r.written_value, r.entered_in_error) for r in rows] == [("88", True), ("86", False)]


def test_the_mark_dialog_asks_before_discarding_a_typed_reason(qtbot, window, store):
    action = window.protocol.actions[0]
    dialog = window.mark_action(action.key, NOT_DONE)
    qtbot.waitUntil(dialog.isVisible)
    before = store.events(store.patient(MRN).id)
    press(qtbot, dialog, "patient refused")
    said = asked(qtbot, key=RETURN)
    press(qtbot, dialog, ESC)
    qtbot.waitUntil(lambda: bool(said))
    assert said == ["Discard 1 value? [default No]"] and dialog.isVisible()
    assert dialog.reason.text() == "patient refused"
    said = asked(qtbot, button=QMessageBox.StandardButton.Yes)
    press(qtbot, dialog, ESC)
    qtbot.waitUntil(lambda: not dialog.isVisible())
    assert store.events(store.patient(MRN).id) == before


# -- 3. NEWS2 in the form -------------------------------------------------------------------


def test_acvpu_is_with_the_vital_signs(form):
    assert form.vitals.isAncestorOf(form.fields["acvpu"].editor)


def test_vitals_without_all_of_news2_are_asked_for_and_a_reason_is_charted(qtbot, form, store):
    press(qtbot, form, "37.2", TAB, "120", TAB, "80", TAB, "88", RETURN)
    assert form.isVisible() and charted(store) == {}
    message = form.vitals.gap_message.text()
    for missing in ("respiratory rate", "SpO2", "air or oxygen", "ACVPU"):
        assert missing in message
    assert "temperature" not in message and "systolic" not in message
    # Enter again without a reason or the values: still asked, still nothing.
    press(qtbot, form, RETURN)
    assert form.isVisible() and charted(store) == {}
    form.vitals.reason.setFocus()
    press(qtbot, form, "asleep", RETURN)
    qtbot.waitUntil(lambda: not form.isVisible())
    rows = charted(store)
    assert [rows[i][0] for i in ("temperature", "systolic_bp", "diastolic_bp", "heart_rate")] == [
        "37.2",
        "120",
        "80",
        "88",
    ]
    for _value, note in rows.values():
        assert "NEWS2 incomplete" in note and "respiratory rate" in note and "asleep" in note


def test_labs_alone_are_not_a_vitals_set_and_are_not_asked_for_news2(qtbot, form, store):
    form.fields["crp"].editor.setFocus()
    press(qtbot, form, "42", RETURN)
    qtbot.waitUntil(lambda: not form.isVisible())
    assert charted(store) == {"crp": ("42", "")}
    assert form.vitals.gap.isHidden()


# -- 10. words a nurse reads --------------------------------------------------------------


def test_a_temperature_in_fahrenheit_reads_in_celsius_with_what_was_written(qtbot, window, store):
    from crs_desktop.domain.vocabulary import value_text  # new in issue 13

    assert value_text("temperature", 38.888888888888886, None, "102", "degF") == "38.9 °C (102 °F)"
    assert value_text("o2_device", None, "nasal_cannula") == "nasal cannula"
    assert value_text("systolic_bp", 120.0, None, "120", "") == "120 mmHg"
    patient = store.patient(MRN)
    window.session.chart([Entry("temperature", "102", "degF")], NOW - 60)
    table = ChartRowsModel()
    table.set_rows(store.rows(patient.id))
    texts = [table.data(table.index(0, col)) for col in range(table.columnCount())]
    assert texts[2:5] == ["38.9", "°C", "102 °F"]
    said = window.plots.describe_point("temperature", NOW - 60)
    assert said.startswith("Temperature 38.9 °C (102 °F) at ")
    assert "38.8889" not in said and "degF" not in said


def test_a_celsius_temperature_of_90_to_110_is_refused_as_likely_fahrenheit(qtbot, form, store):
    with pytest.raises(ChartValueError, match="did you mean °F"):
        validate("temperature", "102")
    with pytest.raises(ChartValueError, match="did you mean °F"):
        validate("temperature", "90", "Cel")
    assert validate("temperature", "102", "degF").value == pytest.approx(38.8889, abs=1e-4)
    press(qtbot, form, "102", RETURN)
    error = form.fields["temperature"].error
    assert form.isVisible() and "did you mean °F?" in error.text() and charted(store) == {}
    assert error.text().startswith("Temperature '102 °C'")  # the field's name, not a code


@pytest.mark.parametrize(
    ("item", "value", "unit", "said", "never"),
    [
        ("temperature", "20", "", "25–45 °C", "Cel"),
        ("temperature", "122", "degF", "122 °F", "degF"),
        ("systolic_bp", "400", "", "20–300 mmHg", "mm[Hg]"),
        ("o2_device", "tent", "", "nasal cannula", "nasal_cannula"),
        ("platelets", "5000", "", "×10⁹/L", "10*9/L"),
    ],
)
def test_messages_say_ward_words_never_codes(item, value, unit, said, never):
    with pytest.raises(ChartValueError) as refused:
        validate(item, value, unit)
    assert said in str(refused.value) and never not in str(refused.value)


def test_an_extreme_value_is_flagged_in_ward_words_and_a_device_as_said_is_accepted():
    flag = validate("temperature", "107", "degF").flag
    assert flag.startswith("Temperature 41.7 °C is outside the usual 35–41 °C")
    assert validate("o2_device", "nasal cannula").text == "nasal_cannula"
