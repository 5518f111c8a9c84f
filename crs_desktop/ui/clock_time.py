"""A time to chart at: now, following the clock, until the nurse sets another.

A form opened and then left for a call (a drug to draw up, a bell) used to chart at
the time it was opened. Here the time shown keeps up with the clock until the nurse
changes it, and what is shown is what is charted.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QDateTime, QTimer
from PySide6.QtWidgets import QDateTimeEdit, QHBoxLayout, QLabel, QPushButton, QWidget

FOLLOW_CLOCK_MS = 10_000  # how often an untouched time is brought up to now
FOLLOWING = "(now, until you change it)"
SET = "(as you set it)"


class ClockTimeEdit(QWidget):
    """The date-time editor (`edit`), a Now button and a hint saying which time it is."""

    def __init__(
        self, clock: Callable[[], float], object_name: str, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.clock = clock
        self.set_by_nurse = False
        self._showing_now = False
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        self.edit = QDateTimeEdit()
        self.edit.setObjectName(object_name)
        self.edit.setDisplayFormat("dd MMM yyyy  HH:mm")
        self.edit.setCalendarPopup(True)
        self._show_now()
        self.edit.setMinimumWidth(self.edit.sizeHint().width())  # the time never cut
        self.edit.dateTimeChanged.connect(self._changed)
        row.addWidget(self.edit)
        now = QPushButton("Now")
        now.setAutoDefault(False)
        now.clicked.connect(self.back_to_now)
        row.addWidget(now)
        self.hint = QLabel(FOLLOWING)
        row.addWidget(self.hint)
        row.addStretch(1)
        self._timer = QTimer(self)
        self._timer.setInterval(FOLLOW_CLOCK_MS)
        self._timer.timeout.connect(self.follow_clock)
        self._timer.start()

    def epoch(self) -> float:
        """The time to chart at (epoch seconds): brought up to now first, unless set."""
        self.follow_clock()
        return float(self.edit.dateTime().toSecsSinceEpoch())

    def shown(self) -> float:
        """The time on screen, as it is (e.g. to check limits as the nurse sees them)."""
        return float(self.edit.dateTime().toSecsSinceEpoch())

    def follow_clock(self) -> None:
        if not self.set_by_nurse:
            self._show_now()

    def back_to_now(self) -> None:
        self.set_by_nurse = False
        self.hint.setText(FOLLOWING)
        self._show_now()

    def _show_now(self) -> None:
        self._showing_now = True
        self.edit.setDateTime(QDateTime.fromSecsSinceEpoch(int(self.clock())))
        self._showing_now = False

    def _changed(self) -> None:
        if not self._showing_now:
            self.set_by_nurse = True
            self.hint.setText(SET)
