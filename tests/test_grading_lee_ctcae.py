"""Lee 2014 CRS (REFERENCE.md §2.1, §2.2) and CTCAE v5.0 CRS (§3), row by row at their boundaries."""

from __future__ import annotations

from datetime import UTC

import pytest

from crs_desktop.domain.grading import Grader, GradingSettings
from crs_desktop.domain.observation import Observation
from tests.support.grading import T0, graded

LABS = GradingSettings(alt_uln=40.0, creatinine_uln=100.0)


def system(name: str, rows, settings: GradingSettings | None = None):
    latest = graded(rows, settings).latest()
    assert latest is not None
    return latest.systems[name]


def lee(rows, settings: GradingSettings | None = None):
    return system("lee2014_crs", rows, settings)


def ctcae(rows, settings: GradingSettings | None = None):
    return system("ctcae_crs", rows, settings)


# ======================================================================================
# Lee 2014 (§2.1)
# ======================================================================================


def test_lee_grade_1_fever():
    g = lee([(1, "temperature", 38.0)])
    assert g.grade == 1
    assert g.reasons == ("fever: temperature 38.0 °C at 01:00",)
    assert lee([(1, "temperature", 37.9)]).grade == 0


def test_lee_needs_no_fever_for_grade_2_or_more():
    # §2.1 notes: fever is an example of a grade 1 symptom, not a prerequisite.
    assert lee([(1, "temperature", 37.0), (1, "systolic_bp", 85)]).grade == 2


def test_lee_grade_2_hypotension_responsive_to_fluids():
    g = lee([(1, "systolic_bp", 85), (1, "fluid_bolus", 500)])
    assert g.grade == 2
    assert any("hypotension" in r for r in g.reasons), g.reasons
    assert lee([(1, "systolic_bp", 90)]).grade == 0


def test_lee_grade_2_low_dose_of_one_vasopressor_with_unverified_flag():
    g = lee([(0, "norepinephrine", 5), (5, "heart_rate", 90)])
    assert g.grade == 2
    assert any("low dose" in r for r in g.reasons), g.reasons
    assert any("unverified" in f for f in g.flags), g.flags


@pytest.mark.parametrize(
    ("pressor", "rate", "expected"),
    [
        ("norepinephrine", 20, 3),
        ("norepinephrine", 19.9, 2),
        ("epinephrine", 10, 3),
        ("epinephrine", 9.9, 2),
        ("phenylephrine", 200, 3),
        ("phenylephrine", 199, 2),
    ],
)
def test_lee_high_dose_monotherapy_thresholds(pressor, rate, expected):
    # §2.2 [U]: norepinephrine >= 20 µg/min, epinephrine >= 10, phenylephrine >= 200,
    # needed for >= 3 hours.
    g = lee([(0, pressor, rate), (3, "heart_rate", 90)])
    assert g.grade == expected
    assert any("unverified" in f for f in g.flags)


@pytest.mark.parametrize(("per_kg", "expected"), [(10, 3), (9.5, 2)])
def test_lee_high_dose_dopamine_is_per_kilogram(per_kg, expected):
    # §2.2 [U]: dopamine >= 10 µg/kg/min; charted in µg/min, judged with the weight.
    g = lee([(0, "weight", 70), (0, "dopamine", per_kg * 70), (4, "heart_rate", 90)])
    assert g.grade == expected


def test_lee_dopamine_without_a_weight_cannot_be_judged_high_dose():
    g = lee([(0, "dopamine", 2000), (4, "heart_rate", 90)])
    assert g.grade == 2
    assert any("no weight" in r for r in g.reasons), g.reasons


@pytest.mark.parametrize(("hours", "expected"), [(2.99, 2), (3.0, 3), (6, 3)])
def test_lee_high_dose_must_be_needed_for_3_hours(hours, expected):
    g = lee([(0, "norepinephrine", 25), (hours, "heart_rate", 90)])
    assert g.grade == expected


def test_lee_high_dose_counts_its_3_hours_from_when_the_dose_became_high():
    # §2.2: "All doses must be required for >= 3 hours" - a low dose running for hours and
    # then raised is high-dose only 3 hours after the rise.
    g = graded(
        [
            (0, "norepinephrine", 5),
            (4, "norepinephrine", 25),
            (5, "heart_rate", 90),
            (7, "heart_rate", 90),
        ]
    )
    assert [gs.systems["lee2014_crs"].grade for gs in g.timeline()] == [2, 2, 2, 3]


def test_lee_high_dose_run_restarts_after_the_dose_falls():
    g = graded(
        [
            (0, "norepinephrine", 25),
            (2, "norepinephrine", 10),
            (3, "norepinephrine", 25),
            (5, "heart_rate", 90),
            (6, "heart_rate", 90),
        ]
    )
    assert [gs.systems["lee2014_crs"].grade for gs in g.timeline()] == [2, 2, 2, 2, 3]


@pytest.mark.parametrize(("ne_rate", "expected"), [(10, 3), (9, 2)])
def test_lee_vasopressin_plus_norepinephrine_equivalent(ne_rate, expected):
    # §2.2 [U]: "If on vasopressin: vasopressin + norepinephrine equivalent of >= 10 µg/min".
    g = lee([(0, "vasopressin", 0.03), (0, "norepinephrine", ne_rate), (3, "heart_rate", 90)])
    assert g.grade == expected


def test_lee_vasopressin_plus_phenylephrine_uses_the_vasst_equivalent():
    # NE-eq = phenylephrine / 10 (§2.2 [U]): 100 µg/min -> 10, 90 -> 9.
    assert lee([(0, "vasopressin", 0.03), (0, "phenylephrine", 100), (3, "spo2", 97)]).grade == 3
    assert lee([(0, "vasopressin", 0.03), (0, "phenylephrine", 90), (3, "spo2", 97)]).grade == 2


def test_lee_multiple_vasopressors_are_grade_3_at_any_dose():
    g = lee([(0, "norepinephrine", 2), (0, "epinephrine", 1)])
    assert g.grade == 3
    assert any("multiple vasopressors" in r for r in g.reasons), g.reasons


@pytest.mark.parametrize(("fio2", "expected"), [(39, 2), (39.9, 2), (40, 3), (60, 3)])
def test_lee_oxygen_requirement_fio2_boundary(fio2, expected):
    g = lee([(1, "o2_device", "venturi_mask"), (1, "fio2", fio2)])
    assert g.grade == expected
    assert not any("estimated" in f for f in g.flags)


def test_lee_fio2_charted_before_the_device_is_not_used():
    g = lee([(0, "o2_device", "venturi_mask"), (0, "fio2", 60), (1, "o2_device", "simple_mask")])
    assert g.grade == 2
    assert any("FiO2 not charted" in f for f in g.flags), g.flags


@pytest.mark.parametrize(("flow", "expected"), [(4, 2), (5, 3), (6, 3)])
def test_lee_nasal_cannula_fio2_is_estimated_and_flagged(flow, expected):
    # §2.1 rule of thumb [S: X1]: 4 L/min ≈ 36-37 %, 5 ≈ 40-41 %; provisional, flagged.
    g = lee([(1, "o2_device", "nasal_cannula"), (1, "o2_flow", flow)])
    assert g.grade == expected
    assert any("estimated" in r for r in g.reasons), g.reasons
    assert any("estimated FiO2" in f for f in g.flags), g.flags


def test_lee_oxygen_without_fio2_is_grade_2_with_a_flag():
    g = lee([(1, "o2_device", "non_rebreather")])
    assert g.grade == 2
    assert any("FiO2 not charted" in f for f in g.flags), g.flags


def test_lee_ventilator_support_is_grade_4():
    g = lee([(1, "o2_device", "mechanical_ventilation"), (1, "fio2", 30)])
    assert g.grade == 4
    assert not any("CPAP" in f for f in g.flags)


@pytest.mark.parametrize("device", ["cpap", "bipap"])
def test_lee_cpap_bipap_counted_as_ventilator_support_with_a_flag(device):
    # §2.1 notes: whether CPAP/BiPAP is "ventilator support" is ambiguous.
    g = lee([(1, "o2_device", device)])
    assert g.grade == 4
    assert any("CPAP/BiPAP" in f for f in g.flags), g.flags


@pytest.mark.parametrize(
    ("alt", "expected"),
    [
        (40, 0),  # = ULN
        (120, 0),  # 3.0 x ULN: CTCAE grade 1
        (121, 2),  # > 3.0 x ULN: CTCAE grade 2
        (200, 2),  # 5.0 x ULN
        (201, 3),  # > 5.0 x ULN: CTCAE grade 3
        (800, 3),  # 20 x ULN
        (801, 3),  # > 20 x ULN: CTCAE grade 4 transaminitis is Lee grade 3
    ],
)
def test_lee_organ_toxicity_alt(alt, expected):
    # §2.1: grade 2 / 3 organ toxicity; grade 4 transaminitis is grade 3 (§3 ALT row).
    assert lee([(1, "alt", alt)], LABS).grade == expected


@pytest.mark.parametrize(
    ("creatinine", "expected"),
    [
        (150, 0),  # 1.5 x ULN: CTCAE grade 1
        (151, 2),
        (300, 2),
        (301, 3),
        (600, 3),
        (601, 4),  # > 6 x ULN: grade 4 organ toxicity (not transaminitis) is Lee grade 4
    ],
)
def test_lee_organ_toxicity_creatinine(creatinine, expected):
    assert lee([(1, "creatinine", creatinine)], LABS).grade == expected


def test_lee_organ_toxicity_needs_the_laboratory_limits():
    # §6.2: reference ranges are laboratory-specific; without them no organ grading, flagged.
    g = lee([(1, "alt", 5000), (1, "creatinine", 900)])
    assert g.grade == 0
    assert any("upper limits" in f for f in g.flags), g.flags


def test_lee_lab_noted_other_cause_is_left_out():
    # chart-csv.md: a finding noted other_cause is left out of the CRS grading.
    assert lee([(1, "creatinine", 900, "other_cause: contrast nephropathy")], LABS).grade == 0
    assert lee([(1, "alt", 900, "other_cause: drug-induced")], LABS).grade == 0


def test_lee_grade_is_the_worst_criterion():
    g = lee(
        [
            (0, "temperature", 39.0),
            (0, "systolic_bp", 85),
            (1, "o2_device", "venturi_mask"),
            (1, "fio2", 50),
            (1, "alt", 150),
        ],
        LABS,
    )
    assert g.grade == 3
    assert len(g.reasons) == 4


def test_lee_death_is_grade_5():
    assert lee([(0, "temperature", 39.0), (3, "death", "crs")]).grade == 5
    assert lee([(0, "temperature", 39.0), (3, "death", "other")]).grade == 1


def test_lee_fever_noted_other_cause_is_left_out():
    assert lee([(0, "temperature", 39.0, "other_cause")]).grade == 0


# ======================================================================================
# CTCAE v5.0 "Cytokine release syndrome" (§3)
# ======================================================================================


def test_ctcae_grade_1_fever():
    assert ctcae([(1, "temperature", 38.0)]).grade == 1
    assert ctcae([(1, "temperature", 37.9)]).grade == 0


def test_ctcae_grade_2_hypotension_responding_to_fluids():
    g = ctcae([(1, "systolic_bp", 85), (1, "fluid_bolus", 500)])
    assert g.grade == 2
    assert ctcae([(1, "systolic_bp", 90)]).grade == 0


@pytest.mark.parametrize(("fio2", "expected"), [(39, 2), (40, 3)])
def test_ctcae_hypoxia_boundary_at_40_percent(fio2, expected):
    # "hypoxia responding to <40% O2" is 2; "requiring >=40% O2" is 3.
    assert ctcae([(1, "o2_device", "venturi_mask"), (1, "fio2", fio2)]).grade == expected


@pytest.mark.parametrize(("flow", "expected"), [(4, 2), (5, 3)])
def test_ctcae_nasal_cannula_fio2_estimated_and_flagged(flow, expected):
    g = ctcae([(1, "o2_device", "nasal_cannula"), (1, "o2_flow", flow)])
    assert g.grade == expected
    assert any("estimated" in f for f in g.flags), g.flags


def test_ctcae_oxygen_without_fio2_is_grade_2_with_a_flag():
    g = ctcae([(1, "o2_device", "simple_mask")])
    assert g.grade == 2
    assert any("FiO2 not charted" in f for f in g.flags), g.flags


@pytest.mark.parametrize("pressor", ["norepinephrine", "epinephrine", "phenylephrine", "dopamine", "vasopressin"])
def test_ctcae_grade_3_hypotension_managed_with_one_pressor(pressor):
    g = ctcae([(1, pressor, 0.04 if pressor == "vasopressin" else 5)])
    assert g.grade == 3


def test_ctcae_one_pressor_with_vasopressin_is_grade_3():
    assert ctcae([(1, "norepinephrine", 5), (1, "vasopressin", 0.03)]).grade == 3


def test_ctcae_grade_4_more_than_one_pressor_flagged():
    g = ctcae([(1, "norepinephrine", 5), (1, "phenylephrine", 50)])
    assert g.grade == 4
    assert any("clinician review" in f for f in g.flags), g.flags


def test_ctcae_grade_4_mechanical_ventilation_flagged():
    g = ctcae([(1, "o2_device", "mechanical_ventilation")])
    assert g.grade == 4
    assert any("mechanical ventilation" in f for f in g.flags), g.flags


def test_ctcae_grade_5_death():
    assert ctcae([(1, "temperature", 39.0), (2, "death", "crs")]).grade == 5


def test_ctcae_pressor_stopped_lowers_the_grade():
    g = graded([(1, "norepinephrine", 5), (2, "norepinephrine", 0), (2, "systolic_bp", 85)])
    assert [gs.systems["ctcae_crs"].grade for gs in g.timeline()] == [3, 2]


def test_ctcae_other_cause_is_left_out():
    assert ctcae([(1, "temperature", 39.0, "other_cause")]).grade == 0
    assert ctcae([(1, "systolic_bp", 80, "other_cause")]).grade == 0
    assert ctcae([(1, "norepinephrine", 5, "other_cause")]).grade == 0


@pytest.mark.parametrize("system", ["lee2014_crs", "ctcae_crs"])
def test_a_fever_left_out_as_another_cause_is_said_in_the_flags(system):
    """As in ASTCT: left out of the grade, and said."""
    g = Grader(GradingSettings(), local_tz=UTC)
    g.add([Observation(T0, "temperature", 39.0, note="other_cause: line infection", id=1)])
    grade = g.latest().systems[system]
    assert grade.grade == 0
    assert any(f.startswith("temperature 39.0 °C") and "another cause" in f for f in grade.flags)
