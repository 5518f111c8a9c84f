"""`crs-desktop grade CHART.csv [--system NAME] [--json]` as a real process
(../shared/spec/grade-json.md, with the bad-input rules of chart-csv.md)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

SYSTEMS = ["astct_crs", "astct_icans", "lee2014_crs", "ctcae_crs", "news2"]
HEADER = "time,item,value,unit,note\n"

# Out of time order on purpose: rows may come in any order (chart-csv.md).
STORY = """\
2026-11-20T09:00:00Z,norepinephrine,5,ug/min,
2026-11-20T06:00:00Z,temperature,37.1,Cel,
2026-11-20T07:00:00Z,temperature,101.3,degF,
2026-11-20T07:00:00Z,systolic_bp,112,,
2026-11-20T06:00:00Z,systolic_bp,124,,
2026-11-20T08:00:00Z,systolic_bp,84,,
2026-11-20T08:00:00Z,fluid_bolus,500,mL,
2026-11-20T10:00:00Z,phenylephrine,100,,
2026-11-20T11:00:00Z,phenylephrine,0,,
2026-11-20T11:00:00Z,ice_score,5,,
2026-11-20T12:00:00Z,o2_device,cpap,,
"""
STORY_TIMES = [f"2026-11-20T{h:02d}:00:00+00:00" for h in range(6, 13)]
STORY_CRS = [0, 1, 2, 3, 4, 3, 4]


def run_grade(*args: str, tz: str = "UTC") -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "TZ": tz, "PYTHONUTF8": "1"}
    env.pop("QT_QPA_PLATFORM", None)
    return subprocess.run(
        [sys.executable, "-m", "crs_desktop", "grade", *args],
        capture_output=True,
        text=True,
        encoding="utf-8",
        env=env,
        timeout=120,
    )


def write_chart(tmp_path: Path, body: str, name: str = "chart.csv") -> str:
    path = tmp_path / name
    path.write_text(HEADER + body, encoding="utf-8")
    return str(path)


def json_lines(result: subprocess.CompletedProcess[str]) -> list[dict]:
    assert result.returncode == 0, result.stderr
    return [json.loads(line) for line in result.stdout.splitlines()]


# -- --json: grade-json.md ------------------------------------------------------------------


def test_json_one_line_per_distinct_time_in_time_order(tmp_path):
    lines = json_lines(run_grade(write_chart(tmp_path, STORY), "--json"))
    assert [line["time"] for line in lines] == STORY_TIMES
    assert [line["astct_crs"]["grade"] for line in lines] == STORY_CRS
    assert [line["astct_icans"]["grade"] for line in lines] == [0, 0, 0, 0, 0, 2, 2]


def test_json_keys_and_types_match_the_spec(tmp_path):
    lines = json_lines(run_grade(write_chart(tmp_path, STORY), "--json"))
    for line in lines:
        assert list(line) == ["time", *SYSTEMS]
        for name in SYSTEMS:
            entry = line[name]
            assert list(entry) == ["grade", "max", "reasons", "flags"]
            assert entry["grade"] is None or isinstance(entry["grade"], int)
            assert entry["max"] is None or isinstance(entry["max"], int)
            assert all(isinstance(r, str) and r for r in entry["reasons"])
            assert all(isinstance(f, str) and f for f in entry["flags"])
            if name != "news2":
                assert isinstance(entry["grade"], int)


def test_json_max_is_the_running_maximum_and_never_decreases(tmp_path):
    lines = json_lines(run_grade(write_chart(tmp_path, STORY), "--json"))
    assert [line["astct_crs"]["max"] for line in lines] == [0, 1, 2, 3, 4, 4, 4]
    for name in SYSTEMS:
        best = None
        for line in lines:
            grade = line[name]["grade"]
            if grade is not None:
                best = grade if best is None else max(best, grade)
            assert line[name]["max"] == best


def test_json_reasons_name_item_value_unit_and_time(tmp_path):
    lines = json_lines(run_grade(write_chart(tmp_path, STORY), "--json"))
    at_nine = lines[3]["astct_crs"]
    # 101.3 °F is 38.5 °C.
    assert "fever: temperature 38.5 °C at 07:00+00:00" in at_nine["reasons"]
    assert any("norepinephrine 5 µg/min running since 09:00" in r for r in at_nine["reasons"])


def test_json_news2_is_null_with_a_flag_while_a_parameter_is_missing(tmp_path):
    lines = json_lines(run_grade(write_chart(tmp_path, STORY), "--json"))
    news2 = lines[-1]["news2"]
    assert news2["grade"] is None
    assert any("not charted" in f for f in news2["flags"])


def test_json_time_keeps_the_offset_it_was_charted_with(tmp_path):
    body = (
        "2026-11-20T08:00:00+01:00,temperature,38.4,,\n"
        "2026-11-20T09:30:00+01:00,systolic_bp,85,,\n"
    )
    lines = json_lines(run_grade(write_chart(tmp_path, body), "--json", tz="Europe/Paris"))
    assert [line["time"] for line in lines] == [
        "2026-11-20T08:00:00+01:00",
        "2026-11-20T09:30:00+01:00",
    ]
    assert [line["astct_crs"]["grade"] for line in lines] == [1, 2]
    assert "fever: temperature 38.4 °C at 08:00+01:00" in lines[1]["astct_crs"]["reasons"]


def test_other_cause_note_is_left_out(tmp_path):
    body = (
        "2026-11-20T08:00:00Z,temperature,39.2,,other_cause: transfusion reaction\n"
        "2026-11-20T09:00:00Z,systolic_bp,80,,\n"
    )
    lines = json_lines(run_grade(write_chart(tmp_path, body), "--json"))
    assert [line["astct_crs"]["grade"] for line in lines] == [0, 0]


def test_rows_of_one_time_are_one_assessment(tmp_path):
    body = (
        "2026-11-20T08:00:00Z,temperature,38.0,,\n"
        "2026-11-20T08:00:00Z,o2_device,nasal_cannula,,\n"
        "2026-11-20T08:00:00Z,o2_flow,7,L/min,\n"
    )
    lines = json_lines(run_grade(write_chart(tmp_path, body), "--json"))
    assert len(lines) == 1
    assert lines[0]["astct_crs"]["grade"] == 3


# -- --system ---------------------------------------------------------------------------------


def test_system_limits_the_json_output(tmp_path):
    path = write_chart(tmp_path, STORY)
    lines = json_lines(run_grade(path, "--json", "--system", "astct_crs"))
    assert len(lines) == len(STORY_TIMES)
    assert all(list(line) == ["time", "astct_crs"] for line in lines)
    lines = json_lines(run_grade(path, "--system", "news2", "--system", "lee2014_crs", "--json"))
    assert all(list(line) == ["time", "news2", "lee2014_crs"] for line in lines)


def test_system_limits_the_table_output(tmp_path):
    result = run_grade(write_chart(tmp_path, STORY), "--system", "astct_icans")
    assert result.returncode == 0, result.stderr
    assert "ICANS (ASTCT 2019)" in result.stdout
    assert "CRS (ASTCT 2019)" not in result.stdout
    assert "NEWS2" not in result.stdout


def test_table_output_without_json(tmp_path):
    result = run_grade(write_chart(tmp_path, STORY))
    assert result.returncode == 0, result.stderr
    for title in ["CRS (ASTCT 2019)", "ICANS (ASTCT 2019)", "CRS (Lee 2014)", "CRS (CTCAE v5.0)", "NEWS2"]:
        rows = [ln for ln in result.stdout.splitlines() if ln.startswith(f"  {title} ")]
        assert len(rows) == len(STORY_TIMES), title
    for time in STORY_TIMES:
        assert time in result.stdout
    assert "because: norepinephrine 5 µg/min running since 09:00" in result.stdout
    assert "{" not in result.stdout


def test_unknown_system_is_refused(tmp_path):
    result = run_grade(write_chart(tmp_path, STORY), "--json", "--system", "penn")
    assert result.returncode == 2
    assert result.stdout == ""
    assert "penn" in result.stderr


# -- bad input: exit 2, every bad line named on stderr, nothing on stdout -----------------------


def test_bad_file_exits_2_names_every_bad_line_and_prints_nothing(tmp_path):
    body = (
        "2026-11-20T08:00:00Z,temperature,38.4,,\n"  # line 2: good
        "2026-11-20T08:00:00Z,tremor,1,,\n"  # 3: unknown item
        "2026-11-20T08:00:00Z,seizure,maybe,,\n"  # 4: a word the item does not list
        "2026-11-20T08:00:00Z,temperature,38,mmHg,\n"  # 5: a unit the item does not list
        "2026-11-20T08:00:00Z,temperature,50,,\n"  # 6: out of the possible range
        "yesterday,heart_rate,80,,\n"  # 7: unreadable time
        "2026-11-20T08:00:00Z,spo2,97\n"  # 8: short row
        "2026-11-20T08:00:00Z,ice_score,11,,\n"  # 9: ICE score out of range
        "2026-11-20T08:00:00Z,spo2,120,,\n"  # 10: SpO2 out of range
        "2026-11-20T09:00:00Z,systolic_bp,85,,\n"  # 11: good
    )
    result = run_grade(write_chart(tmp_path, body), "--json")
    assert result.returncode == 2
    assert result.stdout == ""
    problems = [ln.strip() for ln in result.stderr.splitlines() if ln.strip().startswith("line ")]
    assert [p.split(":")[0] for p in problems] == [f"line {n}" for n in range(3, 11)]
    for line, word in [
        (3, "tremor"),
        (4, "seizure"),
        (5, "temperature"),
        (6, "temperature"),
        (7, "heart_rate"),
        (9, "ice_score"),
        (10, "spo2"),
    ]:
        assert any(p.startswith(f"line {line}:") and word in p for p in problems), (line, problems)
    assert "line 2:" not in result.stderr
    assert "line 11:" not in result.stderr


@pytest.mark.parametrize(
    "content",
    [
        "",
        "when,what,value,unit,note\n2026-11-20T08:00:00Z,temperature,38.4,,\n",
    ],
)
def test_missing_or_wrong_header_exits_2(tmp_path, content):
    path = tmp_path / "chart.csv"
    path.write_text(content, encoding="utf-8")
    result = run_grade(str(path), "--json")
    assert result.returncode == 2
    assert result.stdout == ""
    assert "line 1" in result.stderr


def test_missing_file_exits_2(tmp_path):
    result = run_grade(str(tmp_path / "nowhere.csv"), "--json")
    assert result.returncode == 2
    assert result.stdout == ""
    assert "nowhere.csv" in result.stderr


def test_extreme_but_possible_value_is_accepted(tmp_path):
    lines = json_lines(run_grade(write_chart(tmp_path, "2026-11-20T08:00:00Z,temperature,41.8,,\n"), "--json"))
    assert len(lines) == 1
    assert lines[0]["astct_crs"]["grade"] == 1


def test_file_with_a_bom_and_crlf_line_ends_is_read(tmp_path):
    path = tmp_path / "chart.csv"
    path.write_bytes(
        ("\ufeff" + HEADER + "2026-11-20T08:00:00Z,temperature,38.1,,\n")
        .replace("\n", "\r\n")
        .encode("utf-8")
    )
    lines = json_lines(run_grade(str(path), "--json"))
    assert [line["astct_crs"]["grade"] for line in lines] == [1]
