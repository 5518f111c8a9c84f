"""The oxygen course the plots draw agrees with the oxygen grading reads: a device change
drops the flow charted for the device before it."""

from __future__ import annotations

from datetime import UTC

from crs_desktop.domain.grading import Grader
from crs_desktop.domain.observation import Observation
from crs_desktop.domain.oxygen_course import OxygenCharted, oxygen_course

T0 = 1_795_132_800.0
HOUR = 3600.0

# (hour, item, value, word): flows belong to the device charted with or before them.
STORY = [
    (1, "o2_device", None, "high_flow_nasal_cannula"),
    (1, "o2_flow", 40.0, None),
    (2, "o2_device", None, "nasal_cannula"),  # the 40 L/min was the HFNC's
    (3, "o2_flow", 8.0, None),  # now a cannula over 6 L/min: high flow
    (4, "o2_device", None, "non_rebreather"),
    (5, "o2_flow", 3.0, None),  # typed before its device, charted at the same time
    (5, "o2_device", None, "nasal_cannula"),
    (6, "o2_device", None, "room_air"),
]


def test_each_state_is_what_grading_reads():
    charted = [OxygenCharted(T0 + h * HOUR, item, value, word) for h, item, value, word in STORY]
    course = oxygen_course(charted)
    assert [(s.device, s.flow) for s in course] == [
        ("high_flow_nasal_cannula", 40.0),
        ("nasal_cannula", None),
        ("nasal_cannula", 8.0),
        ("non_rebreather", None),
        ("nasal_cannula", 3.0),
        ("room_air", None),
    ]
    assert [s.band for s in course] == [2, 1, 2, 2, 1, 0]
    # With a fever and a normal blood pressure, ASTCT CRS is the oxygen level: band + 1.
    rows = [Observation(T0, "temperature", 39.0, id=1)] + [
        Observation(T0 + h * HOUR, item, value, word, id=n)
        for n, (h, item, value, word) in enumerate(STORY, start=2)
    ]
    grader = Grader(local_tz=UTC)
    grader.add(rows)
    for state in course:
        crs = grader.at(state.time).systems["astct_crs"].grade
        assert crs == state.band + 1, state


def test_a_flow_before_any_device_has_no_device():
    (state,) = oxygen_course([OxygenCharted(T0, "o2_flow", 2.0, None)])
    assert (state.device, state.flow, state.band) == (None, 2.0, 0)
