"""The plot stack's time range and y ranges: which hours are shown, each y axis fitted to
what is in view with readable ticks, and a note on each plot with nothing in view.

A mixin of PlotStack (kept apart so each module reads in one sitting).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any

import numpy as np

from crs_desktop.app.series_buffer import SeriesBuffer
from crs_desktop.ui.plot_axes import readable_range

if TYPE_CHECKING:
    from crs_desktop.app.plot_data import PlotData, PlotSpec
    from crs_desktop.app.records import Patient

HOUR = 3600.0
# Following live, the range's end moves on in steps of about a thousandth of the span
# (a power of two seconds: 128 s in the 24 h view, under a pixel on a ward screen), not
# with every value: a value inside the step repaints only its own plot, not all six.
FOLLOW_STEPS = 1000
# The y range of a plot with nothing in view: round, readable numbers, never an axis
# around one old value ("2300.2 / 2300.0 / 2299.8").
EMPTY_Y_RANGE = {
    "temperature": (36.0, 40.0),
    "bp": (40.0, 160.0),
    "spo2": (85.0, 100.0),
    "crp": (0.0, 100.0),
    "ferritin": (0.0, 1000.0),
    "heart_rate": (40.0, 160.0),
    "resp_rate": (0.0, 40.0),
}


def _any_between(buf: SeriesBuffer, start: float, end: float) -> bool:
    first = np.searchsorted(buf.t, start, side="left")
    return bool(np.searchsorted(buf.t, end, side="right") > first)


def _step_up(end: float, span: float) -> float:
    """`end` moved up to the next multiple of a power-of-two step near span / FOLLOW_STEPS."""
    step = 2.0 ** math.ceil(math.log2(max(span, 1.0) / FOLLOW_STEPS))
    return math.ceil(end / step) * step


def _clock(epoch: float) -> str:
    return datetime.fromtimestamp(epoch).astimezone().strftime("%d %b %H:%M")


class RangeFit:
    """Which hours the plots show, their y ranges, and the notes on empty plots."""

    specs: tuple[PlotSpec, ...]
    step_items: tuple[str, ...]
    first_read_h: float
    plots: dict[str, Any]
    notes: dict[str, Any]
    data: PlotData  # the core's: the series and when each item was last charted
    follow_live: bool
    span_h: float | None
    patient: Patient
    clock: Callable[[], float]
    relayout_labels: Callable[[], None]
    load_history: Callable[[], None]

    def _latest_time(self) -> float | None:
        times = [b.last_time() for b in self.data.buffers.values() if len(b)]
        return max((t for t in times if t is not None), default=None)

    def _resized(self) -> None:
        """The y ranges and the words follow the pixels each plot has now."""
        start, end = self.plots["temperature"].getViewBox().viewRange()[0]
        for spec in self.specs:
            if spec.items:
                self._fit_y(spec, start, end)
        self.relayout_labels()

    def known_until(self) -> float | None:
        """The latest time anything plotted was charted (a round of observations)."""
        return max(self.data.last_charted.values(), default=None)

    def _last_of(self, spec: PlotSpec) -> float | None:
        items = spec.items or (self.step_items if spec.key == "oxygen" else ())
        return max(
            (self.data.last_charted[i] for i in items if i in self.data.last_charted), default=None
        )

    def _show_notes(self, start: float, end: float) -> None:
        """Each plot with nothing in view says so, and when its item was last charted."""
        if self.follow_live and self.span_h in (24.0, 72.0):
            period = f"in the last {self.span_h:g} h"
        else:
            period = "in this period"
        for spec in self.specs:
            last = self._last_of(spec)
            if spec.key == "oxygen":
                shown = last is not None and (self.known_until() or last) >= start
            else:
                shown = any(_any_between(self.data.buffers[i], start, end) for i in spec.items)
            if shown:
                words = None
            elif last is None:
                words = "nothing charted yet"
            else:
                when = "later" if last > end else "last"
                words = f"no values {period} — {when} charted {_clock(last)}"
            self.notes[spec.key].say(words)
        self.relayout_labels()  # an empty plot shows its note, not the threshold's words

    def set_span(self, hours: float | None) -> None:
        self.span_h = hours
        if hours is None or hours > self.first_read_h:
            self.load_history()  # the span reaches back past the first read (once)
        self.apply_range()

    def set_range(self, start: float, end: float) -> None:
        self.span_h = None
        self.follow_live = False
        self.plots["temperature"].setXRange(start, end, padding=0.01)
        self._show_notes(start, end)

    def apply_range(self) -> None:
        latest = self._latest_time()
        end = max(latest or 0.0, self.clock()) if self.follow_live else (latest or self.clock())
        if self.span_h is None:
            start = min((b.t[0] for b in self.data.buffers.values() if len(b)), default=end - HOUR)
            if self.patient.infusion_time is not None:
                start = min(start, self.patient.infusion_time)
            end = _step_up(end, end - start)
        else:
            end = _step_up(end, self.span_h * HOUR)
            start = end - self.span_h * HOUR
        plot = self.plots["temperature"]
        plot.setXRange(start, end + 0.02 * (end - start), padding=0)
        for spec in self.specs:  # fit each y axis to what is in view
            if spec.items:
                self._fit_y(spec, start, end)
        self._show_notes(start, end)

    def _fit_y(self, spec: PlotSpec, start: float, end: float) -> None:
        lows, highs = [], []
        for item in spec.items:
            buf = self.data.buffers[item]
            i, j = np.searchsorted(buf.t, [start, end + 1])
            if j > i:
                lows.append(float(buf.v[i:j].min()))
                highs.append(float(buf.v[i:j].max()))
        if not lows:
            self._set_y(spec.key, *EMPTY_Y_RANGE[spec.key])
            return
        low, high = min(lows), max(highs)
        if spec.key in ("crp", "ferritin", "heart_rate", "resp_rate"):
            low = min(low, 0.0)  # labs from zero, so a single value is not a flat line
        if spec.key == "temperature":
            low, high = min(low, 36.0), max(high, 40.0)
        elif spec.key == "bp":
            low, high = min(low, 40.0), max(high, 160.0)
        elif spec.key == "spo2":
            low, high = min(low, 85.0), 100.0
        self._set_y(spec.key, low, high)

    def _set_y(self, key: str, low: float, high: float) -> None:
        """Round ticks, at least three, each labelled: widened to fit the plot's height."""
        plot = self.plots[key]
        axis = plot.getAxis("left")
        px = plot.getViewBox().height()
        if plot.getViewBox().state["logMode"][1]:
            pad = 0.08 * (high - low or 1.0)
            plot.setYRange(low - pad, high + pad, padding=0)
            return
        plot.setYRange(*readable_range(low, high, px, axis.text_height()), padding=0)
