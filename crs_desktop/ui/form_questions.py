"""The observations form's questions before charting: an extreme value, other_cause in the
note of several values, a tocilizumab dose past the protocol's limits. No is the default."""

from __future__ import annotations

from PySide6.QtWidgets import QDialog, QInputDialog, QMessageBox, QWidget


def ask_tocilizumab_reason(parent: QWidget, warning: str) -> str | None:
    """The nurse's reason to give tocilizumab past a warning; None when cancelled."""
    dialog = QInputDialog(parent)
    dialog.setObjectName("tocilizumab_reason")
    dialog.setWindowTitle("Tocilizumab limits")
    dialog.setLabelText(
        f"{warning}\n\nYou may go on: give the reason (it is charted with the dose)."
    )
    dialog.setOkButtonText("Chart the dose")
    if dialog.exec() != QDialog.DialogCode.Accepted:
        return None
    return dialog.textValue().strip()


def confirm_extreme(parent: QWidget, details: str) -> bool:
    """Ask before charting a possible-but-extreme value (No is the default)."""
    box = QMessageBox(parent)
    box.setObjectName("confirm_extreme")
    box.setIcon(QMessageBox.Icon.Warning)
    box.setWindowTitle("Confirm extreme value")
    box.setText("These values are possible but extreme. Chart them as entered?")
    box.setInformativeText(details)
    box.setStandardButtons(QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No)
    box.setDefaultButton(QMessageBox.StandardButton.No)
    return box.exec() == QMessageBox.StandardButton.Yes


def confirm_other_cause(parent: QWidget, details: str) -> bool:
    """The note applies to every value of the set: "other_cause" in it leaves them all
    out of grading. Asked, so that one finding's cause does not hide the others (No is
    the default: chart the finding with another cause on its own)."""
    box = QMessageBox(parent)
    box.setObjectName("confirm_other_cause")
    box.setIcon(QMessageBox.Icon.Warning)
    box.setWindowTitle("other_cause applies to every value")
    box.setText(
        "The note says other_cause, and a note applies to every value charted with it: "
        "all of these will be left out of grading. Chart them all like that?"
    )
    box.setInformativeText(
        f"{details}\n\nTo leave out one finding only, chart it on its own with the note."
    )
    box.setStandardButtons(QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No)
    box.setDefaultButton(QMessageBox.StandardButton.No)
    return box.exec() == QMessageBox.StandardButton.Yes
