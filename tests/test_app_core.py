"""The chart session core (crs_desktop/app, no Qt): apply(changes) says what changed without
re-reading the chart, a set is reviewed before it is charted, and the widgets paint what
they are sent (the grades; only the checklist rows that changed)."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import replace
from datetime import UTC
from pathlib import Path

import pytest

from crs_desktop.app.demo_course import DEMO_MRN
from crs_desktop.app.protocol_file import default_protocol
from crs_desktop.app.session import ChartSession
from crs_desktop.domain.checklist import DONE, Mark, checklist
from crs_desktop.domain.drug_doses import tocilizumab_status
from crs_desktop.domain.grading import Grader
from crs_desktop.domain.observation import OTHER_CAUSE, Observation
from crs_desktop.store import ChartStore, EntriesRefused, Entry

ROOT = Path(__file__).resolve().parent.parent
NURSE = "RN Test"
HOUR = 3600.0


@pytest.fixture
def core(tmp_path, chart_demo, demo_now):
    """The core on the demo chart to 62 h (tocilizumab given at 61 h), its clock at 62 h."""
    db = tmp_path / "chart.sqlite3"
    chart_demo(db, 62)
    store = ChartStore(db, clock=lambda: demo_now)
    patient = store.patient(DEMO_MRN)
    session = ChartSession(
        store, patient, NURSE, protocol=default_protocol(), clock=lambda: demo_now
    )
    yield session
    store.close()


def test_the_core_imports_without_qt():
    probe = """
import importlib, pkgutil, sys
class Block:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in ("PySide6", "pyqtgraph", "shiboken6"):
            raise ImportError("Qt is blocked in crs_desktop.app")
sys.meta_path.insert(0, Block())
import crs_desktop.app
for module in pkgutil.iter_modules(crs_desktop.app.__path__):
    importlib.import_module("crs_desktop.app." + module.name)
import crs_desktop.app.session
"""
    result = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_apply_says_what_one_new_value_changed_without_reading_the_chart(
    core, demo_now, monkeypatch
):
    before = len(core.plot_data.buffers["temperature"])
    core.chart([Entry("temperature", "39.4")], demo_now)
    changes = core.reader.read()
    # The new value is applied from what the feed read: no series, rows or observations
    # read again (one new value must not cost a read of the chart).
    for name in ("series", "rows", "observations", "latest_times", "flagged_rows"):
        monkeypatch.setattr(core.store, name, lambda *a, _n=name, **k: pytest.fail(_n))
    update = core.apply(changes)
    monkeypatch.undo()
    assert [(r.item, r.value) for r in update.rows] == [("temperature", 39.4)]
    assert update.grades_changed and update.grades == core.grades
    assert update.grades.time == demo_now
    assert update.plot.curves == {"temperature"}
    assert len(core.plot_data.buffers["temperature"]) == before + 1
    assert core.plot_data.buffers["temperature"].v[-1] == 39.4
    assert not core.reader.read()  # nothing new since


def test_a_correction_comes_back_as_the_rows_now_in_error(core, demo_now):
    core.chart([Entry("temperature", "39.4")], demo_now)
    (row,) = core.apply(core.reader.read()).rows
    core.correct(row.id, "wrong patient", None)
    update = core.apply(core.reader.read())
    assert [(r.id, r.entered_in_error, r.error_reason) for r in update.entered_in_error] == [
        (row.id, True, "wrong patient")
    ]
    assert "temperature" in update.plot.curves and update.grades_changed
    assert 39.4 not in core.plot_data.buffers["temperature"].v.tolist()


def test_a_set_is_reviewed_before_it_is_charted(core, demo_now):
    entries = [Entry("temperature", "42.0"), Entry("tocilizumab", "576", "mg")]
    review = core.review_set(entries, demo_now, f"fever of {OTHER_CAUSE}")
    assert [v.item for v in review.extreme] == ["temperature"]  # above the usual 41 °C
    assert review.other_cause_for_all  # one note flags both values
    # Tocilizumab was given an hour ago (the demo at 61 h): the protocol's interval.
    assert any("since the last dose" in w for w in review.tocilizumab_warnings)
    assert review.needs_confirming
    assert core.reader.read().rows == []  # nothing was written
    plain = core.review_set([Entry("heart_rate", "90")], demo_now, "")
    assert not plain.needs_confirming
    with pytest.raises(EntriesRefused, match="temperature"):
        core.review_set([Entry("temperature", "99", "Cel")], demo_now, "")


# -- the widgets paint what they are sent (Qt) ----------------------------------------------


def test_the_grading_panel_and_the_plots_are_fed_by_the_session(
    qtbot, tmp_path, chart_demo, demo_now
):
    from crs_desktop.ui.app import dispose
    from crs_desktop.ui.main_window import MainWindow

    db = tmp_path / "chart.sqlite3"
    chart_demo(db, 62)
    store = ChartStore(db, clock=lambda: demo_now)
    window = MainWindow(store, NURSE, clock=lambda: demo_now)
    qtbot.addWidget(window)
    try:
        window.open_patient_by_mrn(DEMO_MRN)
        earlier = window.session.grader.at(demo_now - 20 * HOUR)
        assert earlier is not None and earlier != window.session.grades
        window.session.grades_changed.emit(earlier)
        assert window.grading.grades is earlier  # not read again from the session
        # The plots are fed by the session's core (one read of the chart, kept current
        # there), not by a store of their own.
        assert window.plots.data is window.session.core.plot_data
        assert not hasattr(window.plots, "store")
    finally:
        dispose(window)
        store.close()


def _items(now: float):
    protocol = default_protocol()
    grader = Grader(local_tz=UTC)
    t0 = now - 4 * HOUR
    grader.add(
        [
            Observation(t0, "temperature", 38.6, id=1),
            Observation(t0 + HOUR, "o2_device", None, "nasal_cannula", id=2),
            Observation(t0 + HOUR, "o2_flow", 2.0, id=3),
        ]
    )
    items = checklist(protocol, grader, [], {}, [], now)
    assert len(items) >= 3
    status = tocilizumab_status([], now, protocol.tocilizumab)
    return items, status


def test_the_checklist_repaints_only_the_rows_that_changed(qtbot, demo_now):
    from crs_desktop.ui.checklist_panel import ChecklistPanel

    panel = ChecklistPanel()
    qtbot.addWidget(panel)
    items, status = _items(demo_now)
    grades = {"astct_crs": 2, "astct_icans": 0}
    first, second, *rest = items
    answered = replace(first, mark=Mark(first.action.key, DONE, demo_now, demo_now, NURSE))
    items = [answered, second, *rest]
    panel.show_checklist(items, grades, status, "560 mg for 70 kg", (), demo_now)
    rows = dict(panel.rows)
    # Only the drug lines change (a weight charted): no row is painted again.
    panel.show_checklist(items, grades, status, "576 mg for 72 kg", (), demo_now)
    assert panel.rows == rows
    assert "576 mg" in panel.drugs.text()
    # One answered action answered again later: that row alone is new.
    again = replace(answered, mark=Mark(first.action.key, DONE, demo_now, demo_now, "RN Two"))
    panel.show_checklist([again, second, *rest], grades, status, "576 mg", (), demo_now)
    changed = {key for key in rows if panel.rows[key] is not rows[key]}
    assert changed == {first.action.key}
    assert "RN Two" in panel.rows[first.action.key].state.text()
