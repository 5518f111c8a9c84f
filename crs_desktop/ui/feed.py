"""The one place the window learns of new chart rows: its own writes and other processes'.

Another process's commit writes the chart's -wal file: a file watch (inotify on Linux,
no cost while nothing is written) wakes the feed at once, and it asks the core's
ChangeReader (app/feed.py) whether data_version moved; the read itself is the core's.
A slow poll stays as the safety net (a missed file event, a store that is no file).
"""

from __future__ import annotations

import time

from PySide6.QtCore import QFileSystemWatcher, QObject, QTimer, Signal

from crs_desktop.app.feed import ChangeReader

POLL_MS = 250  # nothing to watch (no file): the poll is the only way to learn of commits
SAFETY_POLL_MS = 1000  # with a watch: only for a file event that never came
# The commit's pages reach the -wal file (the event) a moment before the commit is
# visible (fsync, then the shared index): after each event the feed looks again this
# often, this many times (0.2 s), and then waits for the next event.
RECHECK_MS = 5
RECHECKS = 40


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
        self._files = reader.commit_files()
        self._watch: QFileSystemWatcher | None = None
        self._recheck = QTimer(self)
        self._recheck.setSingleShot(True)
        self._recheck.setInterval(RECHECK_MS)
        self._recheck.timeout.connect(self._look_again)
        self._rechecks_left = 0

    @property
    def watching(self) -> bool:
        """A file watch wakes the feed (else only the poll does)."""
        return self._watch is not None and bool(self._watch.files())

    def start(self) -> None:
        if self._files and self._watch is None:
            self._watch = QFileSystemWatcher(self)
            self._watch.fileChanged.connect(self.wake)
            self._watch.addPaths(self._files)
        self._timer.setInterval(SAFETY_POLL_MS if self.watching else POLL_MS)
        self._timer.start()

    def stop(self) -> None:
        self._timer.stop()
        self._recheck.stop()
        if self._watch is not None:
            self._watch.fileChanged.disconnect(self.wake)
            if self._watch.files():
                self._watch.removePaths(self._watch.files())
            self._watch.deleteLater()
            self._watch = None

    def wake(self, _path: str = "") -> None:
        """A commit file was written (another process's commit, or our own): look now,
        and again shortly while the commit may not be visible yet."""
        if self._watch is None:
            return  # stopped: a file event already queued
        if not self._watch.files():  # the file was replaced or removed: watch it again
            self._watch.addPaths(self.reader.commit_files())
        self._rechecks_left = RECHECKS
        self._look_again()

    def _look_again(self) -> None:
        # Looking on after a commit was seen too: a later commit's event may have been
        # taken while the earlier one was still all there was to see.
        self.poll()
        if self._rechecks_left > 0:
            self._rechecks_left -= 1
            self._recheck.start()

    def poll(self) -> bool:
        """Look for other processes' commits (cheap when there are none): True when one
        was seen."""
        if not self.reader.others_wrote():
            return False
        if self.reader.replaced():  # stop, and say so once
            self.stop()
            self.replaced.emit(self.reader.mrn)
            return True
        self.check_now()
        return True

    def check_now(self) -> None:
        """Read what was committed after the last look (call after this window's own writes)."""
        self.picked_at = time.time()  # for the trace (ui/trace.py): reading starts
        changes = self.reader.read()
        if changes:
            self.changed.emit(changes)
