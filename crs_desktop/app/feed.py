"""What is new in one patient's chart since the last look: this process's writes and other
processes' (no Qt; ui/feed.py polls it on a timer).

Other processes' commits change `PRAGMA data_version`; checking it is one cheap
statement, and only when it moves are the rows newer than the last seen read.
"""

from __future__ import annotations

from crs_desktop.store import ChartStore
from crs_desktop.store.records import Changes


class ChangeReader:
    """Reads only what was committed after the last look (rows, corrections, events)."""

    def __init__(self, store: ChartStore, patient_id: int, marks: tuple[int, int, int]) -> None:
        self.store, self.patient_id, self._marks = store, patient_id, marks
        self._version = store.data_version()
        patient = store.patient_by_id(patient_id)
        self.mrn = patient.mrn if patient is not None else ""

    @property
    def last_event_id(self) -> int:
        """The newest event read so far: what the window has been shown."""
        return self._marks[2]

    def others_wrote(self) -> bool:
        """Another process committed something since the last call (cheap when none did)."""
        version = self.store.data_version()
        if version == self._version:
            return False
        self._version = version
        return True

    def commit_files(self) -> list[str]:
        """The files to watch for other processes' commits (none: poll only)."""
        files: list[str] = self.store.commit_files()
        return files

    def replaced(self) -> bool:
        """The record was renamed away from its MRN (archived, e.g. the demo was reset)."""
        patient = self.store.patient_by_id(self.patient_id)
        return patient is None or patient.mrn != self.mrn

    def read(self) -> Changes:
        """What was committed after the last look (an empty Changes when nothing was)."""
        changes: Changes = self.store.changes_since(self.patient_id, *self._marks)
        self._marks = (changes.last_row_id, changes.last_audit_id, changes.last_event_id)
        return changes
