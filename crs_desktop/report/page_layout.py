"""The page's geometry: a paint device seen in points, wrapped text, blocks never cut in
two, and pages made of them (Qt only; nothing here knows what a handover says).

Geometry is in points and converted to device pixels here, so the type is the same size on
a 300 dpi PDF and a 1200 dpi printer. Black and grays only: the page is read in grayscale.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import (
    QColor,
    QFont,
    QFontMetricsF,
    QPagedPaintDevice,
    QPainter,
    QPen,
    QTextCharFormat,
    QTextLayout,
    QTextOption,
)

FAMILIES = ["DejaVu Sans", "Liberation Sans", "Arial", "Helvetica"]
BODY = 9.0  # pt: the smallest running text
SMALL = 8.0  # pt: axis ticks only
GRADE = 18.0  # pt, bold
# The height of a plot's drawing area, in points: the one elastic thing on the page. It
# grows into space left on a one-page handover and shrinks (to PLOT_MIN_H) when that
# keeps the handover on one page.
PLOT_H = 52.0
PLOT_MIN_H = 42.0
PLOT_MAX_H = 96.0
GRAY = QColor(110, 110, 110)
LIGHT = QColor(205, 205, 205)
BLACK = QColor(0, 0, 0)
WHITE = QColor(255, 255, 255)
FUTURE = QColor(242, 242, 242)
_DASHES = {"solid": Qt.PenStyle.SolidLine, "dash": Qt.PenStyle.DashLine, "dot": Qt.PenStyle.DotLine}


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
