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
    # The open patient's record was replaced (archived, e.g. `crs-desktop demo` reset it
    # from another process): its MRN, so the window can open the new record.
    replaced = Signal(str)

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
        patient = store.patient_by_id(patient_id)
        self._mrn = patient.mrn if patient is not None else ""
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
            if self._replaced():
                return
            self.check_now()

    def _replaced(self) -> bool:
        """The record renamed away from its MRN (archived): stop, and say so once."""
        patient = self.store.patient_by_id(self.patient_id)
        if patient is not None and patient.mrn == self._mrn:
            return False
        self.stop()
        self.replaced.emit(self._mrn)
        return True

    def check_now(self) -> None:
        """Read what was committed after the last look (call after this window's own writes)."""
        changes: Changes = self.store.changes_since(self.patient_id, *self._marks)
        self._marks = (changes.last_row_id, changes.last_audit_id, changes.last_event_id)
        if changes:
            self.changed.emit(changes)
