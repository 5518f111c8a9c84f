"""Grading over time: the fever waiver and window (REFERENCE.md §1.2, §1.3 items 7-8), vasopressors
stopping, death, `max` and `since`, and incremental grading (back-dated values, removed rows)."""

from __future__ import annotations

import random
from datetime import UTC

import pytest

from crs_desktop.domain.grading import SYSTEMS, Grader, GradingSettings
from crs_desktop.domain.grading.grader import SNAPSHOT_EVERY, NotWorded
from crs_desktop.domain.observation import Observation
from tests.support.grading import HOUR, T0, chart, graded


def column(g: Grader, name: str = "astct_crs", field: str = "grade") -> list:
    return [getattr(gs.systems[name], field) for gs in g.timeline()]


def dump(g: Grader) -> list[tuple]:
    """Everything a timeline says: the grade-json.md shape plus `since` of every system,
    every time worded through at() (as a reader of one moment gets it)."""
    return [
        (g.at(gs.time).to_json_dict(), tuple(gs.systems[n].since for n in SYSTEMS))
        for gs in g.timeline()
    ]


def crs_now(rows, settings: GradingSettings | None = None):
    latest = graded(rows, settings).latest()
    assert latest is not None
    return latest.systems["astct_crs"]


# -- the fever waiver (§1.2 *) -----------------------------------------------------------

WAIVING_DRUGS = [
    ("tocilizumab", 560),
    ("siltuximab", 770),
    ("anakinra", 100),
    ("paracetamol", 1000),
    ("ibuprofen", 400),
    ("dexamethasone", 10),
    ("methylprednisolone", 500),
    ("hydrocortisone", 100),
]


@pytest.mark.parametrize(("drug", "dose"), WAIVING_DRUGS)
def test_fever_is_no_longer_required_after_a_drug_given_after_crs_began(drug, dose):
    # Fever at 08:00 (grade 1: CRS has begun), the drug at 09:00, then - a day and more
    # later, with no fever in the window - hypotension is still graded.
    g = crs_now(
        [
            (8, "temperature", 38.6),
            (9, drug, dose),
            (40, "temperature", 37.0),
            (40, "systolic_bp", 82),
        ]
    )
    assert g.grade == 2
    assert any(
        f"fever no longer required after {drug.lower()}" in r and "at 20 Nov 09:00" in r
        for r in g.reasons
    ), g.reasons


def test_waiver_reason_names_the_drug_and_its_time():
    g = crs_now(
        [(5, "temperature", 39.0), (6, "tocilizumab", 560), (30, "norepinephrine", 6)]
    )
    assert g.grade == 3
    assert any("tocilizumab 560 mg at 20 Nov 06:00" in r for r in g.reasons), g.reasons


def test_premedication_before_crs_does_not_waive_fever_and_is_flagged():
    # §1.2: premedication before the infusion does not start the waiver; "clinician review".
    g = graded(
        [
            (7, "paracetamol", 650),
            (8, "car_t_infusion", "axicabtagene ciloleucel"),
            (12, "temperature", 37.4),
            (12, "systolic_bp", 84),
        ]
    )
    latest = g.latest()
    assert latest is not None
    crs = latest.systems["astct_crs"]
    assert crs.grade == 0
    assert any("without fever" in f for f in crs.flags), crs.flags
    assert any("masked by paracetamol 650 mg at 07:00" in f for f in crs.flags), crs.flags


def test_premedication_flag_only_while_the_drug_is_within_the_fever_window():
    g = crs_now([(0, "paracetamol", 650), (30, "systolic_bp", 84)])
    assert g.grade == 0
    assert any("without fever" in f for f in g.flags)
    assert not any("masked by" in f for f in g.flags), g.flags


def test_premedication_never_becomes_the_waiver_after_crs_begins():
    # Premedication at 07:00, fever at 12:00 (CRS begins), hypotension: grade 2. Two days
    # later, still hypotensive but afebrile and no drug given since CRS began: no waiver.
    g = graded(
        [
            (7, "paracetamol", 650),
            (12, "temperature", 38.3),
            (13, "systolic_bp", 84),
            (60, "systolic_bp", 84),
        ]
    )
    assert column(g) == [0, 1, 2, 0]


def test_no_waiver_without_crs_even_with_a_drug():
    g = crs_now([(0, "tocilizumab", 560), (2, "systolic_bp", 80), (2, "temperature", 37.0)])
    assert g.grade == 0


def test_treated_crs_with_no_gradable_features():
    # §1.3 item 7: after tocilizumab, afebrile, normotensive, room air: grade 0, said so.
    g = crs_now(
        [
            (0, "temperature", 38.8),
            (1, "tocilizumab", 560),
            (30, "temperature", 36.9),
            (30, "systolic_bp", 120),
            (30, "o2_device", "room_air"),
        ]
    )
    assert g.grade == 0
    assert any("CRS (treated)" in r for r in g.reasons), g.reasons


def test_waiver_with_hypoxia_after_steroid():
    g = graded(
        [
            (0, "temperature", 38.8),
            (2, "dexamethasone", 10),
            (3, "temperature", 37.0),
            (30, "o2_device", "nasal_cannula"),
            (30, "o2_flow", 8),
        ]
    )
    assert column(g) == [1, 1, 1, 3]


# -- the fever window (§1.3 item 8; 24 h default, configurable) ---------------------------


@pytest.mark.parametrize(("hours", "expected"), [(1, 2), (23.99, 2), (24, 2), (24.01, 0), (30, 0)])
def test_fever_counts_within_24_hours(hours, expected):
    g = crs_now([(0, "temperature", 38.5), (hours, "systolic_bp", 84)])
    assert g.grade == expected


def test_fever_outside_the_window_says_when_it_was():
    g = crs_now([(0, "temperature", 38.5), (25, "systolic_bp", 84)])
    assert g.grade == 0
    assert any("no fever in the last 24 h" in r and "38.5 °C" in r for r in g.reasons), g.reasons


@pytest.mark.parametrize(("hours", "expected"), [(6, 2), (6.01, 0)])
def test_configured_fever_window(hours, expected):
    settings = GradingSettings(fever_window_h=6.0)
    assert crs_now([(0, "temperature", 38.5), (hours, "systolic_bp", 84)], settings).grade == expected


def test_a_later_normal_temperature_does_not_cancel_a_fever_in_the_window():
    g = graded([(0, "temperature", 38.5), (2, "temperature", 36.8), (3, "systolic_bp", 84)])
    assert column(g) == [1, 1, 2]


def test_fever_alone_ends_when_it_leaves_the_window():
    g = graded([(0, "temperature", 38.5), (10, "temperature", 37.0), (24.5, "temperature", 37.0)])
    assert column(g) == [1, 1, 0]


# -- vasopressors over time ----------------------------------------------------------------


def test_a_vasopressor_stopped_lowers_the_grade():
    # chart-csv.md: a rate of 0 means stopped.
    g = graded(
        [
            (0, "temperature", 38.5),
            (1, "norepinephrine", 5),
            (2, "phenylephrine", 100),
            (3, "phenylephrine", 0),
            (4, "norepinephrine", 0),
            (4, "systolic_bp", 86),
            (5, "systolic_bp", 110),
        ]
    )
    assert column(g) == [1, 3, 4, 3, 2, 1]


def test_running_since_restarts_after_a_stop():
    g = crs_now(
        [
            (0, "temperature", 38.5),
            (1, "norepinephrine", 5),
            (2, "norepinephrine", 0),
            (3, "norepinephrine", 4),
            (4, "norepinephrine", 6),
        ]
    )
    assert any("running since 03:00" in r for r in g.reasons), g.reasons


# -- death, max, since, at ----------------------------------------------------------------


def test_death_from_crs_is_grade_5_from_then_on():
    g = graded([(0, "temperature", 38.5), (1, "o2_device", "cpap"), (6, "death", "crs")])
    assert column(g) == [1, 4, 5]
    assert column(g, field="max") == [1, 4, 5]


def test_max_and_since():
    g = graded(
        [
            (0, "temperature", 38.5),
            (1, "norepinephrine", 5),
            (2, "heart_rate", 110),
            (3, "norepinephrine", 0),
            (4, "heart_rate", 100),
        ]
    )
    assert column(g) == [1, 3, 3, 1, 1]
    assert column(g, field="max") == [1, 3, 3, 3, 3]
    assert column(g, field="since") == [T0, T0 + HOUR, T0 + HOUR, T0 + 3 * HOUR, T0 + 3 * HOUR]


def test_at_gives_the_grades_of_the_latest_charted_time_at_or_before():
    g = graded([(1, "temperature", 38.5), (3, "norepinephrine", 5)])
    assert g.at(T0) is None
    first, second = g.timeline()
    assert g.at(T0 + HOUR).time == first.time
    assert g.at(T0 + 2.5 * HOUR).time == first.time
    assert g.at(T0 + 3 * HOUR).time == second.time
    assert g.at(T0 + 100 * HOUR).time == second.time
    assert g.at(T0 + 2.5 * HOUR).systems["astct_crs"].reasons == (
        "fever: temperature 38.5 °C at 01:00",
    )
    assert len(g) == 2


def test_one_line_per_distinct_time():
    g = graded([(1, "temperature", 38.5), (1, "systolic_bp", 80), (2, "heart_rate", 90)])
    assert [gs.time for gs in g.timeline()] == [T0 + HOUR, T0 + 2 * HOUR]
    assert column(g) == [2, 2]


# -- incremental: back-dated values and removed rows ------------------------------------------

STORY = [
    (0, "temperature", 37.2),
    (0, "systolic_bp", 118),
    (2, "temperature", 38.4),
    (3, "paracetamol", 1000),
    (5, "systolic_bp", 86),
    (6, "norepinephrine", 5),
    (6, "o2_device", "nasal_cannula"),
    (6, "o2_flow", 3),
    (8, "ice_score", 8),
    (9, "o2_flow", 8),
    (10, "vasopressin", 0.03),
    (12, "phenylephrine", 80),
    (14, "phenylephrine", 0),
    (30, "temperature", 37.0),
    (30, "norepinephrine", 0),
    (30, "systolic_bp", 104),
    (31, "o2_device", "room_air"),
]


def test_values_added_one_by_one_in_time_order_equal_one_pass():
    whole = graded(STORY)
    step = Grader(GradingSettings(), local_tz=UTC)
    for obs in chart(STORY):
        step.add([obs])
    assert dump(step) == dump(whole)


def test_a_back_dated_value_regrades_from_where_it_lands():
    # The 2 h fever is charted late, after everything else: grades before 02:00 do not
    # change, and from 02:00 on they are those of the chart graded in one pass.
    rows = chart(STORY)
    fever = rows[2]
    without = [o for o in rows if o is not fever]
    g = Grader(GradingSettings(), local_tz=UTC)
    g.add(without)
    before = dump(g)
    assert column(g)[:6] == [0, 0, 0, 0, 0, 0]  # no fever charted yet: not CRS by ASTCT
    assert g.add([fever]) == fever.time
    whole = Grader(GradingSettings(), local_tz=UTC)
    whole.add(rows)
    assert dump(g) == dump(whole)
    assert dump(g)[:1] == before[:1]  # 00:00 is unchanged
    assert column(g)[:5] == [0, 1, 1, 2, 3]


def test_a_back_dated_value_at_an_existing_time_joins_that_assessment():
    rows = chart(STORY)
    g = Grader(GradingSettings(), local_tz=UTC)
    g.add(rows)
    extra = Observation(T0 + 5 * HOUR, "o2_device", None, "cpap", id=999)
    g.add([extra])
    whole = Grader(GradingSettings(), local_tz=UTC)
    whole.add([*rows, extra])
    assert dump(g) == dump(whole)
    assert g.at(T0 + 5 * HOUR).systems["astct_crs"].grade == 4  # type: ignore[union-attr]


def test_removing_an_entered_in_error_row_regrades_as_if_never_charted():
    rows = chart(STORY)
    g = Grader(GradingSettings(), local_tz=UTC)
    g.add(rows)
    assert max(column(g, field="max")) == 4
    phenylephrine = next(o for o in rows if o.item == "phenylephrine" and o.value)
    assert g.remove([phenylephrine.id]) == phenylephrine.time
    whole = Grader(GradingSettings(), local_tz=UTC)
    whole.add([o for o in rows if o is not phenylephrine])
    assert dump(g) == dump(whole)
    assert max(column(g, field="max")) == 3
    assert g.remove([123456]) is None  # an unknown id changes nothing


def test_removing_the_only_row_at_a_time_removes_that_time():
    g = graded([(1, "temperature", 38.5), (2, "systolic_bp", 80), (3, "heart_rate", 90)])
    second_id = 2
    g.remove([second_id])
    assert [gs.time for gs in g.timeline()] == [T0 + HOUR, T0 + 3 * HOUR]
    assert column(g) == [1, 1]
    assert column(g, field="max") == [1, 1]


def long_chart(seed: int, hours: int = 400) -> list[Observation]:
    """Hundreds of time points (more than one snapshot interval) with a CRS story in them."""
    rng = random.Random(seed)
    rows: list[tuple] = []
    for h in range(hours):
        rows.append((h, "temperature", round(rng.uniform(36.5, 39.5), 1)))
        rows.append((h, "systolic_bp", rng.choice([80, 95, 120])))
        rows.append((h, "heart_rate", rng.randint(60, 140)))
        if h % 7 == 0:
            rows.append((h, "norepinephrine", rng.choice([0, 5, 25])))
        if h % 11 == 0:
            rows.append((h, "o2_device", rng.choice(["room_air", "nasal_cannula", "cpap"])))
            rows.append((h, "o2_flow", rng.choice([2, 6, 7])))
        if h % 13 == 0:
            rows.append((h, "ice_score", rng.randint(0, 10)))
        if h % 50 == 25:
            rows.append((h, "tocilizumab", 560))
    for k in range(5):
        rows.append((hours + k, "resp_rate", 18))
    return chart(rows)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_back_dated_values_in_a_long_chart_equal_one_pass(seed):
    rows = long_chart(seed)
    rng = random.Random(seed)
    late = rng.sample(rows, 25)
    late_ids = {o.id for o in late}
    g = Grader(GradingSettings(), local_tz=UTC)
    g.add([o for o in rows if o.id not in late_ids])
    for obs in late:  # each lands somewhere in the past, some between snapshots
        g.add([obs])
    whole = Grader(GradingSettings(), local_tz=UTC, word_every_time=True)
    whole.add(rows)
    assert dump(g) == dump(whole)


@pytest.mark.parametrize("seed", [4, 5])
def test_removing_rows_in_a_long_chart_equals_one_pass_without_them(seed):
    rows = long_chart(seed)
    rng = random.Random(seed)
    gone = rng.sample(rows, 30)
    gone_ids = {o.id for o in gone}
    g = Grader(GradingSettings(), local_tz=UTC)
    g.add(rows)
    for obs in gone:
        g.remove([obs.id])
    whole = Grader(GradingSettings(), local_tz=UTC, word_every_time=True)
    whole.add([o for o in rows if o.id not in gone_ids])
    assert dump(g) == dump(whole)


@pytest.mark.parametrize("seed", [6, 7])
def test_a_moment_worded_when_read_says_what_wording_every_time_says(seed):
    """The walk words only the latest time; any other is re-graded from the snapshot
    before it when read. Fevers, vasopressors held high for hours (Lee's clock),
    tocilizumab after CRS began (the fever waiver): the state grading itself changes."""
    # ...ending a day and more afebrile on norepinephrine: the waiver speaks.
    after = [(h, "temperature", 37.0) for h in range(405, 440)] + [(405, "norepinephrine", 5)]
    rows = long_chart(seed) + chart(after, 5000)
    lazy = Grader(GradingSettings(), local_tz=UTC)
    lazy.add(rows)
    eager = Grader(GradingSettings(), local_tz=UTC, word_every_time=True)
    eager.add(rows)
    assert len(lazy) > 3 * SNAPSHOT_EVERY
    order = list(range(len(lazy)))
    random.Random(seed).shuffle(order)  # read in any order, not only forwards
    times = [gs.time for gs in eager.timeline()]
    for index in order:
        assert lazy.at(times[index]) == eager.timeline()[index]
    said = {
        r.split(" after ")[0] for gs in eager.timeline() for r in gs.systems["astct_crs"].reasons
    }
    assert "fever no longer required" in said  # the story has what it is meant to test
    said = {r.split(":")[0] for gs in eager.timeline() for r in gs.systems["lee2014_crs"].reasons}
    assert "high-dose vasopressor" in said


def test_reasons_of_a_moment_left_unworded_are_refused_not_empty():
    g = graded([(1, "temperature", 38.5), (2, "temperature", 38.9), (3, "heart_rate", 90)])
    first = g.timeline()[0].systems["astct_crs"]
    assert first.grade == 1
    with pytest.raises(NotWorded):
        first.reasons  # noqa: B018
    with pytest.raises(NotWorded):
        first.flags  # noqa: B018
    assert g.at(T0 + HOUR).systems["astct_crs"].reasons == ("fever: temperature 38.5 °C at 01:00",)
    assert g.latest().systems["astct_crs"].reasons == ("fever: temperature 38.9 °C at 02:00",)


def test_a_back_dated_fever_lifts_the_max_from_where_it_lands():
    g = graded([(1, "systolic_bp", 80), (2, "systolic_bp", 80), (3, "heart_rate", 90)])
    assert column(g, field="max") == [0, 0, 0]
    g.add(chart([(1.5, "temperature", 38.2)], first_id=100))
    assert column(g) == [0, 2, 2, 2]
    assert column(g, field="max") == [0, 2, 2, 2]


@pytest.mark.parametrize(
    "systems",
    [("astct_icans", "news2"), ("lee2014_crs",), ("ctcae_crs", "astct_crs"), ("news2",)],
)
def test_a_grader_of_some_systems_grades_them_as_the_full_grader_does(systems):
    """The handover grades only what it prints (ASTCT CRS always comes too): each chosen
    system's timeline is the full grader's, reasons, maxima and all."""
    rows = long_chart(7) + chart([(30, "paracetamol", 1000), (200, "dexamethasone", 10)], 900)
    rows.sort(key=lambda o: o.time)
    some = Grader(GradingSettings(), local_tz=UTC, systems=systems)
    some.add(rows)
    every = Grader(GradingSettings(), local_tz=UTC)
    every.add(rows)
    assert set(some.latest().systems) == {"astct_crs", *systems}
    for part, whole in zip(some.timeline(), every.timeline(), strict=True):
        assert part.time == whole.time
        worded_part, worded_whole = some.at(part.time), every.at(whole.time)
        for name in systems:
            assert worded_part.systems[name] == worded_whole.systems[name]


def test_an_unknown_system_is_refused_by_name():
    with pytest.raises(ValueError, match="astct_cytokine"):
        Grader(systems=("astct_crs", "astct_cytokine"))
