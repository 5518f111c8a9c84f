"""The stacked live plots: temperature, blood pressure, oxygen need, SpO2, CRP, ferritin.

Each curve is created once and fed from a SeriesBuffer with setData; a new
value appends to its buffer and redraws only the curves it touches.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QEvent, QObject, QPointF, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QFont, QPen
from PySide6.QtWidgets import QToolTip, QVBoxLayout, QWidget

from crs_desktop.domain.grading.settings import GradingSettings
from crs_desktop.domain.grading.wording import UNIT_SHOWN
from crs_desktop.domain.oxygen_course import BAND_NAMES, OxygenCharted, oxygen_course
from crs_desktop.domain.vitals import mean_arterial_pressure
from crs_desktop.domain.vocabulary import DOSE_ITEMS, ITEMS, RATE_ITEMS, Category, value_text
from crs_desktop.store import ChartStore, Patient
from crs_desktop.store.records import ChartedRow
from crs_desktop.ui import theme
from crs_desktop.ui.series_buffer import SeriesBuffer

HOUR = 3600.0
DOTS_UP_TO = 2000  # points per series drawn with a dot on each value
MONITOR_SPACING_S = 300.0  # values closer than this on average: a feed, drawn without dots
FEVER_C = 38.0  # REFERENCE.md §1.2: fever is a temperature >= 38.0 °C

LEFT_AXIS_PX = 88  # the widest oxygen band name at 11 pt, and the same for every plot
MARKER_DRUGS = frozenset(
    name
    for name in DOSE_ITEMS
    if ITEMS[name].category
    in (Category.ANTICYTOKINE, Category.CORTICOSTEROID, Category.ANTIPYRETIC)
)


DEVICE_SHORT = {
    "nasal_cannula": "NC",
    "high_flow_nasal_cannula": "HFNC",
    "non_rebreather": "NRB mask",
    "mechanical_ventilation": "ventilated",
}


def unit_shown(item: str) -> str:
    unit = ITEMS[item].canonical_unit
    return UNIT_SHOWN.get(unit, unit)


@dataclass(frozen=True)
class PlotSpec:
    key: str
    title: str
    items: tuple[str, ...]
    shown_by_default: bool = True


PLOTS = (
    # The fever line is named in the title: a label on the line sat where the latest
    # drug markers' labels are, and one hid the other.
    PlotSpec("temperature", "Temperature °C   ╍╍ fever ≥ 38.0 °C", ("temperature",)),
    PlotSpec(
        "bp",
        "BP mmHg: systolic ━━  diastolic ╍╍  MAP ┈┈  (shaded: vasopressor running)",
        ("systolic_bp", "diastolic_bp"),
    ),
    PlotSpec("oxygen", "Oxygen need", ()),
    PlotSpec("spo2", "SpO2 %", ("spo2",)),
    PlotSpec("crp", "CRP mg/L", ("crp",)),
    PlotSpec("ferritin", "Ferritin ng/mL", ("ferritin",)),
    PlotSpec("heart_rate", "Heart rate /min", ("heart_rate",), shown_by_default=False),
    PlotSpec("resp_rate", "Resp. rate /min", ("resp_rate",), shown_by_default=False),
)
CURVE_ITEMS = tuple(item for spec in PLOTS for item in spec.items)
STEP_ITEMS = ("o2_device", "o2_flow", "fio2")
_DASH = {
    "solid": Qt.PenStyle.SolidLine,
    "dash": Qt.PenStyle.DashLine,
    "dot": Qt.PenStyle.DotLine,
}


def _pen(key: str, width: float = 2.5) -> QPen:
    colour, dash = theme.SERIES_STYLE[key]
    pen: QPen = pg.mkPen(colour, width=width, style=_DASH[dash])
    return pen


def _clock(epoch: float) -> str:
    return datetime.fromtimestamp(epoch).astimezone().strftime("%d %b %H:%M")


# Read before the window shows: the default 24 h view and a margin; the rest follows.
FIRST_READ_H = 26.0
HISTORY_AFTER_PAINT_MS = 0


# Oxygen changes at one level charted this close together are one round of charting
# (the device, then its flow): labelled once, with the last words.
SAME_ROUND_S = 15 * 60


class ShrinkableTitle(pg.LabelItem):  # type: ignore[misc]  # pyqtgraph is untyped
    """A plot title that never makes the plot wider than the window gives it.

    pyqtgraph's title asks for its text's full width; a long title (the blood pressure
    legend) on a narrow window widened the whole stack past the window, pushing the
    right edge, the latest values, out of sight. Cut at the right edge instead.
    """

    def updateMin(self) -> None:  # noqa: N802 (pyqtgraph's name)
        super().updateMin()
        self.setMinimumWidth(0)
        height = self._sizeHint[Qt.SizeHint.MinimumSize][1]
        self._sizeHint[Qt.SizeHint.MinimumSize] = (0, height)
        self._sizeHint[Qt.SizeHint.PreferredSize] = (0, height)


def _shrinkable_title(plot: pg.PlotItem) -> None:
    """Put a ShrinkableTitle where the plot's own title sits (row 0, column 1)."""
    old = plot.titleLabel
    plot.layout.removeItem(old)
    if old.scene() is not None:
        old.scene().removeItem(old)
    title = ShrinkableTitle("", size="11pt")
    title.setParentItem(plot)
    plot.layout.addItem(title, 0, 1)
    plot.titleLabel = title


class PlotStack(QWidget):
    """Stacked plots sharing one local-time axis; follows the newest value when asked."""

    point_clicked = Signal(str, float)  # item, time: for a correction from the plot

    def __init__(
        self,
        store: ChartStore,
        patient: Patient,
        settings: GradingSettings | None = None,
        clock: Callable[[], float] = time.time,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.store = store
        self.patient = patient
        self.settings = settings or GradingSettings()
        self.clock = clock
        self.follow_live = True
        self.span_h: float | None = 24.0  # None: all
        self.buffers: dict[str, SeriesBuffer] = {}
        self.curves: dict[str, pg.PlotDataItem] = {}
        self.plots: dict[str, pg.PlotItem] = {}
        self._map = SeriesBuffer()
        self._pending_bp: dict[float, dict[str, float]] = {}
        self._steps: list[tuple[float, str, float | None]] = []  # (t, item, value / level)
        self._device_rows: list[ChartedRow] = []
        self._flow_rows: list[ChartedRow] = []
        self._pressor_rows: list[ChartedRow] = []
        self._drug_rows: list[ChartedRow] = []
        self._decorations: list[tuple[pg.PlotItem, pg.GraphicsObject]] = []
        self._flagged: dict[str, list[ChartedRow]] = {}
        self.history_held = False

        pg.setConfigOptions(antialias=True, background=theme.PLOT_BACKGROUND, exitCleanup=False)
        self.view = pg.GraphicsLayoutWidget()
        self.view.ci.setSpacing(2)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.view)
        self._build_plots()
        self._load()
        # The older history is read once the plots have painted (see _load).
        self.view.viewport().installEventFilter(self)
        self.view.scene().sigMouseMoved.connect(self._hover)
        self.view.scene().sigMouseClicked.connect(self._clicked)

    # -- building ----------------------------------------------------------------

    def _build_plots(self) -> None:
        axis_font = QFont()
        axis_font.setPointSize(11)
        first: pg.PlotItem | None = None
        for row, spec in enumerate(PLOTS):
            date_axis = pg.DateAxisItem(orientation="bottom")
            plot = self.view.addPlot(row=row, col=0, axisItems={"bottom": date_axis})
            _shrinkable_title(plot)
            plot.setTitle(spec.title, size="12pt", color=theme.PLOT_FOREGROUND, justify="left")
            plot.showGrid(x=True, y=True, alpha=0.15)
            plot.setMenuEnabled(False)
            plot.setMouseEnabled(x=True, y=False)
            plot.setClipToView(True)
            plot.setDownsampling(auto=True, mode="peak")
            for name in ("left", "bottom"):
                axis = plot.getAxis(name)
                axis.setTickFont(axis_font)
                axis.setTextPen(theme.PLOT_FOREGROUND)
                axis.setPen(theme.PLOT_FOREGROUND)
            plot.getAxis("left").setWidth(LEFT_AXIS_PX)
            if first is None:
                first = plot
            else:
                plot.setXLink(first)
            self.plots[spec.key] = plot
            for item in spec.items:
                self.curves[item] = plot.plot(
                    pen=_pen(item),
                    symbol="o",
                    symbolSize=5,
                    symbolBrush=_pen(item).color(),
                    symbolPen=None,
                    name=ITEMS[item].label,
                )
            if not spec.shown_by_default:
                plot.hide()
        # The fever line (named in the title) and the hypotension threshold, in words.
        self.plots["temperature"].addItem(
            pg.InfiniteLine(
                FEVER_C,
                angle=0,
                pen=pg.mkPen(theme.THRESHOLD_COLOUR, width=1.5, style=Qt.PenStyle.DashLine),
            )
        )
        self.plots["bp"].addItem(
            pg.InfiniteLine(
                self.settings.systolic_threshold,
                angle=0,
                pen=pg.mkPen(theme.THRESHOLD_COLOUR, width=1.5, style=Qt.PenStyle.DashLine),
                label=f"systolic < {self.settings.systolic_threshold:g}",
                labelOpts={
                    "position": 0.99,
                    "color": theme.THRESHOLD_COLOUR,
                    "anchors": [(1, 1), (1, 1)],
                },
            )
        )
        self.curves["map"] = self.plots["bp"].plot(pen=_pen("map", 2), name="MAP")
        oxygen = self.plots["oxygen"]
        # Oxygen need as a step, in the bands of the ASTCT hypoxia levels (REFERENCE.md
        # §1.4), every band named: pyqtgraph drops names that fill more than half the
        # axis, or that are wider than it (LEFT_AXIS_PX is wide enough for these).
        oxygen.getAxis("left").setTicks([list(BAND_NAMES)])
        oxygen.getAxis("left").setStyle(textFillLimits=[(0, 1.0)])
        oxygen.setYRange(-0.5, 4.0, padding=0)  # room for the names of bands 0 and 3
        brush = QColor(theme.SERIES_STYLE["o2_level"][0])
        brush.setAlpha(70)
        self.curves["o2_level"] = oxygen.plot(pen=_pen("o2_level"), fillLevel=0, brush=brush)
        self.plots["ferritin"].setLogMode(y=False)
        self.extreme_scatter = {
            key: pg.ScatterPlotItem(
                symbol="star", size=16, brush=None, pen=pg.mkPen(theme.EXTREME_COLOUR, width=2)
            )
            for key in self.plots
        }
        self.error_scatter = {
            key: pg.ScatterPlotItem(
                symbol="x", size=13, brush=None, pen=pg.mkPen(theme.ERROR_COLOUR, width=2)
            )
            for key in self.plots
        }
        for key, plot in self.plots.items():
            plot.addItem(self.extreme_scatter[key])
            plot.addItem(self.error_scatter[key])
        for key in list(self.plots)[:-1]:
            self.plots[key].getAxis("bottom").setStyle(showValues=False)
        self._last_visible_bottom()

    def _last_visible_bottom(self) -> None:
        """Time labels on the lowest visible plot only."""
        visible = [k for k in self.plots if self.plots[k].isVisible()]
        for key, plot in self.plots.items():
            plot.getAxis("bottom").setStyle(showValues=key == visible[-1])

    def _load(self) -> None:
        """Read what is plotted once: a few indexed reads, no per-row work in Python.

        Only the last day or so of each curve is read before the window shows (what the
        default 24 h view draws); the older history follows with load_history(), after
        the first paint, so a month of monitor data does not hold up start-up.
        """
        pid = self.patient.id
        self._history_before: float | None = self.clock() - FIRST_READ_H * HOUR
        for item in CURVE_ITEMS:
            t, v = self.store.series(pid, item, since=self._history_before)
            self.buffers[item] = SeriesBuffer(t, v)
        self._rebuild_map()
        step_rows = self.store.rows(
            pid,
            include_errors=False,
            items=(*STEP_ITEMS, *RATE_ITEMS, *MARKER_DRUGS),
        )
        for row in step_rows:
            self._file_step_row(row)
        for row in self.store.flagged_rows(pid, since=self._history_before):
            self._flagged.setdefault(row.item, []).append(row)
        for item in CURVE_ITEMS:
            self._set_curve(item)
        self._redraw_steps()
        self._redraw_flagged()
        self.apply_range()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802
        if event.type() == QEvent.Type.Paint and self._history_before is not None:
            watched.removeEventFilter(self)
            if not self.history_held:
                QTimer.singleShot(HISTORY_AFTER_PAINT_MS, self.load_history)
        return False

    def hold_history(self) -> None:
        """Read the older history only when load_history() is called (not after the first
        paint): the window first lets a long chart's grading finish, which matters more."""
        self.history_held = True

    def load_history(self) -> None:
        """Put the curves' older values (before the first read) in front of what is shown."""
        before, self._history_before = self._history_before, None
        if before is None:
            return
        pid = self.patient.id
        for item in CURVE_ITEMS:
            t, v = self.store.series(pid, item, until=before)
            keep = t < before  # the first read has `before` itself
            if not keep.any():
                continue
            buf = self.buffers[item]
            self.buffers[item] = SeriesBuffer(
                np.concatenate((t[keep], buf.t)), np.concatenate((v[keep], buf.v))
            )
            self._set_curve(item)
        for row in self.store.flagged_rows(pid, until=before):
            self._flagged.setdefault(row.item, []).append(row)
        self._rebuild_map()
        self._redraw_flagged()
        self.apply_range()

    def _file_step_row(self, row: ChartedRow) -> None:
        if row.item == "o2_device" or row.item == "fio2":
            self._device_rows.append(row)
        elif row.item == "o2_flow":
            self._flow_rows.append(row)
        elif row.item in RATE_ITEMS:
            self._pressor_rows.append(row)
        elif row.item in MARKER_DRUGS:
            self._drug_rows.append(row)

    # -- live updates --------------------------------------------------------------

    def add_rows(self, rows: Iterable[ChartedRow]) -> None:
        """New committed rows: append to the buffers and redraw only what they touch."""
        touched: set[str] = set()
        steps = False
        for row in rows:
            if row.item in self.buffers and row.value is not None:
                self.buffers[row.item].add(row.observed_at, row.value)
                touched.add(row.item)
                if row.item in ("systolic_bp", "diastolic_bp"):
                    self._pair_bp(row)
            elif row.item in STEP_ITEMS or row.item in RATE_ITEMS or row.item in MARKER_DRUGS:
                self._file_step_row(row)
                steps = True
            if row.extreme:
                self._flagged.setdefault(row.item, []).append(row)
                touched.add("flagged")
        for item in touched - {"flagged"}:
            self._set_curve(item)
        if touched & {"systolic_bp", "diastolic_bp"}:
            self.curves["map"].setData(self._map.t, self._map.v)
        if steps:
            self._redraw_steps()
        if "flagged" in touched:
            self._redraw_flagged()
        if self.follow_live:
            self.apply_range()

    def rows_entered_in_error(self, row_ids: Iterable[int]) -> None:
        """A correction took rows out: re-read just those items, and show the old points as x."""
        items: set[str] = set()
        for row_id in row_ids:
            row = self.store.row(row_id)
            if row is None or row.patient_id != self.patient.id:
                continue
            items.add(row.item)
            self._flagged.setdefault(row.item, []).append(row)
        for item in items & set(self.buffers):
            since = self._history_before  # still deferred: keep to the first read's span
            self.buffers[item].replace(*self.store.series(self.patient.id, item, since=since))
            self._set_curve(item)
        if items & {"systolic_bp", "diastolic_bp"}:
            self._rebuild_map()
        if items & {*STEP_ITEMS, *RATE_ITEMS, *MARKER_DRUGS}:
            gone = set(row_ids)
            for rows in (self._device_rows, self._flow_rows, self._pressor_rows, self._drug_rows):
                rows[:] = [r for r in rows if r.id not in gone]
            self._redraw_steps()
        self._redraw_flagged()

    def _set_curve(self, item: str) -> None:
        """Hand the buffer to its curve; a dot on each value unless it is a monitor feed."""
        buf, curve = self.buffers[item], self.curves[item]
        # Thousands of dots cost more to draw than the line and show nothing more; nor do
        # dots a minute apart (a monitor feed, even when only its last day is read yet).
        n = len(buf)
        spaced = n < 2 or (buf.t[-1] - buf.t[0]) / (n - 1) >= MONITOR_SPACING_S
        wanted = "o" if n <= DOTS_UP_TO and spaced else None
        if curve.opts["symbol"] != wanted:
            curve.setSymbol(wanted)
        curve.setData(buf.t, buf.v)

    def _pair_bp(self, row: ChartedRow) -> None:
        """MAP is drawn where a systolic and a diastolic were charted at the same time."""
        pending = self._pending_bp.setdefault(row.observed_at, {})
        pending[row.item] = float(row.value or 0)
        if len(pending) == 2:
            self._map.add(
                row.observed_at,
                mean_arterial_pressure(pending["systolic_bp"], pending["diastolic_bp"]),
            )
            del self._pending_bp[row.observed_at]

    def _rebuild_map(self) -> None:
        s, d = self.buffers["systolic_bp"], self.buffers["diastolic_bp"]
        both, i, j = np.intersect1d(s.t, d.t, assume_unique=False, return_indices=True)
        mean = mean_arterial_pressure(s.v[i], d.v[j])  # type: ignore[arg-type]  # element-wise
        self._map = SeriesBuffer(both, mean)  # type: ignore[arg-type]
        # A half pair still waits for its other half, which may come live after a rebuild
        # (the history joining, a correction): clearing them lost that MAP point.
        self._pending_bp = {}
        for item, half, other in (("systolic_bp", s, d), ("diastolic_bp", d, s)):
            alone = ~np.isin(half.t, other.t)
            for at, value in zip(half.t[alone].tolist(), half.v[alone].tolist(), strict=True):
                self._pending_bp.setdefault(at, {})[item] = value
        self.curves["map"].setData(self._map.t, self._map.v)

    # -- decorations: oxygen band, pressor periods, drug markers, flagged points --------

    def _clear_decorations(self) -> None:
        for plot, item in self._decorations:
            plot.removeItem(item)
        self._decorations.clear()

    def _decorate(self, key: str, item: pg.GraphicsObject) -> None:
        self.plots[key].addItem(item)
        self._decorations.append((self.plots[key], item))

    def _label(
        self, key: str, x: float, y: float, words: str, anchor: tuple[float, float] = (0, 1)
    ) -> None:
        text = pg.TextItem(words, color=theme.PLOT_FOREGROUND, anchor=anchor)
        font = QFont()
        font.setPointSize(10)
        text.setFont(font)
        text.setPos(x, y)
        self._decorate(key, text)

    def _redraw_steps(self) -> None:
        self._clear_decorations()
        now = max(self.clock(), self._latest_time() or 0.0)
        self._draw_oxygen(now)
        self._draw_pressors(now)
        self._draw_drugs()

    def _draw_oxygen(self, now: float) -> None:
        course = oxygen_course(
            OxygenCharted(r.observed_at, r.item, r.value, r.text)
            for r in (*self._device_rows, *self._flow_rows)
        )
        labels: list[tuple[float, int, str]] = []
        for state in course:
            device = state.device or "room_air"
            words = DEVICE_SHORT.get(device, device.replace("_", " "))
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
        # Each label ends where its step ends (the next change, or now): none runs past
        # the right edge, where the view follows and the latest change is.
        ends = [at for at, _level, _words in labels[1:]] + [now] if labels else []
        for (_at, level, words), end in zip(labels, ends, strict=True):
            self._label("oxygen", end, level + 0.15, words, anchor=(1, 1))
        if course:
            xs = [state.time for state in course] + [now]
            ys = [state.band for state in course]
            ys.append(ys[-1])
            # Steps: each level holds until the next change.
            x = np.repeat(np.asarray(xs), 2)[1:]
            y = np.repeat(np.asarray(ys, dtype=float), 2)[:-1]
            self.curves["o2_level"].setData(x, y)
        else:
            self.curves["o2_level"].setData([], [])

    def _draw_pressors(self, now: float) -> None:
        """Shade each period a vasopressor ran, labelled with the drug and the rate."""
        by_drug: dict[str, list[ChartedRow]] = {}
        for row in sorted(self._pressor_rows, key=lambda r: (r.observed_at, r.id)):
            by_drug.setdefault(row.item, []).append(row)
        top = 190.0
        for n, (drug, rows) in enumerate(sorted(by_drug.items())):
            start: float | None = None
            y = top - 12 * n
            for index, row in enumerate(rows):
                rate = row.value or 0.0
                if rate > 0:
                    if start is None:
                        start = row.observed_at
                    words = f"{drug} {rate:g} {unit_shown(drug)}"
                    if index == len(rows) - 1:
                        # Running now: the rate ends at now, inside the right edge (as oxygen).
                        self._label("bp", now, y, words, anchor=(1, 1))
                    else:
                        self._label("bp", row.observed_at, y, words)
                elif start is not None:
                    self._shade(start, row.observed_at)
                    start = None
            if start is not None:
                self._shade(start, now)

    def _shade(self, start: float, end: float) -> None:
        region = pg.LinearRegionItem(
            (start, end), movable=False, brush=theme.PRESSOR_SHADE, pen=pg.mkPen(None)
        )
        region.setZValue(-10)
        self._decorate("bp", region)

    def _draw_drugs(self) -> None:
        """Drugs given and day 0 as vertical markers across every plot."""
        marks = [
            (r.observed_at, f"{r.item} {r.value:g} {unit_shown(r.item)}") for r in self._drug_rows
        ]
        if self.patient.infusion_time is not None:
            marks.append((self.patient.infusion_time, "day 0: CAR-T infusion"))
        marks.sort()
        for n, (at, words) in enumerate(marks):
            for key in self.plots:
                line = pg.InfiniteLine(
                    at,
                    angle=90,
                    pen=pg.mkPen(theme.DRUG_MARKER_COLOUR, width=1.5, style=Qt.PenStyle.DotLine),
                    label=words if key == "temperature" else None,
                    labelOpts={  # staggered so neighbouring doses stay readable
                        "position": (0.97, 0.78, 0.59)[n % 3],
                        "color": theme.PLOT_FOREGROUND,
                        "anchors": [
                            (1, 0),
                            (1, 0),
                        ],  # left of the line: recent doses sit at the right edge
                    },
                )
                self._decorate(key, line)

    def _redraw_flagged(self) -> None:
        """Extreme values as stars, entered-in-error values as grey crosses."""
        for key, spec in ((s.key, s) for s in PLOTS):
            extreme = [
                (r.observed_at, r.value)
                for item in spec.items
                for r in self._flagged.get(item, [])
                if r.extreme and r.status == "final" and r.value is not None
            ]
            errors = [
                (r.observed_at, r.value)
                for item in spec.items
                for r in self._flagged.get(item, [])
                if r.status != "final" and r.value is not None
            ]
            self.extreme_scatter[key].setData([p[0] for p in extreme], [p[1] for p in extreme])
            self.error_scatter[key].setData([p[0] for p in errors], [p[1] for p in errors])

    # -- range -------------------------------------------------------------------------

    def _latest_time(self) -> float | None:
        times = [b.last_time() for b in self.buffers.values() if len(b)]
        return max((t for t in times if t is not None), default=None)

    def set_span(self, hours: float | None) -> None:
        self.span_h = hours
        if hours is None or hours > FIRST_READ_H:
            self.load_history()  # the span reaches back past the first read (once)
        self.apply_range()

    def set_range(self, start: float, end: float) -> None:
        self.span_h = None
        self.follow_live = False
        self.plots["temperature"].setXRange(start, end, padding=0.01)

    def apply_range(self) -> None:
        latest = self._latest_time()
        end = max(latest or 0.0, self.clock()) if self.follow_live else (latest or self.clock())
        if self.span_h is None:
            start = min((b.t[0] for b in self.buffers.values() if len(b)), default=end - HOUR)
            if self.patient.infusion_time is not None:
                start = min(start, self.patient.infusion_time)
        else:
            start = end - self.span_h * HOUR
        plot = self.plots["temperature"]
        plot.setXRange(start, end + 0.02 * (end - start), padding=0)
        for spec in PLOTS:  # fit each y axis to what is in view
            if spec.items:
                self._fit_y(spec, start, end)

    def _fit_y(self, spec: PlotSpec, start: float, end: float) -> None:
        lows, highs = [], []
        for item in spec.items:
            buf = self.buffers[item]
            i, j = np.searchsorted(buf.t, [start, end + 1])
            if j > i:
                lows.append(float(buf.v[i:j].min()))
                highs.append(float(buf.v[i:j].max()))
        if not lows:
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
        pad = 0.08 * (high - low or 1.0)
        self.plots[spec.key].setYRange(low - pad, high + pad, padding=0)

    def show_plot(self, key: str, shown: bool) -> None:
        self.plots[key].setVisible(shown)
        self._last_visible_bottom()

    def set_ferritin_log(self, log: bool) -> None:
        self.plots["ferritin"].setLogMode(y=log)

    # -- hover and click ---------------------------------------------------------------

    def _nearest(self, scene_pos: QPointF) -> tuple[str, float, float] | None:
        """(item, time, value) of the charted point nearest the pointer, within 20 px."""
        for spec in PLOTS:
            plot = self.plots[spec.key]
            if not plot.isVisible() or not plot.sceneBoundingRect().contains(scene_pos):
                continue
            vb = plot.getViewBox()
            best: tuple[float, str, float, float] | None = None
            for item in spec.items:
                buf = self.buffers[item]
                index = buf.nearest(vb.mapSceneToView(scene_pos).x())
                if index is None:
                    continue
                point = vb.mapViewToScene(QPointF(buf.t[index], buf.v[index]))
                distance = (point - scene_pos).manhattanLength()
                if distance <= 20 and (best is None or distance < best[0]):
                    best = (distance, item, float(buf.t[index]), float(buf.v[index]))
            if best:
                return best[1], best[2], best[3]
        return None

    def describe_point(self, item: str, at: float) -> str:
        """'Temperature 38.4 °C at 24 Nov 14:32, charted by RN Demo' from the stored row."""
        rows = self.store.rows(self.patient.id, items=[item], since=at, until=at)
        if not rows:
            return ""
        lines = []
        for row in rows:
            # '38.9 °C (102 °F)': read as charted, never '38.8889' (vocabulary.value_text).
            value = value_text(item, row.value, row.text, row.written_value, row.written_unit)
            line = f"{ITEMS[item].label} {value} at {_clock(row.observed_at)}"
            line += f"\ncharted by {row.charted_by}"
            if row.extreme:
                line += "\n★ extreme value, confirmed when charted"
            if row.entered_in_error:
                line += f"\n✗ ENTERED IN ERROR: {row.error_reason} ({row.error_by})"
            lines.append(line)
        return "\n".join(lines)

    def _hover(self, scene_pos: QPointF) -> None:
        found = self._nearest(scene_pos)
        if found is None:
            QToolTip.hideText()
            return
        words = self.describe_point(found[0], found[1])
        global_pos = self.view.mapToGlobal(self.view.mapFromScene(scene_pos))
        QToolTip.showText(global_pos, words, self.view)

    def _clicked(self, event: Any) -> None:  # pyqtgraph MouseClickEvent
        found = self._nearest(event.scenePos())
        if found is not None and event.double():
            self.point_clicked.emit(found[0], found[1])
