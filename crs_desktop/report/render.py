"""Drawing the handover: one QPainter onto any paged device (PDF, printer, print preview).

Everything is measured first and placed into pages as whole blocks (a table
row, a row of plots, a line of text), so nothing is cut in half and "Page X
of Y" is known before the first page is drawn. Here: the pages, the footer
and the PDF file. The blocks come from `page_sections` (the SBAR sections)
and `page_plots` (the plots), laid out with `page_layout` (points on any
device, wrapped text, blocks and pages).
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from PySide6.QtCore import QMarginsF
from PySide6.QtGui import QPagedPaintDevice, QPageLayout, QPageSize, QPainter, QPdfWriter

from crs_desktop.report.handover_records import HandoverData, local_datetime
from crs_desktop.report.page_layout import (
    BODY,
    PLOT_H,
    PLOT_MAX_H,
    PLOT_MIN_H,
    Block,
    Canvas,
    paginate,
)
from crs_desktop.report.page_sections import sbar_page

MARGIN_MM = 8.0
FOOTER_H = 16.0
GAP = 4.0
PAPER = {"a4": QPageSize.PageSizeId.A4, "letter": QPageSize.PageSizeId.Letter}


# -- pages ---------------------------------------------------------------------------------


def _footer(c: Canvas, data: HandoverData, width: float, y: float, page: int, pages: int) -> None:
    font = c.font(BODY)
    c.line(0, y, width, y, c.pen(0.6))
    c.text(0, y + 3, f"{data.name}   ·   MRN {data.mrn}", font)
    c.text(width, y + 3, f"Page {page} of {pages}", c.font(BODY, bold=True), align="right")


def _used(placed: list[tuple[Block, float]]) -> float:
    return max((y + block.height for block, y in placed), default=0.0)


def layout(
    canvas: Canvas, data: HandoverData, width: float, height: float
) -> list[list[tuple[Block, float]]]:
    """The pages, each a list of (block, y). Plots grow into the space a one-page
    handover leaves, or shrink a little when that keeps it on one page."""
    page = sbar_page(canvas, data, width, PLOT_H)
    pages = paginate(page.blocks, height)
    if not page.plot_rows:
        return pages
    if len(pages) == 1:
        spare = height - _used(pages[0]) - 1
        grown = min(PLOT_MAX_H, PLOT_H + spare / page.plot_rows)
        return paginate(sbar_page(canvas, data, width, grown).blocks, height)
    if len(pages) == 2:
        squeezed = paginate(sbar_page(canvas, data, width, PLOT_MIN_H).blocks, height)
        if len(squeezed) == 1:
            return squeezed
    return pages


def render_handover(data: HandoverData, printer: QPagedPaintDevice) -> int:
    """Draw the handover onto a paged device (QPdfWriter, QPrinter, a print preview's
    printer) through one QPainter; returns the number of pages."""
    canvas = Canvas(printer)
    area = printer.pageLayout().paintRect(QPageLayout.Unit.Point)
    width, height = area.width(), area.height()
    pages = layout(canvas, data, width, height - FOOTER_H - GAP)
    painter = QPainter()
    if not painter.begin(printer):
        raise OSError("could not start drawing on the page (is the file writable?)")
    canvas.painter = painter
    try:
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        for number, placed in enumerate(pages, 1):
            if number > 1:
                printer.newPage()
            for block, y in placed:
                block.draw(canvas, 0.0, y)
            _footer(canvas, data, width, height - FOOTER_H, number, len(pages))
    finally:
        painter.end()
        canvas.painter = None
    return len(pages)


def write_handover_pdf(
    data: HandoverData, path: str | Path, paper: str = "a4", resolution: int = 300
) -> int:
    """Write the handover as a PDF (A4 or Letter); returns the number of pages.

    It is drawn into a temporary file beside `path` and renamed at the end, so a
    failure (a full disk, a folder gone) never leaves half a file; OSError says why.
    """
    if paper not in PAPER:
        raise ValueError(f"paper {paper!r}: allowed {', '.join(PAPER)}")
    target = Path(path)
    if target.is_dir():
        raise OSError(f"{target} is a folder; give a file name")
    fd, temp = tempfile.mkstemp(dir=target.parent, prefix=".handover-", suffix=".pdf")
    os.close(fd)
    try:
        writer = QPdfWriter(temp)
        writer.setResolution(resolution)
        writer.setTitle(f"Handover {data.mrn} {local_datetime(data.start, data.tz):%Y-%m-%d %H:%M}")
        writer.setCreator("crs_desktop")
        writer.setPageSize(QPageSize(PAPER[paper]))
        writer.setPageMargins(
            QMarginsF(MARGIN_MM, MARGIN_MM, MARGIN_MM, MARGIN_MM), QPageLayout.Unit.Millimeter
        )
        pages = render_handover(data, writer)
        del writer  # the file is complete once the writer is gone
        if Path(temp).stat().st_size == 0:
            raise OSError("nothing was written (is the disk full?)")
        os.replace(temp, target)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
    return pages
