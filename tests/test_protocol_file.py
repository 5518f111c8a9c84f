"""A ward's own protocol file: used when good, refused with its line when not, and then the
last good one stays in force (the window says so; the handover is still printed)."""

from __future__ import annotations

import re

import pytest

from crs_desktop.app.demo_course import DEMO_MRN
from crs_desktop.app.protocol_file import ENV_VAR, load_protocol
from crs_desktop.cli import main
from crs_desktop.resources_path import default_protocol_path


@pytest.fixture
def ward_file(tmp_path):
    """A copy of the shipped protocol under the ward's own name, with one dose limit changed."""
    text = default_protocol_path().read_text(encoding="utf-8")
    text = text.replace('name = "crs_desktop default', 'name = "Ward 7B', 1)
    text = text.replace("max_doses_total = 4", "max_doses_total = 2", 1)  # NCCN shortage (§5.1)
    path = tmp_path / "ward.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_without_a_ward_file_the_shipped_protocol_is_used(tmp_path, monkeypatch):
    monkeypatch.delenv(ENV_VAR, raising=False)
    protocol, warning = load_protocol(None, keep_at=tmp_path / "kept.toml")
    assert warning is None and protocol.name.startswith("crs_desktop default")
    assert not (tmp_path / "kept.toml").exists()


def test_a_good_ward_file_is_used_and_kept(ward_file, tmp_path):
    kept = tmp_path / "kept.toml"
    protocol, warning = load_protocol(ward_file, keep_at=kept)
    assert warning is None
    assert protocol.name.startswith("Ward 7B") and protocol.tocilizumab.max_doses_total == 2
    assert kept.exists()


def test_the_environment_names_the_ward_file(ward_file, tmp_path, monkeypatch):
    monkeypatch.setenv(ENV_VAR, str(ward_file))
    protocol, warning = load_protocol(None, keep_at=tmp_path / "kept.toml")
    assert warning is None and protocol.name.startswith("Ward 7B")


def test_a_broken_ward_file_keeps_the_last_good_one_and_names_the_line(ward_file, tmp_path):
    kept = tmp_path / "kept.toml"
    load_protocol(ward_file, keep_at=kept)  # it was good yesterday
    text = ward_file.read_text(encoding="utf-8")
    ward_file.write_text(text.replace("min_interval_h = 8", "min_interval_h = eight", 1))
    line = next(n for n, t in enumerate(text.splitlines(), 1) if t.startswith("min_interval_h"))
    protocol, warning = load_protocol(ward_file, keep_at=kept)
    assert protocol.name.startswith("Ward 7B") and protocol.tocilizumab.max_doses_total == 2
    assert warning is not None
    assert f"{ward_file} line {line}: not valid TOML" in warning
    assert f"Using the last good copy of {ward_file}" in warning


def test_with_no_last_good_copy_the_shipped_protocol_is_used(tmp_path):
    missing = tmp_path / "nowhere.toml"
    protocol, warning = load_protocol(missing, keep_at=tmp_path / "kept.toml")
    assert protocol.name.startswith("crs_desktop default")
    assert warning is not None and "cannot be read" in warning and "protocol shipped" in warning


def test_handover_with_a_refused_protocol_still_prints_and_says_why(
    tmp_path, ward_file, capsys, monkeypatch, qapp, chart_demo
):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))  # the last good copy lives here
    db = tmp_path / "chart.sqlite3"
    chart_demo(db, 62)
    ward_file.write_text(ward_file.read_text().replace("grades = [1]", "grades = [0]", 1))
    out = tmp_path / "handover.pdf"
    code = main(
        ["handover", "--db", str(db), "--patient", DEMO_MRN, "--protocol", str(ward_file)]
        + ["-o", str(out)]
    )
    assert code == 0 and out.stat().st_size > 0
    err = capsys.readouterr().err
    assert re.search(rf"{re.escape(str(ward_file))} line \d+: action 'crs_inform_doctor_g1'", err)
    assert "Using the protocol shipped" in err


def test_the_window_shows_a_refused_protocol_above_the_checklist(
    tmp_path, ward_file, qtbot, monkeypatch, chart_demo
):
    from crs_desktop.store import ChartStore
    from crs_desktop.ui.main_window import MainWindow

    db = tmp_path / "chart.sqlite3"
    chart_demo(db, 62)
    ward_file.write_text(ward_file.read_text().replace('system = "crs"', 'system = "cytokine"', 1))
    protocol, warning = load_protocol(ward_file, keep_at=tmp_path / "kept.toml")
    store = ChartStore(db)
    window = MainWindow(store, "RN Test", protocol=protocol, protocol_warning=warning)
    qtbot.addWidget(window)
    window.open_patient_by_mrn(DEMO_MRN)
    label = window.findChild(type(window.checklist.heading), "protocol_warning")
    assert label is not None and "'system' = 'cytokine'" in label.text()
    # The shipped protocol is in force: the checklist still shows grade 2's actions.
    assert "crs_tocilizumab" in window.checklist.rows
    window.session.close()
    store.close()


def test_the_wards_grading_numbers_reach_the_window_and_the_handover(ward_file, tmp_path, qtbot):
    """[grading.hypotension] of the ward file (REFERENCE.md §1.3a item 1): a MAP of 68 is
    hypotension under a ward's MAP < 70, not under the shipped MAP < 65; the window and the
    handover both grade by the file in force."""
    import time

    from crs_desktop.report.handover_data import build_handover
    from crs_desktop.store import ChartStore
    from crs_desktop.store.records import Entry
    from crs_desktop.ui.app import dispose
    from crs_desktop.ui.main_window import MainWindow

    ward_file.write_text(
        ward_file.read_text().replace("map_below_mmhg = 65", "map_below_mmhg = 70", 1)
    )
    ward, warning = load_protocol(ward_file, keep_at=tmp_path / "kept.toml")
    shipped, _ = load_protocol(None, keep_at=tmp_path / "kept.toml")
    assert warning is None and ward.grading.map_threshold == 70
    store = ChartStore(tmp_path / "chart.sqlite3")
    now = time.time()
    patient = store.create_patient("MRN-7", "Map, Seventy", actor="setup", weight_kg=70.0)
    entries = [Entry("temperature", "38.5"), Entry("systolic_bp", "100"), Entry("diastolic_bp", "52")]
    store.chart(patient.id, entries, observed_at=now - 3600, actor="setup")

    def crs_in_handover(protocol):
        data = build_handover(
            store, patient.id, now - 6 * 3600, now, printed_by="RN", now=now, protocol=protocol
        )
        return next(g for g in data.grades if g.system == "astct_crs")

    assert crs_in_handover(shipped).grade == 1
    by_ward = crs_in_handover(ward)
    assert by_ward.grade == 2
    assert any("MAP 68 mmHg (100/52)" in r and "MAP < 70 mmHg" in r for r in by_ward.reasons)

    window = MainWindow(store, "RN Test", protocol=ward)
    qtbot.addWidget(window)
    window.open_patient_by_mrn("MRN-7")
    card = window.grading.cards["astct_crs"]
    qtbot.waitUntil(lambda: card.badge.text() == "GRADE 2", timeout=5000)
    assert "MAP < 70 mmHg" in card.reasons.text()
    window.session.close()
    dispose(window)
    store.close()
