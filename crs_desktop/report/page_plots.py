"""The small plots of the handover: a row of them as one block, each with its key, axes,
threshold lines, oxygen steps and drug letters, drawn in black and grays.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import tzinfo

from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QFont, QPainterPath, QPolygonF

from crs_desktop.report.handover_records import DrugMark, Line, Plot, local_datetime
from crs_desktop.report.page_layout import (
    BLACK,
    BODY,
    FUTURE,
    GRAY,
    LIGHT,
    SMALL,
    WHITE,
    Block,
    Canvas,
    Page,
)


def plot_row(page: Page, plots: Sequence[Plot], per_row: int, tz: tzinfo | None) -> None:
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
