"""Units fixed at the source (issue 21 item 4): UCUM codes everywhere a unit is a code,
the old spelling `degF` still read (chart CSV, existing chart files), nurses read °F."""

from __future__ import annotations

import io

import pytest

from crs_desktop.cli import main
from crs_desktop.domain.validation import validate
from crs_desktop.domain.vocabulary import ITEMS, unit_text, value_text
from crs_desktop.interop.chart_csv import read_chart_csv
from crs_desktop.store import ChartStore, Entry

NOW = 1_795_000_000.0  # 2026-11-17, fixed: no test here reads the wall clock


def test_every_unit_of_the_vocabulary_is_ucum_and_fahrenheit_is_bracketed():
    assert ITEMS["temperature"].units == ("Cel", "[degF]")
    assert "degF" not in {u for item in ITEMS.values() for u in item.units}


def test_ucum_fahrenheit_is_read_and_kept_as_ucum():
    v = validate("temperature", "100.4", "[degF]")
    assert (v.value, v.unit, v.written_unit) == (38.0, "Cel", "[degF]")


def test_old_spelling_is_read_as_ucum():
    assert validate("temperature", "100.4", "degF").written_unit == "[degF]"


def test_nurses_read_degrees_fahrenheit_never_the_code():
    assert unit_text("[degF]") == "°F"
    assert value_text("temperature", 38.0, None, "100.4", "[degF]") == "38.0 °C (100.4 °F)"


def test_a_chart_file_written_before_reads_its_degf_rows_as_ucum(tmp_path):
    store = ChartStore(tmp_path / "chart.sqlite3", clock=lambda: NOW)
    patient = store.create_patient("MRN-1", "Test, Pat", actor="RN A")
    (row_id,) = store.chart(
        patient.id, [Entry("temperature", "101.3", "[degF]")], observed_at=NOW - 60, actor="RN A"
    )
    # What an older version of the app wrote into the file.
    with store.conn:
        store.conn.execute("UPDATE observations SET written_unit = 'degF' WHERE id = ?", (row_id,))
    assert store.row(row_id).written_unit == "[degF]"
    store.close()


def test_chart_csv_reads_both_spellings_and_exports_the_spec_spelling(tmp_path):
    text = (
        "time,item,value,unit,note\r\n"
        "2026-11-16T08:00:00+01:00,temperature,100.4,[degF],\r\n"
        "2026-11-16T09:00:00+01:00,temperature,101.3,degF,\r\n"
    )
    rows = read_chart_csv(io.StringIO(text), now=NOW)
    assert [r.valid.written_unit for r in rows] == ["[degF]", "[degF]"]
    source = tmp_path / "in.csv"
    source.write_text(text, newline="")
    db, out = tmp_path / "c.sqlite3", tmp_path / "out.csv"
    assert main(["import", str(source), "--patient", "P1", "--by", "RN A", "--db", str(db)]) == 0
    assert main(["export", "--patient", "P1", "-o", str(out), "--db", str(db)]) == 0
    # spec/chart-csv.md lists `degF`: the export keeps that spelling, byte for byte.
    assert out.read_bytes().decode() == text.replace("[degF]", "degF")


@pytest.mark.parametrize("unit", ["degf", "[DEGF]", "°F"])
def test_other_spellings_are_still_refused(unit):
    with pytest.raises(ValueError, match="allowed: Cel, \\[degF\\]"):
        validate("temperature", "100.4", unit)
