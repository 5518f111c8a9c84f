"""Type sizes, colours and the style sheet: readable at arm's length at 3 a.m.

Colour is never the only signal: every grade is also written as a number,
every line has its own dash or symbol, every flag has words.
"""

from __future__ import annotations

from PySide6.QtGui import QColor, QFont
from PySide6.QtWidgets import QApplication, QLabel

BASE_POINT_SIZE = 12

# Background / text for a grade badge. Contrast >= 4.5:1 for the number on it.
GRADE_COLOURS: dict[int | None, tuple[str, str]] = {
    None: ("#d9d9d9", "#1a1a1a"),
    0: ("#e3efe3", "#14401a"),
    1: ("#fff2a8", "#3d3300"),
    2: ("#ffc56b", "#3d2400"),
    3: ("#d93025", "#ffffff"),
    4: ("#7b1020", "#ffffff"),
    5: ("#1a1a1a", "#ffffff"),
}

# Plot pens: distinct dash patterns as well as colours.
PLOT_BACKGROUND = "#ffffff"
PLOT_FOREGROUND = "#202020"
SERIES_STYLE: dict[str, tuple[str, str]] = {
    # item: (colour, dash)  dash in solid / dash / dot / dashdot
    "temperature": ("#c0392b", "solid"),
    "systolic_bp": ("#1f4e9c", "solid"),
    "diastolic_bp": ("#1f4e9c", "dash"),
    "map": ("#6a3d9a", "dot"),
    "spo2": ("#00796b", "solid"),
    "heart_rate": ("#8e4a00", "solid"),
    "resp_rate": ("#455a64", "dash"),
    "crp": ("#5d4037", "solid"),
    "ferritin": ("#ad1457", "solid"),
    "o2_level": ("#0b5394", "solid"),
}
THRESHOLD_COLOUR = "#b00020"
DRUG_MARKER_COLOUR = "#4a4a4a"
PRESSOR_SHADE = QColor(217, 48, 37, 40)
ERROR_COLOUR = "#9e9e9e"
EXTREME_COLOUR = "#000000"


def grade_colours(grade: int | None) -> tuple[str, str]:
    return GRADE_COLOURS.get(grade if grade is None else min(grade, 5), GRADE_COLOURS[None])


def warning_label(name: str, text: str) -> QLabel:
    """A warning that stays in view (a refused protocol file, values left out), in the
    error colour."""
    label = QLabel("⚠ " + text)
    label.setObjectName(name)
    label.setWordWrap(True)
    label.setProperty("role", "error")
    return label


def apply_theme(app: QApplication) -> None:
    """Large clear type for the whole app, and a light, high-contrast style."""
    font = QFont(app.font())
    font.setPointSize(BASE_POINT_SIZE)
    app.setFont(font)
    app.setStyleSheet(
        """
        QToolTip { font-size: 13pt; padding: 4px; }
        QPushButton { padding: 5px 12px; }
        QLabel[role="section"] { font-weight: bold; font-size: 13pt; }
        QLabel[role="error"] { color: #b00020; font-weight: bold; }
        QLabel[role="flag"] { color: #5a3b00; }
        """
    )
