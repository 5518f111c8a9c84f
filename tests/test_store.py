"""The chart store: safety of the file, audited writes, corrections that keep both rows."""

from __future__ import annotations

import hashlib
import sqlite3
import stat
import time

import pytest

from crs_desktop.cli import main
from crs_desktop.domain.errors import UserError
from crs_desktop.store import ChartStore, EntriesRefused, Entry, StoreError, resolve_store_path
from crs_desktop.store.schema import LATEST_VERSION

NOW = time.time()


@pytest.fixture
def store(store_target):
    s = ChartStore(store_target)  # a SQLite file, then a PostgreSQL database (conftest.py)
    yield s
    s.close()


@pytest.fixture
def patient(store):
    return store.create_patient("MRN-1", "Test, Pat", actor="RN A", weight_kg=70)


def digest(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_new_store_is_owner_only_in_an_owner_only_folder(tmp_path, monkeypatch):
    # The default store (no --db, no CRS_DESKTOP_DB): its data folder is made for it.
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "new" / "deeper"))
    monkeypatch.delenv("CRS_DESKTOP_DB", raising=False)
    assert main(["demo", "--until-hour", "5"]) == 0
    path = tmp_path / "new" / "deeper" / "crs-desktop" / "chart.sqlite3"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700


@pytest.mark.parametrize("command", [["demo"], ["import", "x.csv", "--patient", "P"]])
def test_a_db_in_a_missing_folder_is_refused_not_created(tmp_path, capsys, monkeypatch, command):
    # A mistyped --db is a typo, not a request for a new tree of folders.
    monkeypatch.chdir(tmp_path)  # x.csv is read from here
    (tmp_path / "x.csv").write_text(
        "time,item,value,unit,note\n2026-11-20T08:00:00Z,temperature,37.0,,\n"
    )
    path = tmp_path / "typo" / "chart.sqlite3"
    assert main([*command, "--db", str(path)]) == 2
    err = capsys.readouterr().err
    assert f"the folder {path.parent} does not exist; no chart file was created" in err
    assert not path.parent.exists()
    with pytest.raises(StoreError, match="does not exist"):
        ChartStore(path)
    assert not path.parent.exists()


def test_pragmas_wal_full_sync_busy_timeout_and_schema_version(tmp_path):
    store = ChartStore(tmp_path / "chart.sqlite3")  # the file's settings: SQLite only
    conn = store.conn
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
    assert conn.execute("PRAGMA busy_timeout").fetchone()[0] >= 5000
    assert conn.execute("PRAGMA user_version").fetchone()[0] == LATEST_VERSION
    store.close()


def test_chart_writes_value_as_written_canonical_who_and_both_times(store, patient):
    observed = NOW - 600
    (row_id,) = store.chart(
        patient.id, [Entry("temperature", "101.3", "degF")], observed_at=observed, actor="RN A"
    )
    row = store.row(row_id)
    assert row.value == pytest.approx(38.5)
    assert (row.written_value, row.written_unit, row.unit) == ("101.3", "[degF]", "Cel")
    assert row.charted_by == "RN A" and row.source == "manual"
    assert row.observed_at == observed and row.recorded_at >= observed
    audit = store.audit_rows(patient.id)
    assert audit[-1]["action"] == "chart" and audit[-1]["detail"]["rows"] == [row_id]


def test_a_bad_entry_refuses_the_whole_set(store, patient):
    before = store.high_water()
    with pytest.raises(EntriesRefused) as info:
        store.chart(
            patient.id,
            [Entry("temperature", "38.2"), Entry("spo2", "120"), Entry("heart_rate", "fast")],
            observed_at=NOW - 60,
            actor="RN A",
        )
    assert [e.item for e in info.value.errors] == ["spo2", "heart_rate"]
    assert store.high_water() == before


def test_future_time_and_missing_nurse_are_refused(store, patient):
    with pytest.raises(UserError, match="in the future"):
        store.chart(patient.id, [Entry("temperature", "37")], observed_at=NOW + 3600, actor="A")
    with pytest.raises(UserError, match="name or initials"):
        store.chart(patient.id, [Entry("temperature", "37")], observed_at=NOW - 1, actor="  ")
    assert store.rows(patient.id) == []


def test_extreme_value_is_kept_and_flagged(store, patient):
    (row_id,) = store.chart(
        patient.id, [Entry("temperature", "41.8")], observed_at=NOW - 5, actor="A"
    )
    assert store.row(row_id).extreme and store.row(row_id).value == 41.8


def test_correction_keeps_both_rows_and_the_audit(store, patient):
    (wrong,) = store.chart(
        patient.id, [Entry("systolic_bp", "58")], observed_at=NOW - 300, actor="RN A"
    )
    new = store.mark_entered_in_error(
        wrong, reason="cuff off the arm", actor="RN B", replacement=Entry("systolic_bp", "108")
    )
    old_row, new_row = store.row(wrong), store.row(new)
    assert old_row.value == 58 and old_row.entered_in_error
    assert (old_row.error_reason, old_row.error_by, old_row.replaced_by) == (
        "cuff off the arm",
        "RN B",
        new,
    )
    assert new_row.value == 108 and not new_row.entered_in_error
    assert new_row.observed_at == old_row.observed_at
    # Both rows stay in the full chart; only the replacement is in the current one.
    assert {r.id for r in store.rows(patient.id)} == {wrong, new}
    assert [o.id for o in store.observations(patient.id)] == [new]
    times, values = store.series(patient.id, "systolic_bp")
    assert list(values) == [108.0]
    correction = store.audit_rows(patient.id)[-1]
    assert correction["action"] == "correct"
    assert correction["detail"] == {
        "entered_in_error": [wrong],
        "rows": [new],
        "reason": "cuff off the arm",
    }
    with pytest.raises(UserError, match="already marked"):
        store.mark_entered_in_error(wrong, reason="again", actor="RN B")


def test_correction_needs_a_reason_and_the_same_item(store, patient):
    (row,) = store.chart(patient.id, [Entry("spo2", "91")], observed_at=NOW - 5, actor="A")
    with pytest.raises(UserError, match="reason"):
        store.mark_entered_in_error(row, reason=" ", actor="A")
    with pytest.raises(UserError, match="must be 'spo2'"):
        store.mark_entered_in_error(
            row, reason="x", actor="A", replacement=Entry("heart_rate", "90")
        )
    assert not store.row(row).entered_in_error


def test_event_with_a_drug_charts_both_in_one_transaction(store, patient):
    event_id = store.record_event(
        patient.id,
        "checklist",
        actor="RN A",
        key="tocilizumab",
        status="done",
        entries=[Entry("tocilizumab", "560", "mg")],
    )
    (event,) = store.events(patient.id)
    assert event.id == event_id and event.detail["rows"]
    assert store.row(event.detail["rows"][0]).item == "tocilizumab"
    with pytest.raises(EntriesRefused):
        store.record_event(
            patient.id, "checklist", actor="A", key="x", entries=[Entry("tocilizumab", "-5")]
        )
    assert len(store.events(patient.id)) == 1


def test_changes_since_reads_only_what_is_new(store, patient):
    marks = store.high_water()
    (a,) = store.chart(patient.id, [Entry("spo2", "95")], observed_at=NOW - 50, actor="A")
    changes = store.changes_since(patient.id, *marks)
    assert [r.id for r in changes.rows] == [a]
    store.mark_entered_in_error(
        a, reason="probe fell off", actor="A", replacement=Entry("spo2", "97")
    )
    later = store.changes_since(
        patient.id, changes.last_row_id, changes.last_audit_id, changes.last_event_id
    )
    assert later.entered_in_error == [a]
    assert [r.value for r in later.rows] == [97.0]


def test_per_kg_rate_uses_the_charted_weight(store, patient):
    store.chart(patient.id, [Entry("weight", "80", "kg")], observed_at=NOW - 100, actor="A")
    (row,) = store.chart(
        patient.id, [Entry("norepinephrine", "0.1", "ug/kg/min")], observed_at=NOW - 50, actor="A"
    )
    assert store.row(row).value == pytest.approx(8.0)


def test_store_path_precedence(tmp_path, monkeypatch):
    monkeypatch.setenv("CRS_DESKTOP_DB", str(tmp_path / "env.sqlite3"))
    assert resolve_store_path(str(tmp_path / "cli.sqlite3")) == tmp_path / "cli.sqlite3"
    assert resolve_store_path(None) == tmp_path / "env.sqlite3"
    monkeypatch.delenv("CRS_DESKTOP_DB")
    assert resolve_store_path(None).name == "chart.sqlite3"


# -- files that must be refused and left untouched ---------------------------------


def _refused_untouched(path, capsys, fragment):
    before = digest(path)
    with pytest.raises(StoreError, match=fragment):
        ChartStore(path)
    assert digest(path) == before
    status = main(["export", "--db", str(path), "--patient", "X", "-o", str(path.parent / "o.csv")])
    err = capsys.readouterr().err
    assert status == 2 and fragment in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1
    assert digest(path) == before


def test_not_a_sqlite_file_is_refused(tmp_path, capsys):
    path = tmp_path / "notes.sqlite3"
    path.write_text("handover: bed 4 febrile\n" * 100)
    _refused_untouched(path, capsys, "not a SQLite file")


def test_another_programs_sqlite_file_is_refused(tmp_path, capsys):
    path = tmp_path / "other.sqlite3"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE recipes (name TEXT)")
    conn.commit()
    conn.close()
    _refused_untouched(path, capsys, "another program")


def test_newer_schema_is_refused(tmp_path, capsys):
    path = tmp_path / "future.sqlite3"
    ChartStore(path).close()
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA user_version = {LATEST_VERSION + 1}")
    conn.commit()
    conn.close()
    _refused_untouched(path, capsys, "newer crs_desktop")


def test_corrupt_file_is_refused(tmp_path, capsys):
    path = tmp_path / "damaged.sqlite3"
    with ChartStore(path) as s:
        p = s.create_patient("M", "N", actor="A")
        for i in range(300):
            s.chart(
                p.id,
                [Entry("heart_rate", str(60 + i % 50), note="x" * 200)],
                observed_at=NOW - 9999 + i,
                actor="A",
            )
    data = bytearray(path.read_bytes())
    page = 4096
    assert len(data) > 6 * page
    data[3 * page : 4 * page] = b"\xa5" * page  # a b-tree page overwritten
    path.write_bytes(bytes(data))
    _refused_untouched(path, capsys, "damaged")


def test_empty_file_is_refused(tmp_path, capsys):
    path = tmp_path / "empty.sqlite3"
    path.write_bytes(b"")
    _refused_untouched(path, capsys, "empty file")


def test_migration_copies_the_file_first(tmp_path, monkeypatch):
    """An older schema is copied aside (owner-only) before it is migrated."""
    from crs_desktop.store import schema

    current = schema.LATEST_VERSION
    path = tmp_path / "old.sqlite3"
    with ChartStore(path) as s:
        p = s.create_patient("M", "N", actor="A")
        s.chart(p.id, [Entry("spo2", "96")], observed_at=NOW - 10, actor="A")

    def next_version(db):
        db["observations"].add_column("device_id", str)

    monkeypatch.setattr(schema, "MIGRATIONS", [*schema.MIGRATIONS, next_version])
    monkeypatch.setattr(schema, "LATEST_VERSION", current + 1)
    import crs_desktop.store.database as database

    monkeypatch.setattr(database, "LATEST_VERSION", current + 1)
    with ChartStore(path) as s:
        assert s.conn.execute("PRAGMA user_version").fetchone()[0] == current + 1
        columns = [r[1] for r in s.conn.execute("PRAGMA table_info(observations)")]
        assert "device_id" in columns
    (backup,) = tmp_path.glob(f"old.sqlite3.v{current}-*.bak")
    assert stat.S_IMODE(backup.stat().st_mode) == 0o600
    conn = sqlite3.connect(backup)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == current
    assert conn.execute("SELECT value FROM observations").fetchall() == [(96.0,)]
    conn.close()


def test_a_version_1_store_gains_the_flagged_rows_index(tmp_path, monkeypatch):
    """A store made before schema v2 is migrated on opening: its corrections and extreme
    values are found through the new partial index, the values themselves untouched."""
    import crs_desktop.store.database as database
    from crs_desktop.store import schema

    path = tmp_path / "v1.sqlite3"
    with monkeypatch.context() as m:
        m.setattr(schema, "MIGRATIONS", schema.MIGRATIONS[:1])
        m.setattr(schema, "LATEST_VERSION", 1)
        m.setattr(database, "LATEST_VERSION", 1)
        with ChartStore(path) as s:
            p = s.create_patient("M", "N", actor="A")
            (wrong,) = s.chart(p.id, [Entry("systolic_bp", "58")], observed_at=NOW - 300, actor="A")
            s.chart(p.id, [Entry("temperature", "41.8")], observed_at=NOW - 200, actor="A")
            s.chart(p.id, [Entry("spo2", "96")], observed_at=NOW - 100, actor="A")
            s.mark_entered_in_error(wrong, reason="cuff off", actor="B")
    with ChartStore(path) as s:
        assert s.conn.execute("PRAGMA user_version").fetchone()[0] == LATEST_VERSION
        plan = " ".join(
            str(row)
            for row in s.conn.execute(
                "EXPLAIN QUERY PLAN SELECT id FROM observations "
                "WHERE (extreme = 1 OR status != 'final') AND patient_id = ?",
                (p.id,),
            )
        )
        assert "idx_observations_flagged" in plan
        flagged = s.flagged_rows(p.id)
        assert [(r.item, r.value, r.entered_in_error) for r in flagged] == [
            ("systolic_bp", 58.0, True),
            ("temperature", 41.8, False),
        ]
        assert len(s.rows(p.id)) == 3


def test_the_one_off_grading_read_grades_as_the_full_read(store, patient):
    """The handover grades from rows without ids: the values of one time must still fold
    in charting order (a second reading at the same time wins), back-dated rows must land
    in time order, and an entered-in-error row must stay out."""
    from datetime import UTC

    from crs_desktop.domain.grading import Grader

    def chart(at_hours_ago, *entries):
        return store.chart(
            patient.id,
            [Entry(*e) for e in entries],
            observed_at=NOW - at_hours_ago * 3600,
            actor="RN A",
        )

    chart(6, ("temperature", "37.0"), ("o2_device", "room_air"), ("acvpu", "A"))
    chart(3, ("temperature", "38.6"), ("systolic_bp", "85"))
    chart(3, ("systolic_bp", "112"))  # re-measured, same time: this one stands
    (low,) = chart(2, ("systolic_bp", "82"))
    store.mark_entered_in_error(
        low, reason="cuff", actor="RN B", replacement=Entry("systolic_bp", "118")
    )
    chart(5, ("temperature", "39.0"), ("heart_rate", "120"))  # back-dated, charted last
    chart(1, ("o2_device", "nasal_cannula"), ("o2_flow", "4"), ("spo2", "93"))

    def graded(observations):
        g = Grader(local_tz=UTC)
        g.add(observations)
        return [
            (
                {k: v for k, v in g.at(gs.time).to_json_dict().items() if k != "time"},
                gs.time,
                [gs.systems[n].since for n in gs.systems],
            )
            for gs in g.timeline()
        ]

    once = store.findings_to_grade_once(patient.id)
    assert [o.id for o in once] == [None] * len(once)
    assert [o.value for o in once if o.item == "systolic_bp"] == [85.0, 112.0, 118.0]
    assert graded(once) == graded(store.observations(patient.id))
    g = Grader(local_tz=UTC)
    g.add(once)
    # Fever, and the 85 re-measured as 112 at the same time: grade 1, not 2.
    assert g.at(NOW - 3 * 3600).systems["astct_crs"].grade == 1


def test_two_nurses_marking_the_same_item_the_second_is_told_by_whom(store, store_target, patient):
    """Two workstations (two connections) mark the same checklist item, each having seen
    the chart up to the same event: the second is refused, naming who marked it first."""
    with ChartStore(store_target) as other:
        seen = store.high_water()[2]
        other.record_event(
            patient.id,
            "checklist",
            actor="RN Lee",
            key="tocilizumab",
            status="done",
            at=NOW - 120,
            detail={"title": "Give tocilizumab"},
            seen_up_to=seen,
        )
    with pytest.raises(UserError, match=r"Give tocilizumab: already marked done by RN Lee at "):
        store.record_event(
            patient.id,
            "checklist",
            actor="RN Kim",
            key="tocilizumab",
            status="done",
            entries=[Entry("tocilizumab", "560", "mg")],
            seen_up_to=seen,
        )
    assert [e.charted_by for e in store.events(patient.id)] == ["RN Lee"]
    assert store.rows(patient.id) == []  # the drug of the refused mark was not charted
    # Once the window has shown the first mark, a new one (a later dose) is taken.
    store.record_event(
        patient.id,
        "checklist",
        actor="RN Kim",
        key="tocilizumab",
        status="done",
        seen_up_to=store.high_water()[2],
    )
    assert len(store.events(patient.id)) == 2


def test_two_nurses_correcting_the_same_value_the_second_is_told_by_whom(
    store, store_target, patient
):
    (row,) = store.chart(patient.id, [Entry("spo2", "79")], observed_at=NOW - 60, actor="RN A")
    stale = store.row(row)  # both windows show the value as it was
    with ChartStore(store_target) as other:
        other.mark_entered_in_error(row, reason="probe off", actor="RN Lee")
    with pytest.raises(UserError, match=r"already marked entered in error by RN Lee at "):
        store.mark_entered_in_error(
            stale.id, reason="probe off", actor="RN Kim", replacement=Entry("spo2", "96")
        )
    assert [r.value for r in store.rows(patient.id)] == [79.0]  # no replacement charted
