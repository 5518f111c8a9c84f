"""The bedside window: patient header, alert banner, observations due, live plots, grades,
the treatment checklist, the chart table."""

from __future__ import annotations

import gc
import sqlite3
import time
from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence
from PySide6.QtWidgets import (
    QLabel,
    QMainWindow,
    QMessageBox,
    QPushButton,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from crs_desktop.app.protocol_file import default_protocol
from crs_desktop.app.records import ChartStore, Patient
from crs_desktop.app.shifts import (
    DEFAULT_SHIFT_STARTS,
    current_shift,
    parse_shift_starts,
    previous_shift,
)
from crs_desktop.app.treatment import treatment_view
from crs_desktop.domain.checklist import DONE, ChecklistItem
from crs_desktop.domain.errors import UserError
from crs_desktop.domain.escalation import Alert
from crs_desktop.domain.grading import GradeSet, GradingSettings
from crs_desktop.domain.protocol import Protocol
from crs_desktop.ui import trace
from crs_desktop.ui.alert_banner import AlertBanner
from crs_desktop.ui.chart_table import ChartTable
from crs_desktop.ui.checklist_panel import ChecklistPanel
from crs_desktop.ui.due_strip import DueStrip
from crs_desktop.ui.grading_panel import GradingPanel
from crs_desktop.ui.news2_scale import change_news2_scale
from crs_desktop.ui.patient_header import PatientHeader
from crs_desktop.ui.patient_picker import choose_patient
from crs_desktop.ui.plot_controls import PlotControls
from crs_desktop.ui.plot_stack import PlotStack
from crs_desktop.ui.record_watch import RecordWatch
from crs_desktop.ui.session import PatientSession
from crs_desktop.ui.theme import warning_label

GRADES_MIN_WIDTH = 430  # px: "GRADE 4" at 30 pt beside its title, never clipped
CHECKLIST_MIN_WIDTH = 370
TIMER_REFRESH_MS = 20_000  # overdue timers show within 20 s of falling due
# Values streaming in from another process: the banner, checklist and timers follow within
# this (the grades at once); at 100 values a second each refresh cost the event loop ~2 ms.
STREAM_REFRESH_MS = 100
if TYPE_CHECKING:  # the dialogs and the report load when first used, not at start-up
    from crs_desktop.report.handover_data import HandoverData
    from crs_desktop.ui.correction_dialog import CorrectionDialog
    from crs_desktop.ui.entry_form import EntryForm
    from crs_desktop.ui.handover_note import HandoverNoteDialog
    from crs_desktop.ui.handover_preview import HandoverPreview
    from crs_desktop.ui.mark_dialog import MarkDialog


class MainWindow(RecordWatch, PlotControls, QMainWindow):
    """One patient at a time; every write carries the signed-in nurse."""

    def __init__(
        self,
        store: ChartStore,
        nurse: str,
        settings: GradingSettings | None = None,
        clock: Callable[[], float] = time.time,
        shift_starts: Sequence[str] = DEFAULT_SHIFT_STARTS,
        protocol: Protocol | None = None,
        protocol_warning: str | None = None,
    ) -> None:
        super().__init__()
        self.store = store
        self.nurse = nurse
        # The ward's treatment protocol (checklist, tocilizumab limits, timers); a refused
        # ward file leaves the last good one in force and says so on the checklist.
        self.protocol = protocol or default_protocol()
        self.protocol_warning = protocol_warning
        self.settings = settings or self.protocol.grading  # the ward's grading numbers
        self.clock = clock
        parse_shift_starts(shift_starts)  # a bad time is refused here, not at the first print
        # Local wall-clock times at which shifts start ("07:00", "19:00"; settings may change
        # them): the "This shift" plot range and the handover's period.
        self.shift_starts = tuple(shift_starts)
        self.session: PatientSession | None = None
        self.news2_scale_dialog: QMessageBox | None = None  # the last scale question asked
        self._awaiting_record: str | None = None
        self.setWindowTitle("crs_desktop")
        self._build_menus()

    # -- opening a patient ----------------------------------------------------------

    def open_patient(self, patient: Patient) -> None:
        if self.session is not None:
            self.session.close()
            self.session.deleteLater()
            # The chart switched away from may be collected again (a long one was frozen
            # out of the collector's walks once graded: ui/session.py).
            gc.unfreeze()
        # NEWS2's SpO2 scale is the patient's own (REFERENCE.md §7.1), as on the handover.
        settings = replace(self.settings, news2_scale=patient.news2_scale)
        session = PatientSession(
            self.store,
            patient,
            self.nurse,
            settings,
            parent=self,
            protocol=self.protocol,
            clock=self.clock,
        )
        self.session = session
        self.setWindowTitle(f"crs_desktop: {patient.name} (MRN {patient.mrn})")

        self.header = PatientHeader(self.clock)
        # The header, the plots and the dose helper read the same facts: the charted
        # weight and CAR-T infusion, else the patient record (store.patient_facts).
        facts = session.core.facts(self.clock())
        self.header.show_patient(facts, self.nurse)
        self.banner = AlertBanner()
        self.banner.acknowledged.connect(self._acknowledge)
        self.plots = PlotStack(session.core.plot_data, facts, settings, self.clock)
        self.plots.point_clicked.connect(self._correct_point)
        self.plots.follow_live = self.follow.isChecked()  # the View menu's choices
        self._show_more_plots(self.more_plots.isChecked())
        self._ferritin_log(self.ferritin_log.isChecked())
        self.grading = GradingPanel(self.clock, settings.vitals_window_h)
        self.table = ChartTable(session, self.clock)
        self.table.correct_requested.connect(self.correct_row)

        self.tabs = QTabWidget()
        self.tabs.addTab(self.plots, "Plots")
        self.tabs.setCornerWidget(self._range_bar(), Qt.Corner.TopRightCorner)
        self.tabs.addTab(self.table, "Chart table")

        right = QWidget()
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(0, 0, 0, 0)
        self.chart_button = QPushButton("Chart observations (F2)")
        self.chart_button.setObjectName("chart_button")
        self.chart_button.setStyleSheet("font-size: 14pt; font-weight: bold; padding: 10px;")
        self.chart_button.clicked.connect(self.new_observations)
        right_layout.addWidget(self.chart_button)
        unreadable = session.core.unreadable_count()
        if unreadable:  # let in by an older import: kept, but left out of every view
            right_layout.addWidget(
                warning_label(
                    "unreadable_times",
                    f"{unreadable} value(s) charted at an impossible time (before 1900 or "
                    "far in the future) are not plotted or graded; export the chart to see them",
                )
            )
        self.checklist = ChecklistPanel()
        self.checklist.mark_requested.connect(self.mark_action)
        self.checklist.tocilizumab_requested.connect(self.give_tocilizumab)
        checklist_box = QWidget()
        checklist_layout = QVBoxLayout(checklist_box)
        checklist_layout.setContentsMargins(0, 0, 0, 0)
        if self.protocol_warning:
            checklist_layout.addWidget(warning_label("protocol_warning", self.protocol_warning))
        checklist_layout.addWidget(self.checklist, 1)
        right_layout.addWidget(self.grading, 1)
        self.right_panel = right_layout
        self.due = DueStrip()

        # Plots | grades | what to do: the grade and the checklist side by side, never
        # one hidden behind the other.
        split = QSplitter(Qt.Orientation.Horizontal)
        split.addWidget(self.tabs)
        split.addWidget(right)
        split.addWidget(checklist_box)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 2)
        split.setStretchFactor(2, 2)
        # The grade and the checklist keep a readable width; the plots give way first.
        right.setMinimumWidth(GRADES_MIN_WIDTH)
        checklist_box.setMinimumWidth(CHECKLIST_MIN_WIDTH)
        split.setChildrenCollapsible(False)
        split.setSizes([760, 440, 440])

        central = QWidget()
        layout = QVBoxLayout(central)
        layout.setContentsMargins(6, 6, 6, 6)
        self.replaced_note = QLabel()
        self.replaced_note.setObjectName("replaced_note")
        self.replaced_note.setProperty("role", "error")
        self.replaced_note.setWordWrap(True)
        self.replaced_note.hide()
        layout.addWidget(self.replaced_note)
        if session.watch is not None:  # the ward server: "unreachable" said at the top
            layout.addWidget(session.watch.notice)
        layout.addWidget(self.header)
        layout.addWidget(self.banner)
        layout.addWidget(self.due)
        layout.addWidget(split, 1)
        self.setCentralWidget(central)

        if not hasattr(self, "_banner_due"):  # the stream's folded refresh (_grades_changed)
            self._banner_due = QTimer(self)
            self._banner_due.setSingleShot(True)
            self._banner_due.setInterval(STREAM_REFRESH_MS)
            self._banner_due.timeout.connect(self._refresh_banner)
        session.plot_changed.connect(self.plots.show_change)
        session.rows_added.connect(self._facts_charted)
        session.feed.replaced.connect(self._patient_replaced, Qt.ConnectionType.QueuedConnection)
        session.grades_changed.connect(self._grades_changed)
        session.events_added.connect(lambda _events: self._refresh_banner())
        if session.grades_ready:
            self.grading.show_grades(session.grades)
        else:
            self.grading.show_grading_in_progress()
            # A long chart: its grades first, then the plots' older history (out of the
            # 24 h view); the two at once slowed the grading by half (Python's one lock).
            self.plots.hold_history()
            session.grades_changed.connect(
                self._history_after_grades, Qt.ConnectionType.SingleShotConnection
            )
        self._refresh_banner()
        trace.watch(self.plots.view, self.grading)  # with CRS_DESKTOP_TRACE set only
        QTimer.singleShot(0, session.start)
        # Timers go overdue with the clock, not only when values arrive.
        if not hasattr(self, "_tick"):
            self._tick = QTimer(self)
            self._tick.setInterval(TIMER_REFRESH_MS)
            self._tick.timeout.connect(self.refresh_treatment)
            self._tick.start()

    # -- menus -----------------------------------------------------------------------

    def _build_menus(self) -> None:
        file_menu = self.menuBar().addMenu("&File")
        switch = QAction("Switch patient…", self)
        switch.setShortcut(QKeySequence("Ctrl+O"))
        switch.triggered.connect(self.switch_patient)
        file_menu.addAction(switch)
        self.print_action = QAction("Print handover…", self)
        self.print_action.setShortcut(QKeySequence("Ctrl+P"))
        self.print_action.triggered.connect(self.print_handover)
        file_menu.addAction(self.print_action)
        self.note_action = QAction("Handover note…", self)
        self.note_action.setShortcut(QKeySequence("Ctrl+H"))
        self.note_action.triggered.connect(self.write_handover_note)
        file_menu.addAction(self.note_action)
        file_menu.addSeparator()
        quit_action = QAction("Quit", self)
        quit_action.setShortcut(QKeySequence("Ctrl+Q"))
        quit_action.triggered.connect(self.close)
        file_menu.addAction(quit_action)
        self._build_view_menu()
        chart_menu = self.menuBar().addMenu("&Chart")
        new = QAction("Chart observations…", self)
        new.setShortcuts([QKeySequence("F2"), QKeySequence("Ctrl+N")])
        new.triggered.connect(self.new_observations)
        chart_menu.addAction(new)
        scale = QAction("NEWS2 SpO2 scale…", self)  # REFERENCE.md §7.1, ui/news2_scale.py
        scale.triggered.connect(lambda: change_news2_scale(self))
        chart_menu.addAction(scale)

    # -- actions ---------------------------------------------------------------------

    def new_observations(self) -> EntryForm | None:
        if self.session is None:
            return None
        from crs_desktop.ui.entry_form import EntryForm

        form = EntryForm(self.session, self.clock, self)
        form.open()
        self.entry_form = form
        return form

    def switch_patient(self) -> None:
        if self.session is None:
            return
        mrn = choose_patient(self.store.patients(), self.session.patient.mrn, self)
        if mrn is not None:
            self.open_patient_by_mrn(mrn)

    def open_patient_by_mrn(self, mrn: str) -> None:
        patient = self.store.patient(mrn)
        if patient is None:
            raise UserError(f"--patient {mrn!r}: no patient with this MRN")
        self.open_patient(patient)

    def correct_row(self, row_id: int) -> CorrectionDialog | None:
        if self.session is None:
            return None
        row = self.session.row(row_id)
        if row is None or row.entered_in_error:
            return None
        from crs_desktop.ui.correction_dialog import CorrectionDialog

        dialog = CorrectionDialog(self.session, row, self)
        dialog.open()
        self.correction_dialog = dialog
        return dialog

    def _correct_point(self, item: str, at: float) -> None:
        if self.session is None:
            return
        row = self.session.core.current_row_at(item, at)
        if row is not None:
            self.correct_row(row.id)

    def _history_after_grades(self, _grades: object) -> None:
        """The plots' older history, once the long chart's grades are on screen (connected
        for one call: a session switched away from may still send its first grades): read
        on a thread, then joined here (the event loop never waits on the read)."""
        session, plots = self.session, self.plots
        if session is None:
            return
        session.history_ready.connect(plots.load_history, Qt.ConnectionType.SingleShotConnection)
        session.read_history()

    def _grades_changed(self, grades: GradeSet | None) -> None:
        """Paint the grades the session sent (it graded them once; nothing reads them again).

        The banner, checklist and timers follow at once after this window's own writes;
        values streaming in from elsewhere (a monitor, 100 a second) are folded into one
        refresh every STREAM_REFRESH_MS: the grades themselves are painted at once."""
        self.grading.show_grades(grades)
        if self.session is not None and self.session.streaming:
            if not self._banner_due.isActive():
                self._banner_due.start()
            return
        self._refresh_banner()

    def _refresh_banner(self) -> None:
        """The banner, the checklist and the timers follow every value and every mark."""
        self._banner_due.stop()  # a refresh folded from a stream is done now
        if self.session is None:
            return
        items = self.refresh_treatment()
        new = [i for i in items if i.new]
        extra = ""
        if new:
            # One line: the count, and the escalations by name (the rest is on the checklist).
            urgent = [i.action.title for i in new if i.action.group == "Escalation"]
            extra = f"{len(new)} new action(s) on the checklist, marked NEW"
            extra += (": " + "; ".join(urgent)) if urgent else ""
        stale = self.grading.stale_words()
        if stale:  # a grade from old findings is not "now" (the banner says "now GRADE")
            extra = f"⚠ NOT CURRENT: {stale}" + (f"; {extra}" if extra else "")
        self.banner.show_alerts(self.session.pending_alerts(), extra, self.clock())

    # -- the checklist and the timers -------------------------------------------------

    def refresh_treatment(self) -> list[ChecklistItem]:
        """Show the checklist and the timers as of now; returns the checklist's items."""
        session = self.session
        if session is None or session.treatment is None:
            return []
        now = self.clock()
        view = treatment_view(session.treatment, session.grader, session.events, now)
        self.grading.show_age()  # findings grow old with the clock, not only with values
        self.due.show_timers(view.timers, now, None)
        if view.items is None:  # a long chart is still being graded
            return []
        self.checklist.show_checklist(
            view.items, view.grades, view.tocilizumab, view.dose_text, view.steroids, now
        )
        return view.items

    def mark_action(self, key: str, status: str) -> MarkDialog | None:
        """Answer a checklist action (done / not done / not applicable)."""
        action = self.protocol.action(key)
        if self.session is None or self.session.treatment is None or action is None:
            return None
        from crs_desktop.ui.mark_dialog import MarkDialog

        dialog = MarkDialog(self.session, self.session.treatment, action, status, self.clock, self)
        dialog.open()
        self.mark_dialog = dialog
        return dialog

    def give_tocilizumab(self) -> MarkDialog | None:
        """Tocilizumab at any grade (the doctor may order it): the same dialog and limits."""
        action = next((a for a in self.protocol.actions if a.drug == "tocilizumab"), None)
        return self.mark_action(action.key, DONE) if action is not None else None

    def _acknowledge(self, alerts: list[Alert]) -> None:
        if self.session is None:
            return
        self.session.acknowledge(alerts)
        self._refresh_banner()

    # -- the handover ------------------------------------------------------------------

    def print_handover(self) -> HandoverPreview | None:
        """File → Print handover…: the preview of this shift's handover (or the previous)."""
        if self.session is None:
            return None
        now = self.clock()
        periods = [
            ("This shift", current_shift(now, self.shift_starts)),
            ("Previous shift", previous_shift(now, self.shift_starts)),
        ]
        try:
            from crs_desktop.ui.handover_preview import HandoverPreview

            dialog = HandoverPreview(self.gather_handover, periods, self)
        except (OSError, ValueError, sqlite3.Error) as exc:  # the chart could not be read
            self.show_error(f"The handover could not be made: {exc}")
            return None
        screen = self.screen().availableGeometry()
        dialog.resize(min(1200, screen.width() - 40), screen.height() - 60)
        dialog.open()
        self.handover_preview = dialog
        return dialog

    def gather_handover(self, start: float, end: float) -> HandoverData:
        """The handover of [start, end] for the open patient: this shift's as the window
        shows it now, a past shift's checklist and timers as they stood at its end."""
        session = self.session
        if session is None:
            raise ValueError("no patient is open")
        now = self.clock()
        from crs_desktop.report.handover_data import build_handover

        # A past shift's are worked out for its end, as `crs-desktop handover` does.
        past = end < now
        outstanding, observations_due = (None, None) if past else self.handover_todo()
        return build_handover(
            self.store,
            session.patient.id,
            start,
            end,
            printed_by=self.nurse,
            now=now,
            outstanding=outstanding,
            observations_due=observations_due,
            protocol=self.protocol if past else None,
            # None while a long chart is still graded in the background: graded there.
            grader=session.grader,
        )

    def write_handover_note(self) -> HandoverNoteDialog | None:
        """File → Handover note…: the nurse's words for this shift's handover."""
        if self.session is None:
            return None
        from crs_desktop.ui.handover_note import HandoverNoteDialog

        dialog = HandoverNoteDialog(
            self.session, current_shift(self.clock(), self.shift_starts), self
        )
        dialog.open()
        self.handover_note = dialog
        return dialog

    def handover_todo(self) -> tuple[list[str] | None, list[str] | None]:
        """Outstanding checklist actions and observations due, for the handover, as the
        checklist shows them now (None while a long chart is still being graded)."""
        session = self.session
        if session is None or session.treatment is None or session.grader is None:
            return None, None
        outstanding, due = session.treatment.todo(session.grader, session.events, self.clock())
        return outstanding, due

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802
        if hasattr(self, "_tick"):  # a closed window refreshes nothing (its store may close)
            self._tick.stop()
            self._banner_due.stop()
        self._awaiting_record = None
        if self.session is not None:
            self.session.close()
        super().closeEvent(event)

    def show_error(self, message: str) -> None:
        QMessageBox.warning(self, "crs_desktop", message)
