"""The Qt adapter of the chart session core (app/session.py): core updates become signals.

The widgets are fed from here (rows, grades, what the plots must redraw) and every
write goes through the core, so the store stays the single source of truth and the
grades follow each committed value. No clinical rule and no store query lives here.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Callable, Sequence
from datetime import tzinfo
from typing import Any

from PySide6.QtCore import QObject, QThread, Signal

from crs_desktop.app.plot_data import History, HistoryReader, HistoryRequest
from crs_desktop.app.records import ChartedRow, ChartStore, Entry, Event, Patient
from crs_desktop.app.session import GRADE_AT_ONCE_UP_TO, ChartSession, Update, grade_chart
from crs_desktop.app.treatment import TreatmentState
from crs_desktop.domain.escalation import Alert
from crs_desktop.domain.grading import Grader, GradeSet, GradingSettings
from crs_desktop.domain.protocol import Protocol
from crs_desktop.ui import trace
from crs_desktop.ui.feed import ChartFeed

__all__ = ["GRADE_AT_ONCE_UP_TO", "BackgroundGrading", "BackgroundHistory", "PatientSession"]


class BackgroundGrading(QThread):
    """Grades a long chart off the GUI thread (app.session.grade_chart)."""

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
        self.args = (path, patient_id, settings, local_tz)

    def run(self) -> None:
        self.finished_grading.emit(*grade_chart(*self.args))


class BackgroundHistory(QThread):
    """Reads the plots' older history off the GUI thread (app.plot_data.HistoryReader)."""

    finished_reading = Signal(object)  # app.plot_data.History

    def __init__(self, path: str, request: HistoryRequest, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.reader = HistoryReader(path, request)

    def run(self) -> None:
        history = self.reader.read()
        if history is not None:
            self.finished_reading.emit(history)


class PatientSession(QObject):
    """The open patient's chart and grades, as signals for the widgets."""

    rows_added = Signal(list)  # list[ChartedRow], committed and current
    rows_entered_in_error = Signal(list)  # list[ChartedRow], as stored now (in error)
    events_added = Signal(list)  # list[Event]
    grades_changed = Signal(object)  # GradeSet | None: the latest grades, to paint
    plot_changed = Signal(object)  # app.plot_data.PlotChange: what the plots redraw
    history_ready = Signal()  # the plots' older history was read: load_history() joins it

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
        clock: Callable[[], float] = time.time,
    ) -> None:
        super().__init__(parent)
        self.core = ChartSession(
            store, patient, nurse, settings, local_tz, grade_at_once_up_to, protocol, clock
        )
        self._closed = False
        # True while applying values the feed found on its own (another process's stream),
        # not this window's own writes: the window may then fold the checklist and banner
        # of several values into one refresh (ui/main_window.py).
        self.streaming = False
        self._own_write = False
        self.feed = ChartFeed(self.core.reader, self)
        self.feed.changed.connect(self._apply)
        self.watch = None  # the ward server wakes the feed by notification, not its timer
        if store.on_server:
            from crs_desktop.ui.server_watch import ServerWatch

            self.watch = ServerWatch(str(store.path), self.feed, self)
        self._background: BackgroundGrading | None = None
        self._history: BackgroundHistory | None = None
        if self.core.grader is None:
            self._background = BackgroundGrading(
                str(store.path), patient.id, settings, local_tz, self
            )
            self._background.finished_grading.connect(self._graded)

    # -- what the dialogs and the window read of the core --------------------------------

    @property
    def store(self) -> ChartStore:  # for tests and benches: no widget reads the store
        return self.core.store

    @property
    def patient(self) -> Patient:
        return self.core.patient

    @property
    def nurse(self) -> str:
        return self.core.nurse

    @property
    def treatment(self) -> TreatmentState | None:
        return self.core.treatment

    @property
    def grader(self) -> Grader | None:
        return self.core.grader

    @grader.setter
    def grader(self, grader: Grader | None) -> None:
        self.core.grader = grader

    @property
    def events(self) -> list[Event]:
        return self.core.events

    @property
    def grades(self) -> GradeSet | None:
        return self.core.grades

    @property
    def grades_ready(self) -> bool:
        return self.core.grader is not None

    def pending_alerts(self) -> list[Alert]:
        return self.core.pending_alerts()

    def row(self, row_id: int) -> ChartedRow | None:
        return self.core.row(row_id)

    # -- running -------------------------------------------------------------------------

    def start(self) -> None:
        """Start watching the store, and grading a long chart in the background.

        Called once the window is up, so the grading does not compete with the
        first paint.
        """
        if self._closed:  # closed before the event loop ran the queued start
            return
        if self.watch is not None:
            self.watch.start()
        else:
            self.feed.start()
        background = self._background
        if background is not None and not background.isRunning() and self.core.grader is None:
            background.start()

    def read_history(self) -> bool:
        """Read the plots' older history on a thread; history_ready says when it may be
        joined (False: nothing left to read, or already reading)."""
        request = self.core.plot_data.history_request()
        if self._closed or request is None or self._history is not None:
            return False
        self._history = BackgroundHistory(str(self.core.store.path), request, self)
        self._history.finished_reading.connect(self._history_read)
        self._history.start()
        return True

    def close(self) -> None:
        """Stop watching the store (and wait for a background grading or read to end)."""
        self._closed = True
        self.feed.stop()
        if self.watch is not None:
            self.watch.stop()
        if self._history is not None:
            self._history.reader.stop()  # a read the closed window will not show
            self._history.wait()
        if self._background is not None:
            self._background.wait()

    # -- writing: through the core, then the feed reads what was committed ----------------

    def chart(self, entries: Sequence[Entry], observed_at: float) -> list[int]:
        ids = self.core.chart(entries, observed_at)
        self._read_own_write()
        return ids

    def correct(self, row_id: int, reason: str, replacement: Entry | None) -> int | None:
        new_id = self.core.correct(row_id, reason, replacement)
        self._read_own_write()
        return new_id

    def record_event(self, kind: str, **fields: Any) -> int:
        event_id = self.core.record_event(kind, **fields)
        self._read_own_write()
        return event_id

    def acknowledge(self, alerts: Sequence[Alert]) -> None:
        self.core.acknowledge(alerts)
        self._read_own_write()

    def _read_own_write(self) -> None:
        """Read back what this window just wrote: shown whole at once, never deferred."""
        self._own_write = True
        try:
            self.feed.check_now()
        finally:
            self._own_write = False

    # -- the path of a value -------------------------------------------------------------

    def _apply(self, changes: object) -> None:
        self.streaming = not self._own_write
        try:
            self._emit(self.core.apply(changes))  # type: ignore[arg-type]  # a store Changes
        finally:
            self.streaming = False
        if trace.active() and changes.rows:  # type: ignore[attr-defined]
            newest = max(row.recorded_at for row in changes.rows)  # type: ignore[attr-defined]
            trace.change(newest, self.feed.picked_at, time.time())

    def _graded(self, grader: Grader, last_row_id: int) -> None:
        # The long chart just graded lives as long as the window: out of the cycle
        # collector's walks (it has no cycles to find), which otherwise paused the event
        # loop for a third of a second each time and again, object by object, at exit.
        if not self._closed:  # a chart switched away from is let go, not frozen
            gc.freeze()
        self._emit(self.core.graded(grader, last_row_id))

    def _history_read(self, history: History) -> None:
        if self._closed:
            return
        self.core.plot_data.history_read(history)
        self.history_ready.emit()

    def _emit(self, update: Update) -> None:
        """One signal per kind of change; the widgets repaint only what they are sent."""
        if update.entered_in_error:
            self.rows_entered_in_error.emit(update.entered_in_error)
        if update.rows:
            self.rows_added.emit(update.rows)
        if update.rows or update.entered_in_error:  # the plots follow the newest value
            self.plot_changed.emit(update.plot)
        if update.events:
            self.events_added.emit(update.events)
        if update.grades_changed:
            self.grades_changed.emit(update.grades)
