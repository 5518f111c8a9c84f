"""File → Print handover…: the handover page as it will print, then Print… or Export PDF….

The preview, the printer and the PDF are drawn by the same `render_handover`
from one gathered HandoverData, so what the nurse checks is what is printed.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path

from PySide6.QtCore import QMarginsF, QStandardPaths
from PySide6.QtGui import QKeySequence, QPageLayout, QPageSize, QShortcut
from PySide6.QtPrintSupport import QPrintDialog, QPrinter, QPrintPreviewWidget
from PySide6.QtWidgets import (
    QButtonGroup,
    QDialog,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from crs_desktop.report.handover_data import HandoverData, local_datetime
from crs_desktop.report.render import MARGIN_MM, render_handover, write_handover_pdf

Gather = Callable[[float, float], HandoverData]  # (start, end) -> the handover of that period
PAPER_NAMES = {QPageSize.PageSizeId.A4: "a4", QPageSize.PageSizeId.Letter: "letter"}
BIG_BUTTON = "font-size: 13pt; font-weight: bold; padding: 8px 18px;"
# The chosen period must be plain at a glance: white on black, not a slightly grayer button.
PERIOD_BUTTON = """
    QPushButton { font-size: 13pt; font-weight: bold; padding: 6px 14px; }
    QPushButton:checked { background-color: #1a1a1a; color: white; }
"""


def period_words(start: float, end: float) -> str:
    """'Thu 20 Nov 19:00 – Fri 21 Nov 07:00 (12 h)' in local time."""
    a, b = local_datetime(start, None), local_datetime(end, None)
    second = f"{b:%H:%M}" if a.date() == b.date() else f"{b:%a %d %b %H:%M}"
    return f"{a:%a %d %b %H:%M} – {second} ({round((end - start) / 3600, 1):g} h)"


class HandoverPreview(QDialog):
    """The handover of one period, previewed page by page, with Print… and Export PDF…."""

    def __init__(
        self,
        gather: Gather,
        periods: Sequence[tuple[str, tuple[float, float]]],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        if not periods:
            raise ValueError("at least one period is needed")
        self.gather = gather
        self.periods = list(periods)
        self.period_index = 0
        self.period = self.periods[0][1]
        self.data: HandoverData = gather(*self.period)  # a failure here: the window says so
        self.page_count = 0
        self.setWindowTitle(f"Handover: {self.data.name} (MRN {self.data.mrn})")

        self.printer = QPrinter(QPrinter.PrinterMode.HighResolution)
        self.printer.setPageMargins(
            QMarginsF(MARGIN_MM, MARGIN_MM, MARGIN_MM, MARGIN_MM), QPageLayout.Unit.Millimeter
        )
        self.preview = QPrintPreviewWidget(self.printer, self)
        self.preview.setObjectName("handover_preview")
        self.preview.paintRequested.connect(self._paint)

        layout = QVBoxLayout(self)
        layout.addLayout(self._period_bar())
        layout.addWidget(self.preview, 1)
        self.status = QLabel()
        self.status.setObjectName("handover_status")
        self.status.setWordWrap(True)
        self.status.setStyleSheet("font-size: 13pt;")
        layout.addWidget(self.status)
        layout.addLayout(self._button_bar())
        print_key = QShortcut(QKeySequence.StandardKey.Print, self)
        print_key.activated.connect(self.print_handover)

        self.preview.fitToWidth()  # the page's type at a readable size; scroll for the rest
        self.preview.updatePreview()
        self._show_period()

    # -- building ------------------------------------------------------------------

    def _period_bar(self) -> QHBoxLayout:
        bar = QHBoxLayout()
        title = QLabel("Period:")
        title.setStyleSheet("font-size: 13pt; font-weight: bold;")
        bar.addWidget(title)
        self.period_buttons = QButtonGroup(self)
        self.period_buttons.setExclusive(True)
        for index, (label, _period) in enumerate(self.periods):
            button = QPushButton(label)
            button.setObjectName(f"period_{index}")
            button.setCheckable(True)
            button.setChecked(index == 0)
            button.setStyleSheet(PERIOD_BUTTON)
            button.clicked.connect(lambda _checked=False, i=index: self.choose_period(i))
            self.period_buttons.addButton(button, index)
            bar.addWidget(button)
        self.period_label = QLabel()
        self.period_label.setObjectName("handover_period")
        self.period_label.setStyleSheet("font-size: 13pt;")
        bar.addWidget(self.period_label, 1)
        fit_width = QPushButton("Fit width")
        fit_width.clicked.connect(self.preview.fitToWidth)
        whole = QPushButton("Whole page")
        whole.clicked.connect(self.preview.fitInView)
        zoom_out = QPushButton("−")
        zoom_out.setToolTip("Smaller")
        zoom_out.clicked.connect(lambda: self.preview.zoomOut())
        zoom_in = QPushButton("+")
        zoom_in.setToolTip("Larger")
        zoom_in.clicked.connect(lambda: self.preview.zoomIn())
        for button in (fit_width, whole, zoom_out, zoom_in):
            button.setAutoDefault(False)
            bar.addWidget(button)
        return bar

    def _button_bar(self) -> QHBoxLayout:
        bar = QHBoxLayout()
        bar.addStretch(1)
        self.print_button = QPushButton("Print…")
        self.print_button.setObjectName("handover_print")
        self.print_button.clicked.connect(self.print_handover)
        self.export_button = QPushButton("Export PDF…")
        self.export_button.setObjectName("handover_export")
        self.export_button.clicked.connect(self.export_handover)
        close = QPushButton("Close")
        close.setObjectName("handover_close")
        close.clicked.connect(self.reject)
        for button in (self.print_button, self.export_button, close):
            button.setStyleSheet(BIG_BUTTON)
            button.setAutoDefault(False)
            bar.addWidget(button)
        self.print_button.setDefault(True)
        return bar

    # -- the period ------------------------------------------------------------------

    def choose_period(self, index: int) -> None:
        """Gather and preview the handover of the index-th period."""
        period = self.periods[index][1]
        try:
            data = self.gather(*period)
        except (OSError, ValueError) as exc:  # the chart could not be read just now
            self.show_error(f"The handover for {period_words(*period)} could not be made: {exc}")
            self.period_buttons.button(self.period_index).setChecked(True)
            return
        self.period_index, self.period, self.data = index, period, data
        self.period_buttons.button(index).setChecked(True)
        self.preview.updatePreview()
        self._show_period()

    def _show_period(self) -> None:
        pages = f"{self.page_count} page" + ("" if self.page_count == 1 else "s")
        self.period_label.setText(f"{period_words(*self.period)} · {pages}")

    def _paint(self, printer: QPrinter) -> None:
        self.page_count = render_handover(self.data, printer)

    # -- printing ----------------------------------------------------------------------

    def print_handover(self) -> None:
        """Print…: choose a printer, then draw the same pages onto it."""
        printer = self.ask_printer()
        if printer is not None:
            self.print_to(printer)

    def ask_printer(self) -> QPrinter | None:
        printer = QPrinter(QPrinter.PrinterMode.HighResolution)
        printer.setPageLayout(self.printer.pageLayout())
        dialog = QPrintDialog(printer, self)
        dialog.setWindowTitle("Print handover")
        return printer if dialog.exec() == QDialog.DialogCode.Accepted else None

    def print_to(self, printer: QPrinter) -> int:
        """Draw the handover onto `printer`; the number of pages, or 0 if it failed."""
        try:
            pages = render_handover(self.data, printer)
        except OSError as exc:
            self.show_error(f"The handover could not be printed: {exc}")
            return 0
        self.status.setText(f"Sent to the printer ({pages} page{'s' * (pages != 1)}).")
        return pages

    # -- PDF -------------------------------------------------------------------------------

    def export_handover(self) -> None:
        """Export PDF…: ask where, then write it."""
        path = self.ask_export_path()
        if path:
            self.export_pdf(path)

    def default_file_name(self) -> str:
        start = datetime.fromtimestamp(self.period[0])
        return f"handover-{self.data.mrn}-{start:%Y-%m-%d-%H%M}.pdf"

    def ask_export_path(self) -> str | None:
        folder = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.DocumentsLocation)
        path, _filter = QFileDialog.getSaveFileName(
            self,
            "Export handover PDF",
            str(Path(folder or Path.home()) / self.default_file_name()),
            "PDF (*.pdf)",
        )
        if not path:
            return None
        return path if path.lower().endswith(".pdf") else path + ".pdf"

    def export_pdf(self, path: str | Path) -> bool:
        """Write the PDF to `path` (write_handover_pdf never leaves half a file); a failure
        is one message, not a traceback."""
        target = Path(path)
        paper = PAPER_NAMES.get(self.printer.pageLayout().pageSize().id(), "a4")
        try:
            pages = write_handover_pdf(self.data, target, paper=paper)
        except OSError as exc:  # a folder, a full disk, a folder gone meanwhile
            self.show_error(f"The PDF could not be saved to {target}: {_reason(exc)}")
            return False
        self.status.setStyleSheet("font-size: 13pt;")
        self.status.setText(f"Saved {target} ({pages} page{'s' * (pages != 1)}).")
        return True

    def show_error(self, message: str) -> None:
        """The message below the preview, and in a box the nurse must dismiss."""
        self.status.setStyleSheet("font-size: 13pt; color: #b00020; font-weight: bold;")
        self.status.setText(message)
        QMessageBox.warning(self, "Handover", message)


def _reason(exc: OSError) -> str:
    return exc.strerror or str(exc)
