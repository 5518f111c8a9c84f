"""The chart file's page-by-page damage check, run beside the window as it starts."""

from __future__ import annotations

from PySide6.QtCore import QObject, QThread, Signal

from crs_desktop.app.records import ChartStore, StoreError, check_damage


class DamageCheck(QThread):
    """Checks the file on its own connection; the store takes no write until it passes."""

    passed = Signal()
    failed = Signal(str)

    def __init__(self, store: ChartStore, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.store = store
        self.path = store.path
        self.passed.connect(self._mark_verified)  # queued: runs on the store's thread

    def run(self) -> None:
        try:
            check_damage(self.path)
        except StoreError as exc:
            self.failed.emit(str(exc))
            return
        self.passed.emit()

    def _mark_verified(self) -> None:
        self.store.verified = True
