"""The one place the window learns of new chart rows: its own writes and other processes'.

A timer asks the core's ChangeReader (app/feed.py) every POLL_MS whether another
process committed; the read itself is the core's.
"""

from __future__ import annotations

import time

from PySide6.QtCore import QObject, QTimer, Signal

from crs_desktop.app.feed import ChangeReader

POLL_MS = 250


class ChartFeed(QObject):
    """Emits `changed(Changes)` with only what is new since the last look."""

    changed = Signal(object)
    # The open patient's record was replaced (archived, e.g. `crs-desktop demo` reset it
    # from another process): its MRN, so the window can open the new record.
    replaced = Signal(str)

    def __init__(self, reader: ChangeReader, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.reader = reader
        self.picked_at = 0.0
        self._timer = QTimer(self)
        self._timer.setInterval(POLL_MS)
        self._timer.timeout.connect(self.poll)

    def start(self) -> None:
        self._timer.start()

    def stop(self) -> None:
        self._timer.stop()

    def poll(self) -> None:
        """Look for other processes' commits (cheap when there are none)."""
        if self.reader.others_wrote():
            if self.reader.replaced():  # stop, and say so once
                self.stop()
                self.replaced.emit(self.reader.mrn)
                return
            self.check_now()

    def check_now(self) -> None:
        """Read what was committed after the last look (call after this window's own writes)."""
        self.picked_at = time.time()  # for the trace (ui/trace.py): reading starts
        changes = self.reader.read()
        if changes:
            self.changed.emit(changes)
