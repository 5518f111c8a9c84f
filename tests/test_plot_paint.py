"""The plots repaint what changed, once a turn of the event loop, and the trace says when
(issue 17 items 1 and 6): real paint events of the plots' viewport and the grade panel,
not the frame; the curves hold what the store holds after a stream from another process."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import QEvent, QObject
from PySide6.QtGui import QRegion
from PySide6.QtWidgets import QApplication

from crs_desktop.store import ChartStore, Entry
from crs_desktop.ui import trace
from crs_desktop.ui.app import dispose
from crs_desktop.ui.main_window import MainWindow
from crs_desktop.ui.plot_stack import PlotStack

MRN = "MRN-P"
NURSE = "RN Paint"
HOUR = 3600.0
ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def store(tmp_path, demo_now):
    """A patient with three rounds charted by hand in the last six hours."""
    s = ChartStore(tmp_path / "chart.sqlite3")
    patient = s.create_patient(MRN, "Paint, Pat", actor="setup", weight_kg=70.0)
    for hours in (6, 4, 2):
        s.chart(
            patient.id,
            [
                Entry("temperature", "37.2"),
                Entry("spo2", "96"),
                Entry("systolic_bp", "120"),
                Entry("diastolic_bp", "70"),
            ],
            observed_at=demo_now - hours * HOUR,
            actor="setup",
        )
    yield s
    s.close()


@pytest.fixture
def traced(tmp_path, monkeypatch):
    """CRS_DESKTOP_TRACE set to a fresh file; the trace stopped afterwards."""
    path = tmp_path / "trace.jsonl"
    monkeypatch.setenv(trace.ENV, str(path))
    yield path
    trace.stop()


def trace_lines(path: Path, event: str = "change") -> list[dict]:
    if not path.exists():
        return []
    return [r for r in map(json.loads, path.read_text().splitlines()) if r["event"] == event]


def open_window(qtbot, store, clock) -> MainWindow:
    window = MainWindow(store, NURSE, clock=clock)
    qtbot.addWidget(window)
    window.open_patient_by_mrn(MRN)
    window.resize(1366, 706)
    window.show()
    qtbot.waitExposed(window)
    qtbot.waitUntil(lambda: window.session.grades_ready)
    return window


def test_a_value_from_another_writer_is_traced_to_the_real_paints(qtbot, store, traced, demo_now):
    """Fails when the curves are not repainted: plots_painted comes from a paint event of
    the plots' viewport after the change was applied (null when none came)."""
    window = open_window(qtbot, store, lambda: demo_now)
    try:
        qtbot.waitUntil(lambda: bool(trace_lines(traced, "probe")), timeout=5000)  # the probe runs
        with ChartStore(store.path) as other:  # another workstation
            pid = other.patient(MRN).id
            other.chart(
                pid, [Entry("temperature", "37.6")], observed_at=demo_now - 60, actor="RN Other"
            )
            recorded_at = other.rows(pid)[-1].recorded_at
        qtbot.waitUntil(lambda: bool(trace_lines(traced)), timeout=10000)
        (change,) = trace_lines(traced)
        assert change["recorded_at"] == recorded_at
        assert change["plots_painted"] is not None, "the curves were not repainted"
        assert change["grades_changed_on_screen"] is True  # a new value at a new minute
        assert change["grades_painted"] is not None, "the grade panel was not repainted"
        assert recorded_at <= change["picked"] <= change["applied"]
        assert change["applied"] <= change["plots_painted"]
        assert change["applied"] <= change["grades_painted"]
        _x, y = window.plots.curves["temperature"].getData()
        assert y[-1] == 37.6
        for probe in trace_lines(traced, "probe"):
            assert probe["late_ms"] >= 0
    finally:
        dispose(window)


def test_a_value_that_changes_nothing_on_the_grade_panel_is_traced_without_waiting_for_it(
    qtbot, store, traced, demo_now
):
    """A normal value charted between two earlier rounds: the grades and every word of the
    panel stay as they were, so there is no panel paint to wait for. The line says so
    (grades_changed_on_screen false) and is written once the curves have painted, not
    given up on with a null after seconds."""
    window = open_window(qtbot, store, lambda: demo_now)
    try:
        shown = window.grading._on_screen()
        with ChartStore(store.path) as other:
            pid = other.patient(MRN).id
            other.chart(
                pid, [Entry("spo2", "97")], observed_at=demo_now - 5 * HOUR, actor="RN Other"
            )
        qtbot.waitUntil(lambda: bool(trace_lines(traced)), timeout=3000)  # < GIVE_UP_S
        (change,) = trace_lines(traced)
        assert window.grading._on_screen() == shown  # nothing the nurse sees changed
        assert change["grades_changed_on_screen"] is False
        assert change["grades_painted"] is None
        assert change["plots_painted"] is not None and change["applied"] <= change["plots_painted"]
    finally:
        dispose(window)


def test_after_a_stream_from_another_process_the_curves_hold_the_stores_values(
    qtbot, store, traced, demo_now
):
    window = open_window(qtbot, store, lambda: demo_now)
    try:
        count = 80  # 40 temperatures and 40 SpO2 values, a commit each, 30 s apart
        writer = subprocess.run(
            [sys.executable, "-m", "tests.support.stream_writer", str(store.path), MRN]
            + [str(count), repr(demo_now - HOUR), "30"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=120,
            check=True,
        )
        assert writer.stdout.count("committed") == count
        pid = store.patient(MRN).id
        plots = window.plots
        wanted = {item: store.series(pid, item) for item in ("temperature", "spo2")}
        qtbot.waitUntil(
            lambda: all(len(plots.buffers[i]) == len(wanted[i][0]) for i in wanted),
            timeout=10000,
        )
        qtbot.waitUntil(lambda: trace.waiting() == 0, timeout=10000)
        for item, (t, v) in wanted.items():
            curve = plots.curves[item]
            assert np.array_equal(curve.xData, t) and np.array_equal(curve.yData, v), item
            shown_t, shown_v = curve.getData()  # what is drawn: all of it is in view
            assert np.array_equal(shown_t, t) and np.array_equal(shown_v, v), item
        changes = trace_lines(traced)
        assert changes, "no change was traced"
        assert all(c["plots_painted"] is not None for c in changes)
    finally:
        dispose(window)


class Paints(QObject):
    """The regions of the paint events a widget gets."""

    def __init__(self, widget) -> None:
        super().__init__()
        self.regions: list[QRegion] = []
        widget.installEventFilter(self)

    def eventFilter(self, watched, event) -> bool:  # noqa: N802
        if event.type() == QEvent.Type.Paint:
            self.regions.append(QRegion(event.region()))
        return False


def test_changes_in_one_turn_repaint_their_plot_once_and_no_other(qtbot, store, demo_now):
    """Five values in one turn of the event loop, the clock moving on a second with each:
    one paint of the viewport, over the temperature plot only."""
    step = 128.0  # the live range's step in the 24 h view (plot_range.FOLLOW_STEPS)
    now = [math.floor(demo_now / step) * step + 5]  # the five seconds stay inside one step
    patient = store.patient(MRN)
    plots = PlotStack(store, patient, clock=lambda: now[0])
    qtbot.addWidget(plots)
    plots.resize(760, 700)
    plots.show()
    qtbot.waitExposed(plots)
    paints = Paints(plots.view.viewport())
    qtbot.waitUntil(lambda: bool(paints.regions))
    for _ in range(3):
        QApplication.processEvents()
    paints.regions.clear()

    last_id = store.high_water()[0]
    for i in range(5):  # one turn: no event processed between them
        now[0] += 1
        store.chart(
            patient.id,
            [Entry("temperature", f"{37.0 + i / 10:.1f}")],
            observed_at=now[0] - 1,
            actor="RN Test",
        )
        plots.add_rows(store.rows(patient.id, after_id=last_id))
        last_id = store.high_water()[0]
    qtbot.waitUntil(lambda: bool(paints.regions))
    for _ in range(3):
        QApplication.processEvents()
    assert len(paints.regions) == 1
    painted = paints.regions[0]

    def area(key: str):
        vb = plots.plots[key].getViewBox()
        return plots.view.mapFromScene(vb.sceneBoundingRect()).boundingRect().adjusted(1, 1, -1, -1)

    assert painted.intersects(area("temperature"))
    for key in ("bp", "oxygen", "spo2", "crp", "ferritin"):
        assert not painted.intersects(area(key)), f"{key} was repainted"
    _x, y = plots.curves["temperature"].getData()
    assert list(y[-5:]) == [37.0, 37.1, 37.2, 37.3, 37.4]


def test_without_the_variable_nothing_is_traced(qtbot, store, tmp_path, monkeypatch, demo_now):
    """Unset, the trace costs nothing: no tracer (no probe timer, no event filter), and
    the viewport's paints call nothing of it."""
    monkeypatch.delenv(trace.ENV, raising=False)
    window = open_window(qtbot, store, lambda: demo_now)
    try:
        assert not trace.active()
        assert window.plots.view.on_paint is None
        trace.change(1.0, 2.0, 3.0)  # a no-op
        assert trace.waiting() == 0
    finally:
        dispose(window)


def test_a_new_vital_leaves_the_drug_markers_and_the_other_plots_alone(
    qtbot, tmp_path, chart_demo, demo_now
):
    """The demo at 62 h (paracetamol and tocilizumab marked on every plot, oxygen by
    nasal cannula): a temperature charted after the last round moves the oxygen step's
    end, but the drug markers are not drawn again, and CRP, ferritin and SpO2 are not
    repainted."""
    from crs_desktop.app.demo_course import DEMO_MRN

    db = tmp_path / "demo.sqlite3"
    chart_demo(db, 62)
    store = ChartStore(db)
    try:
        patient = store.patient(DEMO_MRN)
        plots = PlotStack(store, patient, clock=lambda: demo_now + 60)
        qtbot.addWidget(plots)
        plots.resize(760, 700)
        plots.show()
        qtbot.waitExposed(plots)
        paints = Paints(plots.view.viewport())
        qtbot.waitUntil(lambda: bool(paints.regions))
        for _ in range(3):
            QApplication.processEvents()
        markers = list(plots._decorations["drugs"])
        assert markers  # the demo's drugs are marked
        paints.regions.clear()

        last_id = store.high_water()[0]
        store.chart(
            patient.id, [Entry("temperature", "38.2")], observed_at=demo_now + 30, actor="RN T"
        )
        plots.add_rows(store.rows(patient.id, after_id=last_id))
        qtbot.waitUntil(lambda: bool(paints.regions))
        for _ in range(3):
            QApplication.processEvents()
        assert plots._decorations["drugs"] == markers  # the same items, not drawn again
        painted = QRegion()
        for region in paints.regions:
            painted = painted.united(region)

        def area(key: str):
            vb = plots.plots[key].getViewBox()
            rect = plots.view.mapFromScene(vb.sceneBoundingRect()).boundingRect()
            return rect.adjusted(1, 1, -1, -1)

        assert painted.intersects(area("temperature"))
        for key in ("spo2", "crp", "ferritin"):
            assert not painted.intersects(area(key)), f"{key} was repainted"
    finally:
        store.close()
