"""Live from the ward server: the window hears of other workstations' commits by
LISTEN/NOTIFY, and says at once when the server cannot be reached.

Every write on the server notifies CHANNEL inside its transaction (store/server.py),
so a notification means "something was committed". ServerWatch keeps a connection of
its own that LISTENs, and a QSocketNotifier on its socket: the Qt event loop wakes it
when the server sends anything (no thread, no polling timer). It then asks the feed to
look (ChartFeed.poll: only what is new is read, and a replaced record is noticed).

The same socket tells when the server goes away (restarted: it closes the connection;
a cable pulled: the TCP keepalives give up within seconds). The notice then says
"chart server unreachable — values are not being saved" (every write is refused with
the same words meanwhile, and the forms keep what was typed); the watch tries again
every RETRY_MS, and once back it looks at once, so the window catches up on what others
charted meanwhile. A read the window makes meanwhile (the chart table, switching
patient) fails with the same words: quiet_when_unreachable keeps it from printing a
traceback, the notice already says it.
"""

from __future__ import annotations

import sys
import weakref
from types import TracebackType
from typing import Any

import psycopg
from PySide6.QtCore import QObject, QSocketNotifier, QThread, QTimer, Signal
from PySide6.QtWidgets import QLabel

from crs_desktop.app.records import StoreError
from crs_desktop.store.server import CHANNEL, UNREACHABLE, ServerUnreachable, connect
from crs_desktop.ui.feed import ChartFeed

RETRY_MS = 1000
_WATCHES: weakref.WeakSet[ServerWatch] = weakref.WeakSet()


def quiet_when_unreachable(
    kind: type[BaseException], error: BaseException, trace: TracebackType | None
) -> None:
    """sys.excepthook while a window watches the server: a read that failed in a slot
    because the server is away is said by the notice (and the watch starts reconnecting),
    not as a traceback. Anything else goes to the hook there was before."""
    if issubclass(kind, ServerUnreachable):
        for watch in list(_WATCHES):
            watch.lose()
        return
    _previous_hook(kind, error, trace)


_previous_hook = sys.excepthook


def _listening(target: str) -> psycopg.Connection[Any]:
    conn = connect(target)
    conn.execute(f"LISTEN {CHANNEL}")
    return conn


class _Reconnect(QThread):
    """One attempt to reach the server again, off the GUI thread: a server behind a
    pulled cable answers nothing, and the attempt waits out the connect timeout."""

    def __init__(self, target: str, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.target = target
        self.conn: psycopg.Connection[Any] | None = None

    def run(self) -> None:
        try:
            self.conn = _listening(self.target)
        except (StoreError, psycopg.Error):
            self.conn = None


class ServerWatch(QObject):
    """Wakes the feed on each commit on the server; says when the server is unreachable."""

    lost = Signal(str)  # the notice's words
    back = Signal()

    def __init__(self, target: str, feed: ChartFeed, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.target, self.feed = target, feed
        self._conn: psycopg.Connection[Any] | None = None
        self._notifier: QSocketNotifier | None = None
        self.unreachable = False
        self._retry = QTimer(self)
        self._retry.setInterval(RETRY_MS)
        self._retry.timeout.connect(self._try_again)
        self._attempt: _Reconnect | None = None
        self._stopped = False
        self.notice = QLabel()  # placed at the top of the window (main_window.py)
        self.notice.setObjectName("server_notice")
        self.notice.setProperty("role", "error")
        self.notice.setWordWrap(True)
        self.notice.hide()
        _WATCHES.add(self)
        global _previous_hook
        if sys.excepthook is not quiet_when_unreachable:
            _previous_hook, sys.excepthook = sys.excepthook, quiet_when_unreachable

    def start(self) -> None:
        """Listen (the server answered the window a moment ago: at once, on this thread)."""
        try:
            conn = _listening(self.target)
        except (StoreError, psycopg.Error):
            self.lose()
            return
        self._listen(conn)

    def stop(self) -> None:
        self._stopped = True
        self._retry.stop()
        if self._attempt is not None:
            self._attempt.wait()
            if self._attempt.conn is not None:
                self._attempt.conn.close()
            self._attempt = None
        self._drop()

    # -- the listening connection -------------------------------------------------------

    def _try_again(self) -> None:
        if self._attempt is not None or self._stopped:
            return  # the last attempt is still waiting for an answer
        self._attempt = _Reconnect(self.target, self)
        self._attempt.finished.connect(self._attempted)
        self._attempt.start()

    def _attempted(self) -> None:
        attempt, self._attempt = self._attempt, None
        if attempt is None or self._stopped:
            return
        attempt.wait()
        if attempt.conn is not None:
            self._listen(attempt.conn)
        attempt.deleteLater()

    def _listen(self, conn: psycopg.Connection[Any]) -> None:
        self._conn = conn
        self._notifier = QSocketNotifier(conn.fileno(), QSocketNotifier.Type.Read, self)
        self._notifier.activated.connect(self._readable)
        if self.unreachable:
            self.unreachable = False
            self._retry.stop()
            self.notice.hide()
            self.back.emit()
        self._look()  # what was committed before LISTEN, or while the server was away

    def _readable(self) -> None:
        conn = self._conn
        if conn is None:
            return
        try:
            heard = any(True for _ in conn.notifies(timeout=0))
        except psycopg.Error:
            heard = False
        if conn.broken or conn.closed:
            self.lose()
        elif heard:
            self._look()

    def _look(self) -> None:
        try:
            self.feed.poll()
        except StoreError:  # gone again between the notification and the read
            self.lose()

    def lose(self) -> None:
        """The server is away: said at once, and tried again every RETRY_MS."""
        self._drop()
        if not self.unreachable:
            self.unreachable = True
            self.notice.setText(UNREACHABLE)
            self.notice.show()
            self.lost.emit(UNREACHABLE)
        if not self._retry.isActive():
            self._retry.start()

    def _drop(self) -> None:
        if self._notifier is not None:
            self._notifier.setEnabled(False)
            self._notifier.deleteLater()
            self._notifier = None
        if self._conn is not None:
            try:
                self._conn.close()
            except psycopg.Error:
                pass
            self._conn = None
