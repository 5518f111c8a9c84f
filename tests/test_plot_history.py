"""Start-up reads only the last day of each curve; the older history follows after the first
paint and joins it without a gap or a duplicate."""

from __future__ import annotations

import numpy as np
import pytest

from crs_desktop.app.demo_course import DEMO_MRN
from crs_desktop.store import ChartStore, Entry
from crs_desktop.ui.plot_stack import FIRST_READ_H, PlotStack

HOUR = 3600.0


@pytest.fixture
def demo(tmp_path, qtbot, chart_demo, demo_now):
    """The demo patient charted to 62 h (some of it older than the first read), its store
    and a PlotStack on it."""
    db = tmp_path / "chart.sqlite3"
    chart_demo(db, 62)  # its last value at DEMO_NOW (conftest.py)
    store = ChartStore(db, clock=lambda: demo_now)
    patient = store.patient(DEMO_MRN)
    plots = PlotStack(store, patient, clock=lambda: demo_now)
    qtbot.addWidget(plots)
    yield store, patient, plots
    store.close()


def test_history_is_read_after_the_first_day_and_joins_it(demo, qtbot):
    store, patient, plots = demo
    everything, values = store.series(patient.id, "temperature")
    cut = plots.clock() - FIRST_READ_H * HOUR
    first = plots.buffers["temperature"]
    assert len(first) and first.t.min() >= cut
    assert len(first) < len(everything)  # the demo charts 62 h: some is older than the cut
    plots.load_history()
    joined = plots.buffers["temperature"]
    assert np.array_equal(joined.t, everything) and np.array_equal(joined.v, values)
    # The MAP follows the blood pressures of the whole chart too.
    systolic, _ = store.series(patient.id, "systolic_bp")
    assert len(plots._map.t) == len(systolic)
    plots.load_history()  # a second call reads nothing more
    assert len(plots.buffers["temperature"]) == len(everything)


def test_a_narrow_plot_column_keeps_now_in_sight(demo, qtbot):
    """However narrow the column, the plots fit it: a title wider than the column is cut,
    it does not widen the plots past the window (which hid the latest values)."""
    store, patient, plots = demo
    plots.resize(420, 700)
    plots.show()
    qtbot.waitExposed(plots)
    width = plots.view.viewport().width()
    for key, plot in plots.plots.items():
        if plot.isVisible():
            assert plot.vb.sceneBoundingRect().right() <= width, key


def test_half_a_blood_pressure_charted_before_the_history_joins_still_gets_its_map(demo, qtbot):
    store, patient, plots = demo
    at = plots.clock() - 60
    last_id = store.high_water()[0]

    def charted_live(item: str, value: str):
        store.chart(patient.id, [Entry(item, value)], observed_at=at, actor="RN Test")
        rows = store.rows(patient.id, after_id=last_id)
        plots.add_rows([r for r in rows if r.item == item])

    charted_live("systolic_bp", "90")  # half the pair...
    plots.load_history()  # ...the older history joins...
    charted_live("diastolic_bp", "60")  # ...and the other half comes
    assert at in plots._map.t.tolist()
    assert plots._map.v[plots._map.t.tolist().index(at)] == 70  # (90 + 2 × 60) / 3


def test_held_history_waits_for_its_call_or_a_span_that_needs_it(demo, qtbot):
    """A long chart's window holds the older history until its grades are done (see
    MainWindow); asking for a longer span reads it at once."""
    store, patient, plots = demo
    everything, _values = store.series(patient.id, "temperature")
    plots.hold_history()
    plots.show()
    qtbot.waitExposed(plots)
    qtbot.wait(50)  # the first paint, and the event loop after it
    assert len(plots.buffers["temperature"]) < len(everything)
    plots.set_span(24.0)  # within the first read: still held
    assert len(plots.buffers["temperature"]) < len(everything)
    plots.set_span(72.0)
    assert len(plots.buffers["temperature"]) == len(everything)


def test_every_oxygen_band_is_named_on_its_axis(demo, qtbot):
    """The oxygen step needs its band names beside it: pyqtgraph left out those wider than
    the axis or crowded (only "low flow" was drawn in the window)."""
    from PySide6.QtGui import QImage, QPainter

    from crs_desktop.domain.oxygen_course import BAND_NAMES

    store, patient, plots = demo
    plots.resize(756, 745)  # as in a 1600 x 1000 window
    plots.show()
    qtbot.waitExposed(plots)
    axis = plots.plots["oxygen"].getAxis("left")
    image = QImage(200, 200, QImage.Format.Format_ARGB32)
    painter = QPainter(image)
    try:
        _axis, _ticks, texts = axis.generateDrawSpecs(painter)
    finally:
        painter.end()
    assert sorted(text for _rect, _flags, text in texts) == sorted(n for _b, n in BAND_NAMES)
