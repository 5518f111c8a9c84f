"""Switching the window to another patient."""

from __future__ import annotations

from PySide6.QtWidgets import QInputDialog, QWidget

from crs_desktop.app.records import Patient


def choose_patient(patients: list[Patient], current_mrn: str, parent: QWidget) -> str | None:
    """The MRN chosen, or None if cancelled."""
    labels = [f"{p.name}  (MRN {p.mrn})" for p in patients]
    current = next((n for n, p in enumerate(patients) if p.mrn == current_mrn), 0)
    label, ok = QInputDialog.getItem(parent, "Switch patient", "Patient", labels, current, False)
    if not ok:
        return None
    return patients[labels.index(label)].mrn
