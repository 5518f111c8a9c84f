"""Who this chart belongs to, the day since infusion, and who is signed in."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import date, datetime

from PySide6.QtWidgets import QHBoxLayout, QLabel, QWidget

from crs_desktop.app.records import Patient

NO_BREAK = "\u00a0"


def age_years(birth_date: str | None, today: date) -> int | None:
    if not birth_date:
        return None
    try:
        born = date.fromisoformat(birth_date)
    except ValueError:
        return None
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


def day_since_infusion(infusion_time: float | None, now: float) -> int | None:
    """Day +N: calendar days in local time since the infusion day (day 0)."""
    if infusion_time is None:
        return None
    start = datetime.fromtimestamp(infusion_time).astimezone().date()
    return (datetime.fromtimestamp(now).astimezone().date() - start).days


def header_parts(patient: Patient, nurse: str, now: float) -> list[str]:
    today = datetime.fromtimestamp(now).astimezone().date()
    age = age_years(patient.birth_date, today)
    day = day_since_infusion(patient.infusion_time, now)
    parts = [
        f"MRN {patient.mrn}",
        f"{age} y" if age is not None else "age not recorded",
        f"{patient.weight_kg:g} kg" if patient.weight_kg else "weight not recorded",
        patient.car_t_product or "CAR-T product not recorded",
        (f"Day {day:+d}" if day is not None else "infusion time not recorded"),
    ]
    if patient.news2_scale == 2:  # REFERENCE.md §7.1: by clinical decision, so always shown
        parts.append("NEWS2 SpO2 scale 2")
    return parts


class PatientHeader(QWidget):
    """Name large, the rest on one line; the signed-in nurse at the right."""

    def __init__(self, clock: Callable[[], float] = time.time, parent: QWidget | None = None):
        super().__init__(parent)
        self.clock = clock
        layout = QHBoxLayout(self)
        layout.setContentsMargins(8, 4, 8, 4)
        self.name = QLabel()
        self.name.setObjectName("patient_name")
        self.name.setStyleSheet("font-size: 18pt; font-weight: bold;")
        self.details = QLabel()
        self.details.setObjectName("patient_details")
        self.details.setStyleSheet("font-size: 14pt;")
        # On a narrow screen the details wrap between parts (never inside one: "MRN 123"
        # stays together), rather than widen the window past the screen.
        self.details.setWordWrap(True)
        self.nurse = QLabel()
        self.nurse.setObjectName("signed_in_nurse")
        self.nurse.setStyleSheet("font-size: 13pt;")
        layout.addWidget(self.name)
        layout.addSpacing(16)
        layout.addWidget(self.details, 1)
        layout.addWidget(self.nurse)

    def show_patient(self, patient: Patient, nurse: str) -> None:
        self.name.setText(patient.name)
        parts = [part.replace(" ", NO_BREAK) for part in header_parts(patient, nurse, self.clock())]
        self.details.setText("   ·   ".join(parts))
        self.nurse.setText(f"Signed in: {nurse}")
