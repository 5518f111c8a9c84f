"""Correcting a charted value: the old row is marked entered in error, never deleted."""

from __future__ import annotations

from datetime import datetime

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from crs_desktop.app.records import ChartedRow, Entry
from crs_desktop.domain.errors import UserError
from crs_desktop.domain.vocabulary import ITEMS, unit_text
from crs_desktop.ui.discard_guard import confirm_discard
from crs_desktop.ui.session import PatientSession


class CorrectionDialog(QDialog):
    """Reason (required) and, unless it was simply wrong to chart, the right value."""

    def __init__(self, session: PatientSession, row: ChartedRow, parent: QWidget | None = None):
        super().__init__(parent)
        self.session = session
        self.row = row
        self.new_id: int | None = None
        self.setWindowTitle("Correct a charted value")
        spec = ITEMS[row.item]
        when = datetime.fromtimestamp(row.observed_at).astimezone().strftime("%d %b %Y %H:%M")
        shown = f"{row.written_value} {unit_text(row.written_unit)}"
        layout = QVBoxLayout(self)
        layout.addWidget(
            QLabel(
                f"<b>{spec.label}</b> {shown.strip()} at {when}, charted by {row.charted_by}.<br>"
                "The value stays in the chart marked <b>entered in error</b>, with your reason."
            )
        )
        form = QFormLayout()
        self.value = QLineEdit()
        self.value.setObjectName("correct_value")
        self.value.setPlaceholderText("the right value (leave empty if nothing should be charted)")
        self.unit = QComboBox()
        for u in spec.units:
            self.unit.addItem(unit_text(u), u)
        # The unit it was charted in: a typing error is corrected in the same unit.
        self.unit.setCurrentIndex(max(0, self.unit.findData(row.written_unit)))
        if len(spec.units) < 2:  # nothing to choose: Tab goes from the value to the reason
            self.unit.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.reason = QLineEdit()
        self.reason.setObjectName("correct_reason")
        self.reason.setPlaceholderText("e.g. wrong patient, typing error, wrong unit")
        form.addRow("Correct value", self.value)
        if spec.units:
            form.addRow("Unit", self.unit)
        form.addRow("Reason (required)", self.reason)
        layout.addLayout(form)
        self.error = QLabel()
        self.error.setProperty("role", "error")
        self.error.setWordWrap(True)
        self.error.hide()
        layout.addWidget(self.error)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.save)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        # The right value first: most corrections are a typing error, corrected by typing
        # the value, then Tab, then the reason.
        self.value.setFocus()

    def reject(self) -> None:
        """Esc or Cancel: a typed value or reason is discarded only when the nurse says so."""
        typed = sum(1 for edit in (self.value, self.reason) if edit.text().strip())
        if self.new_id is None and not confirm_discard(self, typed):
            return
        super().reject()

    def save(self) -> None:
        value = self.value.text().strip()
        unit = self.unit.currentData() or "" if ITEMS[self.row.item].units else ""
        replacement = Entry(self.row.item, value, unit, self.row.note) if value else None
        try:
            self.new_id = self.session.correct(self.row.id, self.reason.text(), replacement)
        except UserError as exc:  # no reason, a bad value: nothing was written
            self.error.setText(str(exc))
            self.error.show()
            return
        self.accept()
