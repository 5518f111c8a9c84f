"""Nothing stale shown as now: a chart whose last values are a day old gets plots that say
so (and when it was last charted), sane axes, no oxygen step drawn across today, grades
that say how old their findings are, and no tocilizumab "limit" already past."""

from __future__ import annotations

from datetime import datetime

import pytest
from PySide6.QtGui import QImage, QPainter
from PySide6.QtWidgets import QApplication

from crs_desktop.store import ChartStore
from crs_desktop.ui.app import dispose
from crs_desktop.ui.main_window import MainWindow
from tests.support.demo_chart import HOUR, NOW, chart_demo, chart_old

NURSE = "RN Test"
OLD_MRN = "OLD-1"
LAST = NOW - 30 * HOUR  # the old chart's last values: 1 day 6 h before now


def shown(epoch: float) -> str:
    return datetime.fromtimestamp(epoch).astimezone().strftime("%d %b %H:%M")


@pytest.fixture
def store(tmp_path):
    s = ChartStore(tmp_path / "chart.sqlite3", clock=lambda: NOW)
    chart_demo(s, NOW)
    chart_old(s, OLD_MRN, LAST)
    yield s
    s.close()


# Every test here sees the app's own type and style (the `themed` fixture of conftest.py).
pytestmark = pytest.mark.usefixtures("themed")


def open_window(qtbot, store: ChartStore, mrn: str) -> MainWindow:
    window = MainWindow(store, NURSE, clock=lambda: NOW)
    qtbot.addWidget(window)
    window.open_patient_by_mrn(mrn)
    window.resize(1366, 706)  # a maximised window on a 1366 x 768 ward screen
    window.show()
    qtbot.waitExposed(window)
    QApplication.processEvents()
    return window


def axis_labels(plot) -> list[str]:
    image = QImage(400, 400, QImage.Format.Format_ARGB32)
    painter = QPainter(image)
    try:
        _axis, _ticks, texts = plot.getAxis("left").generateDrawSpecs(painter)
    finally:
        painter.end()
    return [text for _rect, _flags, text in texts]


def test_plots_of_a_day_old_chart_say_so_and_when_it_was_last_charted(qtbot, store):
    window = open_window(qtbot, store, OLD_MRN)
    try:
        plots = window.plots
        last_vitals = shown(LAST)
        for key in ("temperature", "bp", "spo2"):
            note = plots.notes[key]
            assert note.isVisible(), key
            assert note.text() == f"no values in the last 24 h — last charted {last_vitals}"
        # Oxygen last changed at 60.25 h of the course (1.75 h before its last values).
        assert plots.notes["oxygen"].text().endswith(f"last charted {shown(LAST - 1.75 * HOUR)}")
        # Sane axes: at least three round labels, never "2300.2 / 2300.0 / 2299.8".
        for key in ("temperature", "bp", "spo2", "crp", "ferritin"):
            labels = axis_labels(plots.plots[key])
            assert len(labels) >= 3, (key, labels)
            values = sorted(float(v) for v in labels)
            steps = {round(b - a, 6) for a, b in zip(values, values[1:], strict=False)}
            assert len(steps) == 1 and min(steps) >= 1, (key, labels)
        # The oxygen step ends where the chart ends: no "NC 2 L/min" drawn across today.
        x, _y = plots.curves["o2_level"].getData()
        assert x.max() <= LAST
        start = plots.plots["oxygen"].getViewBox().viewRange()[0][0]
        assert x.max() < start  # nothing of it in the last 24 h
    finally:
        dispose(window)


def test_grades_and_banner_say_how_old_the_findings_are(qtbot, store):
    window = open_window(qtbot, store, OLD_MRN)
    try:
        as_of = window.grading.as_of.text()
        assert "NOT CURRENT" in as_of and "1 day 6 h ago" in as_of and shown(LAST) in as_of
        assert window.grading.as_of.property("role") == "error"
        assert window.banner.isVisible()
        assert "NOT CURRENT" in window.banner.text.text()
        assert "1 day 6 h ago" in window.banner.text.text()
        # Tocilizumab was given 31 h ago: its 8 h interval is long past, no limit to show.
        drugs = window.checklist.drugs.text()
        assert "Tocilizumab dose" in drugs
        assert "not before" not in drugs
    finally:
        dispose(window)
    # The demo patient, charted up to now: current, a limit still to come is shown.
    window = open_window(qtbot, store, "DEMO-001")
    try:
        assert "NOT CURRENT" not in window.grading.as_of.text()
        assert "(0 min ago)" in window.grading.as_of.text()
        assert "NOT CURRENT" not in window.banner.text.text()
        assert not window.plots.notes["temperature"].isVisible()
        assert "Next tocilizumab not before" in window.checklist.drugs.text()
    finally:
        dispose(window)
