"""One patient open in the window: the chart, the grades, and the nurse writing to it.

Everything the widgets show comes from here, and everything they write goes
through here, so the store stays the single source of truth and the grades
follow each committed value.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import tzinfo
from typing import Any

from PySide6.QtCore import QObject, QThread, Signal

from crs_desktop.domain.escalation import (
    Alert,
    acknowledgement_detail,
    acknowledgements,
    pending_alerts,
)
from crs_desktop.domain.grading import Grader, GradeSet, GradingSettings
from crs_desktop.domain.grading.grader import collector_paused
from crs_desktop.domain.protocol import Protocol
from crs_desktop.report.treatment import TreatmentState
from crs_desktop.store import ChartStore, Patient
from crs_desktop.store.records import Changes, ChartedRow, Entry, Event
from crs_desktop.ui.feed import ChartFeed

# Charts up to this many values are graded before the window shows (well under
# 0.1 s); longer ones (a monitor feed) are graded in the background while the
# plots are already up, and the grading panel says so meanwhile.
GRADE_AT_ONCE_UP_TO = 20_000


class BackgroundGrading(QThread):
    """Reads and grades a long chart on its own connection (sqlite is per-thread)."""

    finished_grading = Signal(object, int)  # Grader, the last row id it read

    def __init__(
        self,
        path: str,
        patient_id: int,
        settings: GradingSettings | None,
        local_tz: tzinfo | None,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.path, self.patient_id = path, patient_id
        self.settings, self.local_tz = settings, local_tz

    def run(self) -> None:
        # The collector off for the read too: the hundreds of thousands of values read
        # would have it walk them again and again (30 days: read 1.07 -> 0.85 s).
        with collector_paused():
            store = ChartStore(self.path)
            try:
                with store.read_snapshot():
                    last_row_id = store.high_water()[0]
                    observations = store.observations(self.patient_id, lean=True)
            finally:
                store.close()
            grader = Grader(self.settings, self.local_tz)
            grader.add(observations)
        self.finished_grading.emit(grader, last_row_id)


class PatientSession(QObject):
    """The open patient's chart and grades, kept current from the store."""

    rows_added = Signal(list)  # list[ChartedRow], committed and current
    rows_entered_in_error = Signal(list)  # list[int], row ids now entered in error
    events_added = Signal(list)  # list[Event]
    grades_changed = Signal(object)  # GradeSet | None

    def __init__(
        self,
        store: ChartStore,
        patient: Patient,
        nurse: str,
        settings: GradingSettings | None = None,
        local_tz: tzinfo | None = None,
        parent: QObject | None = None,
        grade_at_once_up_to: int = GRADE_AT_ONCE_UP_TO,
        protocol: Protocol | None = None,
    ) -> None:
        super().__init__(parent)
        self.store = store
        self.patient = patient
        self.nurse = nurse
        self.treatment: TreatmentState | None = None
        self._closed = False
        self.grader: Grader | None = None
        self._waiting: list[Changes] = []  # arrived while the background grading ran
        self._background: BackgroundGrading | None = None
        self._alert_scan: dict[str, Any] = {}  # where pending_alerts stopped (its memo)
        with store.read_snapshot():  # one consistent state, whatever other writers do
            marks = store.high_water()
            self.events: list[Event] = store.events(patient.id)
            if protocol is not None:
                self.treatment = TreatmentState(store, patient.id, protocol)
            count = store.count_observations(patient.id, up_to=grade_at_once_up_to + 1)
            if count <= grade_at_once_up_to:
                grader = Grader(settings, local_tz)
                grader.add(store.observations(patient.id, lean=True))
                self.grader = grader
        self.feed = ChartFeed(store, patient.id, marks, self)
        self.feed.changed.connect(self._apply)
        if self.grader is None:
            self._background = BackgroundGrading(
                str(store.path), patient.id, settings, local_tz, self
            )
            self._background.finished_grading.connect(self._graded)

    def start(self) -> None:
        """Start watching the store, and grading a long chart in the background.

        Called once the window is up, so the grading does not compete with the
        first paint.
        """
        if self._closed:  # closed before the event loop ran the queued start
            return
        self.feed.start()
        if (
            self._background is not None
            and not self._background.isRunning()
            and self.grader is None
        ):
            self._background.start()

    @property
    def grades_ready(self) -> bool:
        return self.grader is not None

    def close(self) -> None:
        """Stop watching the store (and wait for a background grading to end)."""
        self._closed = True
        self.feed.stop()
        if self._background is not None:
            self._background.wait()

    def _graded(self, grader: Grader, last_row_id: int) -> None:
        """The background grading is done: catch up with what arrived meanwhile."""
        self.grader = grader
        for changes in self._waiting:
            if changes.entered_in_error:
                grader.remove(changes.entered_in_error)
            # Rows the background read already saw are not added twice.
            grader.add(row.to_observation() for row in changes.rows if row.id > last_row_id)
        self._waiting.clear()
        self.grades_changed.emit(grader.latest())

    # -- reading ---------------------------------------------------------------

    @property
    def grades(self) -> GradeSet | None:
        return self.grader.latest() if self.grader is not None else None

    def pending_alerts(self) -> list[Alert]:
        """Rises of CRS, ICANS and the NEWS2 triggers not yet acknowledged (REFERENCE.md
        §1.3a items 7, 8), each with its peak and its level now."""
        if self.grader is None:
            return []
        return pending_alerts(self.grader, acknowledgements(self.events), memo=self._alert_scan)

    def acknowledge(self, alerts: Sequence[Alert]) -> None:
        """Chart that the signed-in nurse saw these alerts: each records the peak it
        acknowledges, what it rose from and the level now."""
        for alert in alerts:
            self.record_event(
                "alert_ack",
                key=alert.system,
                status="acknowledged",
                detail=acknowledgement_detail(alert),
            )

    # -- writing (every write carries the signed-in nurse) ------------------------

    def chart(self, entries: Sequence[Entry], observed_at: float) -> list[int]:
        ids = self.store.chart(
            self.patient.id, entries, observed_at=observed_at, actor=self.nurse, source="manual"
        )
        self.feed.check_now()
        return ids

    def correct(self, row_id: int, reason: str, replacement: Entry | None) -> int | None:
        new_id = self.store.mark_entered_in_error(
            row_id, reason=reason, actor=self.nurse, replacement=replacement
        )
        self.feed.check_now()
        return new_id

    def record_event(self, kind: str, **fields: Any) -> int:
        event_id = self.store.record_event(self.patient.id, kind, actor=self.nurse, **fields)
        self.feed.check_now()
        return event_id

    def row(self, row_id: int) -> ChartedRow | None:
        return self.store.row(row_id)

    # -- the path of a value -------------------------------------------------------

    def _apply(self, changes: Changes) -> None:
        """New rows go to the grader (re-grading only from their time) and the widgets."""
        grader = self.grader
        if grader is None:
            self._waiting.append(changes)
        treatment = self.treatment
        if changes.entered_in_error:
            if grader is not None:
                grader.remove(changes.entered_in_error)
            if treatment is not None:  # corrections are rare: read its few lookups again
                treatment.reload()
            self.rows_entered_in_error.emit(list(changes.entered_in_error))
        if changes.rows:
            if grader is not None:
                grader.add(row.to_observation() for row in changes.rows)
            if treatment is not None and not changes.entered_in_error:
                treatment.rows_added(changes.rows)
            self.rows_added.emit(list(changes.rows))
        if changes.events:
            self.events.extend(changes.events)
            self.events_added.emit(list(changes.events))
        if grader is not None and (changes.rows or changes.entered_in_error):
            self.grades_changed.emit(grader.latest())
