"""Escape never throws typed values away unasked: "Discard 3 values?", No by default."""

from __future__ import annotations

from PySide6.QtWidgets import QMessageBox, QWidget


def discard_question(count: int) -> str:
    return f"Discard {count} value{'s' if count != 1 else ''}?"


def confirm_discard(parent: QWidget, count: int) -> bool:
    """True when nothing was typed, or the nurse chose to discard it (No is the default:
    an Esc pressed by habit, or a second one, keeps the values)."""
    if count == 0:
        return True
    box = QMessageBox(parent)
    box.setObjectName("confirm_discard")
    box.setIcon(QMessageBox.Icon.Question)
    box.setWindowTitle("Discard what was typed?")
    box.setText(discard_question(count))
    box.setInformativeText("Nothing typed here has been charted yet.")
    box.setStandardButtons(QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No)
    box.button(QMessageBox.StandardButton.Yes).setText("Discard")
    box.button(QMessageBox.StandardButton.No).setText("Keep editing")
    box.setDefaultButton(QMessageBox.StandardButton.No)
    box.setEscapeButton(QMessageBox.StandardButton.No)
    return box.exec() == QMessageBox.StandardButton.Yes
