"""The plots' controls of the main window: the spans beside the Plots and Chart table tabs,
and the View menu (follow live, the extra plots, ferritin's log scale).

A mixin of MainWindow (kept apart so each module reads in one sitting).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from PySide6.QtGui import QAction
from PySide6.QtWidgets import QButtonGroup, QHBoxLayout, QMainWindow, QPushButton, QWidget

from crs_desktop.app.shifts import current_shift

if TYPE_CHECKING:
    from crs_desktop.ui.plot_stack import PlotStack

    _Window = QMainWindow
else:
    _Window = object  # the real base comes with MainWindow

RANGES = (("This shift", "shift"), ("24 h", 24.0), ("72 h", 72.0), ("All", None))


class PlotControls(_Window):
    """The spans and the View menu of the plots."""

    plots: PlotStack
    session: Any
    shift_starts: tuple[str, ...]
    clock: Callable[[], float]
    follow: QAction
    more_plots: QAction
    ferritin_log: QAction

    def _build_view_menu(self) -> None:
        """View: follow live, the heart and resp. rate plots, ferritin on a log scale (out
        of the plots' own rows: a 768-pixel screen needs those rows for the plots)."""
        view_menu = self.menuBar().addMenu("&View")
        self.follow = QAction("Follow live", self)
        self.follow.setCheckable(True)
        self.follow.setChecked(True)
        self.follow.toggled.connect(self._follow)
        view_menu.addAction(self.follow)
        self.more_plots = QAction("Heart and resp. rate plots", self)
        self.more_plots.setCheckable(True)
        self.more_plots.toggled.connect(self._show_more_plots)
        view_menu.addAction(self.more_plots)
        self.ferritin_log = QAction("Ferritin log scale", self)
        self.ferritin_log.setCheckable(True)
        self.ferritin_log.toggled.connect(self._ferritin_log)
        view_menu.addAction(self.ferritin_log)

    def _range_bar(self) -> QWidget:
        """The plots' spans, beside the Plots and Chart table tabs: on a 768-pixel ward
        screen the plots need every row (two rows of controls left each plot 30 pixels);
        Follow live and the extra plots are in the View menu."""
        bar_widget = QWidget()
        bar = QHBoxLayout(bar_widget)
        bar.setContentsMargins(0, 0, 0, 2)
        bar.setSpacing(2)
        group = QButtonGroup(self)
        group.setExclusive(True)
        for n, (label, span) in enumerate(RANGES):
            button = QPushButton(label)
            button.setCheckable(True)
            button.setChecked(span == 24.0)
            button.setObjectName(f"range_{n}")
            button.setStyleSheet("padding: 2px 6px;")
            button.clicked.connect(lambda _checked=False, s=span: self.show_range(s))
            group.addButton(button)
            bar.addWidget(button)
        return bar_widget

    def _show_more_plots(self, shown: bool) -> None:
        if self.session is not None:
            self.plots.show_plot("heart_rate", shown)
            self.plots.show_plot("resp_rate", shown)

    def _ferritin_log(self, on: bool) -> None:
        if self.session is not None:
            self.plots.set_ferritin_log(on)

    def show_range(self, span: float | str | None) -> None:
        self.plots.follow_live = self.follow.isChecked()
        if span == "shift":
            now = self.clock()
            start, _end = current_shift(now, self.shift_starts)
            self.plots.set_span((now - start) / 3600 + 0.25)
        else:
            self.plots.set_span(span if span is None else float(span))

    def _follow(self, on: bool) -> None:
        if self.session is None:
            return
        self.plots.follow_live = on
        if on:
            self.plots.apply_range()
