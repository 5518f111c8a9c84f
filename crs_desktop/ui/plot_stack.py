"""The stacked live plots: temperature, blood pressure, oxygen need, SpO2, CRP, ferritin.

Each curve is created once and fed from a SeriesBuffer with setData; a new
value appends to its buffer and redraws only the curves it touches. The time range and
the y axes follow once per turn of the event loop, however many changes came in it,
and the live range moves on in steps under a pixel wide, so a new value repaints its
own plot only (issue 17).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QFont, QPaintEvent, QPen
from PySide6.QtWidgets import QGraphicsItem, QVBoxLayout, QWidget

from crs_desktop.app.plot_data import (
    CURVE_ITEMS,
    FIRST_READ_H,
    PLOTS,
    STEP_ITEMS,
    PlotChange,
    PlotData,
)
from crs_desktop.app.records import ChartedRow, ChartStore, Patient
from crs_desktop.app.series_buffer import SeriesBuffer
from crs_desktop.domain import thresholds
from crs_desktop.domain.grading.settings import GradingSettings
from crs_desktop.domain.oxygen_course import BAND_NAMES
from crs_desktop.domain.vocabulary import ITEMS
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
_DASH = {
    "solid": Qt.PenStyle.SolidLine,
    "dash": Qt.PenStyle.DashLine,
    "dot": Qt.PenStyle.DotLine,
}


# What a curve costs to paint (issue 17, a 30-day monitor chart, 1,440 jagged points a
# curve in the 24 h view): ~25 ms with the 2.5 px antialiased pen, ~1 ms with a 1 px pen
# (Qt's fast path for thin lines). A curve with more points than this in view is a feed
# drawn as a dense band, where the wide pen shows nothing more: it gets the thin pen in
# the same colour and dash; a chart charted by hand (a few values an hour) keeps the
# styled pen.
STYLED_UP_TO = 300
PLAIN_WIDTH = 1.0
STYLED_WIDTH = {"map": 2.0}  # the rest 2.5


def _pen(key: str, width: float = 2.5) -> QPen:
    colour, dash = theme.SERIES_STYLE[key]
    pen: QPen = pg.mkPen(colour, width=width, style=_DASH[dash])
    return pen


class CurveView(pg.GraphicsLayoutWidget):  # type: ignore[misc]  # pyqtgraph is untyped
    """The plots' view; `on_paint` (the trace's, ui/trace.py) is told after each real
    paint of the viewport, where the curves are drawn."""

    on_paint: Callable[[], None] | None = None

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 (Qt's name)
        super().paintEvent(event)
        if self.on_paint is not None:
            self.on_paint()


HISTORY_AFTER_PAINT_MS = 0


class PlotStack(RangeFit, Decorations, PointHover, QWidget):
    """Stacked plots sharing one local-time axis; follows the newest value when asked."""

    specs = PLOTS
    step_items = STEP_ITEMS
    first_read_h = FIRST_READ_H

    point_clicked = Signal(str, float)  # item, time: for a correction from the plot

    def __init__(
        self,
        data: PlotData | ChartStore,
        patient: Patient,
        settings: GradingSettings | None = None,
        clock: Callable[[], float] = time.time,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        # Fed by the core's PlotData (the window's session keeps it current); given a
        # store, the stack keeps its own (a plot alone, as the tests and benches make).
        if not isinstance(data, PlotData):
            data = PlotData(data, patient.id, clock, FIRST_READ_H)
        self.data = data
        self.patient = patient
        self.settings = settings or GradingSettings()
        self.clock = clock
        self.follow_live = True
        self.span_h: float | None = 24.0  # None: all
        self.curves: dict[str, pg.PlotDataItem] = {}
        self.plots: dict[str, pg.PlotItem] = {}
        self._decorations: dict[str, list[tuple[pg.PlotItem, pg.GraphicsObject]]] = {}
        self._labels = {}
        self._drawn: dict[str, tuple[object, ...]] = {}
        self._drawing = ""
        self.notes: dict[str, EmptyNote] = {}
        self.note_font = label_font()
        self.history_held = False
        self._plain: dict[str, bool] = {}  # the curves drawn with the thin pen now
        # The range and the y axes, fitted once per turn of the event loop (show_change).
        self._fit_later = QTimer(self)
        self._fit_later.setSingleShot(True)
        self._fit_later.setInterval(0)
        self._fit_later.timeout.connect(self.apply_range)

        pg.setConfigOptions(antialias=True, background=theme.PLOT_BACKGROUND, exitCleanup=False)
        self.view = CurveView()
        self.view.ci.setSpacing(0)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.view)
        self._build_plots()
        self._draw_all()
        # The words beside the curves are laid out for the pixels each plot has.
        for plot in self.plots.values():
            plot.getViewBox().sigResized.connect(lambda _vb: self._resized())
        self.plots["temperature"].getViewBox().sigXRangeChanged.connect(self._x_range_changed)
        # The older history is read once the plots have painted (see eventFilter).
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
                # Kept as a pixmap, drawn again only when the axis changes: its grid spans
                # the plot, so every curve's repaint replayed its ticks, grid and words
                # (about half of a whole repaint's CPU time on the demo chart).
                axis.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)
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

    # -- the data, as the mixins read it (the core's PlotData) -------------------------

    @property
    def buffers(self) -> dict[str, SeriesBuffer]:  # the tests and the benches read these
        return self.data.buffers

    @property
    def _map(self) -> SeriesBuffer:
        return self.data.map

    @property
    def _history_before(self) -> float | None:
        return self.data.history_before

    def _draw_all(self) -> None:
        """Every curve, MAP, the steps and the flagged points, as the data holds them."""
        for item in CURVE_ITEMS:
            self._set_curve(item)
        self._set_map()
        self._redraw_steps()
        self._redraw_flagged()
        self.apply_range()

    def _x_range_changed(self, _vb: object, _range: object) -> None:
        self._fit_pens()
        self.relayout_labels()

    def _fit_pens(self) -> None:
        for item in self.curves:
            if item != "o2_level":  # a step of a few points: always the styled pen
                self._fit_pen(item)

    def _fit_pen(self, item: str) -> None:
        """The thin pen for a curve with more than STYLED_UP_TO points in view."""
        buf = self._map if item == "map" else self.buffers[item]
        start, end = self.plots["temperature"].getViewBox().viewRange()[0]
        first, last = np.searchsorted(buf.t, (start, end))
        plain = bool(last - first > STYLED_UP_TO)
        if self._plain.get(item) == plain:
            return
        self._plain[item] = plain
        curve = self.curves[item]
        curve.opts["antialias"] = curve.curve.opts["antialias"] = not plain
        curve.setPen(_pen(item, PLAIN_WIDTH if plain else STYLED_WIDTH.get(item, 2.5)))

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
        if not self.data.load_history():
            return
        for item in CURVE_ITEMS:
            self._set_curve(item)
        self._set_map()
        self._redraw_flagged()
        self.apply_range()

    # -- live updates --------------------------------------------------------------

    def add_rows(self, rows: Iterable[ChartedRow]) -> None:
        """New committed rows for a stack that keeps its own data (the window's session
        feeds its PlotData itself and sends show_change)."""
        self.show_change(self.data.add_rows(rows))

    def show_change(self, change: PlotChange) -> None:
        """Redraw only what the new values touched (the core already holds them).

        The curves take their data at once (cheap: the drawing waits for the paint, which
        Qt does once per turn of the event loop); the range and the y axes follow once,
        after every change of this turn."""
        for item in change.curves:
            self._set_curve(item)
        if change.map or change.curves & {"systolic_bp", "diastolic_bp"}:
            self._set_map()
        if change.steps:
            self._redraw_steps()
        if change.flagged:
            self._redraw_flagged()
        if self.follow_live and not self._fit_later.isActive():
            self._fit_later.start()

    def _set_map(self) -> None:
        self.curves["map"].setData(self._map.t, self._map.v)
        self._fit_pen("map")

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
        self._fit_pen(item)

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

    def show_plot(self, key: str, shown: bool) -> None:
        self.plots[key].setVisible(shown)
        self._last_visible_bottom()

    def set_ferritin_log(self, log: bool) -> None:
        self.plots["ferritin"].setLogMode(y=log)
