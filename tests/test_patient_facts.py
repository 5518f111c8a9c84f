"""One source of truth for the patient's facts: a chart imported with a weight and a CAR-T
infusion shows that weight and Day +N in the header and the handover, the same facts the
tocilizumab dose helper computes from."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from PySide6.QtWidgets import QApplication

from crs_desktop.cli import main
from crs_desktop.report.handover_data import build_handover
from crs_desktop.store import ChartStore
from crs_desktop.ui.app import dispose
from crs_desktop.ui.main_window import MainWindow

MRN = "IMP-1"
NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC).timestamp()
INFUSED = datetime(2026, 11, 18, 12, 0, tzinfo=UTC).timestamp()  # day 0: two days before
CSV = """time,item,value,unit,note
2026-11-18T08:00:00Z,weight,80,kg,
2026-11-18T12:00:00Z,car_t_infusion,tisagenlecleucel,,
2026-11-20T11:00:00Z,temperature,38.5,Cel,
2026-11-20T11:00:00Z,systolic_bp,118,mm[Hg],
"""


@pytest.fixture
def store(tmp_path):
    db, chart = tmp_path / "chart.sqlite3", tmp_path / "chart.csv"
    chart.write_text(CSV, encoding="utf-8")
    assert main(["import", str(chart), "--patient", MRN, "--db", str(db), "--by", "RN A"]) == 0
    s = ChartStore(db, clock=lambda: NOW)
    yield s
    s.close()


def test_the_store_reads_the_charted_weight_and_infusion(store):
    patient = store.patient(MRN)
    assert patient.weight_kg is None and patient.infusion_time is None  # not on the record
    facts = store.patient_facts(patient, NOW)
    assert facts.weight_kg == 80.0 == store.weight_at(patient.id, NOW)
    assert facts.infusion_time == INFUSED
    assert facts.car_t_product == "tisagenlecleucel"


def test_header_handover_and_dose_helper_read_the_same_facts(qtbot, store):
    window = MainWindow(store, "RN Test", clock=lambda: NOW)
    qtbot.addWidget(window)
    try:
        window.open_patient_by_mrn(MRN)
        window.show()
        QApplication.processEvents()
        details = window.header.details.text().replace("\u00a0", " ")
        assert "80 kg" in details and "Day +2" in details and "tisagenlecleucel" in details
        assert "weight not recorded" not in details and "infusion time" not in details
        # The dose helper: 8 mg/kg x 80 kg (REFERENCE.md §5.1).
        assert "640 mg for 80 kg" in window.checklist.drugs.text()
        # The infusion marker on the plots: day 0 where the chart says.
        assert window.plots.patient.infusion_time == INFUSED
        data = build_handover(
            store, store.patient(MRN).id, NOW - 12 * 3600, NOW, printed_by="RN Test", now=NOW
        )
        assert data.weight_kg == 80.0
        assert data.day == 2 and data.infusion_time == INFUSED
        assert data.product == "tisagenlecleucel"
    finally:
        dispose(window)
