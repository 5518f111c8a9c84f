"""The window beside the real listener: a value sent over MLLP appears live, and hovering
its point or its table row names where it came from ("from MONITOR (BED7) via HL7, 12:00")."""

from __future__ import annotations

import time

import pytest
from PySide6.QtCore import Qt

from crs_desktop.interop.chart_csv import parse_time
from crs_desktop.store import ChartStore
from crs_desktop.ui.app import dispose
from crs_desktop.ui.main_window import MainWindow
from tests.support.hl7_listener import (
    LISTEN_NOW,
    MRN,
    ZONE,
    msa,
    oru,
    pcd01_obx,
    send,
    start_listener,
)
from tests.test_listen import make_chart

NOW = parse_time(LISTEN_NOW)[0]


@pytest.fixture
def berlin(monkeypatch):
    """The window reads times in the listener's zone (the conftest re-applies TZ after)."""
    monkeypatch.setenv("TZ", ZONE)
    time.tzset()


def test_a_value_from_the_listener_appears_live_and_names_its_source(qtbot, tmp_path, berlin):
    db = tmp_path / "chart.sqlite3"
    make_chart(db)
    store = ChartStore(db, clock=lambda: NOW)
    window = MainWindow(store, "RN Test", clock=lambda: NOW)
    qtbot.addWidget(window)
    listener = start_listener(db)
    try:
        window.open_patient_by_mrn(MRN)
        window.resize(1400, 900)
        window.show()
        ack = send(listener.port, oru("MON-LIVE", pcd01_obx(), sender="MONITOR", facility="BED7"))
        assert msa(ack)[1] == "AA"
        qtbot.waitUntil(lambda: len(window.plots.buffers["spo2"]) == 1, timeout=5000)
        observed = parse_time("2026-11-20T09:50:00+01:00")[0]
        words = window.plots.describe_point("spo2", observed)
        assert "SpO2 93 % at 20 Nov 09:50" in words
        assert "from MONITOR (BED7) via HL7, 12:00" in words
        # The chart table: the same words on hovering the row.
        window.tabs.setCurrentWidget(window.table)
        qtbot.waitUntil(lambda: window.table.model.rowCount() >= 4)
        model = window.table.model
        tips = [
            model.data(model.index(n, 0), Qt.ItemDataRole.ToolTipRole)
            for n in range(model.rowCount())
        ]
        assert "from MONITOR (BED7) via HL7, 12:00" in tips
    finally:
        listener.stop()
        dispose(window)
        store.close()
