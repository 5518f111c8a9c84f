"""The nurse's own words for the next shift, printed on the handover: Ctrl+Enter saves, Esc cancels.

A note is an event (kind "handover_note", the words in detail["text"]); a
new one never overwrites the last, and the handover prints the latest of
the period (report/handover_data.py `_note`).
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QFont, QKeyEvent
from PySide6.QtWidgets import (
    QDialog,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from crs_desktop.app.records import Event
from crs_desktop.domain.grading.wording import clock
from crs_desktop.ui.handover_preview import period_words
from crs_desktop.ui.session import PatientSession

NOTE_KIND = "handover_note"
NOTE_POINT_SIZE = 15
EMPTY_MESSAGE = "The note is empty: write what the next nurse needs to know, or press Esc."


def latest_note(events: list[Event], start: float, end: float) -> Event | None:
    """The last handover note written in [start, end], as the handover prints it."""
    notes = [
        e for e in events if e.kind == NOTE_KIND and e.detail.get("text") and start <= e.at <= end
    ]
    return max(notes, key=lambda e: (e.at, e.id)) if notes else None


class HandoverNoteDialog(QDialog):
    """A multi-line note for this shift's handover; Enter is a new line."""

    def __init__(
        self,
        session: PatientSession,
        shift: tuple[float, float],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.session = session
        self.saved_id: int | None = None
        self.setWindowTitle(f"Handover note: {session.patient.name}")
        self.setMinimumSize(720, 480)
        last = latest_note(session.events, *shift)
        self.previous = str(last.detail["text"]) if last is not None else ""

        layout = QVBoxLayout(self)
        heading = QLabel(f"Handover note for this shift: {session.patient.name}")
        heading.setStyleSheet("font-size: 15pt; font-weight: bold;")
        heading.setWordWrap(True)
        layout.addWidget(heading)
        period = QLabel(period_words(*shift))
        period.setStyleSheet("font-size: 13pt; font-weight: bold;")
        layout.addWidget(period)
        if last is not None:
            when = clock(last.at, None, shift[1])
            hint = (
                f"Last written by {last.charted_by} at {when} (below). Saving records your "
                "version; the earlier one stays on record. Enter starts a new line."
            )
        else:
            hint = "Printed on the handover, under “Handover note”. Enter starts a new line."
        self.hint = QLabel(hint)
        self.hint.setStyleSheet("font-size: 13pt;")
        self.hint.setWordWrap(True)
        layout.addWidget(self.hint)

        self.text = QPlainTextEdit()
        self.text.setObjectName("handover_note_text")
        font = QFont(self.text.font())
        font.setPointSize(NOTE_POINT_SIZE)
        self.text.setFont(font)
        self.text.setTabChangesFocus(True)
        self.text.setPlaceholderText("What the next nurse needs to know…")
        self.text.setPlainText(self.previous)
        self.text.moveCursor(self.text.textCursor().MoveOperation.End)
        layout.addWidget(self.text, 1)

        self.error = QLabel()
        self.error.setObjectName("handover_note_error")
        self.error.setProperty("role", "error")
        self.error.setStyleSheet("font-size: 13pt;")
        self.error.setWordWrap(True)
        self.error.hide()
        layout.addWidget(self.error)
        self.text.textChanged.connect(self.error.hide)

        buttons = QHBoxLayout()
        buttons.addStretch(1)
        self.save_button = QPushButton("Save note (Ctrl+Enter)")
        self.save_button.setObjectName("handover_note_save")
        self.save_button.clicked.connect(self.save)
        cancel = QPushButton("Cancel (Esc)")
        cancel.clicked.connect(self.reject)
        for button in (self.save_button, cancel):
            button.setAutoDefault(False)  # Enter belongs to the text box
            button.setStyleSheet("font-size: 13pt; font-weight: bold; padding: 8px 18px;")
            buttons.addWidget(button)
        layout.addLayout(buttons)
        # Ctrl+Enter is caught at the text box (before it makes a new line) rather than by a
        # window shortcut, so it saves wherever the keys are sent.
        self.text.installEventFilter(self)
        self.text.setFocus()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802
        if (
            watched is self.text
            and isinstance(event, QKeyEvent)
            and event.type() == QEvent.Type.KeyPress
            and event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter)
            and event.modifiers() & Qt.KeyboardModifier.ControlModifier
        ):
            self.save()
            return True
        return super().eventFilter(watched, event)

    def save(self) -> None:
        """Record the note; an empty one is refused at the field and nothing is written."""
        words = self.text.toPlainText().strip()
        if not words:
            self.error.setText(EMPTY_MESSAGE)
            self.error.show()
            self.text.setFocus()
            return
        if words != self.previous.strip():
            self.saved_id = self.session.record_event(
                NOTE_KIND, key="", status="written", detail={"text": words}
            )
        self.accept()
