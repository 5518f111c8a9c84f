"""The one place the window learns of new chart rows: its own writes and other processes'.

Other processes' commits change `PRAGMA data_version`; polling it is one cheap
statement, and only when it moves are the rows newer than the last seen read.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, QTimer, Signal

from crs_desktop.store import ChartStore
from crs_desktop.store.records import Changes

POLL_MS = 250


class ChartFeed(QObject):
    """Emits `changed(Changes)` with only what is new since the last look."""

    changed = Signal(object)

    def __init__(
        self,
        store: ChartStore,
        patient_id: int,
        high_water: tuple[int, int, int],
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.store = store
        self.patient_id = patient_id
        self._marks = high_water
        self._version = store.data_version()
        self._timer = QTimer(self)
        self._timer.setInterval(POLL_MS)
        self._timer.timeout.connect(self.poll)

    def start(self) -> None:
        self._timer.start()

    def stop(self) -> None:
        self._timer.stop()

    def poll(self) -> None:
        """Look for other processes' commits (cheap when there are none)."""
        version = self.store.data_version()
        if version != self._version:
            self._version = version
            self.check_now()

    def check_now(self) -> None:
        """Read what was committed after the last look (call after this window's own writes)."""
        changes: Changes = self.store.changes_since(self.patient_id, *self._marks)
        self._marks = (changes.last_row_id, changes.last_audit_id, changes.last_event_id)
        if changes:
            self.changed.emit(changes)
