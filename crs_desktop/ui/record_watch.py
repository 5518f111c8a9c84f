"""The main window's watch on the open record: a replaced record is followed (or the window
says it can no longer chart), and a charted weight or infusion refreshes the header.

A mixin of MainWindow (kept apart so each module reads in one sitting).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QTimer

from crs_desktop.app.records import ChartedRow

REPLACED_LOOK_MS = 250  # a replaced record's successor: looked for 40 times, 10 s
FACT_ITEMS = frozenset({"weight", "car_t_infusion"})


class RecordWatch:
    """Follows the open record when another process replaces it."""

    store: Any
    session: Any
    header: Any
    nurse: str
    replaced_note: Any
    _awaiting_record: str | None
    open_patient: Callable[[Any], None]
    clock: Callable[[], float]

    def _patient_replaced(self, mrn: str) -> None:
        """The open record was replaced (the demo reset by `crs-desktop demo`, from another
        process): follow the new record of the same MRN and say so at the top; with none,
        say the window can no longer chart (the store refuses writes to a replaced record)."""
        new = self.store.patient(mrn)
        if new is not None:
            self._awaiting_record = None
            self.open_patient(new)
            words = (
                f"⚠ The record of MRN {mrn} was replaced by a new one (e.g. the demo was "
                "reset); the window now shows the new record."
            )
        else:
            if self.session is not None:
                self.session.close()
            words = (
                f"⚠ The record of MRN {mrn} was replaced; nothing more can be charted "
                "in it. Open the patient again (Ctrl+O)."
            )
            # The demo archives the old record, then creates the new one: look again.
            if getattr(self, "_awaiting_record", None) is None:
                self._awaiting_record = mrn
                self._look_again(mrn, tries=40)
        self.replaced_note.setText(words)
        self.replaced_note.show()

    def _look_again(self, mrn: str, tries: int) -> None:
        def look() -> None:
            if self._awaiting_record != mrn:
                return
            if self.store.patient(mrn) is not None:
                self._patient_replaced(mrn)
            elif tries > 1:
                self._look_again(mrn, tries - 1)

        QTimer.singleShot(REPLACED_LOOK_MS, look)

    def _facts_charted(self, rows: list[ChartedRow]) -> None:
        """A weight or an infusion charted: the header reads the facts again."""
        if self.session is not None and any(r.item in FACT_ITEMS for r in rows):
            facts = self.session.core.facts(self.clock())
            self.header.show_patient(facts, self.nurse)
