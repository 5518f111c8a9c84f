"""The banner that says a grade rose, and stays until a nurse acknowledges it."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QWidget

from crs_desktop.domain.grading import SYSTEM_TITLES


class AlertBanner(QWidget):
    """Shown while a CRS or ICANS grade is above the last acknowledged one."""

    acknowledged = Signal(list)  # [(system, grade, previous)]

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("alert_banner")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        self.setStyleSheet(
            "#alert_banner { background: #b00020; } "
            "#alert_banner QLabel { color: white; font-size: 16pt; font-weight: bold; }"
        )
        layout = QHBoxLayout(self)
        self.text = QLabel()
        self.text.setWordWrap(True)
        self.button = QPushButton("Acknowledge (Ctrl+K)")
        self.button.setShortcut("Ctrl+K")
        self.button.setStyleSheet("font-size: 13pt; font-weight: bold; padding: 8px 16px;")
        self.button.clicked.connect(self._acknowledge)
        layout.addWidget(QLabel("▲"))
        layout.addWidget(self.text, 1)
        layout.addWidget(self.button)
        self.rises: list[tuple[str, int, int]] = []
        self.hide()

    def show_rises(self, rises: list[tuple[str, int, int]], extra: str = "") -> None:
        self.rises = rises
        if not rises:
            self.hide()
            return
        parts = [
            f"{SYSTEM_TITLES[s]} is now GRADE {now}" + (f" (was {before})" if before else "")
            for s, now, before in rises
        ]
        self.text.setText(
            "; ".join(parts) + ": not yet acknowledged" + (f"\n{extra}" if extra else "")
        )
        self.show()

    def _acknowledge(self) -> None:
        if self.rises:
            self.acknowledged.emit(list(self.rises))
