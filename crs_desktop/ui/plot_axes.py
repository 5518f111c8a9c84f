"""Axis and annotation helpers for the plot stack: titles that never widen the plots, y axes
with readable ticks on a short plot, a note over an empty plot, labels that never overlap.

A ward screen (1366 x 768) gives each of the six plots little more than 60 pixels: what
pyqtgraph does by default there (one tick, band names drawn over each other, annotations
over annotations) is decided here instead, from the pixels each plot really has.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import pyqtgraph as pg
from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor, QFont, QFontMetricsF, QPen
from PySide6.QtWidgets import QGraphicsRectItem, QGraphicsSimpleTextItem

MIN_TICKS = 3  # a y axis says where the values are with at least three labelled ticks
MAX_TICKS = 6
NICE_STEPS = (1.0, 2.0, 2.5, 5.0)
LABEL_GAP_PX = 1.0
TITLE_MARGIN_PX = 1
LABEL_MARGIN_PX = 1


class ShrinkableTitle(pg.LabelItem):  # type: ignore[misc]  # pyqtgraph is untyped
    """A plot title that never makes the plot wider than the window gives it.

    pyqtgraph's title asks for its text's full width; a long title (the blood pressure
    legend) on a narrow window widened the whole stack past the window, pushing the
    right edge, the latest values, out of sight. Cut at the right edge instead.
    """

    def updateMin(self) -> None:  # noqa: N802 (pyqtgraph's name)
        # No margin around the words: the default 4 pixels each side made every title row
        # 30 pixels high, a third of each plot on a 768-pixel screen.
        self.item.document().setDocumentMargin(TITLE_MARGIN_PX)
        super().updateMin()
        self.setMinimumWidth(0)
        height = self._sizeHint[Qt.SizeHint.MinimumSize][1]
        self._sizeHint[Qt.SizeHint.MinimumSize] = (0, height)
        self._sizeHint[Qt.SizeHint.PreferredSize] = (0, height)

    def text_width(self) -> float:
        """The title's own width in pixels (what it needs not to be cut)."""
        return float(self.item.boundingRect().width())


def shrinkable_title(plot: pg.PlotItem, size: str) -> ShrinkableTitle:
    """Put a ShrinkableTitle where the plot's own title sits (row 0, column 1)."""
    old = plot.titleLabel
    plot.layout.removeItem(old)
    if old.scene() is not None:
        old.scene().removeItem(old)
    title = ShrinkableTitle("", size=size)
    title.setParentItem(plot)
    plot.layout.addItem(title, 0, 1)
    plot.titleLabel = title
    return title


def fit_title_row(plot: pg.PlotItem) -> None:
    """The title row as high as its words: pyqtgraph fixes it at 30 pixels."""
    title = plot.titleLabel
    title.updateMin()
    height = math.ceil(title.item.boundingRect().height())
    title.setMaximumHeight(height)
    plot.layout.setRowFixedHeight(0, height)


def _nice_ticks(low: float, high: float, min_step: float) -> tuple[float, list[float]] | None:
    """(step, values): round steps at least `min_step` apart, MIN_TICKS to MAX_TICKS of
    them within [low, high] (the fewest that are still at least MIN_TICKS when the axis is
    short), or None when no round step gives MIN_TICKS."""
    if not (high > low and min_step > 0 and math.isfinite(high - low)):
        return None
    found: list[tuple[float, list[float]]] = []
    exponent = math.floor(math.log10(min_step))
    for power in range(exponent - 1, exponent + 3):
        for mantissa in NICE_STEPS:
            step = mantissa * 10.0**power
            if step < min_step:
                continue
            first = math.ceil(low / step - 1e-9)
            last = math.floor(high / step + 1e-9)
            values = [round(n * step, 10) for n in range(first, last + 1)]
            if len(values) >= MIN_TICKS:
                found.append((step, values))
    if not found:
        return None
    found.sort(key=lambda f: f[0])
    within = [f for f in found if len(f[1]) <= MAX_TICKS]
    return within[0] if within else found[-1]


def readable_range(low: float, high: float, px: float, text_px: float) -> tuple[float, float]:
    """A y range holding [low, high] whose round ticks (at least MIN_TICKS) are each far
    enough apart, and far enough from the edges, to be labelled on a plot `px` high."""
    if not high > low:
        return low - 1.0, high + 1.0
    if px <= 3 * (text_px + LABEL_GAP_PX):  # not laid out yet, or too short for three
        pad = 0.08 * (high - low)
        return low - pad, high + pad
    need = text_px + LABEL_GAP_PX  # pixels from one label's centre to the next
    exponent = math.floor(math.log10((high - low) / (MIN_TICKS - 1)))
    for power in range(exponent - 1, exponent + 4):
        for mantissa in NICE_STEPS:
            step = mantissa * 10.0**power
            first = math.floor(low / step + 1e-9) * step
            last = max(math.ceil(high / step - 1e-9) * step, first + (MIN_TICKS - 1) * step)
            span = (last - first) / (1 - need / px)  # a half label's room at each edge
            if step * px / span >= need:
                margin = (span - (last - first)) / 2
                return first - margin, last + margin
    pad = 0.08 * (high - low)  # too short for three labels: the values at least, whole
    return low - pad, high + pad


class ReadableAxis(pg.AxisItem):  # type: ignore[misc]  # pyqtgraph is untyped
    """A y axis with at least three labelled ticks whenever its height allows, every label
    inside the axis (not over the plot above or below) and none over another."""

    def text_height(self) -> float:
        font = self.style["tickFont"] or QFont()
        # pyqtgraph measures tick text at 0.8 of its bounding height; the glyphs need it all.
        return float(QFontMetricsF(font).height())

    def tickValues(  # noqa: N802 (pyqtgraph's name)
        self,
        minVal: float,
        maxVal: float,
        size: float,  # noqa: N803
    ) -> list[tuple[float, list[float]]]:
        if self.logMode or self._tickLevels is not None or size <= 0 or maxVal <= minVal:
            return list(super().tickValues(minVal, maxVal, size))
        per_px = (maxVal - minVal) / size
        half = self.text_height() / 2 * per_px  # a label centred on a tick at the very edge
        ticks = _nice_ticks(
            minVal + half, maxVal - half, (self.text_height() + LABEL_GAP_PX) * per_px
        )
        if ticks is None:
            return list(super().tickValues(minVal, maxVal, size))
        step, values = ticks
        return [(step, values)]

    def generateDrawSpecs(self, p):  # type: ignore[no-untyped-def]  # noqa: N802
        specs = super().generateDrawSpecs(p)
        if specs is None:
            return None
        axis, ticks, texts = specs
        # pyqtgraph checks that a label fits the axis, not that it misses its neighbour
        # (the oxygen band names on a short plot were drawn over each other).
        kept: list[tuple[QRectF, object, str]] = []
        for rect, flags, text in texts:
            full = _glyph_rect(rect, self.text_height())
            if any(full.intersects(_glyph_rect(k[0], self.text_height())) for k in kept):
                continue
            kept.append((rect, flags, text))
        return axis, ticks, kept


def _glyph_rect(rect: QRectF, height: float) -> QRectF:
    """The rect the glyphs really take: pyqtgraph's is 0.8 of the text's height."""
    grow = max(0.0, (height - rect.height()) / 2)
    return rect.adjusted(0, -grow, 0, grow)


class EmptyNote(QGraphicsRectItem):
    """Words over the middle of an empty plot: 'no values in the last 24 h — last charted
    29 Nov 12:00'. A plot with nothing in view must not look like a plot of now. On a
    white box: the fever line ran through the words."""

    def __init__(self, view: pg.ViewBox, font: QFont, colour: str) -> None:
        super().__init__(view)
        self.view = view
        self.words = QGraphicsSimpleTextItem(self)
        self.words.setFont(font)
        self.words.setBrush(QColor(colour))
        self.setBrush(QColor(255, 255, 255, 235))
        self.setPen(QPen(Qt.PenStyle.NoPen))
        self.setZValue(100)
        self.hide()
        self.said: str | None = None
        view.sigResized.connect(lambda _vb: self._fit())

    def text(self) -> str:
        """The words, on one line."""
        return self.said or ""

    def say(self, words: str | None) -> None:
        self.said = words
        if not words:
            self.hide()
            return
        self._fit()
        self.show()

    def _fit(self) -> None:
        """On one line if the plot is wide enough, else broken after the dash."""
        words = self.said or ""
        self.words.setText(words)
        if self.words.boundingRect().width() + 8 > self.view.boundingRect().width():
            self.words.setText(words.replace(" — ", " —\n"))
        text = self.words.boundingRect()
        self.setRect(0, 0, text.width() + 8, text.height() + 2)
        self.words.setPos(4, 1)
        self._centre()

    def _centre(self) -> None:
        room, rect = self.view.boundingRect(), self.rect()
        self.setPos(
            max(0.0, (room.width() - rect.width()) / 2),
            max(0.0, (room.height() - rect.height()) / 2),
        )


@dataclass
class Placed:
    """An annotation to lay out: the x it belongs to, its words, its item, and the ys (view
    coordinates, the label's bottom) it may sit at, best first."""

    at: float
    words: str
    item: pg.TextItem
    ys: Sequence[float] = ()
    left_of: bool = True  # the side of `at` tried first (recent ones: toward the past)


def plot_label(words: str, colour: str, font: QFont, fill: object = None) -> pg.TextItem:
    """Words on a plot with a one-pixel margin (pyqtgraph's four made each label 24
    pixels high, half a plot on a ward screen)."""
    text = pg.TextItem(words, color=colour, anchor=(1, 1), fill=fill)
    text.setFont(font)
    text.textItem.document().setDocumentMargin(LABEL_MARGIN_PX)
    text.updateTextPos()
    return text


def pixel_rows(view: pg.ViewBox, count: int, font: QFont) -> list[float]:
    """The ys (view coordinates) of `count` rows of text from the top of the plot down,
    each a label's bottom: drug names above the values, one row under another."""
    box = view.sceneBoundingRect()
    height = QFontMetricsF(font).height() + 2 * LABEL_MARGIN_PX + 1
    return [
        float(view.mapSceneToView(pg.Point(box.left(), box.top() + height * (n + 1) + 1)).y())
        for n in range(count)
    ]


def label_rect(view: pg.ViewBox, label: Placed, y: float, left: bool) -> QRectF:
    """The scene rect the label's TextItem takes with its bottom corner at (label.at, y)
    (a TextItem keeps its pixel size whatever the view's scale)."""
    size = label.item.boundingRect()
    anchor = view.mapViewToScene(pg.Point(label.at, y))
    x0 = anchor.x() - size.width() if left else anchor.x()
    return QRectF(x0, anchor.y() - size.height(), size.width(), size.height())


def lay_out_labels(view: pg.ViewBox, labels: Sequence[Placed], font: QFont) -> None:
    """Place each label beside its x, at the first of its ys where it neither overlaps a
    label already placed nor runs past the plot's edge (cut words mislead: "acetamol");
    a label with no such place is hidden (its value stays in the hover and the chart
    table). The most recent labels are placed first: they are what the nurse reads."""
    box = view.sceneBoundingRect()
    taken: list[QRectF] = []
    # Newest first; of two at the same time, the one added last (the step that starts
    # there, not the one that ends there).
    for label in sorted(reversed(labels), key=lambda lab: -lab.at):
        placed = False
        for y in label.ys:
            for left in (label.left_of, not label.left_of):
                rect = label_rect(view, label, y, left)
                if not box.contains(rect) or any(rect.intersects(o) for o in taken):
                    continue
                label.item.setAnchor((1, 1) if left else (0, 1))
                label.item.setPos(label.at, y)
                label.item.show()
                taken.append(rect)
                placed = True
                break
            if placed:
                break
        if not placed:
            label.item.hide()
