"""Sign in with a name or initials (no password yet): every write carries it."""

from __future__ import annotations

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

from crs_desktop.app.records import Patient


class SignInDialog(QDialog):
    """Who is charting, and (when not given) which patient."""

    def __init__(
        self,
        patients: list[Patient],
        nurse: str = "",
        chosen_mrn: str | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("crs_desktop: sign in")
        layout = QVBoxLayout(self)
        layout.addWidget(
            QLabel("Sign in with your name or initials. Every value you chart carries it.")
        )
        form = QFormLayout()
        self.nurse = QLineEdit(nurse)
        self.nurse.setObjectName("nurse_name")
        self.patient = QComboBox()
        self.patient.setObjectName("patient_choice")
        for p in patients:
            self.patient.addItem(f"{p.name}  (MRN {p.mrn})", p.mrn)
        if chosen_mrn is not None:
            self.patient.setCurrentIndex(max(0, self.patient.findData(chosen_mrn)))
        form.addRow("Your name or initials", self.nurse)
        form.addRow("Patient", self.patient)
        layout.addLayout(form)
        self.error = QLabel()
        self.error.setProperty("role", "error")
        self.error.hide()
        layout.addWidget(self.error)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self._check)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)

    def _check(self) -> None:
        if not self.nurse.text().strip():
            self.error.setText("Your name or initials: required (it is written with every value).")
            self.error.show()
            return
        if self.patient.count() == 0:
            self.error.setText(
                "No patients in this chart store yet: import a chart or run "
                "'crs-desktop demo' first."
            )
            self.error.show()
            return
        self.accept()

    def chosen(self) -> tuple[str, str]:
        return self.nurse.text().strip(), self.patient.currentData()
