"""ASTCT 2019 CRS grading: every row of REFERENCE.md §1.1 at its boundaries, and the §1.2 footnotes."""

from __future__ import annotations

from datetime import UTC

import pytest

from crs_desktop.domain.grading import Grader, GradingSettings
from tests.support.grading import HOUR, T0, chart, graded  # noqa: F401 (test_mutation_survivors imports them from here)


def crs(rows, settings: GradingSettings | None = None):
    """The ASTCT CRS SystemGrade at the last charted time."""
    latest = graded(rows, settings).latest()
    assert latest is not None
    return latest.systems["astct_crs"]


FEVER = (0, "temperature", 38.5)


# -- fever row: temperature >= 38.0 °C (§1.1, §1.2 *) ------------------------------


def test_fever_of_38_0_is_grade_1():
    g = crs([(8, "temperature", 38.0)])
    assert g.grade == 1
    assert g.reasons == ("fever: temperature 38.0 °C at 08:00",)
    assert g.flags == ()


def test_37_9_is_not_a_fever():
    g = crs([(8, "temperature", 37.9)])
    assert g.grade == 0


def test_fever_in_fahrenheit_converted_exactly_is_a_fever(tmp_path):
    # 100.4 °F is exactly 38.0 °C after conversion (vocabulary: exact fractions).
    from crs_desktop.interop.chart_csv import read_chart_csv, rows_to_observations

    path = tmp_path / "c.csv"
    path.write_text(
        "time,item,value,unit,note\n2026-11-20T08:00:00Z,temperature,100.4,degF,\n"
        "2026-11-20T09:00:00Z,temperature,100.2,degF,\n",
        encoding="utf-8",
    )
    g = Grader(local_tz=UTC)
    g.add(rows_to_observations(read_chart_csv(path)))
    first, second = g.timeline()
    assert first.systems["astct_crs"].grade == 1
    # 100.2 °F (37.9 °C) at 09:00 is no fever, but the 08:00 fever is still in the window.
    assert second.systems["astct_crs"].grade == 1


def test_no_fever_no_findings_is_grade_0():
    g = crs([(0, "temperature", 37.0), (0, "systolic_bp", 120), (0, "o2_device", "room_air")])
    assert (g.grade, g.reasons, g.flags) == (0, (), ())


# -- hypotension row (§1.1, §1.2 vasopressin, §1.4 bp_level) ------------------------


def test_fever_without_hypotension_or_hypoxia_is_grade_1():
    g = crs([FEVER, (0, "systolic_bp", 120), (0, "diastolic_bp", 70), (0, "o2_device", "room_air")])
    assert g.grade == 1


@pytest.mark.parametrize(("systolic", "expected"), [(89, 2), (89.9, 2), (90, 1), (91, 1)])
def test_hypotension_not_needing_vasopressors_systolic_boundary(systolic, expected):
    # Default threshold: systolic < 90 mmHg (REFERENCE.md §1.3 item 1, settings default).
    assert crs([FEVER, (1, "systolic_bp", systolic)]).grade == expected


@pytest.mark.parametrize(
    ("systolic", "diastolic", "expected"),
    [
        (100, 47, 2),  # MAP 64.7
        (95, 50, 1),  # MAP 65.0: not below 65
        (100, 48, 1),  # MAP 65.3
    ],
)
def test_hypotension_by_mean_arterial_pressure(systolic, diastolic, expected):
    g = crs([FEVER, (1, "systolic_bp", systolic), (1, "diastolic_bp", diastolic)])
    assert g.grade == expected


def test_configured_blood_pressure_thresholds():
    settings = GradingSettings(systolic_threshold=100.0, map_threshold=70.0)
    assert crs([FEVER, (1, "systolic_bp", 99)], settings).grade == 2
    assert crs([FEVER, (1, "systolic_bp", 100)], settings).grade == 1
    assert crs([FEVER, (1, "systolic_bp", 110), (1, "diastolic_bp", 49)], settings).grade == 2


def test_hypotension_is_the_latest_blood_pressure():
    g = graded([FEVER, (1, "systolic_bp", 85), (2, "systolic_bp", 115)])
    grades = [gs.systems["astct_crs"].grade for gs in g.timeline()]
    assert grades == [1, 2, 1]


def test_hypotension_reason_names_the_reading():
    g = crs([FEVER, (1, "systolic_bp", 85)])
    assert any("systolic BP 85 mmHg at 01:00" in r for r in g.reasons), g.reasons


@pytest.mark.parametrize("pressor", ["norepinephrine", "epinephrine", "phenylephrine", "dopamine"])
def test_one_vasopressor_is_grade_3(pressor):
    g = crs([FEVER, (1, pressor, 5)])
    assert g.grade == 3
    assert any(pressor in r and "one vasopressor" in r for r in g.reasons), g.reasons


def test_one_vasopressor_with_vasopressin_is_grade_3():
    # §1.2: "a vasopressor with or without vasopressin" is grade 3.
    g = crs([FEVER, (1, "norepinephrine", 6), (1, "vasopressin", 0.03)])
    assert g.grade == 3


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("norepinephrine", "phenylephrine"),
        ("norepinephrine", "epinephrine"),
        ("norepinephrine", "dopamine"),
        ("epinephrine", "phenylephrine"),
        ("epinephrine", "dopamine"),
        ("phenylephrine", "dopamine"),
    ],
)
def test_two_non_vasopressin_vasopressors_are_grade_4(first, second):
    g = crs([FEVER, (1, first, 5), (2, second, 50)])
    assert g.grade == 4
    assert any("more than one vasopressor" in r for r in g.reasons), g.reasons


def test_vasopressin_does_not_count_towards_multiple_vasopressors():
    # Norepinephrine + vasopressin is 3; add phenylephrine and it is 4 (§1.2).
    g = graded(
        [FEVER, (1, "norepinephrine", 6), (2, "vasopressin", 0.04), (3, "phenylephrine", 100)]
    )
    assert [gs.systems["astct_crs"].grade for gs in g.timeline()] == [1, 3, 3, 4]


def test_vasopressin_alone_is_grade_3_with_a_review_flag():
    # §1.3 item 3: not addressed by the sources; grade 3 plus a clinician-review flag.
    g = crs([FEVER, (1, "vasopressin", 0.03)])
    assert g.grade == 3
    assert any("vasopressin alone" in f for f in g.flags), g.flags


def test_vasopressor_grade_ignores_the_dose():
    # §1.3 item 5: ASTCT has no high-dose concept, only the number of agents.
    assert crs([FEVER, (1, "norepinephrine", 0.5)]).grade == 3
    assert crs([FEVER, (1, "norepinephrine", 80)]).grade == 3


def test_vasopressor_reason_says_running_since():
    g = crs([FEVER, (7 + 40 / 60, "norepinephrine", 6), (9, "norepinephrine", 8)])
    assert any(
        "norepinephrine 8 µg/min running since 07:40" in r for r in g.reasons
    ), g.reasons


# -- hypoxia row (§1.1, §1.2 ‡, §1.3 item 9) ----------------------------------------


@pytest.mark.parametrize(
    ("flow", "expected"),
    [(1, 2), (6, 2), (6.5, 3), (7, 3), (15, 3)],
)
def test_nasal_cannula_flow_boundary(flow, expected):
    # ‡ "Low-flow nasal cannula is ... <=6 L/min"; "High-flow ... >6 L/min".
    g = crs([FEVER, (1, "o2_device", "nasal_cannula"), (1, "o2_flow", flow)])
    assert g.grade == expected


def test_nasal_cannula_flow_change_regrades():
    g = graded(
        [
            FEVER,
            (1, "o2_device", "nasal_cannula"),
            (1, "o2_flow", 6),
            (2, "o2_flow", 7),
            (3, "o2_flow", 4),
        ]
    )
    assert [gs.systems["astct_crs"].grade for gs in g.timeline()] == [1, 2, 3, 2]


def test_nasal_cannula_without_flow_is_low_flow_with_a_flag():
    g = crs([FEVER, (1, "o2_device", "nasal_cannula")])
    assert g.grade == 2
    assert any("no flow charted" in f for f in g.flags), g.flags


def test_flow_charted_for_an_earlier_device_does_not_count_for_the_cannula():
    g = crs(
        [FEVER, (1, "o2_device", "simple_mask"), (1, "o2_flow", 10), (2, "o2_device", "nasal_cannula")]
    )
    assert g.grade == 2
    assert any("no flow charted" in f for f in g.flags), g.flags


def test_blow_by_is_low_flow_grade_2():
    g = crs([FEVER, (1, "o2_device", "blow_by")])
    assert g.grade == 2
    assert any("blow-by" in r for r in g.reasons), g.reasons  # the ward word


@pytest.mark.parametrize(
    "device", ["high_flow_nasal_cannula", "simple_mask", "venturi_mask", "non_rebreather"]
)
def test_high_flow_and_masks_are_grade_3(device):
    assert crs([FEVER, (1, "o2_device", device)]).grade == 3


@pytest.mark.parametrize("flow", [1, 2, 5])
def test_facemask_at_low_flow_is_still_grade_3(flow):
    # §1.3 item 9: a simple facemask at any flow is grade 3; only the cannula uses 6 L/min.
    g = crs([FEVER, (1, "o2_device", "simple_mask"), (1, "o2_flow", flow)])
    assert g.grade == 3


@pytest.mark.parametrize("device", ["cpap", "bipap", "mechanical_ventilation"])
def test_positive_pressure_is_grade_4(device):
    g = crs([FEVER, (1, "o2_device", device)])
    assert g.grade == 4
    # Named in ward words: "CPAP", not the code "cpap".
    shown = {"cpap": "CPAP", "bipap": "BiPAP", "mechanical_ventilation": "mechanical ventilation"}
    assert any(shown[device] in r for r in g.reasons), g.reasons


def test_back_to_room_air_ends_the_hypoxia():
    g = graded([FEVER, (1, "o2_device", "non_rebreather"), (2, "o2_device", "room_air")])
    assert [gs.systems["astct_crs"].grade for gs in g.timeline()] == [1, 3, 1]


# -- the worse of the two (§1.2 †) and what does not count ----------------------------


def test_reference_example_fever_one_vasopressor_and_low_flow_is_grade_3():
    # §1.2 †: 39.5 °C, hypotension needing 1 vasopressor, low-flow nasal cannula: grade 3.
    g = crs(
        [
            (0, "temperature", 39.5),
            (1, "norepinephrine", 5),
            (1, "o2_device", "nasal_cannula"),
            (1, "o2_flow", 2),
        ]
    )
    assert g.grade == 3
    assert len(g.reasons) == 3  # fever, the vasopressor, the oxygen


@pytest.mark.parametrize(
    ("bp_rows", "o2_rows", "expected"),
    [
        ([(1, "systolic_bp", 85)], [(1, "o2_device", "cpap")], 4),
        ([(1, "norepinephrine", 5), (1, "epinephrine", 5)], [(1, "o2_device", "blow_by")], 4),
        ([(1, "systolic_bp", 85)], [(1, "o2_device", "venturi_mask")], 3),
        ([(1, "norepinephrine", 5)], [(1, "o2_device", "room_air")], 3),
    ],
)
def test_grade_is_the_worse_of_hypotension_and_hypoxia(bp_rows, o2_rows, expected):
    assert crs([FEVER, *bp_rows, *o2_rows]).grade == expected


def test_organ_toxicity_does_not_change_the_astct_grade():
    # §1.2: organ toxicities "do not influence CRS grading".
    settings = GradingSettings(alt_uln=40.0, creatinine_uln=100.0)
    g = graded([FEVER, (1, "alt", 2000), (1, "creatinine", 900)], settings).latest()
    assert g is not None
    assert g.systems["astct_crs"].grade == 1
    assert g.systems["lee2014_crs"].grade == 4  # the same labs do count for Lee 2014


def test_hypotension_or_hypoxia_without_fever_is_not_crs_but_flagged():
    # §1.4: not (fever_now or waiver) -> "no CRS by ASTCT" (still alert on bp/o2 levels).
    g = crs([(0, "temperature", 37.2), (1, "systolic_bp", 80), (1, "o2_device", "non_rebreather")])
    assert g.grade == 0
    assert any("without fever" in f for f in g.flags), g.flags


def test_spo2_alone_does_not_grade():
    # §1.3 item 2: grading follows the oxygen delivery; SpO2 is not a criterion.
    assert crs([FEVER, (1, "spo2", 84)]).grade == 1


# -- grade 5 and other_cause -----------------------------------------------------------


def test_death_from_crs_is_grade_5():
    g = graded([FEVER, (1, "norepinephrine", 5), (5, "death", "crs")])
    latest = g.latest()
    assert latest is not None
    crs_grade = latest.systems["astct_crs"]
    assert (crs_grade.grade, crs_grade.max) == (5, 5)
    assert crs_grade.reasons == ("death attributed to CRS at 05:00",)
    # The other CRS systems agree; ICANS does not read a CRS death.
    assert latest.systems["lee2014_crs"].grade == 5
    assert latest.systems["ctcae_crs"].grade == 5
    assert latest.systems["astct_icans"].grade == 0


@pytest.mark.parametrize("cause", ["other", "icans"])
def test_death_from_another_cause_is_not_crs_grade_5(cause):
    g = crs([FEVER, (1, "norepinephrine", 5), (5, "death", cause)])
    assert g.grade == 3


def test_fever_noted_other_cause_is_left_out():
    g = crs([(0, "temperature", 39.0, "other_cause: line infection")])
    assert g.grade == 0


def test_fever_other_cause_does_not_hide_an_earlier_crs_fever():
    g = crs([(0, "temperature", 38.4), (2, "temperature", 39.5, "other_cause")])
    assert g.grade == 1
    assert g.reasons == ("fever: temperature 38.4 °C at 00:00",)


def test_hypotension_noted_other_cause_is_left_out():
    g = crs([FEVER, (1, "systolic_bp", 80, "other_cause: bleeding")])
    assert g.grade == 1


def test_map_from_a_reading_noted_other_cause_is_left_out():
    # The whole reading is attributed elsewhere: neither its systolic nor its MAP counts.
    g = crs([FEVER, (1, "systolic_bp", 95, "other_cause"), (1, "diastolic_bp", 40)])
    assert g.grade == 1


def test_vasopressor_noted_other_cause_is_left_out():
    g = crs([FEVER, (1, "norepinephrine", 8, "other_cause: sepsis")])
    assert g.grade == 1


def test_oxygen_device_noted_other_cause_is_left_out_with_a_flag():
    g = crs([FEVER, (1, "o2_device", "cpap", "other_cause: sleep apnoea")])
    assert g.grade == 1
    assert any("another cause" in f for f in g.flags), g.flags


def test_other_cause_is_case_insensitive_in_the_note():
    assert crs([(0, "temperature", 39.0, "Other_Cause")]).grade == 0


@pytest.mark.parametrize(
    ("rows", "said"),
    [
        ([(0, "temperature", 39.0, "other_cause: line infection")], "temperature 39.0 °C"),
        ([FEVER, (1, "systolic_bp", 80, "other_cause: bleeding")], "systolic BP 80 mmHg"),
        ([FEVER, (1, "systolic_bp", 95, "other_cause"), (1, "diastolic_bp", 40)], "systolic BP 95"),
        ([FEVER, (1, "norepinephrine", 8, "other_cause: sepsis")], "norepinephrine 8"),
    ],
)
def test_a_finding_left_out_as_another_cause_is_said_in_the_flags(rows, said):
    """The grade leaves it out (REFERENCE.md §1.3 item 6: the nurse attributes, the app
    cannot), and says so: whoever reads the grade sees what it does not count."""
    g = crs(rows)
    left_out = [f for f in g.flags if "noted as due to another cause" in f]
    assert len(left_out) == 1 and left_out[0].startswith(said), g.flags


def test_nothing_is_said_when_the_finding_left_out_would_not_count_anyway():
    assert not any("another cause" in f for f in crs([(0, "temperature", 37.2, "other_cause")]).flags)
    # A low systolic counted as it is: a diastolic noted other_cause changes nothing.
    g = crs([FEVER, (1, "systolic_bp", 80), (1, "diastolic_bp", 40, "other_cause")])
    assert g.grade == 2 and not any("another cause" in f for f in g.flags)
    # A fever older than the window is no longer a finding.
    g = crs([(0, "temperature", 39.0, "other_cause"), (30, "heart_rate", 80)])
    assert not any("another cause" in f for f in g.flags)
