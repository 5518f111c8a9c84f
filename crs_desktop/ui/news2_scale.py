"""Chart > NEWS2 SpO2 scale…: the patient's NEWS2 SpO2 scale, changed only when confirmed.

Scale 2 is for a patient with a target SpO2 of 88-92 % (hypercapnic respiratory
failure), used only by clinical decision (REFERENCE.md §7.1). The scale is a fact on
the patient record; the store's audit keeps who changed it, when, and what it was before
(ChartStore.update_patient), and the dialog says who set the scale now in force.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING

from PySide6.QtWidgets import QMessageBox, QWidget

from crs_desktop.app.records import Patient
from crs_desktop.app.session import ChartSession

if TYPE_CHECKING:
    from crs_desktop.ui.main_window import MainWindow

SCALE_WORDS = {
    1: "scale 1 (the usual scale)",
    2: "scale 2 (target SpO2 88–92 %, by clinical decision)",
}


def _when(epoch: float) -> str:
    return datetime.fromtimestamp(epoch).astimezone().strftime("%d %b %H:%M")


def scale_question(session: ChartSession) -> str:
    """What the confirm dialog says: the scale now, who set it, and what a change means."""
    patient, nurse = session.patient, session.nurse
    now, new = patient.news2_scale, 2 if patient.news2_scale == 1 else 1
    changed = session.news2_scale_set_by()
    set_by = f", set by {changed[0]} at {_when(changed[1])}" if changed else ""
    why = (
        "Scale 2 is only for a patient with a target SpO2 of 88–92 % (hypercapnic "
        "respiratory failure), by clinical decision."
        if new == 2
        else "Scale 1 is the usual scale, for every patient without a decision for scale 2."
    )
    return (
        f"NEWS2 SpO2 for {patient.name}: {SCALE_WORDS[now]}{set_by}.\n\n{why}\n\n"
        f"Change to {SCALE_WORDS[new]}, charted by {nurse}? NEWS2 is scored again on the "
        "new scale."
    )


def ask_news2_scale(
    parent: QWidget,
    session: ChartSession,
    changed: Callable[[Patient], None],
) -> QMessageBox:
    """Open the confirm dialog (not modal, so the window keeps updating); on Yes, change the
    scale, audited under the nurse, and hand the updated patient to `changed`."""
    box = QMessageBox(
        QMessageBox.Icon.Question,
        "NEWS2 SpO2 scale",
        scale_question(session),
        QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel,
        parent,
    )
    box.setObjectName("news2_scale_dialog")
    box.setDefaultButton(QMessageBox.StandardButton.Cancel)  # a change needs a deliberate Yes

    def answered(_result: int) -> None:
        if box.clickedButton() is box.button(QMessageBox.StandardButton.Yes):
            changed(session.change_news2_scale())

    box.finished.connect(answered)
    box.open()
    return box


def change_news2_scale(window: MainWindow) -> QMessageBox | None:
    """The menu action: ask about the open patient; on Yes the window reopens the patient,
    graded on the new scale. The dialog is kept on the window (`news2_scale_dialog`)."""
    if window.session is None:
        return None
    box = ask_news2_scale(window, window.session.core, window.open_patient)
    window.news2_scale_dialog = box
    return box
