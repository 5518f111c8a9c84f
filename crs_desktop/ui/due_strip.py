"""Observations due: one line per reassessment timer under the alert banner. Overdue is a red
band with the word OVERDUE, a busy nurse cannot miss it; it clears when the values are charted."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import tzinfo

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QHBoxLayout, QLabel, QWidget

from crs_desktop.domain.checklist import timer_words
from crs_desktop.domain.reassessment import TimerState

OVERDUE_STYLE = (
    "background: #b00020; color: white; font-size: 12pt; font-weight: bold; padding: 3px 8px;"
)
OVERDUE_MARK = "⚠ "
DUE_STYLE = "background: #e8eef7; color: #102040; font-size: 12pt; padding: 3px 8px;"


class DueStrip(QWidget):
    """Each timer as words: when it is due, how often and why; overdue ones first and red."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("due_strip")
        self.layout_ = QHBoxLayout(self)
        self.layout_.setContentsMargins(0, 0, 0, 0)
        self.labels: dict[str, QLabel] = {}
        self.states: list[TimerState] = []

    def show_timers(self, states: Sequence[TimerState], now: float, tz: tzinfo | None) -> None:
        self.states = list(states)
        for key in list(self.labels):
            if key not in {s.key for s in states}:
                gone = self.labels.pop(key)
                self.layout_.removeWidget(gone)  # out of the order below at once
                gone.deleteLater()
        for index, state in enumerate(sorted(states, key=lambda s: not s.overdue)):
            label = self.labels.get(state.key)
            if label is None:
                label = QLabel()
                label.setObjectName(f"due_{state.key}")
                label.setWordWrap(True)
                label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
                self.labels[state.key] = label
                self.layout_.insertWidget(index, label, 1)
            elif self.layout_.indexOf(label) != index:  # fell overdue (or cleared): move it
                self.layout_.removeWidget(label)
                self.layout_.insertWidget(index, label, 1)
            words = timer_words(state, now, tz)
            # ⚠ (U+26A0) is in DejaVu Sans, the font shipped with the app; the alarm clock
            # before it was not, and showed as a missing-glyph box.
            label.setText((OVERDUE_MARK if state.overdue else "") + words)
            label.setStyleSheet(OVERDUE_STYLE if state.overdue else DUE_STYLE)
            label.setProperty("overdue", state.overdue)

    def overdue_keys(self) -> list[str]:
        return [s.key for s in self.states if s.overdue]
