"""`crs-desktop grade CHART.csv --news2-scale 1|2 --protocol FILE` as a real process
(issue 15 item 4: the NEWS2 scale and the ward protocol reach the grading command)."""

from __future__ import annotations

from pathlib import Path

from tests.test_grade_command import json_lines, run_grade, write_chart
from tests.test_protocol_grading import without_hypotension_table

# A whole NEWS2 set at 08:00 on air with SpO2 90 %: scale 1 scores the SpO2 3
# (<= 91), scale 2 scores it 0 (88-92) (REFERENCE.md §7.1). Everything else scores 0.
NEWS2_SET = """\
2026-11-20T08:00:00Z,resp_rate,16,,
2026-11-20T08:00:00Z,spo2,90,,
2026-11-20T08:00:00Z,o2_device,room_air,,
2026-11-20T08:00:00Z,systolic_bp,92,,
2026-11-20T08:00:00Z,diastolic_bp,80,,
2026-11-20T08:00:00Z,heart_rate,80,,
2026-11-20T08:00:00Z,temperature,38.4,Cel,
2026-11-20T08:00:00Z,acvpu,A,,
"""

WARD_PROTOCOL_GRADING = """
[grading.hypotension]
systolic_below_mmhg = 95
map_below_mmhg = 65
source = "ward decision 2026-12: systolic below 95 mmHg counts as hypotension"
"""


def test_news2_scale_2_scores_spo2_90_on_air_as_0(tmp_path):
    chart = write_chart(tmp_path, NEWS2_SET)
    scale1 = json_lines(run_grade(chart, "--json", "--system", "news2"))[-1]["news2"]
    scale2 = json_lines(run_grade(chart, "--json", "--system", "news2", "--news2-scale", "2"))
    # systolic 92 scores 2 on both scales; SpO2 90 % on air: 3 on scale 1, 0 on scale 2.
    assert scale1["grade"] == 2 + 3 + 1  # + temperature 38.4 °C scores 1
    assert scale2[-1]["news2"]["grade"] == 2 + 0 + 1
    explicit1 = json_lines(run_grade(chart, "--json", "--system", "news2", "--news2-scale", "1"))
    assert explicit1[-1]["news2"] == scale1


def test_bad_news2_scale_is_refused_with_exit_2_and_nothing_graded(tmp_path):
    chart = write_chart(tmp_path, NEWS2_SET)
    for bad in ("3", "two", "0"):
        result = run_grade(chart, "--json", "--news2-scale", bad)
        assert result.returncode == 2
        assert result.stdout == ""
        assert f"--news2-scale '{bad}': allowed 1 or 2" in result.stderr
        assert "Traceback" not in result.stderr


def _ward_protocol(tmp_path: Path, extra: str) -> str:
    shipped = Path(__file__).resolve().parent.parent / "resources" / "protocols" / "default.toml"
    path = tmp_path / "ward.toml"
    text = without_hypotension_table(shipped.read_text(encoding="utf-8"))
    path.write_text(text + extra, encoding="utf-8")
    return str(path)


def test_protocol_grading_numbers_reach_the_grade(tmp_path):
    chart = write_chart(tmp_path, NEWS2_SET)
    shipped = json_lines(run_grade(chart, "--json", "--system", "astct_crs"))[-1]["astct_crs"]
    assert shipped["grade"] == 1  # fever; systolic 92 (MAP 84) is not below 90 nor 65
    ward = _ward_protocol(tmp_path, WARD_PROTOCOL_GRADING)
    graded = json_lines(run_grade(chart, "--json", "--system", "astct_crs", "--protocol", ward))
    assert graded[-1]["astct_crs"]["grade"] == 2  # below the ward's 95 mmHg: hypotension
    assert any("95" in reason for reason in graded[-1]["astct_crs"]["reasons"])


def test_protocol_that_cannot_be_used_is_refused_with_exit_2(tmp_path):
    chart = write_chart(tmp_path, NEWS2_SET)
    bad = _ward_protocol(tmp_path, WARD_PROTOCOL_GRADING.replace("= 95", "= 950"))
    result = run_grade(chart, "--json", "--protocol", bad)
    assert result.returncode == 2 and result.stdout == ""
    assert "ward.toml line" in result.stderr and "'systolic_below_mmhg' = 950" in result.stderr
    assert "Traceback" not in result.stderr
    missing = run_grade(chart, "--json", "--protocol", str(tmp_path / "nowhere.toml"))
    assert missing.returncode == 2 and missing.stdout == ""
    assert "nowhere.toml: cannot be read" in missing.stderr
    no_source = _ward_protocol(
        tmp_path, "\n[grading.hypotension]\nsystolic_below_mmhg = 90\nmap_below_mmhg = 60\n"
    )
    result = run_grade(chart, "--json", "--protocol", no_source)
    assert result.returncode == 2 and "'source' must be non-empty text" in result.stderr
