"""The handover from the window: File → Print handover… (preview, Export PDF) and the note."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from pypdf import PdfReader
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox

from crs_desktop.app.demo_course import DEMO_MRN
from crs_desktop.app.shifts import current_shift, previous_shift
from crs_desktop.report.handover_data import build_handover
from crs_desktop.store import ChartStore, Entry
from crs_desktop.ui.app import dispose
from crs_desktop.ui.handover_note import EMPTY_MESSAGE
from crs_desktop.ui.main_window import MainWindow

NURSE = "RN Test"
HOUR = 3600.0


@pytest.fixture
def store(tmp_path: Path, chart_demo, demo_now):
    """The demo patient charted to 62 h after the infusion, its last value now (CRS grade 2)."""
    db = tmp_path / "chart.sqlite3"
    chart_demo(db, 62)  # its last value at DEMO_NOW (conftest.py), whatever the time of day
    s = ChartStore(db, clock=lambda: demo_now)  # the window's clock too (the `now` fixture)
    yield s
    s.close()


@pytest.fixture
def now(demo_now) -> float:
    return demo_now


@pytest.fixture
def window(qtbot, store, now):
    w = MainWindow(store, NURSE, clock=lambda: now)  # one "now" for the whole test
    qtbot.addWidget(w)
    w.open_patient_by_mrn(DEMO_MRN)
    w.resize(1400, 900)
    w.show()
    wait_until_watching(qtbot, w)
    yield w
    dispose(w)  # while Qt is up: pyqtgraph items left to the final GC crash PySide6 6.12


@pytest.fixture
def messages(monkeypatch) -> list[str]:
    """Message boxes answered at once; their text kept (a modal box would block the test)."""
    shown: list[str] = []

    def warning(_parent, _title, text, *_args):
        shown.append(text)
        return QMessageBox.StandardButton.Ok

    monkeypatch.setattr(QMessageBox, "warning", warning)
    return shown


def wait_until_watching(qtbot, w: MainWindow) -> None:
    """The session starts its feed from the event loop once the window is up. A window
    disposed before that starts it afterwards, and its timer outlives the test's store."""
    qtbot.waitUntil(lambda: w.session is not None and w.session.feed._timer.isActive())


def pdf_text(path: Path) -> str:
    return " ".join(re.sub(r"\s+", " ", page.extract_text()) for page in PdfReader(path).pages)


def event_count(store: ChartStore) -> int:
    return store.conn.execute("SELECT count(*) FROM events").fetchone()[0]


def open_preview(qtbot, window):
    window.print_action.trigger()  # File → Print handover… (Ctrl+P)
    dialog = window.handover_preview
    qtbot.waitUntil(dialog.isVisible)
    return dialog


def write_note(qtbot, window, lines: list[str]):
    window.note_action.trigger()
    dialog = window.handover_note
    qtbot.waitUntil(dialog.isVisible)
    editor = dialog.text
    editor.selectAll()
    qtbot.keyClick(editor, Qt.Key.Key_Delete)
    for n, line in enumerate(lines):
        if n:
            qtbot.keyClick(editor, Qt.Key.Key_Return)  # Enter is a new line, not "save"
        qtbot.keyClicks(editor, line)
    return dialog


# -- the preview --------------------------------------------------------------------------


def test_print_opens_the_preview_of_the_current_shift(qtbot, window, now):
    dialog = open_preview(qtbot, window)
    shift = current_shift(now, window.shift_starts)
    assert dialog.period == shift
    data = dialog.data
    assert (data.start, data.end, data.now) == (*shift, now)
    assert data.mrn == DEMO_MRN and data.printed_by == NURSE
    assert data.grade("astct_crs").grade == 2  # the window's grader, as the panel shows
    # The checklist's outstanding actions and the timers, as the window shows them.
    assert data.outstanding and "Tell the doctor: CRS grade 2" in data.outstanding
    assert data.observations_due and any(d.startswith("Vital signs") for d in data.observations_due)
    assert dialog.page_count >= 1
    assert dialog.preview.pageCount() == dialog.page_count
    words = dialog.period_label.text()
    assert f"{dialog.page_count} page" in words and "h)" in words


def test_the_previous_shift_is_one_click_away(qtbot, window, now):
    dialog = open_preview(qtbot, window)
    qtbot.mouseClick(dialog.period_buttons.button(1), Qt.MouseButton.LeftButton)
    previous = previous_shift(now, window.shift_starts)
    assert dialog.period == previous
    assert (dialog.data.start, dialog.data.end) == previous
    assert dialog.page_count >= 1


def test_a_past_shift_prints_its_checklist_as_it_stood_when_the_shift_ended(
    qtbot, window, store, now
):
    """The previous shift, printed from the window, lists the actions outstanding and the
    observations due at its end (as `crs-desktop handover` does), not what the checklist
    shows now."""
    patient = store.patient(DEMO_MRN)
    # A vasopressor started in this shift (charted at another workstation): CRS grade 3
    # now, after the previous shift ended.
    with ChartStore(store.path) as other:
        other.chart(patient.id, [Entry("norepinephrine", "5")], observed_at=now - 1, actor=NURSE)
    qtbot.waitUntil(lambda: window.session.grader.latest().systems["astct_crs"].grade == 3)
    dialog = open_preview(qtbot, window)
    assert "Tell the doctor now: CRS grade 3" in dialog.data.outstanding
    qtbot.mouseClick(dialog.period_buttons.button(1), Qt.MouseButton.LeftButton)
    past = dialog.data
    start, end = previous_shift(now, window.shift_starts)
    assert (past.start, past.end) == (start, end)
    assert past.grade("astct_crs").grade < 3
    assert past.outstanding is not None
    assert not any("grade 3" in title for title in past.outstanding)
    headless = build_handover(
        store, patient.id, start, end, printed_by=NURSE, now=now, protocol=window.protocol
    )
    assert (past.outstanding, past.observations_due) == (
        headless.outstanding,
        headless.observations_due,
    )


def test_export_pdf_writes_the_handover_shown(qtbot, window, tmp_path, monkeypatch, messages):
    dialog = open_preview(qtbot, window)
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    target = out_dir / "handover.pdf"
    monkeypatch.setattr(dialog, "ask_export_path", lambda: str(target))  # not a native dialog
    qtbot.mouseClick(dialog.export_button, Qt.MouseButton.LeftButton)
    assert messages == []
    assert [p.name for p in out_dir.iterdir()] == ["handover.pdf"]  # no temporary file left
    text = pdf_text(target)
    assert f"MRN {DEMO_MRN}" in text
    assert "CRS (ASTCT 2019)" in text and "Grade 2" in text
    assert "Page 1 of" in text
    assert f"Printed by {NURSE}" in text
    assert str(target) in dialog.status.text()


@pytest.mark.parametrize("where", ["no-such-folder/handover.pdf", ""])
def test_an_unwritable_path_is_one_message_and_no_file(
    qtbot, window, tmp_path, monkeypatch, messages, where
):
    dialog = open_preview(qtbot, window)
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    target = out_dir / where  # a folder that does not exist; a folder, not a file
    monkeypatch.setattr(dialog, "ask_export_path", lambda: str(target))
    qtbot.mouseClick(dialog.export_button, Qt.MouseButton.LeftButton)  # a slot that raised fails
    assert len(messages) == 1
    assert "could not be saved" in messages[0] and str(target) in messages[0]
    assert "Traceback" not in messages[0]
    assert dialog.status.text() == messages[0]
    assert list(out_dir.iterdir()) == []
    assert dialog.isVisible()  # the nurse can choose another place


@pytest.mark.qt_log_ignore("QPainter::begin")  # Qt's own word for the failure, then ours
def test_a_failed_print_is_one_message(qtbot, window, messages):
    from PySide6.QtPrintSupport import QPrinter

    dialog = open_preview(qtbot, window)
    printer = QPrinter()
    printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
    printer.setOutputFileName(str(Path("/nonexistent-folder/x.pdf")))
    assert dialog.print_to(printer) == 0
    assert len(messages) == 1 and "could not be printed" in messages[0]


# -- the note -------------------------------------------------------------------------------


def test_a_note_written_by_keyboard_is_printed_on_the_handover(qtbot, window, store, tmp_path):
    before = event_count(store)
    dialog = write_note(
        qtbot, window, ["Febrile overnight, bolus at 02:00 worked.", "Repeat CRP 06:00."]
    )
    qtbot.keyClick(dialog.text, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: not dialog.isVisible())
    assert event_count(store) == before + 1
    (note,) = store.events(window.session.patient.id, kind="handover_note")
    assert note.detail == {"text": "Febrile overnight, bolus at 02:00 worked.\nRepeat CRP 06:00."}
    assert note.charted_by == NURSE and note.status == "written"

    preview = open_preview(qtbot, window)
    assert preview.data.note is not None and preview.data.note.by == NURSE
    out = tmp_path / "handover.pdf"
    assert preview.export_pdf(out)
    text = pdf_text(out)
    assert f"Handover note ({NURSE}," in text
    assert "bolus at 02:00 worked." in text and "Repeat CRP 06:00." in text


def test_the_note_dialog_opens_with_this_shifts_latest_note(qtbot, window, store):
    dialog = write_note(qtbot, window, ["First version"])
    dialog.save()
    qtbot.waitUntil(lambda: not dialog.isVisible())
    dialog = write_note(qtbot, window, ["Second version"])
    dialog.save()
    qtbot.waitUntil(lambda: not dialog.isVisible())
    window.note_action.trigger()
    again = window.handover_note
    qtbot.waitUntil(again.isVisible)
    assert again.text.toPlainText() == "Second version"
    assert NURSE in again.hint.text()
    before = event_count(store)
    again.save()  # unchanged: nothing new to record
    assert event_count(store) == before and not again.isVisible()


def test_an_empty_note_is_refused_at_the_field_and_nothing_is_written(qtbot, window, store):
    before = event_count(store)
    dialog = write_note(qtbot, window, ["   ", "  "])
    qtbot.keyClick(dialog.text, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    assert dialog.isVisible()
    assert dialog.error.isVisible() and dialog.error.text() == EMPTY_MESSAGE
    assert event_count(store) == before
    qtbot.keyClicks(dialog.text, "x")  # typing again clears the message
    assert not dialog.error.isVisible()


def test_escape_cancels_the_note(qtbot, window, store):
    before = event_count(store)
    dialog = write_note(qtbot, window, ["Not meant to be saved"])
    qtbot.keyClick(dialog.text, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: not dialog.isVisible())
    assert event_count(store) == before


# -- the shift -------------------------------------------------------------------------------


def test_this_shift_range_and_the_handover_follow_the_shift_starts(qtbot, store, now):
    w = MainWindow(store, NURSE, clock=lambda: now, shift_starts=("06:30", "18:30"))
    qtbot.addWidget(w)
    try:
        w.open_patient_by_mrn(DEMO_MRN)
        w.show()
        wait_until_watching(qtbot, w)
        start, _end = current_shift(now, ("06:30", "18:30"))
        w.show_range("shift")
        assert w.plots.span_h == pytest.approx((now - start) / HOUR + 0.25)
        dialog = w.print_handover()
        qtbot.waitUntil(dialog.isVisible)
        assert dialog.data.start == start
    finally:
        dispose(w)


def test_bad_shift_starts_are_refused_when_the_window_is_made(store):
    with pytest.raises(ValueError, match="'7am'"):
        MainWindow(store, NURSE, shift_starts=("7am", "19:00"))


def test_while_the_chart_is_graded_in_the_background_the_handover_grades_it(
    qtbot, window, monkeypatch
):
    monkeypatch.setattr(window.session, "grader", None)  # as while BackgroundGrading runs
    dialog = open_preview(qtbot, window)
    assert dialog.data.grade("astct_crs").grade == 2
