"""Boundaries the mutation check (tools/mutate_domain.py) found no test for: each test here
fails when one clinical number or comparison in domain/ moves (issue 15 item 6)."""

from __future__ import annotations

import pytest

from tests.test_grading_astct_crs import FEVER, crs

# -- blood pressures are paired by their time (REFERENCE.md §1.3 item 1: the MAP of ONE reading)


def test_a_systolic_alone_is_not_paired_with_an_older_diastolic():
    # 08:00 130/35 (MAP 67: not low); 09:00 systolic 95 alone. Paired with the old 35 it
    # would make a MAP of 55 (low); it is a new reading with no diastolic: not hypotension.
    g = crs(
        [
            (8, "temperature", 38.5),
            (8, "systolic_bp", 130),
            (8, "diastolic_bp", 35),
            (9, "systolic_bp", 95),
        ]
    )
    assert g.grade == 1, g.reasons


def test_a_diastolic_alone_is_not_paired_with_an_older_systolic():
    # 08:00 95/80 (MAP 85); 09:00 diastolic 30 alone: 95/30 was never measured.
    g = crs(
        [
            (8, "temperature", 38.5),
            (8, "systolic_bp", 95),
            (8, "diastolic_bp", 80),
            (9, "diastolic_bp", 30),
        ]
    )
    assert g.grade == 1, g.reasons


def test_a_reading_of_one_time_is_paired():
    g = crs([(8, "temperature", 38.5), (8, "systolic_bp", 95), (8, "diastolic_bp", 45)])
    assert g.grade == 2, g.reasons  # MAP 62 < 65 (the default, settings.py)


def test_an_old_diastolic_noted_as_another_cause_is_not_said_of_a_new_systolic():
    g = crs(
        [
            (8, "temperature", 38.5),
            (8, "systolic_bp", 130),
            (8, "diastolic_bp", 35, "other_cause: measured on the wrong arm"),
            (9, "systolic_bp", 95),
        ]
    )
    assert g.grade == 1
    assert not any("diastolic" in flag for flag in g.flags), g.flags


def test_a_newer_diastolic_noted_as_another_cause_is_not_said_of_an_older_systolic():
    # 08:00 95/80; 09:00 diastolic 30 alone, noted as another cause. 95/30 was never
    # measured: nothing low to leave out, so no flag about it.
    g = crs(
        [
            (8, "temperature", 38.5),
            (8, "systolic_bp", 95),
            (8, "diastolic_bp", 80),
            (9, "diastolic_bp", 30, "other_cause: artefact"),
        ]
    )
    assert g.grade == 1
    assert not any("diastolic" in flag for flag in g.flags), g.flags


# -- the walk grades unworded moments by a quicker path: it must give the grade the worded
#    path gives (grader.py), at every moment, for every branch that has its own quick return


WALK_CHARTS = {
    # A nasal cannula with no flow charted: low flow, grade 2 (astct_crs.oxygen_level).
    "cannula without flow": [
        (0, "temperature", 38.5),
        (0, "o2_device", "nasal_cannula"),
        (1, "heart_rate", 90),
    ],
    # Death attributed to CRS or ICANS: grade 5 (§1.1, §4.2), then a later value.
    "death from CRS": [(0, "temperature", 38.5), (1, "death", "crs"), (2, "heart_rate", 90)],
    "death from ICANS": [(0, "ice_score", 2), (1, "death", "icans"), (2, "heart_rate", 90)],
    "high flow cannula": [
        (0, "temperature", 38.5),
        (0, "o2_device", "nasal_cannula"),
        (0, "o2_flow", 7),
        (1, "heart_rate", 90),
    ],
    "vasopressors": [
        (0, "temperature", 38.5),
        (0, "systolic_bp", 80),
        (0, "norepinephrine", 5),
        (1, "vasopressin", 0.03),
        (2, "heart_rate", 90),
    ],
}


@pytest.mark.parametrize("name", list(WALK_CHARTS))
def test_every_moment_walked_has_the_grade_it_has_when_worded(name):
    from datetime import UTC

    from crs_desktop.domain.grading import Grader, GradingSettings
    from tests.test_grading_astct_crs import chart

    observations = chart(WALK_CHARTS[name])
    walked = Grader(GradingSettings(), local_tz=UTC)
    walked.add(observations)
    worded = Grader(GradingSettings(), local_tz=UTC, word_every_time=True)
    worded.add(observations)
    quick = [{k: g.grade for k, g in s.systems.items()} for s in walked.timeline()]
    slow = [{k: g.grade for k, g in s.systems.items()} for s in worded.timeline()]
    assert quick == slow
    assert len(quick) >= 2  # the earlier moments were walked unworded


def test_death_is_grade_5_on_the_walk_too():
    from datetime import UTC

    from crs_desktop.domain.grading import Grader, GradingSettings
    from tests.test_grading_astct_crs import chart

    g = Grader(GradingSettings(), local_tz=UTC)
    g.add(chart(WALK_CHARTS["death from CRS"]))
    at_death = g.timeline()[1].systems  # not the latest moment: graded without words
    assert at_death["astct_crs"].grade == 5 and at_death["astct_crs"].worded_reasons is None
    g = Grader(GradingSettings(), local_tz=UTC)
    g.add(chart(WALK_CHARTS["death from ICANS"]))
    assert g.timeline()[1].systems["astct_icans"].grade == 5


def test_cannula_without_flow_is_grade_2_on_the_walk_too():
    from datetime import UTC

    from crs_desktop.domain.grading import Grader, GradingSettings
    from tests.test_grading_astct_crs import chart

    g = Grader(GradingSettings(), local_tz=UTC)
    g.add(chart(WALK_CHARTS["cannula without flow"]))
    assert g.timeline()[0].systems["astct_crs"].grade == 2


# -- oxygen (REFERENCE.md §1.2 ‡: <= 6 L/min is low flow, > 6 high flow)


def test_a_cannula_just_over_6_l_min_is_high_flow():
    assert crs([FEVER, (1, "o2_device", "nasal_cannula"), (1, "o2_flow", 6.1)]).grade == 3
    assert crs([FEVER, (1, "o2_device", "nasal_cannula"), (1, "o2_flow", 6.0)]).grade == 2


def test_the_reason_says_low_or_high_flow_as_graded():
    low = crs([FEVER, (1, "o2_device", "nasal_cannula"), (1, "o2_flow", 2)])
    assert any("(low flow, ≤ 6 L/min)" in r for r in low.reasons), low.reasons
    high = crs([FEVER, (1, "o2_device", "nasal_cannula"), (1, "o2_flow", 8)])
    assert any("(high flow, > 6 L/min)" in r for r in high.reasons), high.reasons


def test_a_device_noted_as_another_cause_gives_no_oxygen_level_after_treatment():
    # CRS began (fever), tocilizumab waived the fever need; 30 h later no fever, and the
    # only finding is a mask the nurse put down to another cause: nothing of CRS is left.
    g = crs([FEVER, (1, "tocilizumab", 560), (30, "o2_device", "simple_mask", "other_cause")])
    assert g.grade == 0, g.reasons


# -- NEWS2 (REFERENCE.md §7)


def _news2_at(rows):
    from tests.test_grading_astct_crs import graded

    latest = graded(rows).latest()
    return latest.systems["news2"]


NEWS2_CALM = [
    (0, "resp_rate", 16),
    (0, "spo2", 97),
    (0, "o2_device", "room_air"),
    (0, "systolic_bp", 120),
    (0, "heart_rate", 80),
    (0, "temperature", 37.0),
]


def test_acvpu_and_consciousness_of_one_time_score_by_the_acvpu():
    # Both charted at 00:00: the ACVPU (NEWS2's own scale) is the one scored.
    g = _news2_at([*NEWS2_CALM, (0, "acvpu", "A"), (0, "consciousness", "awakens_to_voice")])
    assert g.grade == 0, g.reasons


def test_a_consciousness_exactly_4_h_old_is_still_scored():
    # settings.vitals_window_h = 4 (REFERENCE.md §6.1): older than 4 h is stale, 4 h is not.
    rows = [(4, item, value) for _h, item, value in NEWS2_CALM]
    assert _news2_at([*rows, (0, "acvpu", "A")]).grade == 0
    assert _news2_at([*rows, (0, "acvpu", "A"), (4.01, "heart_rate", 80)]).grade is None


def test_a_total_of_exactly_7_is_the_emergency_threshold():
    # resp 25 (3) + SpO2 95 (1) + systolic 100 (2) + pulse 91 (1) = 7 (REFERENCE.md §7.2)
    rows = [
        (0, "resp_rate", 25),
        (0, "spo2", 95),
        (0, "o2_device", "room_air"),
        (0, "systolic_bp", 100),
        (0, "heart_rate", 91),
        (0, "temperature", 37.0),
        (0, "acvpu", "A"),
    ]
    g = _news2_at(rows)
    assert g.grade == 7
    assert "7 or more: emergency response threshold" in g.reasons
    five = _news2_at([*rows[:4], (0, "heart_rate", 80), *rows[5:], (0, "spo2", 96)])
    assert five.grade == 5 and "5 or more: urgent response threshold" in five.reasons


# -- what is left out as another cause is said only when it would have counted


def test_a_systolic_of_exactly_90_noted_as_another_cause_is_not_said_left_out():
    # 90 is not below 90 (REFERENCE.md §1.3 item 1 via settings.py): nothing was left out.
    g = crs([FEVER, (1, "systolic_bp", 90, "other_cause: pain")])
    assert not any("noted as due to another cause" in f for f in g.flags), g.flags
    g = crs([FEVER, (1, "systolic_bp", 89, "other_cause: pain")])
    assert any("noted as due to another cause" in f for f in g.flags), g.flags


def test_a_map_of_exactly_65_noted_as_another_cause_is_not_said_left_out():
    # 95/50: MAP (95 + 2 x 50) / 3 = 65, not below 65.
    g = crs([FEVER, (1, "systolic_bp", 95), (1, "diastolic_bp", 50, "other_cause: arm")])
    assert not any("noted as due to another cause" in f for f in g.flags), g.flags
    g = crs([FEVER, (1, "systolic_bp", 95), (1, "diastolic_bp", 49, "other_cause: arm")])
    assert any("noted as due to another cause" in f for f in g.flags), g.flags


def test_premedication_exactly_24_h_before_may_still_mask_the_fever():
    # Paracetamol at 00:00 before any CRS; hypotension without fever at 24:00, the end of
    # the fever window (settings.fever_window_h = 24): the flag still names it.
    g = crs([(0, "paracetamol", 1000), (24, "systolic_bp", 80)])
    assert any("fever may be masked by" in f for f in g.flags), g.flags
    g = crs([(0, "paracetamol", 1000), (24.01, "systolic_bp", 80)])
    assert not any("fever may be masked by" in f for f in g.flags), g.flags


# -- Lee 2014 (REFERENCE.md §2) and CTCAE v5.0 (§3)


def _lee(rows, settings=None):
    from tests.test_grading_lee_ctcae import system

    return system("lee2014_crs", rows, settings)


@pytest.mark.parametrize(
    ("rows", "expected"),
    [
        # §2.2 [U] high dose, needed >= 3 h: dopamine 10 µg/kg/min, phenylephrine 200 µg/min.
        ([(0, "weight", 70), (0, "dopamine", 9.95 * 70)], 2),
        ([(0, "weight", 70), (0, "dopamine", 10 * 70)], 3),
        ([(0, "phenylephrine", 199.9)], 2),
        ([(0, "norepinephrine", 20)], 3),
        # §2.2 with vasopressin: norepinephrine equivalent >= 10 µg/min (§1.3a item 4).
        ([(0, "vasopressin", 0.03), (0, "norepinephrine", 9.95)], 2),
        ([(0, "vasopressin", 0.03), (0, "norepinephrine", 10)], 3),
        # VASST: dopamine counts half its µg/kg/min: 19.8 -> 9.9, 20 -> 10.
        ([(0, "weight", 70), (0, "vasopressin", 0.03), (0, "dopamine", 19.8 * 70)], 2),
        ([(0, "weight", 70), (0, "vasopressin", 0.03), (0, "dopamine", 20 * 70)], 3),
    ],
)
def test_lee_high_dose_boundaries(rows, expected):
    g = _lee([*rows, (3, "heart_rate", 90)])
    assert g.grade == expected, g.reasons


def test_lee_says_high_dose_of_one_vasopressor_not_multiple():
    g = _lee([(0, "norepinephrine", 25), (3, "heart_rate", 90)])
    assert g.grade == 3 and g.reasons[-1].startswith("high-dose vasopressor: "), g.reasons


@pytest.mark.parametrize("name", ["lee2014_crs", "ctcae_crs"])
def test_a_fever_exactly_24_h_old_still_counts(name):
    from tests.test_grading_lee_ctcae import system

    # settings.fever_window_h = 24: charted within 24 h counts, 24 h included.
    assert system(name, [(0, "temperature", 38.5), (24, "heart_rate", 90)]).grade == 1
    assert system(name, [(0, "temperature", 38.5), (24.01, "heart_rate", 90)]).grade == 0


@pytest.mark.parametrize(
    ("alt", "words"),
    [
        (800, "ALT CTCAE grade 3"),  # 20 x ULN 40: grade 3 (> 5-20 x), Lee grade 3
        (801, "ALT CTCAE grade 4"),  # > 20 x: grade 4 transaminitis, Lee grade 3 (§2.1)
        (1000, "ALT CTCAE grade 4"),
    ],
)
def test_lee_names_the_ctcae_grade_of_alt(alt, words):
    from tests.test_grading_lee_ctcae import LABS

    g = _lee([(0, "alt", alt)], LABS)
    assert g.grade == 3
    assert any(r.startswith(words) for r in g.reasons), g.reasons


def test_nasal_cannula_fio2_estimate():
    from crs_desktop.domain.grading.oxygen_fraction import estimate_nasal_cannula_fio2

    # REFERENCE.md §2.1 rule of thumb [S: X1]: 1 L/min ~ 24 %, + 4 % per L/min.
    assert estimate_nasal_cannula_fio2(1) == 24.0
    assert estimate_nasal_cannula_fio2(5) == 40.0
    assert estimate_nasal_cannula_fio2(4.5) == 38.0


def test_a_drug_given_at_the_moment_crs_began_waives_the_fever():
    # Fever and tocilizumab charted at 00:00: CRS began then, and the drug given then lifts
    # the fever need (REFERENCE.md §1.2 footnote); at 30 h, afebrile, hypotension is grade 2.
    g = crs([FEVER, (0, "tocilizumab", 560), (30, "systolic_bp", 80)])
    assert g.grade == 2, (g.reasons, g.flags)


def test_a_map_just_below_65_is_hypotension():
    # 95/49.9: MAP 64.93, below 65 (settings.py map_threshold).
    assert crs([FEVER, (1, "systolic_bp", 95), (1, "diastolic_bp", 49.9)]).grade == 2


def test_the_oxygen_plot_band_of_a_cannula_follows_the_6_l_min_line():
    from crs_desktop.domain.oxygen_course import o2_band

    # REFERENCE.md §1.2 ‡: <= 6 L/min low flow (band 1), over 6 high flow (band 2).
    assert o2_band("nasal_cannula", 6.0) == 1
    assert o2_band("nasal_cannula", 6.1) == 2
    assert o2_band("nasal_cannula", None) == 1


# -- tocilizumab (REFERENCE.md §5.1, the shipped protocol's limits) and the day's steroids


def _rules():
    from crs_desktop.domain.protocol import parse_protocol
    from crs_desktop.resources_path import default_protocol_path

    text = default_protocol_path().read_text(encoding="utf-8")
    return parse_protocol(text, "default.toml").tocilizumab


def test_tocilizumab_mg_per_kg_changes_at_exactly_30_kg():
    from crs_desktop.domain.drug_doses import tocilizumab_dose_mg

    rules = _rules()  # 8 mg/kg at >= 30 kg, 12 mg/kg below
    assert tocilizumab_dose_mg(30.0, rules) == 240.0
    assert tocilizumab_dose_mg(29.9, rules) == round(12 * 29.9, 1)
    with pytest.raises(ValueError, match="must be more than 0"):
        tocilizumab_dose_mg(0.0, rules)
    assert tocilizumab_dose_mg(1.0, rules) == 12.0  # any weight above 0 has a dose


def test_tocilizumab_limits_at_their_boundaries():
    from crs_desktop.domain.drug_doses import Dose, tocilizumab_status

    rules = _rules()  # at most 800 mg, >= 8 h apart, 3 in 24 h, 4 in total
    hour = 3600.0
    assert tocilizumab_status([], 0.0, rules, 800.0).warnings == ()
    assert "maximum per infusion" in tocilizumab_status([], 0.0, rules, 800.1).warnings[0]
    one = [Dose(0.0, 560.0)]
    assert tocilizumab_status(one, 8 * hour, rules).warnings == ()  # exactly 8 h: allowed
    assert "since the last dose" in tocilizumab_status(one, 8 * hour - 60, rules).warnings[0]
    two = [Dose(0.0, 560.0), Dose(8 * hour, 560.0)]
    assert tocilizumab_status(two, 16 * hour, rules).warnings == ()  # a 3rd in 24 h: allowed
    three = [*two, Dose(16 * hour, 560.0)]
    said = tocilizumab_status(three, 23 * hour, rules).warnings
    assert any("dose 4 in 24 h" in w for w in said), said
    # The 4th in total, 24 h after the first: allowed; a 5th never is.
    assert not any("in total" in w for w in tocilizumab_status(three, 24 * hour, rules).warnings)
    four = [*three, Dose(24 * hour, 560.0)]
    said = tocilizumab_status(four, 40 * hour, rules).warnings
    assert any("dose 5 in total" in w for w in said), said


def test_a_dose_at_the_moment_asked_counts_as_given():
    from crs_desktop.domain.drug_doses import Dose, tocilizumab_status

    status = tocilizumab_status([Dose(100.0, 560.0)], 100.0, _rules())
    assert status.doses_total == 1 and status.doses_24h == 1


def test_steroids_today_counts_from_midnight_to_now_both_included():
    from crs_desktop.domain.drug_doses import Dose, steroids_today

    doses = [
        ("dexamethasone", Dose(0.0, 10.0)),
        ("dexamethasone", Dose(50.0, 10.0)),
        ("dexamethasone", Dose(51.0, 10.0)),
    ]
    (day,) = steroids_today(doses, day_start=0.0, now=50.0)
    assert day.total_mg == 20.0  # the dose at midnight and the one at `now`, not after


def test_a_fever_noted_as_another_cause_is_said_left_out_for_24_h_included():
    noted = (0, "temperature", 38.5, "other_cause: transfusion reaction")
    g = crs([noted, (24, "heart_rate", 90)])
    assert any("temperature 38.5" in f and "another cause" in f for f in g.flags), g.flags
    g = crs([noted, (24.01, "heart_rate", 90)])
    assert not any("temperature" in f for f in g.flags), g.flags


def test_premedication_charted_with_the_low_pressure_may_mask_the_fever():
    g = crs([(24, "paracetamol", 1000), (24, "systolic_bp", 80)])
    assert any("fever may be masked by" in f for f in g.flags), g.flags


def test_organ_values_below_ctcae_grade_2_give_no_lee_grade():
    from tests.test_grading_lee_ctcae import LABS

    # ALT 120 is 3 x ULN 40 (CTCAE grade 1); creatinine 150 is 1.5 x ULN 100 (grade 1).
    g = _lee([(0, "alt", 120), (0, "creatinine", 150)], LABS)
    assert g.grade == 0 and g.reasons == (), g.reasons
    g = _lee([(0, "alt", 121), (0, "creatinine", 151)], LABS)
    assert g.grade == 2, g.reasons


def test_of_two_faster_rules_with_one_interval_the_first_in_the_protocol_is_named():
    from crs_desktop.domain.protocol import parse_protocol
    from crs_desktop.domain.reassessment import Context, timer_state
    from crs_desktop.resources_path import default_protocol_path

    protocol = parse_protocol(default_protocol_path().read_text(encoding="utf-8"), "default")
    vitals = next(t for t in protocol.timers if t.key == "vitals")
    # CRS grade 2 and NEWS2 5 both ask for hourly vitals (REFERENCE.md §6.1, §7.2).
    state = timer_state(vitals, {}, Context(None, crs=2, news2=5), now=0.0)
    assert state.every_h == 1.0 and state.why == "CRS grade ≥ 2"


# -- Lee 2014 combination therapy (REFERENCE.md §2.2: norepinephrine equivalent >= 20 µg/min
# for >= 3 h). Two non-vasopressin pressors are grade 3 at any rate ("multiple vasopressors"),
# so the threshold shows only in the reason: whether the dose is said to be high, and since
# when. These kill the mutants of the 20 µg/min and of its comparison.


def _lee_two_pressors(norepinephrine: float):
    from tests.test_grading_lee_ctcae import lee

    return lee(
        [
            FEVER,
            (0, "norepinephrine", norepinephrine),
            (0, "epinephrine", 10),
            (4, "heart_rate", 100),  # a later moment: 4 h of the same rates
        ]
    )


def test_lee_two_pressors_at_exactly_20_ne_equivalent_are_a_high_dose_held_3_h():
    g = _lee_two_pressors(10)  # 10 + 10 = 20 µg/min norepinephrine equivalent
    assert g.grade == 3
    assert any("high since 00:00, for 3 h or more" in r for r in g.reasons), g.reasons


def test_lee_two_pressors_just_under_20_ne_equivalent_are_not_a_high_dose():
    g = _lee_two_pressors(9.95)  # 19.95 µg/min
    assert g.grade == 3  # still multiple vasopressors
    assert not any("high since" in r for r in g.reasons), g.reasons


# -- the review ages of REFERENCE.md §1.3a items 2 and 3 are "more than": just past flags


def test_a_neuro_finding_just_over_24_h_old_is_flagged():
    from tests.test_grading_decisions import latest

    rows = [(0, "motor_weakness", "hemiparesis"), (24.05, "ice_score", 10)]  # 24 h 3 min
    icans = latest(rows)["astct_icans"]
    assert any("chart motor weakness 'none'" in f for f in icans.flags), icans.flags


def test_the_news2_scale_is_1_or_2():
    from crs_desktop.domain.grading import GradingSettings

    assert GradingSettings().news2_scale == 1  # REFERENCE.md §7.1: scale 2 by decision only
    with pytest.raises(ValueError, match="scale"):
        GradingSettings(news2_scale=3)


# -- a drug done for its interval (REFERENCE.md §1.3a item 9): the edges of the interval


def _checklist_items(rows, doses, now):
    from crs_desktop.domain.checklist import checklist
    from crs_desktop.domain.protocol import parse_protocol
    from crs_desktop.resources_path import default_protocol_path
    from tests.support.grading import graded

    protocol = parse_protocol(default_protocol_path().read_text(encoding="utf-8"), "default")
    return {i.action.key: i for i in checklist(protocol, graded(rows), [], {}, doses, now)}


CHECKLIST_GRADE_2 = [
    (0, "temperature", 38.5),
    (1, "o2_device", "nasal_cannula"),
    (1, "o2_flow", 2),
]


def test_a_dose_stops_counting_exactly_at_the_end_of_its_interval():
    from crs_desktop.domain.observation import Observation
    from tests.support.grading import HOUR, T0

    dose = Observation(T0 + 1.5 * HOUR, "dexamethasone", 10.0, id=91, charted_by="RN A")
    at_end = _checklist_items(CHECKLIST_GRADE_2, [dose], T0 + 13.5 * HOUR)  # 12 h interval
    assert at_end["crs_dexamethasone_g2"].outstanding


def test_a_bolus_given_as_the_episode_began_counts_for_it():
    from crs_desktop.domain.observation import Observation
    from tests.support.grading import HOUR, T0

    bolus = Observation(T0, "fluid_bolus", 500.0, id=93, charted_by="RN A")  # with the fever
    items = _checklist_items(CHECKLIST_GRADE_2, [bolus], T0 + 2 * HOUR)
    assert items["crs_fluids"].mark is not None


@pytest.mark.parametrize("extra", [[(3, "o2_flow", 8)], [(3, "o2_device", "cpap")]])
def test_a_bolus_counts_for_an_episode_at_grade_3_or_4(extra):
    """A fluid bolus has no repeat interval: it counts for the episode (any grade above 0)."""
    from crs_desktop.domain.observation import Observation
    from tests.support.grading import HOUR, T0

    bolus = Observation(T0 + 0.5 * HOUR, "fluid_bolus", 500.0, id=93, charted_by="RN A")
    items = _checklist_items([*CHECKLIST_GRADE_2, *extra], [bolus], T0 + 4 * HOUR)
    assert items["crs_fluids"].mark is not None
