"""Chart CSV in and out (../shared/spec/chart-csv.md), through the real commands and store."""

from __future__ import annotations

import io
import os
import sqlite3
import time

import pytest

from crs_desktop.cli import main
from crs_desktop.interop.chart_csv import (
    ChartFileError,
    parse_time,
    read_chart_chunks,
    read_chart_csv,
)
from crs_desktop.store import ChartStore, Entry

HEADER = "time,item,value,unit,note\n"
GOOD = (
    HEADER
    + "2026-11-20T08:00:00+01:00,temperature,100.4,degF,\n"
    + "2026-11-20T08:00:00+01:00,Acetaminophen,1000,,\n"
    + '2026-11-20T09:00:00Z,o2_device,nasal_cannula,,"says ""short of breath"", other_cause"\n'
    + "2026-11-20T09:00:00Z,o2_flow,2,L/min,\n"
    + "2026-11-20T09:00:00Z,crp,4.5,mg/dL,\n"
)


def write(tmp_path, text, name="chart.csv", encoding="utf-8"):
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def count_rows(db):
    conn = sqlite3.connect(db)
    try:
        return conn.execute("SELECT count(*) FROM observations").fetchone()[0]
    finally:
        conn.close()


def test_reads_values_converted_and_as_written(tmp_path):
    rows = read_chart_csv(write(tmp_path, GOOD))
    by_item = {r.item: r for r in rows}
    assert by_item["temperature"].valid.value == 38.0
    assert by_item["temperature"].utc_offset_min == 60
    assert by_item["paracetamol"].valid.written_value == "1000"
    assert by_item["crp"].valid.value == 45.0 and by_item["crp"].valid.written_unit == "mg/dL"
    assert by_item["o2_device"].note == 'says "short of breath", other_cause'


def test_bom_is_tolerated(tmp_path):
    rows = read_chart_csv(write(tmp_path, "\ufeff" + GOOD))
    assert len(rows) == 5


def test_time_without_offset_is_local(tmp_path, monkeypatch):
    monkeypatch.setenv("TZ", "Europe/Berlin")
    time.tzset()
    try:
        epoch, offset = parse_time("2026-07-01T12:00:00")
        assert offset == 120
        assert epoch == parse_time("2026-07-01T10:00:00Z")[0]
        epoch, offset = parse_time("2026-12-01T12:00:00")
        assert offset == 60
    finally:
        monkeypatch.delenv("TZ")
        time.tzset()


BAD_CASES = [
    ("2026-11-20T08:00:00Z,wobble,1,,\n", "item 'wobble': unknown item"),
    ("2026-11-20T08:00:00Z,o2_device,tent,,\n", "o2_device 'tent': allowed values are"),
    ("2026-11-20T08:00:00Z,temperature,38,K,\n", "unit 'K' is not allowed"),
    ("2026-11-20T08:00:00Z,temperature,20,,\n", "temperature '20': out of the possible range"),
    ("2026-11-20T08:00:00Z,temperature,50,,\n", "temperature '50': out of the possible range"),
    ("2026-11-20T08:00:00Z,spo2,120,,\n", "spo2 '120': out of the possible range"),
    ("2026-11-20T08:00:00Z,ice_score,11,,\n", "ice_score '11': out of the possible range"),
    ("yesterday,temperature,38,,\n", "temperature time 'yesterday'"),
    ("2026-11-20T08:00:00Z,temperature,38\n", "expected 5 fields"),
]


@pytest.mark.parametrize(("bad_line", "message"), BAD_CASES)
def test_each_bad_input_refuses_the_whole_file_naming_the_line(tmp_path, bad_line, message, capsys):
    db = tmp_path / "store.sqlite3"
    main(["demo", "--db", str(db), "--until-hour", "10"])
    before = count_rows(db)
    path = write(tmp_path, GOOD + bad_line)  # the bad line is line 7
    status = main(["import", str(path), "--patient", "P-1", "--db", str(db)])
    err = capsys.readouterr().err
    assert status == 2
    assert "line 7" in err and message in err
    assert "nothing was written" in err
    assert count_rows(db) == before
    with ChartStore(db) as store:
        assert store.patient("P-1") is None  # no patient created for a refused file


def test_every_bad_line_is_named(tmp_path):
    text = GOOD + "".join(line for line, _ in BAD_CASES)
    with pytest.raises(ChartFileError) as info:
        read_chart_csv(write(tmp_path, text))
    problems = info.value.problems
    assert len(problems) == len(BAD_CASES)
    for offset, (_, message) in enumerate(BAD_CASES):
        assert any(p.startswith(f"line {7 + offset}:") and message in p for p in problems)


def test_header_must_be_exact(tmp_path):
    with pytest.raises(ChartFileError, match="line 1: header must be exactly"):
        read_chart_csv(write(tmp_path, "when,item,value,unit,note\n"))


def test_not_utf8_is_refused(tmp_path):
    with pytest.raises(ChartFileError, match="not UTF-8"):
        read_chart_csv(
            write(
                tmp_path, GOOD + "2026-11-20T08:00:00Z,temperature,38,,café\n", encoding="latin-1"
            )
        )


def test_line_numbers_count_multiline_notes(tmp_path):
    text = (
        HEADER
        + '2026-11-20T08:00:00Z,temperature,38,,"two\nlines"\n2026-11-20T08:00:00Z,spo2,120,,\n'
    )
    with pytest.raises(ChartFileError) as info:
        read_chart_csv(write(tmp_path, text))
    assert info.value.problems[0].startswith("line 4:")


def test_export_then_import_into_a_new_store_gives_back_the_same_chart(tmp_path):
    first, second = tmp_path / "a.sqlite3", tmp_path / "b.sqlite3"
    assert main(["demo", "--db", str(first)]) == 0
    with ChartStore(first) as store:
        patient = store.patient("DEMO-001")
        # A correction: the entered-in-error value is not part of the current chart.
        row = store.rows(patient.id, items=["temperature"])[3]
        store.mark_entered_in_error(
            row.id, reason="wrong thermometer", actor="T1", replacement=Entry("temperature", "37.3")
        )
        original = store.rows(patient.id, include_errors=False)
    out = tmp_path / "chart.csv"
    assert main(["export", "--db", str(first), "--patient", "DEMO-001", "-o", str(out)]) == 0
    assert main(["import", str(out), "--db", str(second), "--patient", "NEW-9"]) == 0
    with ChartStore(second) as store:
        copy = store.rows(store.patient("NEW-9").id, include_errors=False)

    def essence(r):
        return (
            r.observed_at,
            r.utc_offset_min,
            r.item,
            r.value,
            r.text,
            r.unit,
            r.written_value,
            r.written_unit,
            r.note,
        )

    assert sorted(map(essence, copy)) == sorted(map(essence, original))
    assert len(copy) == len(original) > 400


def test_export_to_a_missing_folder_is_a_clear_error(tmp_path, capsys):
    db = tmp_path / "s.sqlite3"
    main(["demo", "--db", str(db), "--until-hour", "5"])
    status = main(
        ["export", "--db", str(db), "--patient", "DEMO-001", "-o", str(tmp_path / "no" / "x.csv")]
    )
    assert status == 2
    assert "does not exist" in capsys.readouterr().err
    assert not os.path.exists(tmp_path / "no")


def test_import_reads_stream(tmp_path):
    rows = read_chart_csv(io.StringIO(GOOD))
    assert [r.line for r in rows] == [2, 3, 4, 5, 6]


@pytest.fixture
def berlin(monkeypatch):
    monkeypatch.setenv("TZ", "Europe/Berlin")
    time.tzset()
    yield
    monkeypatch.delenv("TZ")
    time.tzset()


def test_across_the_autumn_clock_change(tmp_path, berlin):
    """Clocks go back at 03:00 CEST on 2026-10-25: the hour 02:00-03:00 happens twice."""
    text = (
        HEADER
        + "2026-10-25T01:30:00,heart_rate,80,,\n"  # local, unambiguous: CEST
        + "2026-10-25T02:30:00+02:00,heart_rate,81,,\n"  # the first 02:30
        + "2026-10-25T02:30:00+01:00,heart_rate,82,,\n"  # the second 02:30, an hour later
        + "2026-10-25T03:30:00,heart_rate,83,,\n"  # local, unambiguous: CET
    )
    db = tmp_path / "dst.sqlite3"
    assert main(["import", str(write(tmp_path, text)), "--patient", "D", "--db", str(db)]) == 0
    with ChartStore(db) as store:
        rows = store.rows(store.patient("D").id)
    assert [r.value for r in rows] == [80, 81, 82, 83]
    assert [r.observed_at - rows[0].observed_at for r in rows] == [0, 3600, 7200, 10800]
    assert [r.utc_offset_min for r in rows] == [120, 120, 60, 60]
    out = tmp_path / "out.csv"
    assert main(["export", "--patient", "D", "--db", str(db), "-o", str(out)]) == 0
    exported = out.read_text().splitlines()[1:]
    assert [line.split(",")[0] for line in exported] == [
        "2026-10-25T01:30:00+02:00",
        "2026-10-25T02:30:00+02:00",
        "2026-10-25T02:30:00+01:00",
        "2026-10-25T03:30:00+01:00",
    ]


@pytest.mark.parametrize(
    ("local_time", "problem"),
    [("2026-10-25T02:30:00", "is ambiguous"), ("2026-03-29T02:30:00", "does not exist")],
)
def test_a_local_time_the_clock_change_makes_unclear_is_refused(
    tmp_path, berlin, local_time, problem
):
    with pytest.raises(ChartFileError) as info:
        read_chart_csv(write(tmp_path, HEADER + f"{local_time},heart_rate,80,,\n"))
    assert info.value.problems[0].startswith("line 2: heart_rate time")
    assert problem in info.value.problems[0]


def test_a_rate_per_kg_uses_a_weight_charted_further_on_in_the_file(tmp_path):
    """Read a chunk at a time, a file still gives each µg/kg/min rate the weight in force
    at its time, even when that weight comes lines later (it is read first), and its
    rows come in file order."""
    text = (
        HEADER
        + "2026-11-20T08:00:00Z,norepinephrine,0.1,ug/kg/min,\n"
        + "2026-11-20T07:00:00Z,heart_rate,80,,\n"
        + "2026-11-20T09:00:00Z,norepinephrine,0.1,ug/kg/min,\n"
        + "2026-11-20T08:30:00Z,weight,100,kg,\n"
        + "2026-11-20T07:30:00Z,weight,80,kg,\n"
    )
    path = write(tmp_path, text)
    for chunk_rows in (1, 2, 5000):
        rows = [r for c in read_chart_chunks(path, chunk_rows=chunk_rows) for r in c]
        assert [r.line for r in rows] == [2, 3, 4, 5, 6]
        assert [r.valid.value for r in rows] == [
            pytest.approx(8.0),
            80,
            pytest.approx(10.0),
            100,
            80,
        ]
    # Without any weight (none on record, none in the file) the rate is refused, named.
    with pytest.raises(ChartFileError) as info:
        read_chart_csv(
            write(tmp_path, HEADER + "2026-11-20T08:00:00Z,norepinephrine,0.1,ug/kg/min,\n")
        )
    (only,) = info.value.problems
    assert only.startswith("line 2: ") and "weight" in only
