"""Property tests (hypothesis) of the grading engine:

- more oxygen support or more vasopressors never lowers the ASTCT grade (REFERENCE.md §1.1);
- `max` never decreases over the timeline and is the running maximum of `grade`;
- grading a chart in one pass equals grading it value by value, in any order, and equals
  grading it with some rows added and then removed.
"""

from __future__ import annotations

from datetime import UTC

from hypothesis import given, settings
from hypothesis import strategies as st

from crs_desktop.domain.grading import SYSTEMS, Grader, GradingSettings
from crs_desktop.domain.observation import Observation

T0 = 1_795_132_800.0  # 2026-11-20T00:00:00Z
HOUR = 3600.0
SETTINGS = GradingSettings(alt_uln=40.0, creatinine_uln=100.0)
FEW = settings(max_examples=75, deadline=None)

# Values near the rules' boundaries, item by item (canonical units).
NUMBERS: dict[str, list[float]] = {
    "temperature": [35.0, 36.5, 37.9, 38.0, 38.6, 39.1, 40.2],
    "systolic_bp": [80, 89, 90, 95, 120, 225],
    "diastolic_bp": [40, 47, 60, 80],
    "heart_rate": [40, 75, 95, 135],
    "resp_rate": [8, 12, 22, 26],
    "spo2": [85, 90, 94, 97],
    "o2_flow": [0, 2, 5, 6, 7, 15],
    "fio2": [30, 39, 40, 60],
    "norepinephrine": [0, 5, 20, 30],
    "epinephrine": [0, 5, 10],
    "phenylephrine": [0, 100, 200],
    "dopamine": [0, 350, 700],
    "vasopressin": [0, 0.03],
    "fluid_bolus": [500],
    "paracetamol": [1000],
    "ibuprofen": [400],
    "tocilizumab": [560],
    "dexamethasone": [10],
    "alt": [30, 130, 250, 900],
    "creatinine": [90, 160, 350, 700],
    "ice_score": [0, 2, 3, 6, 7, 9, 10],
    "weight": [70],
}
WORDS: dict[str, list[str]] = {
    "o2_device": [
        "room_air",
        "blow_by",
        "nasal_cannula",
        "high_flow_nasal_cannula",
        "simple_mask",
        "venturi_mask",
        "non_rebreather",
        "cpap",
        "bipap",
        "mechanical_ventilation",
    ],
    "consciousness": [
        "alert",
        "awakens_spontaneously",
        "awakens_to_voice",
        "awakens_to_touch",
        "unarousable",
    ],
    "acvpu": ["A", "C", "V", "P", "U"],
    "seizure": ["none", "focal_resolved", "prolonged"],
    "motor_weakness": ["none", "hemiparesis"],
    "cerebral_edema": ["none", "focal", "diffuse"],
    "sedation": ["none", "sedated"],
    "death": ["crs", "icans", "other"],
}
ITEMS = sorted(NUMBERS) + sorted(WORDS)
PRESSORS = ["norepinephrine", "epinephrine", "phenylephrine", "dopamine", "vasopressin"]


@st.composite
def findings(draw, last_hour: int = 24):
    """(hour, item, value, text, note) for one charted value."""
    # Few distinct times, so that many values share an assessment or land in the past.
    hour = draw(st.integers(0, last_hour))
    item = draw(st.sampled_from(ITEMS))
    note = draw(st.sampled_from(["", "", "", "", "other_cause"]))
    if item in NUMBERS:
        return hour, item, float(draw(st.sampled_from(NUMBERS[item]))), None, note
    return hour, item, None, draw(st.sampled_from(WORDS[item])), note


def to_observations(rows, first_id: int = 1) -> list[Observation]:
    return [
        Observation(T0 + hour * HOUR, item, value, text, note=note, id=first_id + k)
        for k, (hour, item, value, text, note) in enumerate(rows)
    ]


charts = st.lists(findings(), min_size=1, max_size=40).map(to_observations)


def grade_in_one_pass(observations) -> Grader:
    """Worded as it walks: the graders compared with it word a moment only when asked."""
    g = Grader(SETTINGS, local_tz=UTC, word_every_time=True)
    g.add(observations)
    return g


def dump(g: Grader) -> list[tuple]:
    """Every time, reasons and all: through at() (worded when asked) unless worded already."""
    return [
        (g.at(gs.time).to_json_dict(), tuple(gs.systems[n].since for n in SYSTEMS))
        for gs in g.timeline()
    ]


def astct_at_end(observations) -> int:
    latest = grade_in_one_pass(observations).latest()
    assert latest is not None
    grade = latest.systems["astct_crs"].grade
    assert grade is not None
    return grade


# -- one pass == value by value ------------------------------------------------------------


@FEW
@given(observations=charts, data=st.data())
def test_one_pass_equals_value_by_value_in_any_order(observations, data):
    order = data.draw(st.permutations(observations))
    step = Grader(SETTINGS, local_tz=UTC)
    for obs in order:
        step.add([obs])
    assert dump(step) == dump(grade_in_one_pass(observations))


@FEW
@given(observations=charts, data=st.data())
def test_one_pass_equals_batches_in_any_order(observations, data):
    order = data.draw(st.permutations(observations))
    cut = data.draw(st.integers(0, len(order)))
    step = Grader(SETTINGS, local_tz=UTC)
    step.add(order[:cut])
    step.add(order[cut:])
    assert dump(step) == dump(grade_in_one_pass(observations))


@FEW
@given(observations=charts, extra=st.lists(findings(), min_size=1, max_size=10), data=st.data())
def test_rows_added_then_removed_leave_the_chart_as_it_was(observations, extra, data):
    extras = to_observations(extra, first_id=1000)
    g = Grader(SETTINGS, local_tz=UTC)
    g.add(data.draw(st.permutations(observations + extras)))
    g.remove([o.id for o in data.draw(st.permutations(extras))])
    assert dump(g) == dump(grade_in_one_pass(observations))


# -- max ------------------------------------------------------------------------------------


@FEW
@given(observations=charts)
def test_max_never_decreases_and_is_the_running_maximum(observations):
    g = grade_in_one_pass(observations)
    for name in SYSTEMS:
        best = None
        for gs in g.timeline():
            grade = gs.systems[name].grade
            if grade is not None:
                best = grade if best is None else max(best, grade)
            assert gs.systems[name].max == best, name


# -- monotone in oxygen support and vasopressors (REFERENCE.md §1.1, §1.4) ------------------

# The oxygen support ladder of §1.4 o2_level, as (device, flow) pairs. Each rung needs
# at least as much support as the ones before it.
SUPPORT_LADDER: list[list[tuple[str, float]]] = [
    [("room_air", 0)],
    # A high-flow cannula at <= 6 L/min is low flow (REFERENCE.md §1.3a item 5).
    [("blow_by", 0), ("nasal_cannula", 1), ("nasal_cannula", 6), ("high_flow_nasal_cannula", 5)],
    [
        ("nasal_cannula", 7),
        ("nasal_cannula", 15),
        ("high_flow_nasal_cannula", 40),
        ("simple_mask", 2),
        ("simple_mask", 8),
        ("venturi_mask", 10),
        ("non_rebreather", 15),
    ],
    [("cpap", 0), ("bipap", 0), ("mechanical_ventilation", 0)],
]
END = 30.0  # after every generated finding


def oxygen_at(hour: float, device: str, flow: float, first_id: int) -> list[Observation]:
    return to_observations(
        [(hour, "o2_device", None, device, ""), (hour, "o2_flow", flow, None, "")], first_id
    )


@st.composite
def weaker_and_stronger_support(draw):
    low = draw(st.integers(0, len(SUPPORT_LADDER) - 1))
    high = draw(st.integers(low, len(SUPPORT_LADDER) - 1))
    return draw(st.sampled_from(SUPPORT_LADDER[low])), draw(st.sampled_from(SUPPORT_LADDER[high]))


@FEW
@given(observations=charts, pair=weaker_and_stronger_support())
def test_more_oxygen_support_never_lowers_the_astct_grade(observations, pair):
    (weak_device, weak_flow), (strong_device, strong_flow) = pair
    weaker = astct_at_end(observations + oxygen_at(END, weak_device, weak_flow, 500))
    stronger = astct_at_end(observations + oxygen_at(END, strong_device, strong_flow, 500))
    assert stronger >= weaker


@FEW
@given(observations=charts, pair=weaker_and_stronger_support())
def test_stepping_up_oxygen_later_never_lowers_the_astct_grade(observations, pair):
    # The chart is on the weaker support; at a later time it steps up to the stronger one.
    (weak_device, weak_flow), (strong_device, strong_flow) = pair
    base = observations + oxygen_at(END, weak_device, weak_flow, 500)
    unchanged = base + to_observations([(END + 1, "heart_rate", 80.0, None, "")], 600)
    stepped_up = base + oxygen_at(END + 1, strong_device, strong_flow, 600)
    assert astct_at_end(stepped_up) >= astct_at_end(unchanged)


@FEW
@given(
    observations=charts,
    pressor=st.sampled_from(PRESSORS),
    rate=st.sampled_from([0.03, 1.0, 5.0, 25.0]),
)
def test_an_extra_vasopressor_later_never_lowers_the_astct_grade(observations, pressor, rate):
    unchanged = observations + to_observations([(END, "heart_rate", 80.0, None, "")], 600)
    more = observations + to_observations([(END, pressor, rate, None, "")], 600)
    assert astct_at_end(more) >= astct_at_end(unchanged)


@FEW
@given(
    observations=charts,
    first=st.sampled_from(PRESSORS),
    second=st.sampled_from(PRESSORS),
)
def test_a_second_vasopressor_never_lowers_the_astct_grade(observations, first, second):
    one = observations + to_observations([(END, first, 5.0, None, "")], 600)
    two = one + to_observations([(END + 1, second, 5.0, None, "")], 700)
    one_later = one + to_observations([(END + 1, "heart_rate", 80.0, None, "")], 700)
    assert astct_at_end(two) >= astct_at_end(one_later)
