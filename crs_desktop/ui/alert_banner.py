"""The banner that says a grade rose or a NEWS2 trigger was reached, and stays until a nurse
acknowledges it, even if the grade falls first (REFERENCE.md §1.3a items 7, 8)."""

from __future__ import annotations

from html import escape

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QWidget

from crs_desktop.domain.escalation import Alert, alert_words


class AlertBanner(QWidget):
    """Shown while a rise of CRS, ICANS or a NEWS2 trigger is not yet acknowledged."""

    acknowledged = Signal(list)  # [Alert]

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
        self.text.setTextFormat(Qt.TextFormat.RichText)
        self.button = QPushButton("Acknowledge (Ctrl+K)")
        self.button.setShortcut("Ctrl+K")
        self.button.setStyleSheet("font-size: 13pt; font-weight: bold; padding: 8px 16px;")
        self.button.clicked.connect(self._acknowledge)
        layout.addWidget(QLabel("▲"))
        layout.addWidget(self.text, 1)
        layout.addWidget(self.button)
        self.alerts: list[Alert] = []
        self.hide()

    def show_alerts(self, alerts: list[Alert], extra: str, now: float) -> None:
        self.alerts = alerts
        if not alerts:
            self.hide()
            return
        parts = [alert_words(alert, None, now) for alert in alerts]
        # The alerts in the banner's large type; what is new on the checklist under them,
        # smaller, so a 1366×768 screen keeps room for the plots and the checklist.
        words = escape("; ".join(parts) + ": not yet acknowledged", quote=False)
        if extra:
            words += f'<br><span style="font-size: 12pt;">{escape(extra, quote=False)}</span>'
        self.text.setText(words)
        self.show()

    def _acknowledge(self) -> None:
        if self.alerts:
            self.acknowledged.emit(list(self.alerts))
