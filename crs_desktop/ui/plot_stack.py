"""The stacked live plots: temperature, blood pressure, oxygen need, SpO2, CRP, ferritin.

Each curve is created once and fed from a SeriesBuffer with setData; a new
value appends to its buffer and redraws only the curves it touches.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QFont, QPen
from PySide6.QtWidgets import QVBoxLayout, QWidget

from crs_desktop.app.series_buffer import SeriesBuffer
from crs_desktop.domain import thresholds
from crs_desktop.domain.grading.settings import GradingSettings
from crs_desktop.domain.oxygen_course import BAND_NAMES
from crs_desktop.domain.vitals import mean_arterial_pressure
from crs_desktop.domain.vocabulary import DOSE_ITEMS, ITEMS, RATE_ITEMS, Category
from crs_desktop.store import ChartStore, Patient
from crs_desktop.store.records import ChartedRow
from crs_desktop.ui import theme
from crs_desktop.ui.plot_axes import (
    EmptyNote,
    Placed,
    ReadableAxis,
    fit_title_row,
    plot_label,
    shrinkable_title,
)
from crs_desktop.ui.plot_decorations import Decorations, label_font
from crs_desktop.ui.plot_hover import PointHover
from crs_desktop.ui.plot_range import RangeFit

HOUR = 3600.0
DOTS_UP_TO = 2000  # points per series drawn with a dot on each value
MONITOR_SPACING_S = 300.0  # values closer than this on average: a feed, drawn without dots

LEFT_AXIS_PX = 80  # the widest oxygen band name at 10 pt, and the same for every plot
AXIS_POINT_SIZE = 10  # the time axis
# The y axes' numbers: three of them fit a plot 44 pixels high (a 768-pixel screen with an
# overdue strip and a banner leaves each plot about that).
Y_AXIS_POINT_SIZE = 9
TITLE_SIZE = "10pt"
MARKER_DRUGS = frozenset(
    name
    for name in DOSE_ITEMS
    if ITEMS[name].category
    in (Category.ANTICYTOKINE, Category.CORTICOSTEROID, Category.ANTIPYRETIC)
)


@dataclass(frozen=True)
class PlotSpec:
    key: str
    title: str
    items: tuple[str, ...]
    shown_by_default: bool = True


PLOTS = (
    # The fever line is named in the title: a label on the line sat where the latest
    # drug markers' labels are, and one hid the other.
    # Titles short enough for the plot column of a 1280-pixel screen: a longer one was cut
    # ("(shaded: vas").
    # "{fever}": the fever line of domain/thresholds.py, filled in when the plot is made.
    PlotSpec("temperature", "Temperature °C  ╍ fever {fever}", ("temperature",)),
    PlotSpec(
        "bp",
        "BP mmHg ━ systolic ╍ diastolic ┈ MAP ▒ pressor",
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
# What a round of observations charts: the oxygen step and a running vasopressor are
# known to hold until the latest of these (not until now).
PLOTTED_ITEMS = (*CURVE_ITEMS, *STEP_ITEMS, *sorted(RATE_ITEMS))
_DASH = {
    "solid": Qt.PenStyle.SolidLine,
    "dash": Qt.PenStyle.DashLine,
    "dot": Qt.PenStyle.DotLine,
}


def _pen(key: str, width: float = 2.5) -> QPen:
    colour, dash = theme.SERIES_STYLE[key]
    pen: QPen = pg.mkPen(colour, width=width, style=_DASH[dash])
    return pen


# Read before the window shows: the default 24 h view and a margin; the rest follows.
FIRST_READ_H = 26.0
HISTORY_AFTER_PAINT_MS = 0


class PlotStack(RangeFit, Decorations, PointHover, QWidget):
    """Stacked plots sharing one local-time axis; follows the newest value when asked."""

    specs = PLOTS
    step_items = STEP_ITEMS
    first_read_h = FIRST_READ_H

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
        self._labels = {}
        # The latest time each plotted item was charted (the whole chart, not only what
        # is read yet): the empty plots say when, and the steps end there.
        self._last_charted: dict[str, float] = {}
        self.notes: dict[str, EmptyNote] = {}
        self.note_font = label_font()
        self.history_held = False

        pg.setConfigOptions(antialias=True, background=theme.PLOT_BACKGROUND, exitCleanup=False)
        self.view = pg.GraphicsLayoutWidget()
        self.view.ci.setSpacing(0)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.view)
        self._build_plots()
        self._load()
        # The words beside the curves are laid out for the pixels each plot has.
        for plot in self.plots.values():
            plot.getViewBox().sigResized.connect(lambda _vb: self._resized())
        self.plots["temperature"].getViewBox().sigXRangeChanged.connect(
            lambda _vb, _range: self.relayout_labels()
        )
        # The older history is read once the plots have painted (see _load).
        self.view.viewport().installEventFilter(self)
        self.view.scene().sigMouseMoved.connect(self._hover)
        self.view.scene().sigMouseClicked.connect(self._clicked)

    # -- building ----------------------------------------------------------------

    def _build_plots(self) -> None:
        axis_font = QFont()
        axis_font.setPointSize(AXIS_POINT_SIZE)
        y_font = QFont()
        y_font.setPointSize(Y_AXIS_POINT_SIZE)
        first: pg.PlotItem | None = None
        for row, spec in enumerate(PLOTS):
            date_axis = pg.DateAxisItem(orientation="bottom")
            plot = self.view.addPlot(
                row=row, col=0, axisItems={"bottom": date_axis, "left": ReadableAxis("left")}
            )
            shrinkable_title(plot, TITLE_SIZE)
            title = spec.title.format(fever=thresholds.fever_words())
            plot.setTitle(title, size=TITLE_SIZE, color=theme.PLOT_FOREGROUND, justify="left")
            fit_title_row(plot)
            self.notes[spec.key] = EmptyNote(
                plot.getViewBox(), self.note_font, theme.PLOT_FOREGROUND
            )
            plot.showGrid(x=True, y=True, alpha=0.15)
            plot.setMenuEnabled(False)
            plot.setMouseEnabled(x=True, y=False)
            plot.setClipToView(True)
            plot.setDownsampling(auto=True, mode="peak")
            for name in ("left", "bottom"):
                axis = plot.getAxis(name)
                axis.setTickFont(axis_font if name == "bottom" else y_font)
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
                thresholds.FEVER_C,
                angle=0,
                pen=pg.mkPen(theme.THRESHOLD_COLOUR, width=1.5, style=Qt.PenStyle.DashLine),
            )
        )
        threshold = self.settings.systolic_threshold
        self.plots["bp"].addItem(
            pg.InfiniteLine(
                threshold,
                angle=0,
                pen=pg.mkPen(theme.THRESHOLD_COLOUR, width=1.5, style=Qt.PenStyle.DashLine),
            )
        )
        # Its words at the right edge, laid out with the vasopressor labels (one hid the
        # other there).
        words = f"systolic < {threshold:g}"
        self.threshold_label = plot_label(words, theme.THRESHOLD_COLOUR, label_font())
        self.plots["bp"].addItem(self.threshold_label, ignoreBounds=True)
        self._fixed = Placed(0.0, words, self.threshold_label, [threshold])
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
        self._last_charted = self.store.latest_times(pid, PLOTTED_ITEMS)
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
        known = self.known_until()
        for row in rows:
            if row.item in PLOTTED_ITEMS and row.observed_at > self._last_charted.get(
                row.item, -np.inf
            ):
                self._last_charted[row.item] = row.observed_at
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
        # The oxygen step and a running vasopressor reach the latest charting.
        if steps or (self.known_until() != known and self._steps_drawn()):
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
        self._last_charted = self.store.latest_times(self.patient.id, PLOTTED_ITEMS)
        if items & {*STEP_ITEMS, *RATE_ITEMS, *MARKER_DRUGS, *PLOTTED_ITEMS}:
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

    # -- what the mixins ask of the stack ----------------------------------------------

    def fixed_labels(self, key: str) -> list[Placed]:
        """The threshold's words, at the right edge of the blood pressure plot."""
        if key != "bp":
            return []
        if self.notes["bp"].isVisible():  # nothing in view: the note says so, alone
            self.threshold_label.hide()
            return []
        self._fixed.at = self.plots["bp"].getViewBox().viewRange()[0][1]
        return [self._fixed]

    def _infusion_time(self) -> float | None:
        return self.patient.infusion_time

    def _steps_drawn(self) -> bool:
        return bool(self._device_rows or self._flow_rows or self._pressor_rows)

    def show_plot(self, key: str, shown: bool) -> None:
        self.plots[key].setVisible(shown)
        self._last_visible_bottom()

    def set_ferritin_log(self, log: bool) -> None:
        self.plots["ferritin"].setLogMode(y=log)
