"""The grader grades exactly as it did before it was made cheaper to hold a long chart:
long generated charts (fever episodes, hypotension, oxygen, vasopressors, drugs,
corrections, back-dated values, rows entered in error) and the demo, read from a real
store, compared time by time with the timelines the unchanged code gave
(tests/support/grade_golden.py wrote tests/golden/grade_timelines.json.gz)."""

from __future__ import annotations

import pytest

from tests.support import grade_golden as golden


@pytest.fixture(scope="module")
def expected():
    return golden.expected()


@pytest.mark.parametrize(
    "name, seed, days, step_min, every",
    [("long_a", 1, 3.0, 2.0, 97), ("long_b", 2, 2.0, 1.0, 211)],
)
def test_a_long_chart_grades_as_before(expected, name, seed, days, step_min, every):
    got = golden.normalised(golden.grade_long(seed, days, step_min, every))
    for step in ("read", "back_dated", "end"):
        want = expected[name][step]
        assert got[step]["changes"] == want["changes"], step
        assert got[step]["worded"] == want["worded"], step
        assert got[step]["latest"] == want["latest"], step


@pytest.mark.parametrize(
    "name, seed, days, step_min, every",
    [("long_a", 1, 3.0, 2.0, 97), ("long_b", 2, 2.0, 1.0, 211)],
)
def test_a_long_chart_added_in_any_order_grades_as_before(
    expected, name, seed, days, step_min, every
):
    got = golden.normalised(golden.grade_shuffled(seed, days, step_min, every))
    assert got == expected[name]["end"]


def test_a_chart_worded_at_every_time_reads_as_before(expected):
    assert golden.normalised(golden.grade_every_word(3)) == expected["every_word"]


def test_the_demo_read_from_a_store_grades_as_before(expected, tmp_path):
    assert golden.normalised(golden.grade_demo(tmp_path)) == expected["demo"]
