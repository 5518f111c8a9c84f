"""The chart session core (no Qt): one patient open, its grades, treatment state and plot
data, kept current from the store; every write carries the signed-in nurse.

The path of a value: a write goes to the store (chart, correct, record_event); the
feed reads what was committed after the last look (ours or another process's);
apply(changes) hands it to the grader (re-grading only from the new values' time),
the treatment state and the plot data, and returns an Update saying what changed.
ui/session.py turns that Update into signals; nothing here re-reads the whole chart
for one new value.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import tzinfo
from typing import Any

from crs_desktop.app.charting import SetReview, review_set
from crs_desktop.app.feed import ChangeReader
from crs_desktop.app.plot_data import PlotChange, PlotData
from crs_desktop.app.treatment import TreatmentState
from crs_desktop.domain.collector import collector_paused
from crs_desktop.domain.escalation import (
    Alert,
    acknowledgement_detail,
    acknowledgements,
    pending_alerts,
)
from crs_desktop.domain.grading import Grader, GradeSet, GradingSettings
from crs_desktop.domain.protocol import Protocol
from crs_desktop.store import ChartStore, Patient
from crs_desktop.store.records import Changes, ChartedRow, Entry, Event

# Charts up to this many values are graded before the window shows (well under
# 0.1 s); longer ones (a monitor feed) are graded in the background while the
# plots are already up, and the grading panel says so meanwhile.
GRADE_AT_ONCE_UP_TO = 20_000


@dataclass
class Update:
    """What one apply() changed, for the widgets to repaint only that."""

    rows: list[ChartedRow] = field(default_factory=list)  # new, committed and current
    entered_in_error: list[ChartedRow] = field(default_factory=list)  # as stored now
    events: list[Event] = field(default_factory=list)
    grades_changed: bool = False
    grades: GradeSet | None = None  # the latest grades, when grades_changed
    plot: PlotChange = field(default_factory=PlotChange)


def grade_chart(
    path: str, patient_id: int, settings: GradingSettings | None, local_tz: tzinfo | None
) -> tuple[Grader, int]:
    """Read and grade a whole (long) chart on a connection of its own (sqlite is
    per-thread): the grader and the last row id it read. Run off the GUI thread."""
    # The collector off for the read too: the hundreds of thousands of values read
    # would have it walk them again and again (30 days: read 1.07 -> 0.85 s).
    with collector_paused():
        # Reads only, on the file the window opened (and checks for damage beside it):
        # its page-by-page check again here cost a few hundred ms before every read.
        store = ChartStore(path, verify=False, read_only=True)
        try:
            with store.read_snapshot():
                last_row_id = store.high_water()[0]
                observations = store.observations(patient_id, lean=True)
        finally:
            store.close()
        grader = Grader(settings, local_tz)
        grader.add(observations)
    return grader, last_row_id


class ChartSession:
    """The open patient's chart, grades, treatment state and plot data."""

    def __init__(
        self,
        store: ChartStore,
        patient: Patient,
        nurse: str,
        settings: GradingSettings | None = None,
        local_tz: tzinfo | None = None,
        grade_at_once_up_to: int = GRADE_AT_ONCE_UP_TO,
        protocol: Protocol | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.store, self.patient, self.nurse = store, patient, nurse
        self.settings, self.local_tz, self.clock = settings, local_tz, clock
        self.treatment: TreatmentState | None = None
        self.grader: Grader | None = None
        self._waiting: list[Changes] = []  # arrived while the background grading ran
        self._alert_scan: dict[str, Any] = {}  # where pending_alerts stopped (its memo)
        with store.read_snapshot():  # one consistent state, whatever other writers do
            marks = store.high_water()
            self.events: list[Event] = store.events(patient.id)
            if protocol is not None:
                self.treatment = TreatmentState(store, patient.id, protocol)
            # Read in the same snapshot as the marks: a row committed meanwhile comes
            # once, through the feed, never twice.
            self.plot_data = PlotData(store, patient.id, clock)
            count = store.count_observations(patient.id, up_to=grade_at_once_up_to + 1)
            if count <= grade_at_once_up_to:
                grader = Grader(settings, local_tz)
                grader.add(store.observations(patient.id, lean=True))
                self.grader = grader
        self.reader = ChangeReader(store, patient.id, marks)

    # -- reading ---------------------------------------------------------------------

    @property
    def grades(self) -> GradeSet | None:
        return self.grader.latest() if self.grader is not None else None

    def pending_alerts(self) -> list[Alert]:
        """Rises of CRS, ICANS and the NEWS2 triggers not yet acknowledged (REFERENCE.md
        §1.3a items 7, 8), each with its peak and its level now."""
        if self.grader is None:
            return []
        return pending_alerts(self.grader, acknowledgements(self.events), memo=self._alert_scan)

    def row(self, row_id: int) -> ChartedRow | None:
        return self.store.row(row_id)

    def rows(self, since: float | None = None) -> list[ChartedRow]:
        """Every row since a time (the chart table, read when a nurse looks at it)."""
        rows: list[ChartedRow] = self.store.rows(self.patient.id, since=since)
        return rows

    def current_row_at(self, item: str, at: float) -> ChartedRow | None:
        """The current row of an item charted at a time (a point clicked on a plot)."""
        rows = self.store.rows(
            self.patient.id, include_errors=False, items=[item], since=at, until=at
        )
        return rows[-1] if rows else None

    def facts(self, now: float) -> Patient:
        """The patient with the charted weight and CAR-T infusion (store.patient_facts)."""
        return self.store.patient_facts(self.patient, now)

    def unreadable_count(self) -> int:
        """Values let in by an older import at an impossible time (not plotted or graded)."""
        return len(self.store.unreadable_rows(self.patient.id))

    # -- writing (every write carries the signed-in nurse) -------------------------------

    def review_set(self, entries: Sequence[Entry], observed_at: float, note: str) -> SetReview:
        """A set of values checked before it is charted (nothing written): what the nurse
        must confirm. Raises EntriesRefused naming each refused value."""
        return review_set(self.store, self.patient.id, self.treatment, entries, observed_at, note)

    def chart(self, entries: Sequence[Entry], observed_at: float) -> list[int]:
        ids: list[int] = self.store.chart(
            self.patient.id, entries, observed_at=observed_at, actor=self.nurse, source="manual"
        )
        return ids

    def correct(self, row_id: int, reason: str, replacement: Entry | None) -> int | None:
        new_id: int | None = self.store.mark_entered_in_error(
            row_id, reason=reason, actor=self.nurse, replacement=replacement
        )
        return new_id

    def record_event(self, kind: str, **fields: Any) -> int:
        if kind == "checklist":  # marked meanwhile on another workstation: refused, by whom
            fields.setdefault("seen_up_to", self.reader.last_event_id)
        event_id: int = self.store.record_event(self.patient.id, kind, actor=self.nurse, **fields)
        return event_id

    def news2_scale_set_by(self) -> tuple[str, float] | None:
        """Who last set the patient's NEWS2 SpO2 scale, and when (the audit)."""
        changed: tuple[str, float] | None = self.store.last_change(self.patient.id, "news2_scale")
        return changed

    def change_news2_scale(self) -> Patient:
        """The other NEWS2 SpO2 scale (REFERENCE.md §7.1), audited under the nurse: the
        updated patient (the window opens it again, graded on the new scale)."""
        new = 2 if self.patient.news2_scale == 1 else 1
        patient: Patient = self.store.update_patient(
            self.patient.id, actor=self.nurse, news2_scale=new
        )
        return patient

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

    # -- the path of a value ---------------------------------------------------------------

    def apply(self, changes: Changes) -> Update:
        """New rows go to the grader (re-grading only from their time), the treatment state
        and the plot data; corrections take rows out of each."""
        update = Update()
        grader, treatment = self.grader, self.treatment
        if grader is None:
            self._waiting.append(changes)
        if changes.entered_in_error:
            if grader is not None:
                grader.remove(changes.entered_in_error)
            if treatment is not None:  # corrections are rare: read its few lookups again
                treatment.reload()
            # Corrections are rare: each row read once, here, for every widget.
            rows = [self.store.row(row_id) for row_id in changes.entered_in_error]
            update.entered_in_error = [
                r for r in rows if r is not None and r.patient_id == self.patient.id
            ]
            update.plot = self.plot_data.rows_entered_in_error(update.entered_in_error)
        if changes.rows:
            if grader is not None:
                grader.add(row.to_observation() for row in changes.rows)
            if treatment is not None and not changes.entered_in_error:
                treatment.rows_added(changes.rows)
            update.rows = list(changes.rows)
            added = self.plot_data.add_rows(changes.rows)
            update.plot = _merged(update.plot, added)
        if changes.events:
            self.events.extend(changes.events)
            update.events = list(changes.events)
        if grader is not None and (changes.rows or changes.entered_in_error):
            update.grades_changed, update.grades = True, grader.latest()
        return update

    def graded(self, grader: Grader, last_row_id: int) -> Update:
        """The background grading is done: catch up with what arrived meanwhile."""
        self.grader = grader
        for changes in self._waiting:
            if changes.entered_in_error:
                grader.remove(changes.entered_in_error)
            # Rows the background read already saw are not added twice.
            grader.add(row.to_observation() for row in changes.rows if row.id > last_row_id)
        self._waiting.clear()
        return Update(grades_changed=True, grades=grader.latest())


def _merged(a: PlotChange, b: PlotChange) -> PlotChange:
    return PlotChange(
        a.curves | b.curves, a.map or b.map, a.steps or b.steps, a.flagged or b.flagged
    )
