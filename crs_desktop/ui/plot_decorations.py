"""What the plot stack draws beside the curves: the oxygen step, vasopressor periods, drug
markers and flagged points, with their words laid out so none overlaps or is cut.

A mixin of PlotStack (kept apart so each module reads in one sitting): it uses the stack's
plots, curves, rows and clock.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtGui import QFont

from crs_desktop.domain.grading.wording import UNIT_SHOWN
from crs_desktop.domain.oxygen_course import BAND_NAMES, OxygenCharted, device_short, oxygen_course
from crs_desktop.domain.vocabulary import ITEMS
from crs_desktop.ui import theme
from crs_desktop.ui.plot_axes import Placed, lay_out_labels, pixel_rows, plot_label

if TYPE_CHECKING:
    from crs_desktop.app.plot_data import PlotData
    from crs_desktop.app.records import ChartedRow

# Oxygen changes at one level charted this close together are one round of charting
# (the device, then its flow): labelled once, with the last words.
SAME_ROUND_S = 15 * 60
LABEL_POINT_SIZE = 10
LABEL_FILL = (255, 255, 255, 170)  # readable over a curve, which still shows through
# Drug names in one row at the top of the temperature plot (above 40 °C, where values
# rarely are); a second row ran over the curve on a short plot.
DRUG_LABEL_ROWS = 1
LABEL_Z = 5


def unit_shown(item: str) -> str:
    unit = ITEMS[item].canonical_unit
    return UNIT_SHOWN.get(unit, unit)


def label_font() -> QFont:
    font = QFont()
    font.setPointSize(LABEL_POINT_SIZE)
    return font


class Decorations:
    """The oxygen step, vasopressor periods, drug markers and flagged points of PlotStack."""

    plots: dict[str, pg.PlotItem]
    curves: dict[str, pg.PlotDataItem]
    # By kind ("oxygen", "pressors", "drugs"): each kind is drawn again only when what it
    # is drawn from changed (_redraw_steps), so a new vital does not re-create every drug
    # marker across every plot (57 ms, and all six plots repainted, for each value).
    _decorations: dict[str, list[tuple[pg.PlotItem, pg.GraphicsObject]]]
    _labels: dict[str, dict[str, list[Placed]]]  # kind -> plot key -> labels
    _drawn: dict[str, tuple[object, ...]]  # kind -> what it was drawn from
    _drawing: str  # the kind being drawn now
    data: PlotData  # the core's: the step rows and the flagged points

    def known_until(self) -> float | None:  # PlotStack's: the latest time anything was charted
        raise NotImplementedError

    def _infusion_time(self) -> float | None:
        raise NotImplementedError

    def fixed_labels(self, key: str) -> list[Placed]:  # PlotStack's: labels always there
        raise NotImplementedError

    def _clear_decorations(self, kind: str) -> None:
        for plot, item in self._decorations.pop(kind, []):
            plot.removeItem(item)
        self._labels.pop(kind, None)

    def _decorate(self, key: str, item: pg.GraphicsObject) -> None:
        self.plots[key].addItem(item, ignoreBounds=True)
        self._decorations.setdefault(self._drawing, []).append((self.plots[key], item))

    def _label(
        self, key: str, at: float, words: str, ys: list[float] | None = None, left: bool = True
    ) -> Placed:
        """A label of `key`'s plot beside time `at`, laid out by relayout_labels()."""
        text = plot_label(words, theme.PLOT_FOREGROUND, label_font(), LABEL_FILL)
        text.hide()  # until laid out: it may have no room
        # Above the markers and curves whatever order the kinds were drawn in.
        text.setZValue(LABEL_Z)
        self._decorate(key, text)
        placed = Placed(at, words, text, ys or [], left)
        self._labels.setdefault(self._drawing, {}).setdefault(key, []).append(placed)
        return placed

    def relayout_labels(self) -> None:
        """Lay the words out again for the plots' present range and size."""
        font = label_font()
        for key in self.plots:
            labels = self.fixed_labels(key) + [
                label
                for kind in getattr(self, "_labels", {}).values()
                for label in kind.get(key, [])
            ]
            if not labels:
                continue
            view = self.plots[key].getViewBox()
            if key == "temperature":  # drug names: rows at the top, whatever the y range
                rows = pixel_rows(view, DRUG_LABEL_ROWS, font)
                for label in labels:
                    label.ys = rows
            lay_out_labels(view, labels, font)

    def _redraw_steps(self) -> None:
        """Draw again each kind whose rows (or end) changed since it was last drawn."""
        # Steps and running vasopressors hold until the last time anything was charted,
        # not until now: a chart a day old drew its last oxygen across today.
        end = self.known_until()
        data = self.data
        oxygen_rows = (*data.device_rows, *data.flow_rows)
        kinds: tuple[tuple[str, Callable[[], None], tuple[object, ...]], ...] = (
            ("oxygen", lambda: self._draw_oxygen(end), (end, *(r.id for r in oxygen_rows))),
            (
                "pressors",
                lambda: self._draw_pressors(end),
                (end, *(r.id for r in data.pressor_rows)),
            ),
            ("drugs", self._draw_drugs, (self._infusion_time(), *(r.id for r in data.drug_rows))),
        )
        for kind, draw, drawn_from in kinds:
            if self._drawn.get(kind) == drawn_from:
                continue
            self._clear_decorations(kind)
            self._drawing = kind
            draw()
            self._drawn[kind] = drawn_from
        self.relayout_labels()

    def _draw_oxygen(self, end: float | None) -> None:
        course = oxygen_course(
            OxygenCharted(r.observed_at, r.item, r.value, r.text)
            for r in (*self.data.device_rows, *self.data.flow_rows)
        )
        labels: list[tuple[float, int, str]] = []
        for state in course:
            device = state.device or "room_air"
            words = device_short(device)
            if device != "room_air":
                if state.flow:
                    words += f" {state.flow:g} L/min"
                if state.fio2:
                    words += f" FiO2 {state.fio2:g}%"
            level, at = state.band, state.time
            if labels and labels[-1][1] == level and at - labels[-1][0] <= SAME_ROUND_S:
                # The device and then its flow, charted one after the other: one label.
                labels[-1] = (labels[-1][0], level, words)
            elif not labels or words != labels[-1][2]:
                labels.append((at, level, words))
        # On a short plot not every band name fits: the band the patient is in, then room
        # air, are named first (the axis drops a name that would overlap one before it).
        current = course[-1].band if course else 0
        self.plots["oxygen"].getAxis("left").setTicks(
            [sorted(BAND_NAMES, key=lambda band: (band[0] != current, band[0] != 0, band[0]))]
        )
        if not course or end is None:
            self.curves["o2_level"].setData([], [])
            return
        end = max(end, course[-1].time)
        # Each label ends where its step ends (the next change, or the last charting).
        ends = [at for at, _level, _words in labels[1:]] + [end]
        for (_at, level, words), stop in zip(labels, ends, strict=True):
            self._label("oxygen", stop, words, [level + 0.15, level + 0.6])
        xs = [state.time for state in course] + [end]
        ys = [state.band for state in course]
        ys.append(ys[-1])
        # Steps: each level holds until the next change.
        x = np.repeat(np.asarray(xs), 2)[1:]
        y = np.repeat(np.asarray(ys, dtype=float), 2)[:-1]
        self.curves["o2_level"].setData(x, y)

    def _draw_pressors(self, end: float | None) -> None:
        """Shade each period a vasopressor ran, labelled with the drug and the rate."""
        by_drug: dict[str, list[ChartedRow]] = {}
        for row in sorted(self.data.pressor_rows, key=lambda r: (r.observed_at, r.id)):
            by_drug.setdefault(row.item, []).append(row)
        top = 190.0
        for n, (drug, rows) in enumerate(sorted(by_drug.items())):
            start: float | None = None
            y = top - 12 * n
            last = max(end or 0.0, rows[-1].observed_at)
            for index, row in enumerate(rows):
                rate = row.value or 0.0
                if rate > 0:
                    if start is None:
                        start = row.observed_at
                    words = f"{drug} {rate:g} {unit_shown(drug)}"
                    if index == len(rows) - 1:
                        # Still running at the last charting: the rate ends there.
                        self._label("bp", last, words, [y, y - 25])
                    else:
                        self._label("bp", row.observed_at, words, [y, y - 25], left=False)
                elif start is not None:
                    self._shade(start, row.observed_at)
                    start = None
            if start is not None:
                self._shade(start, last)

    def _shade(self, start: float, end: float) -> None:
        region = pg.LinearRegionItem(
            (start, end), movable=False, brush=theme.PRESSOR_SHADE, pen=pg.mkPen(None)
        )
        region.setZValue(-10)
        self._decorate("bp", region)

    def _draw_drugs(self) -> None:
        """Drugs given and day 0 as vertical markers across every plot, named on the
        temperature plot where there is room (always in the hover and the chart table)."""
        marks = [
            (r.observed_at, f"{r.item} {r.value:g} {unit_shown(r.item)}")
            for r in self.data.drug_rows
        ]
        infusion = self._infusion_time()
        if infusion is not None:
            marks.append((infusion, "day 0: CAR-T infusion"))
        for at, words in sorted(marks):
            for key in self.plots:
                line = pg.InfiniteLine(
                    at,
                    angle=90,
                    pen=pg.mkPen(theme.DRUG_MARKER_COLOUR, width=1.5, style=Qt.PenStyle.DotLine),
                )
                self._decorate(key, line)
            self._label("temperature", at, words)

    def _redraw_flagged(self) -> None:
        """Extreme values as stars, entered-in-error values as grey crosses."""
        for key, spec in ((s.key, s) for s in self.specs):  # type: ignore[attr-defined]
            extreme = [
                (r.observed_at, r.value)
                for item in spec.items
                for r in self.data.flagged.get(item, [])
                if r.extreme and r.status == "final" and r.value is not None
            ]
            errors = [
                (r.observed_at, r.value)
                for item in spec.items
                for r in self.data.flagged.get(item, [])
                if r.status != "final" and r.value is not None
            ]
            self.extreme_scatter[key].setData(  # type: ignore[attr-defined]
                [p[0] for p in extreme], [p[1] for p in extreme]
            )
            self.error_scatter[key].setData(  # type: ignore[attr-defined]
                [p[0] for p in errors], [p[1] for p in errors]
            )
