"""`crs-desktop migrate`: a ward's chart file moved to the ward server, all of it."""

from __future__ import annotations

import pytest

from crs_desktop.cli import main
from crs_desktop.store import ChartStore, Entry

TABLES = ("patients", "observations", "events", "audit")


@pytest.fixture
def ward_file(tmp_path, chart_demo, demo_now):
    """The demo patient (62 h, tocilizumab, checklist marks) and a second patient with a
    corrected value: every kind of row."""
    db = tmp_path / "ward.sqlite3"
    chart_demo(db, 62)
    with ChartStore(db, clock=lambda: demo_now) as store:
        p = store.create_patient("MRN-2", "Second, Sam", actor="RN A", weight_kg=81.5)
        (wrong,) = store.chart(
            p.id,
            [Entry("temperature", "101.3", "degF", "axilla")],
            observed_at=demo_now - 600,
            actor="RN A",
            utc_offset_min=330,
        )
        store.mark_entered_in_error(
            wrong, reason="wrong patient", actor="RN B", replacement=Entry("temperature", "37.1")
        )
    return db


def export(db, mrn, out):
    assert main(["export", "--patient", mrn, "-o", str(out), "--db", str(db)]) == 0
    return out.read_bytes()


def everything(target):
    with ChartStore(target) as store:
        return {t: store.conn.execute(f"SELECT * FROM {t} ORDER BY id").fetchall() for t in TABLES}


def test_migrate_copies_everything_and_each_export_is_byte_identical(
    ward_file, pg_cluster, tmp_path, capsys
):
    url = pg_cluster.new_database()
    before = {
        mrn: export(ward_file, mrn, tmp_path / f"{mrn}-file.csv") for mrn in ("DEMO-001", "MRN-2")
    }
    capsys.readouterr()
    assert main(["migrate", "--from", str(ward_file), "--to", url]) == 0
    said = capsys.readouterr().out
    assert "copied 2 patients" in said and "every row read back identical" in said
    for mrn, content in before.items():
        assert export(url, mrn, tmp_path / f"{mrn}-server.csv") == content
    assert everything(url) == everything(ward_file)  # ids, who, when, corrections, audit
    # The server goes on from there: the next ids follow the copied ones.
    with ChartStore(url) as store:
        patient = store.patient("MRN-2")
        last = store.high_water()
        (new,) = store.chart(
            patient.id, [Entry("spo2", "97")], observed_at=store.clock() - 5, actor="RN C"
        )
        assert new == last[0] + 1 and store.high_water()[1] == last[1] + 1


def test_a_target_that_holds_a_chart_is_refused_unless_replace(ward_file, pg_cluster, capsys):
    url = pg_cluster.new_database()
    with ChartStore(url) as store:
        store.create_patient("MRN-9", "Already, There", actor="RN Z")
    before = everything(url)
    assert main(["migrate", "--from", str(ward_file), "--to", url]) == 2
    err = capsys.readouterr().err
    assert "already holds a chart" in err and "nothing was copied" in err and "--replace" in err
    assert everything(url) == before
    assert main(["migrate", "--from", str(ward_file), "--to", url, "--replace"]) == 0
    assert everything(url) == everything(ward_file)


def test_migrate_refuses_a_file_as_target_and_a_password(ward_file, tmp_path, capsys):
    assert main(["migrate", "--from", str(ward_file), "--to", str(tmp_path / "x.sqlite3")]) == 2
    assert "allowed a postgresql://… address" in capsys.readouterr().err
    assert not (tmp_path / "x.sqlite3").exists()
    assert main(["migrate", "--from", str(ward_file), "--to", "postgresql://u:pw@h/db"]) == 2
    assert "password in the server address is refused" in capsys.readouterr().err
