"""Drawing the handover: one QPainter onto any paged device (PDF, printer, print preview).

Everything is measured first and placed into pages as whole blocks (a table
row, a row of plots, a line of text), so nothing is cut in half and "Page X
of Y" is known before the first page is drawn. Geometry is in points and
converted to device pixels here, so the type is the same size on a 300 dpi
PDF and a 1200 dpi printer. Black and grays only: the page is read in grayscale.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import timedelta, tzinfo
from pathlib import Path

from PySide6.QtCore import QMarginsF, QPointF, QRectF, Qt
from PySide6.QtGui import (
    QBrush,
    QColor,
    QFont,
    QFontMetricsF,
    QPagedPaintDevice,
    QPageLayout,
    QPageSize,
    QPainter,
    QPainterPath,
    QPdfWriter,
    QPen,
    QPolygonF,
    QTextCharFormat,
    QTextLayout,
    QTextOption,
)

from crs_desktop.domain import thresholds as clinical
from crs_desktop.domain.grading.wording import clock
from crs_desktop.domain.vocabulary import Category
from crs_desktop.report.handover_data import (
    MARK_WORDS,
    DrugMark,
    GradeSummary,
    HandoverData,
    Line,
    Plot,
    local_datetime,
)

FAMILIES = ["DejaVu Sans", "Liberation Sans", "Arial", "Helvetica"]
BODY = 9.0  # pt: the smallest running text
SMALL = 8.0  # pt: axis ticks only
GRADE = 18.0  # pt, bold
MARGIN_MM = 8.0
FOOTER_H = 16.0
GAP = 4.0
# The height of a plot's drawing area, in points: the one elastic thing on the page. It
# grows into space left on a one-page handover and shrinks (to PLOT_MIN_H) when that
# keeps the handover on one page.
PLOT_H = 52.0
PLOT_MIN_H = 42.0
PLOT_MAX_H = 96.0
LISTING_TOGETHER = 12  # checklist entries of one status printed as one paragraph
PAPER = {"a4": QPageSize.PageSizeId.A4, "letter": QPageSize.PageSizeId.Letter}
GRAY = QColor(110, 110, 110)
LIGHT = QColor(205, 205, 205)
BLACK = QColor(0, 0, 0)
WHITE = QColor(255, 255, 255)
FUTURE = QColor(242, 242, 242)
_DASHES = {"solid": Qt.PenStyle.SolidLine, "dash": Qt.PenStyle.DashLine, "dot": Qt.PenStyle.DotLine}
STATUS_WORDS = {
    "not_done": "NOT DONE",
    "outstanding": "OUTSTANDING",
    "done": "done",
    "not_applicable": "not applicable",
}


# -- points on any device ------------------------------------------------------------


class Canvas:
    """A paint device seen in points: fonts, measuring and drawing."""

    def __init__(self, device: QPagedPaintDevice) -> None:
        self.device = device
        self.u = device.logicalDpiY() / 72.0  # device pixels per point
        self.painter: QPainter | None = None
        self._fonts: dict[tuple[float, bool, bool], QFont] = {}

    def font(self, size: float = BODY, bold: bool = False, italic: bool = False) -> QFont:
        key = (size, bold, italic)
        if key not in self._fonts:
            font = QFont()
            font.setFamilies(FAMILIES)
            font.setStyleHint(QFont.StyleHint.SansSerif)
            font.setPointSizeF(size)
            font.setBold(bold)
            font.setItalic(italic)
            # No "fl"/"fi" ligatures: the PDF's text stays searchable as typed ("flow").
            font.setFeature(QFont.Tag("liga"), 0)
            self._fonts[key] = font
        return self._fonts[key]

    def width(self, text: str, font: QFont) -> float:
        return QFontMetricsF(font, self.device).horizontalAdvance(text) / self.u

    def line_height(self, font: QFont) -> float:
        return QFontMetricsF(font, self.device).height() / self.u

    def ascent(self, font: QFont) -> float:
        return QFontMetricsF(font, self.device).ascent() / self.u

    @property
    def p(self) -> QPainter:
        assert self.painter is not None, "draw only while painting"
        return self.painter

    def pen(self, width: float = 0.6, colour: QColor = BLACK, dash: str = "solid") -> QPen:
        pen = QPen(colour)
        pen.setWidthF(width * self.u)
        pen.setStyle(_DASHES[dash])
        pen.setCapStyle(Qt.PenCapStyle.FlatCap)
        return pen

    def pt(self, x: float, y: float) -> QPointF:
        return QPointF(x * self.u, y * self.u)

    def rect(self, x: float, y: float, w: float, h: float) -> QRectF:
        return QRectF(x * self.u, y * self.u, w * self.u, h * self.u)

    def text(
        self,
        x: float,
        y: float,
        words: str,
        font: QFont,
        colour: QColor = BLACK,
        align: str = "left",
    ) -> None:
        """One line of text with its top at y; x is its left, right or centre edge."""
        if align == "right":
            x -= self.width(words, font)
        elif align == "centre":
            x -= self.width(words, font) / 2
        p = self.p
        p.setFont(font)
        p.setPen(colour)
        p.drawText(self.pt(x, y + self.ascent(font)), words)

    def line(self, x1: float, y1: float, x2: float, y2: float, pen: QPen) -> None:
        self.p.setPen(pen)
        self.p.drawLine(self.pt(x1, y1), self.pt(x2, y2))


# -- wrapped text ----------------------------------------------------------------------


@dataclass
class Wrapped:
    """A paragraph broken into lines for one width; each line can be drawn on its own."""

    layout: QTextLayout
    heights: list[float]

    def draw_line(self, canvas: Canvas, index: int, x: float, y: float) -> None:
        canvas.p.setPen(BLACK)  # a text line is drawn with the painter's pen
        self.layout.lineAt(index).draw(canvas.p, canvas.pt(x, y))


def wrap(
    canvas: Canvas,
    text: str,
    font: QFont,
    width: float,
    bold_upto: int = 0,
    bold: Sequence[str] = (),
) -> Wrapped:
    """Lay out `text` in `width` points; the first `bold_upto` characters, and the first
    occurrence of each of `bold`, in bold."""
    layout = QTextLayout(text, font, canvas.device)
    option = QTextOption()
    option.setWrapMode(QTextOption.WrapMode.WrapAtWordBoundaryOrAnywhere)  # a long word too
    layout.setTextOption(option)
    spans = [(0, bold_upto)] if bold_upto else []
    spans += [(text.find(words), len(words)) for words in bold if words in text]
    if spans:
        heavy = QTextCharFormat()
        heavy.setFontWeight(QFont.Weight.Bold)
        ranges = []
        for start, length in spans:
            span = QTextLayout.FormatRange()
            span.start, span.length, span.format = start, length, heavy
            ranges.append(span)
        layout.setFormats(ranges)
    heights = []
    layout.beginLayout()
    while True:
        line = layout.createLine()
        if not line.isValid():
            break
        line.setLineWidth(width * canvas.u)
        line.setPosition(QPointF(0, 0))  # each line is drawn where its block lands
        heights.append(line.height() / canvas.u)
    layout.endLayout()
    return Wrapped(layout, heights)


# -- blocks and pages ------------------------------------------------------------------


Draw = Callable[[Canvas, float, float], None]  # (canvas, x, y of the block's top)


@dataclass
class Block:
    """A piece of the page that is never cut: measured before anything is drawn."""

    height: float
    draw: Draw
    keep_with_next: bool = False
    gap_before: float = 0.0  # dropped at the top of a page
    repeat: Block | None = None  # drawn first when this block starts a page (table header)


def paginate(blocks: Sequence[Block], page_height: float) -> list[list[tuple[Block, float]]]:
    """Blocks placed on pages as (block, y); a block that does not fit starts a new page."""
    pages: list[list[tuple[Block, float]]] = [[]]
    y = 0.0
    for index, block in enumerate(blocks):
        gap = block.gap_before if y > 0 else 0.0
        need = gap + block.height
        follow = index
        # A heading stays with what follows it (a few blocks at most).
        while blocks[follow].keep_with_next and follow + 1 < len(blocks) and follow < index + 3:
            follow += 1
            need += blocks[follow].gap_before + blocks[follow].height
        if y > 0 and y + need > page_height:
            pages.append([])
            y, gap = 0.0, 0.0
            if block.repeat is not None:
                pages[-1].append((block.repeat, 0.0))
                y = block.repeat.height
        y += gap
        pages[-1].append((block, y))
        y += block.height
    return pages


# -- times -----------------------------------------------------------------------------


def _when(data: HandoverData, epoch: float) -> str:
    """'14:05', with the date when it is not the day the period ends."""
    return clock(epoch, data.tz, min(data.end, data.now))


def _long(data: HandoverData, epoch: float) -> str:
    return local_datetime(epoch, data.tz).strftime("%a %d %b %Y %H:%M")


def _this(data: HandoverData) -> str:
    """'this shift', or 'this period' when the period is longer than any shift."""
    return "this shift" if data.end - data.start <= 16 * 3600 else "this period"


def _period(data: HandoverData) -> str:
    a, b = local_datetime(data.start, data.tz), local_datetime(data.end, data.tz)
    first = a.strftime("%a %d %b %Y %H:%M")
    if a.date() == b.date():
        second = b.strftime("%H:%M")
    elif (b - a) <= timedelta(hours=24):  # a night shift: the next morning, by its day
        second = b.strftime("%a %d %b %H:%M")
    else:
        second = b.strftime("%a %d %b %Y %H:%M")
    hours = (data.end - data.start) / 3600
    return f"{first} – {second} ({round(hours, 1):g} h)"


# -- the page's pieces -------------------------------------------------------------------


@dataclass
class Page:
    """The content area: its width, and the blocks being gathered."""

    canvas: Canvas
    width: float
    plot_h: float = PLOT_H
    blocks: list[Block] = field(default_factory=list)
    plot_rows: int = 0

    def add(self, block: Block) -> None:
        self.blocks.append(block)

    def paragraph(
        self,
        text: str,
        size: float = BODY,
        bold_upto: int = 0,
        indent: float = 0.0,
        gap: float = 1.5,
        italic: bool = False,
        bar: bool = False,
        bold: Sequence[str] = (),
        together: bool = False,
    ) -> None:
        """Text wrapped to the width, one block per line (a paragraph may run on to the
        next page), or one block for all of it when `together` (an entry of a list)."""
        canvas = self.canvas
        font = canvas.font(size, italic=italic)
        wrapped = wrap(canvas, text, font, self.width - indent, bold_upto, bold)
        if together:

            def draw_all(c: Canvas, x: float, y: float) -> None:
                for i, h in enumerate(wrapped.heights):
                    wrapped.draw_line(c, i, x + indent, y)
                    y += h

            self.add(Block(sum(wrapped.heights), draw_all, gap_before=gap))
            return
        for index, height in enumerate(wrapped.heights):

            def draw(c: Canvas, x: float, y: float, i: int = index, h: float = height) -> None:
                if bar:  # a thick rule beside the nurse's own words
                    c.line(x + 1.5, y, x + 1.5, y + h, c.pen(2.5, GRAY))
                wrapped.draw_line(c, i, x + indent, y)

            self.add(Block(height, draw, gap_before=gap if index == 0 else 0.0))

    def heading(self, letter: str, words: str) -> None:
        canvas = self.canvas
        font = canvas.font(10.5, bold=True)
        height = canvas.line_height(font) + 2

        def draw(c: Canvas, x: float, y: float) -> None:
            box = height - 1
            c.p.fillRect(c.rect(x, y, box, box), BLACK)
            c.text(x + box / 2, y + 0.5, letter, font, WHITE, align="centre")
            c.text(x + box + 5, y + 0.5, words, font)
            c.line(x, y + height, x + self.width, y + height, c.pen(0.8))

        self.add(Block(height + 2, draw, keep_with_next=True, gap_before=5))

    def subheading(self, words: str) -> None:
        font = self.canvas.font(BODY + 0.5, bold=True)
        height = self.canvas.line_height(font)
        self.add(Block(height, lambda c, x, y: c.text(x, y, words, font), True, gap_before=4))

    def table(
        self,
        columns: Sequence[tuple[str, float]],
        rows: Sequence[Sequence[str]],
        bold_first: bool = False,
        header: bool = True,
    ) -> None:
        """Columns as (title, share of the width; 0 = as wide as its widest cell); each
        row one block; the title row is repeated on a new page."""
        canvas = self.canvas
        pad = 1.6
        head_font = canvas.font(BODY, bold=True)
        body, strong = canvas.font(BODY), canvas.font(BODY, bold=True)
        natural = [
            max(
                [canvas.width(title, head_font)]
                + [canvas.width(row[i], strong if bold_first and i == 0 else body) for row in rows]
            )
            + 2 * pad
            + 1
            for i, (title, _) in enumerate(columns)
        ]
        fixed = sum(n for n, (_, share) in zip(natural, columns, strict=True) if share <= 0)
        total = sum(share for _, share in columns if share > 0) or 1.0
        widths = [
            n if share <= 0 else (self.width - fixed) * share / total
            for n, (_, share) in zip(natural, columns, strict=True)
        ]
        head_h = canvas.line_height(head_font) + 2 * pad

        def draw_head(c: Canvas, x: float, y: float) -> None:
            left = x
            for (title, _), w in zip(columns, widths, strict=True):
                c.text(left + pad, y + pad, title, head_font, GRAY)
                left += w
            c.line(x, y + head_h, x + self.width, y + head_h, c.pen(0.6))

        head = Block(head_h, draw_head, keep_with_next=True, gap_before=2) if header else None
        if head is not None:
            self.add(head)
        for row in rows:
            cells = [
                wrap(canvas, text, strong if (bold_first and i == 0) else body, w - 2 * pad)
                for i, (text, w) in enumerate(zip(row, widths, strict=True))
            ]
            height = max(sum(cell.heights) for cell in cells) + 2 * pad

            def draw_row(
                c: Canvas, x: float, y: float, cells: list[Wrapped] = cells, h: float = height
            ) -> None:
                left = x
                for cell, w in zip(cells, widths, strict=True):
                    top = y + pad
                    for i, line_h in enumerate(cell.heights):
                        cell.draw_line(c, i, left + pad, top)
                        top += line_h
                    left += w
                c.line(x, y + h, x + self.width, y + h, c.pen(0.3, LIGHT))

            self.add(Block(height, draw_row, repeat=head))


# -- the sections --------------------------------------------------------------------------


def _header(page: Page, data: HandoverData) -> None:
    c = page.canvas
    name_font, right_font = c.font(16, bold=True), c.font(11, bold=True)
    detail_font, small = c.font(10.5), c.font(BODY)
    parts = [f"MRN {data.mrn}"]
    parts.append(f"{data.age_years} y" if data.age_years is not None else "age not recorded")
    parts.append(f"{data.weight_kg:g} kg" if data.weight_kg else "weight not recorded")
    parts.append(data.product or "CAR-T product not recorded")
    if data.day is not None and data.infusion_time is not None:
        infused = local_datetime(data.infusion_time, data.tz).strftime("%d %b %H:%M")
        parts.append(f"Day {data.day:+d} (infused {infused})")
    else:
        parts.append("infusion time not recorded")
    details = wrap(c, "   ·   ".join(parts), detail_font, page.width, bold_upto=len(parts[0]))
    title = "CRS / ICANS shift handover"
    # A long name wraps (never cut short: it identifies the patient) beside the title.
    name = wrap(c, data.name, name_font, page.width - c.width(title, right_font) - 12)
    period = f"Period: {_period(data)}"
    printed = f"Printed by {data.printed_by} at {_long(data, data.now)}"
    one_line = c.width(period, small) + c.width(printed, small) + 12 <= page.width
    small_h = c.line_height(small)
    height = sum(name.heights) + sum(details.heights) + small_h * (1 if one_line else 2) + 6

    def draw(c: Canvas, x: float, y: float) -> None:
        c.text(x + page.width, y + 3, title, right_font, align="right")
        top = y
        for wrapped in (name, details):
            for i, h in enumerate(wrapped.heights):
                wrapped.draw_line(c, i, x, top)
                top += h
        c.text(x, top + 1, period, small)
        if one_line:
            c.text(x + page.width, top + 1, printed, small, align="right")
        else:
            c.text(x, top + 1 + small_h, printed, small)
        c.line(x, y + height - 1, x + page.width, y + height - 1, c.pen(1.6))

    page.add(Block(height, draw))


def _grade_words(grade: GradeSummary) -> str:
    """The grade by number: the ASTCT tables give no words for their grades
    (REFERENCE.md §1.1, §4.2), so none are added; NEWS2 is a score."""
    if grade.grade is None:
        return "Not graded"
    if grade.system == "news2":
        return f"Score {grade.grade}"
    return f"Grade {grade.grade}"


def _maximum(value: int | None) -> str:
    return "–" if value is None else str(value)


def _grade_boxes(page: Page, data: HandoverData) -> None:
    c = page.canvas
    title_font, big = c.font(BODY + 0.5, bold=True), c.font(GRADE, bold=True)
    small, strong = c.font(BODY), c.font(BODY, bold=True)
    gap = 6.0
    width = (page.width - gap * (len(data.grades) - 1)) / len(data.grades)
    line = c.line_height(small)

    def beside(grade: GradeSummary) -> tuple[str, QFont]:
        if grade.system == "news2":
            band = grade.band.split(" (")[0]
            return band, strong
        if grade.since is None or not grade.grade:
            return "", small  # "grade 0 since ..." says little; the space is worth more
        return f"since {_when(data, grade.since)}", small

    # "since ..." goes beside the grade, or under it in every box when one does not fit.
    below = any(
        c.width(_grade_words(g), big) + c.width(*beside(g)) + 16 > width for g in data.grades
    )

    def highest(grade: GradeSummary) -> list[str]:
        shift, overall = _maximum(grade.max_shift), _maximum(grade.max_overall)
        if one_line:
            return [f"Highest: {_this(data)} {shift} · {data.max_scope} {overall}"]
        return [f"Highest {_this(data)}: {shift}", f"Highest {data.max_scope}: {overall}"]

    one_line = c.width(f"Highest: {_this(data)} 99 · {data.max_scope} 99", small) + 10 <= width
    lines = (2 if below else 1) + (1 if one_line else 2)
    height = c.line_height(title_font) + c.line_height(big) + lines * line + 7

    def draw(c: Canvas, x: float, y: float) -> None:
        for index, grade in enumerate(data.grades):
            left = x + index * (width + gap)
            # A heavier frame for CRS/ICANS grade 2 or more and NEWS2 5 or more: an
            # extra cue beside the number, never instead of it.
            serious = clinical.serious(grade.system, grade.grade)  # domain/thresholds.py
            c.p.setPen(c.pen(2.4 if serious else 0.8))
            c.p.setBrush(Qt.BrushStyle.NoBrush)
            c.p.drawRect(c.rect(left, y, width, height))
            top = y + 3
            c.text(left + 5, top, grade.title, title_font)
            top += c.line_height(title_font)
            c.text(left + 5, top, _grade_words(grade), big)
            words, font = beside(grade)
            if below:
                top += c.line_height(big)
                c.text(left + 5, top, words, font)
                top += line
            else:  # on the grade's baseline
                baseline = top + c.ascent(big) - c.ascent(font)
                c.text(left + width - 5, baseline, words, font, align="right")
                top += c.line_height(big)
            for words in highest(grade):
                c.text(left + 5, top, words, small)
                top += line

    page.add(Block(height, draw, gap_before=3))


def _situation(page: Page, data: HandoverData) -> None:
    if data.graded_at is None:
        page.heading("S", "Situation: grades")
    elif data.graded_at < data.start:
        page.heading("S", f"Situation: grades at {_long(data, data.graded_at)} (last charted)")
    else:
        page.heading("S", f"Situation: grades at {_when(data, data.graded_at)} (last charted)")
    _grade_boxes(page, data)
    if data.graded_at is None:
        page.paragraph("Not graded: nothing has been charted for this patient yet.", bold_upto=11)
    for grade in data.grades:
        short = grade.title.split(" (")[0]
        lead = f"{short} {_grade_words(grade).lower()}"
        if grade.system == "news2" and grade.grade is not None:
            lead += f", {grade.band}"
        if grade.reasons:
            text = f"{lead} because: " + "; ".join(grade.reasons) + "."
            page.paragraph(text, bold_upto=len(lead) + 9)
        elif grade.grade is not None:
            page.paragraph(f"{lead}: nothing charted meets a higher grade.", bold_upto=len(lead))
        for flag in grade.flags:
            page.paragraph(f"REVIEW ({short}): {flag}", bold_upto=len(short) + 10, indent=10)


def _doses(count: int, mg: float) -> str:
    return f"{count} dose{'' if count == 1 else 's'} ({mg:g} mg)" if count else "none"


def _given(data: HandoverData, *categories: Category) -> str:
    given = [d for d in data.drugs if d.category in {c.value for c in categories}]
    return "; ".join(
        f"{d.name.lower()} {d.dose} at {_when(data, d.at)}" + (f" ({d.note})" if d.note else "")
        for d in given
    )


def _background(page: Page, data: HandoverData) -> None:
    """Every drug and fluid given in the period, by kind, with its time."""
    page.heading("B", f"Background: treatment {_this(data)}")
    given = [d for d in data.drugs if d.name == "Tocilizumab"]
    toci = "; ".join(f"{d.dose} at {_when(data, d.at)}" for d in given) or "none"
    text = (
        f"Tocilizumab: {toci} {_this(data)}; last 24 h {_doses(*data.tocilizumab_24h)}; "
        f"in total {_doses(*data.tocilizumab_total)}."
    )
    others = [d for d in data.drugs if d.category == "anticytokine" and d.name != "Tocilizumab"]
    if others:
        shown = "; ".join(f"{d.name.lower()} {d.dose} at {_when(data, d.at)}" for d in others)
        text += f"   Other anti-cytokine: {shown}."
    page.paragraph(text, bold=("Tocilizumab:", "Other anti-cytokine:"), gap=1)
    steroids = f"Steroids: {_given(data, Category.CORTICOSTEROID) or f'none {_this(data)}'}."
    antipyretics = f"Antipyretics: {_given(data, Category.ANTIPYRETIC) or f'none {_this(data)}'}."
    page.paragraph(f"{steroids}   {antipyretics}", bold=("Steroids:", "Antipyretics:"), gap=0.5)
    fluids = _given(data, Category.FLUID)
    if fluids:
        fluids += f" ({data.fluids_ml:g} mL in all)"
    running = "; ".join(
        f"{r.name.lower()} {r.rate} since {_when(data, r.since)}" for r in data.running
    )
    page.paragraph(
        f"Fluid boluses: {fluids or f'none {_this(data)}'}.   "
        f"Vasopressors running now: {running or 'none'}.",
        bold=("Fluid boluses:", "Vasopressors running now:"),
        gap=0.5,
    )


def _latest_table(page: Page, data: HandoverData) -> None:
    """The latest value of each item, grouped by the time it was charted (a set of
    vitals shares one time), newest first."""
    page.subheading("Latest value of each item, by the time it was charted")
    by_time: dict[float, list[str]] = {}
    for value in data.latest:
        shown = f"{value.label} {value.value}" + (" (extreme)" if value.extreme else "")
        by_time.setdefault(value.at, []).append(shown)
    rows = [(_when(data, at), ";  ".join(items)) for at, items in sorted(by_time.items())[::-1]]
    page.table((("Time", 0), ("Values", 1.0)), rows, bold_first=True, header=False)


def _assessment(page: Page, data: HandoverData) -> None:
    page.heading("A", "Assessment: observations")
    if data.empty:
        _nothing_charted(page, data)
    else:
        plots = [*data.shift_plots, *data.lab_plots]
        per_row = 3
        for first in range(0, len(plots), per_row):
            _plot_row(page, plots[first : first + per_row], per_row, data.tz)
        legend = (
            "Letters on plots mark drugs given: "
            + ", ".join(f"{code} {words}" for code, words in MARK_WORDS.items())
            + ". Hatched: vasopressor running."
        )
        page.paragraph(legend, size=SMALL + 0.5, italic=True)
    if data.latest:
        _latest_table(page, data)
    else:
        page.paragraph("No values had been charted for this patient by the end of the period.")


def _nothing_charted(page: Page, data: HandoverData) -> None:
    c = page.canvas
    font = c.font(14, bold=True)
    a = local_datetime(data.start, data.tz).strftime("%d %b %H:%M")
    b = local_datetime(data.end, data.tz).strftime("%d %b %H:%M")
    words = f"Nothing was charted for this patient from {a} to {b}."
    wrapped = wrap(c, words, font, page.width - 16)
    height = sum(wrapped.heights) + 14

    def draw(c: Canvas, x: float, y: float) -> None:
        c.p.setPen(c.pen(2.0))
        c.p.setBrush(Qt.BrushStyle.NoBrush)
        c.p.drawRect(c.rect(x, y, page.width, height))
        top = y + 7
        for i, h in enumerate(wrapped.heights):
            wrapped.draw_line(c, i, x + 8, top)
            top += h

    page.add(Block(height, draw, gap_before=4))


def _listing(page: Page, status: str, entries: list[str]) -> None:
    """'DONE (3): a; b; c.' kept whole on a page; a long list (a long period) an entry a
    line, so no entry is ever cut across pages."""
    lead = f"{status} ({len(entries)}):"
    if len(entries) <= LISTING_TOGETHER:
        page.paragraph(f"{lead} " + "; ".join(entries) + ".", bold_upto=len(lead), together=True)
        return
    for entry in entries:
        page.paragraph(f"{status}: {entry}.", bold_upto=len(status) + 1, together=True)


def _recommendation(page: Page, data: HandoverData) -> None:
    page.heading("R", "Recommendation: to do and to watch")
    if data.note is not None:
        lead = f"Handover note ({data.note.by}, {_when(data, data.note.at)}):"
        texts = data.note.text.splitlines() or [""]
        texts[0] = f"{lead} {texts[0]}"
        for index, text in enumerate(texts):
            page.paragraph(
                text or " ",
                size=BODY + 0.5,
                bold_upto=len(lead) if index == 0 else 0,
                indent=7,
                gap=1.5 if index == 0 else 0.5,
                bar=True,
            )
    else:
        page.paragraph(f"Handover note: none was written {_this(data)}.", bold_upto=14)

    # What is left, what was not done (and why), what was done: a few of each as one
    # paragraph, so a typical shift's checklist stays a few lines and fits the page.
    page.subheading(f"Checklist {_this(data)}")
    if data.outstanding:
        _listing(page, STATUS_WORDS["outstanding"], list(data.outstanding))
    answered = sorted(data.checklist, key=lambda m: m.at)
    for status in ("not_done", "not_applicable", "done"):
        entries = [
            f"{m.title} ({_when(data, m.at)}, {m.by})" + (f": {m.reason}" if m.reason else "")
            for m in answered
            if m.status == status
        ]
        if entries:
            _listing(page, STATUS_WORDS[status].upper(), entries)
    if not answered:
        page.paragraph(f"No checklist items were marked {_this(data)}.")
    if data.outstanding is None:
        page.paragraph(
            "Outstanding actions and observations due: not known to this printout (made "
            "without the window's checklist); check them in the window.",
            bold_upto=42,
        )
    else:
        if not data.outstanding:
            page.paragraph("Outstanding actions: none.", bold_upto=20)
        due = "; ".join(data.observations_due or ()) or "none listed"
        page.paragraph(f"Observations due: {due}.", bold_upto=17)

    nothing = [
        words
        for words, found in (
            (f"Alerts acknowledged {_this(data)}: none.", data.alerts),
            (f"Corrections made {_this(data)}: none.", data.corrections),
        )
        if not found
    ]
    if nothing:
        page.paragraph("   ".join(nothing), bold=[w[: w.index(":") + 1] for w in nothing], gap=3)
    for alert in data.alerts:
        lead = f"Alert acknowledged {_when(data, alert.at)}:"
        page.paragraph(f"{lead} {alert.text} (by {alert.by}).", bold_upto=len(lead), together=True)
    for k in data.corrections:
        lead = f"Correction {_when(data, k.at)}:"
        replaced = f"replaced by {k.replacement}" if k.replacement else "not replaced"
        page.paragraph(
            f"{lead} {k.item.lower()} {k.value} (observed {_when(data, k.observed_at)}) marked "
            f"entered in error by {k.by}; reason: {k.reason or 'not given'}; {replaced}.",
            bold_upto=len(lead),
            together=True,
        )


# -- plots ---------------------------------------------------------------------------------


def _plot_row(page: Page, plots: Sequence[Plot], per_row: int, tz: tzinfo | None) -> None:
    c = page.canvas
    gap = 12.0
    width = (page.width - gap * (per_row - 1)) / per_row
    keyed = any(len(plot.lines) > 1 or plot.thresholds or plot.caption for plot in plots)
    head_h = c.line_height(c.font(BODY, bold=True)) + 1
    if keyed:  # a row with a key under a title
        head_h += c.line_height(c.font(SMALL))
    tick_h = c.line_height(c.font(SMALL)) + 3
    height = head_h + page.plot_h + tick_h + 2

    def draw(c: Canvas, x: float, y: float) -> None:
        for index, plot in enumerate(plots):
            _draw_plot(c, plot, tz, x + index * (width + gap), y, width, head_h, page.plot_h)

    page.add(Block(height, draw, gap_before=5))
    page.plot_rows += 1


def _nice_step(span: float, most: int) -> float:
    raw = span / max(most, 1)
    for step in (0.1, 0.2, 0.5, 1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000, 5000):
        if step >= raw:
            return float(step)
    return float(10 ** len(str(int(raw))))


def _y_range(plot: Plot) -> tuple[float, float]:
    values = [float(v) for line in plot.lines for v in line.v]
    values += [value for value, _ in plot.thresholds]
    if plot.y_floor:
        values += list(plot.y_floor)
    lo, hi = (min(values), max(values)) if values else (0.0, 1.0)
    if plot.y_labels:
        return lo - 0.35, hi + 0.6
    if hi - lo < 1e-9:
        lo, hi = lo - 1, hi + 1
    pad = (hi - lo) * 0.08
    return lo - pad, hi + pad


def _time_ticks(plot: Plot, tz: tzinfo | None, most: int) -> tuple[list[float], str]:
    """Tick times on whole local hours (or local midnights) and their label format."""
    span_h = (plot.end - plot.start) / 3600
    step = next((s for s in (1, 2, 3, 4, 6, 12, 24, 48, 72, 168, 336) if span_h / s <= most), 672)
    t = local_datetime(plot.start, tz).replace(minute=0, second=0, microsecond=0).timestamp()
    ticks = []
    while t <= plot.end:
        moment = local_datetime(t, tz)
        if t >= plot.start and moment.minute == 0:
            if step < 24 and moment.hour % step == 0:
                ticks.append(t)
            elif step >= 24 and moment.hour == 0 and moment.toordinal() % (step // 24) == 0:
                ticks.append(t)
        t += 3600
    return ticks, ("%H:%M" if step < 24 else "%d %b")


def _draw_plot(
    c: Canvas,
    plot: Plot,
    tz: tzinfo | None,
    x: float,
    y: float,
    width: float,
    head_h: float,
    plot_h: float,
) -> None:
    title_font, tick_font = c.font(BODY, bold=True), c.font(SMALL)
    c.text(x, y, plot.title, title_font)
    _legend(c, plot, x, y + c.line_height(title_font))
    lo, hi = _y_range(plot)
    if plot.y_labels:
        labels = list(plot.y_labels)
    else:
        step = _nice_step(hi - lo, 4)
        labels = []
        value = step * -(-lo // step)
        while value <= hi:
            labels.append((value, f"{value:g}"))
            value += step
    gutter = max((c.width(words, tick_font) for _, words in labels), default=12) + 4
    left, top, w, h = x + gutter, y + head_h, width - gutter, plot_h

    def sx(t: float) -> float:
        return left + (t - plot.start) / (plot.end - plot.start) * w

    placed = _place_marks(c, plot, sx)
    # The drug letters get a band of their own at the top, so they never hide a value.
    band = (max((row for _m, row in placed), default=-1) + 1) * _mark_row_h(c)

    def sy(v: float) -> float:
        return top + h - (v - lo) / (hi - lo) * (h - band)

    p = c.p
    for a, b, _name in plot.shaded:  # a vasopressor running: hatched, under everything
        hatch = QBrush(GRAY, Qt.BrushStyle.BDiagPattern)
        hatch.setTransform(hatch.transform().scale(c.u / 2, c.u / 2))
        p.fillRect(c.rect(sx(a), top, max(sx(b) - sx(a), 0.8), h), hatch)
    if plot.until is not None and plot.until < plot.end:  # the rest of the shift is to come
        c.p.fillRect(c.rect(sx(plot.until), top, sx(plot.end) - sx(plot.until), h), FUTURE)
    tick_h = c.line_height(tick_font)
    last_label = 1e9
    for value, words in labels:  # bottom up; a label that would touch the one below is left out
        if lo <= value <= hi:
            c.line(left, sy(value), left + w, sy(value), c.pen(0.25, LIGHT))
            if sy(value) + tick_h / 2 <= last_label:
                c.text(left - 3, sy(value) - tick_h / 2, words, tick_font, align="right")
                last_label = sy(value) - tick_h / 2
    ticks, fmt = _time_ticks(plot, tz, max(2, int(w // (c.width("00:00", tick_font) + 9))))
    for t in ticks:
        c.line(sx(t), top, sx(t), top + h, c.pen(0.25, LIGHT))
        c.line(sx(t), top + h, sx(t), top + h + 2.5, c.pen(0.6))
        c.text(sx(t), top + h + 3, local_datetime(t, tz).strftime(fmt), tick_font, align="centre")
    for value, _words in plot.thresholds:
        c.line(left, sy(value), left + w, sy(value), c.pen(0.9, GRAY, "dash"))
    p.setPen(c.pen(0.7))
    p.setBrush(Qt.BrushStyle.NoBrush)
    p.drawRect(c.rect(left, top, w, h))
    if plot.empty:
        c.text(
            left + w / 2,
            top + h / 2 - tick_h / 2,
            "nothing charted",
            c.font(BODY, italic=True),
            GRAY,
            align="centre",
        )
    if plot.until is not None and plot.until < plot.end:
        c.line(sx(plot.until), top, sx(plot.until), top + h, c.pen(0.8, GRAY))
        room = sx(plot.end) - sx(plot.until)
        if room > c.width("to come", tick_font) + 4:
            c.text(
                (sx(plot.until) + sx(plot.end)) / 2,
                top + h - tick_h - 1,
                "to come",
                c.font(SMALL, italic=True),
                GRAY,
                align="centre",
            )
    p.save()
    # A little beyond the frame, so a mark on its edge is drawn whole.
    p.setClipRect(c.rect(left - 2.5, top - 2.5, w + 5, h + 5))
    for line in plot.lines:
        _draw_line(c, line, sx, sy)
    for t, level, words in _spaced_notes(c, plot, sx, tick_font, left + w):
        nx = min(sx(t) + 2, left + w - 2 - c.width(words, tick_font))
        c.text(nx, sy(level) - tick_h - 0.5, words, tick_font)
    _draw_marks(c, placed, sx, top, h)
    p.restore()


def _legend(c: Canvas, plot: Plot, x: float, y: float) -> None:
    """The key under the title: a sample of each line (when there are several) and of
    each threshold."""
    font = c.font(SMALL)
    mid = y + c.line_height(font) / 2
    entries: list[tuple[str, str, str]] = []  # (dash, marker, words)
    if len(plot.lines) > 1:
        entries += [(line.dash, line.marker, line.label) for line in plot.lines]
    entries += [("dash", "none", words) for _, words in plot.thresholds]
    for dash, marker, words in entries:
        colour = GRAY if marker == "none" and dash == "dash" else BLACK
        c.line(x, mid, x + 14, mid, c.pen(1.1, colour, dash))
        _marker(c, marker, x + 7, mid)
        c.text(x + 17, y, words, font)
        x += 17 + c.width(words, font) + 9
    if plot.caption:
        c.text(x, y, plot.caption, font)


def _draw_line(
    c: Canvas, line: Line, sx: Callable[[float], float], sy: Callable[[float], float]
) -> None:
    if not len(line.t):
        return
    path = QPainterPath()
    points = [(sx(float(t)), sy(float(v))) for t, v in zip(line.t, line.v, strict=True)]
    path.moveTo(c.pt(*points[0]))
    for index, (px, py) in enumerate(points[1:], 1):
        if line.step:
            path.lineTo(c.pt(px, points[index - 1][1]))
        path.lineTo(c.pt(px, py))
    c.p.setPen(c.pen(1.8 if line.step else 1.1, BLACK, line.dash))
    c.p.setBrush(Qt.BrushStyle.NoBrush)
    c.p.drawPath(path)
    for px, py in points:
        _marker(c, line.marker, px, py)


def _marker(c: Canvas, kind: str, x: float, y: float) -> None:
    if kind == "none":
        return
    p = c.p
    r = 1.9
    p.setPen(c.pen(0.7))
    if kind == "circle":
        p.setBrush(BLACK)
        p.drawEllipse(c.pt(x, y), r * c.u, r * c.u)
    elif kind == "square":
        p.setBrush(WHITE)
        p.drawRect(c.rect(x - r, y - r, 2 * r, 2 * r))
    elif kind == "triangle":
        p.setBrush(WHITE)
        p.drawPolygon(QPolygonF([c.pt(x, y - r - 0.4), c.pt(x + r, y + r), c.pt(x - r, y + r)]))


def _spaced_notes(
    c: Canvas, plot: Plot, sx: Callable[[float], float], font: QFont, right: float
) -> list[tuple[float, float, str]]:
    """The notes that fit without running into the one before; the last one always."""
    kept: list[tuple[float, float, str]] = []
    ends: list[float] = []
    for index, (t, level, words) in enumerate(plot.notes):
        width = c.width(words, font) + 6
        start = min(sx(t), right - width)
        if kept and start < ends[-1]:
            if index != len(plot.notes) - 1:
                continue
            kept.pop()
            ends.pop()
        kept.append((t, level, words))
        ends.append(start + width)
    return kept


def _mark_row_h(c: Canvas) -> float:
    return c.line_height(c.font(SMALL, bold=True)) + 0.5


def _place_marks(c: Canvas, plot: Plot, sx: Callable[[float], float]) -> list[tuple[DrugMark, int]]:
    """Each drug letter with its row: a letter that would touch the one before goes a row
    lower."""
    font = c.font(SMALL, bold=True)
    row_end: list[float] = []
    placed = []
    for mark in plot.marks:
        x = sx(mark.at)
        half = (c.width(mark.code, font) + 3) / 2
        row = next((i for i, e in enumerate(row_end) if x - half > e), len(row_end))
        if row == len(row_end):
            row_end.append(0.0)
        row_end[row] = x + half
        placed.append((mark, row))
    return placed


def _draw_marks(
    c: Canvas,
    placed: list[tuple[DrugMark, int]],
    sx: Callable[[float], float],
    top: float,
    height: float,
) -> None:
    font = c.font(SMALL, bold=True)
    for mark, row in placed:
        x = sx(mark.at)
        y = top + 0.5 + row * _mark_row_h(c)
        c.line(x, y + _mark_row_h(c), x, top + height, c.pen(0.6, GRAY, "dot"))
        c.text(x, y, mark.code, font, align="centre")


# -- pages ---------------------------------------------------------------------------------


def _footer(c: Canvas, data: HandoverData, width: float, y: float, page: int, pages: int) -> None:
    font = c.font(BODY)
    c.line(0, y, width, y, c.pen(0.6))
    c.text(0, y + 3, f"{data.name}   ·   MRN {data.mrn}", font)
    c.text(width, y + 3, f"Page {page} of {pages}", c.font(BODY, bold=True), align="right")


def _content(canvas: Canvas, data: HandoverData, width: float, plot_h: float) -> Page:
    page = Page(canvas, width, plot_h)
    _header(page, data)
    _situation(page, data)
    _background(page, data)
    _assessment(page, data)
    _recommendation(page, data)
    return page


def _used(placed: list[tuple[Block, float]]) -> float:
    return max((y + block.height for block, y in placed), default=0.0)


def layout(
    canvas: Canvas, data: HandoverData, width: float, height: float
) -> list[list[tuple[Block, float]]]:
    """The pages, each a list of (block, y). Plots grow into the space a one-page
    handover leaves, or shrink a little when that keeps it on one page."""
    page = _content(canvas, data, width, PLOT_H)
    pages = paginate(page.blocks, height)
    if not page.plot_rows:
        return pages
    if len(pages) == 1:
        spare = height - _used(pages[0]) - 1
        grown = min(PLOT_MAX_H, PLOT_H + spare / page.plot_rows)
        return paginate(_content(canvas, data, width, grown).blocks, height)
    if len(pages) == 2:
        squeezed = paginate(_content(canvas, data, width, PLOT_MIN_H).blocks, height)
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
