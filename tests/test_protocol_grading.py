"""The ward protocol's [grading] numbers reach the window and the handover, as they reach
`crs-desktop grade --protocol` (issue 15 item 4); a bad [grading] table is refused whole."""

from __future__ import annotations

import re
from datetime import UTC

import pyqtgraph as pg
import pytest

from crs_desktop.domain.protocol import ProtocolError, parse_protocol
from crs_desktop.report.handover_data import build_handover
from crs_desktop.resources_path import default_protocol_path
from crs_desktop.store import ChartStore, Entry
from crs_desktop.ui.app import dispose
from crs_desktop.ui.main_window import MainWindow

NOW = 1_795_176_000.0  # 2026-11-20T12:00:00Z
HOUR = 3600.0
GRADING = """
[grading.hypotension]
systolic_below_mmhg = 95
map_below_mmhg = 65
source = "ward decision 2026-12: systolic below 95 mmHg counts as hypotension"
"""


def without_hypotension_table(text: str) -> str:
    """The shipped protocol without its [grading.hypotension] table, for a test's own."""
    return re.sub(r"\n\[grading\.hypotension\]\n.*?\n\n", "\n", text, count=1, flags=re.S)


def ward_protocol(extra: str = GRADING):
    text = without_hypotension_table(default_protocol_path().read_text(encoding="utf-8")) + extra
    return parse_protocol(text, "ward.toml")


def test_grading_table_sets_the_numbers_and_keeps_the_other_defaults():
    protocol = ward_protocol()
    assert protocol.grading.systolic_threshold == 95.0
    assert protocol.grading.map_threshold == 65.0 and protocol.grading.news2_scale == 1
    assert ward_protocol("").grading.systolic_threshold == 90.0  # none: REFERENCE.md §1.3


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (
            "\n[grading.hypotension]\nsystolic_below_mmhg = 950\nmap_below_mmhg = 65\nsource = 'x'\n",
            "'systolic_below_mmhg' = 950",
        ),
        ("\n[grading.fever]\nfever_c = 38.5\nsource = 'x'\n", "unknown table \\[grading.fever\\]"),
        (
            "\n[grading.hypotension]\nsystolic_below_mmhg = 90\nmap_below_mmhg = 60\n",
            "'source' must be non-empty text",
        ),
        ("\n[grading.hypotension]\nnews2_scale = 2\nsource = 'x'\n", "unknown field 'news2_scale'"),
    ],
)
def test_bad_grading_table_is_refused_naming_the_line(extra, message):
    with pytest.raises(ProtocolError, match=message) as refused:
        ward_protocol(extra)
    assert "ward.toml line" in str(refused.value)


@pytest.fixture
def store(tmp_path):
    s = ChartStore(tmp_path / "chart.sqlite3", clock=lambda: NOW)
    patient = s.create_patient("MRN-1", "Test, Pat", actor="setup", infusion_time=NOW - 50 * HOUR)
    s.chart(
        patient.id,
        [Entry("temperature", "38.6"), Entry("systolic_bp", "92"), Entry("diastolic_bp", "80")],
        observed_at=NOW - HOUR,
        actor="setup",
    )
    yield s
    s.close()


def test_window_and_handover_grade_by_the_wards_systolic_threshold(store, qtbot):
    protocol = ward_protocol()
    window = MainWindow(store, "RN", clock=lambda: NOW, protocol=protocol)
    qtbot.addWidget(window)
    try:
        window.open_patient_by_mrn("MRN-1")
        # Systolic 92 (MAP 84): below the ward's 95, so ASTCT grade 2 (fever + hypotension).
        qtbot.waitUntil(lambda: window.grading.cards["astct_crs"].badge.text() == "GRADE 2")
        bp = window.plots.plots["bp"]
        lines = [i.value() for i in bp.items if isinstance(i, pg.InfiniteLine) and i.angle == 0]
        assert lines == [95.0]
    finally:
        dispose(window)
    patient = store.patient("MRN-1")
    data = build_handover(
        store,
        patient.id,
        NOW - 12 * HOUR,
        NOW,
        printed_by="RN",
        now=NOW,
        local_tz=UTC,
        protocol=protocol,
    )
    assert next(g for g in data.grades if g.system == "astct_crs").grade == 2
    bp_plot = next(p for p in data.shift_plots if p.key == "bp")
    assert bp_plot.thresholds == ((95.0, "systolic < 95"),)
