"""The clinical owner's decisions of REFERENCE.md §1.3a (2026-12-01), one section each:
the grade they give, and the reasons and flags a nurse reads."""

from __future__ import annotations

import re
from datetime import UTC

import pytest

from crs_desktop.domain.grading import Grader, GradingSettings
from tests.support.grading import chart

DAY = 24.0  # hours
FEVER = (0, "temperature", 38.5)


def latest(rows, settings: GradingSettings | None = None):
    g = Grader(settings or GradingSettings(), local_tz=UTC)
    g.add(chart(rows))
    graded = g.latest()
    assert graded is not None
    return graded.systems


# -- item 1: hypotension without a vasopressor, SBP < 90 or MAP < 65 ---------------------


def test_map_below_65_alone_names_the_map_and_the_pressure():
    # 96/45: systolic not below 90, MAP (96 + 2 x 45) / 3 = 62.
    systems = latest([FEVER, (3 + 10 / 60, "systolic_bp", 96), (3 + 10 / 60, "diastolic_bp", 45)])
    crs = systems["astct_crs"]
    assert crs.grade == 2
    assert any("MAP 62 mmHg (96/45) at 03:10" in r for r in crs.reasons), crs.reasons
    assert any("ward protocol: MAP < 65 mmHg" in r for r in crs.reasons), crs.reasons
    # Lee 2014 and CTCAE name the same reading, not the diastolic alone.
    for name in ("lee2014_crs", "ctcae_crs"):
        assert systems[name].grade == 2
        assert any("MAP 62 mmHg (96/45) at 03:10" in r for r in systems[name].reasons), name


def test_map_with_a_fraction_is_shown_to_one_decimal():
    crs = latest([FEVER, (1, "systolic_bp", 100), (1, "diastolic_bp", 47)])["astct_crs"]
    assert crs.grade == 2  # MAP 64.67
    assert any("MAP 64.7 mmHg (100/47) at 01:00" in r for r in crs.reasons), crs.reasons


def test_low_systolic_names_the_reading_and_the_rule():
    crs = latest([FEVER, (3 + 10 / 60, "systolic_bp", 84)])["astct_crs"]
    assert crs.grade == 2
    assert any(
        "systolic BP 84 mmHg at 03:10 (ward protocol: systolic < 90 mmHg)" in r for r in crs.reasons
    ), crs.reasons


def test_the_rule_in_the_reason_is_the_ward_setting():
    settings = GradingSettings(systolic_threshold=95.0, map_threshold=70.0)
    crs = latest([FEVER, (1, "systolic_bp", 100), (1, "diastolic_bp", 52)], settings)["astct_crs"]
    assert crs.grade == 2  # MAP 68
    assert any("MAP 68 mmHg (100/52)" in r and "MAP < 70 mmHg" in r for r in crs.reasons)


# -- item 2: the fever waiver, and a review flag when its drug is old -----------------------

WAIVED = [FEVER, (1, "tocilizumab", 640), (2, "temperature", 37.0)]


def test_a_waiver_older_than_14_days_keeps_the_grade_and_asks_for_review():
    # Tocilizumab on day 0, a pressure drop without fever on day 20.
    crs = latest([*WAIVED, (20 * DAY + 3, "systolic_bp", 85)])["astct_crs"]
    assert crs.grade == 2
    assert any(
        "fever no longer required after tocilizumab 640 mg at 20 Nov 01:00" in r
        for r in crs.reasons
    ), crs.reasons
    review = [f for f in crs.flags if "fever waived by tocilizumab 640 mg at 20 Nov 01:00" in f]
    assert review, crs.flags
    assert "20 days ago" in review[0] and "more than 14 days" in review[0], review
    assert "still CRS" in review[0]
    # With a fever of its own the waiver is not relied on: no review.
    febrile = latest([*WAIVED, (20 * DAY, "temperature", 38.4), (20 * DAY, "systolic_bp", 85)])
    assert febrile["astct_crs"].grade == 2
    assert not any("fever waived by" in f for f in febrile["astct_crs"].flags)


def test_the_waiver_review_starts_after_14_days():
    for hours_after, flagged in ((14 * DAY, False), (14 * DAY + 1, True)):
        crs = latest([*WAIVED, (1 + hours_after, "systolic_bp", 85)])["astct_crs"]
        assert crs.grade == 2
        assert any("fever waived by" in f for f in crs.flags) == flagged, (hours_after, crs.flags)


def test_a_later_waiving_drug_counts_from_its_own_time():
    rows = [*WAIVED, (10 * DAY, "paracetamol", 1000), (20 * DAY, "systolic_bp", 85)]
    crs = latest(rows)["astct_crs"]
    assert crs.grade == 2
    assert not any("fever waived by" in f for f in crs.flags), crs.flags
    assert any("after paracetamol 1000 mg at 30 Nov 00:00" in r for r in crs.reasons)


def test_the_waiver_review_age_is_a_ward_setting():
    rows = [*WAIVED, (20 * DAY, "systolic_bp", 85)]
    crs = latest(rows, GradingSettings(fever_waiver_review_days=30))["astct_crs"]
    assert crs.grade == 2 and not any("fever waived by" in f for f in crs.flags)


# -- item 3: an old seizure, motor weakness or cerebral edema finding -------------------------


def test_an_old_seizure_keeps_icans_3_and_asks_to_chart_none_if_resolved():
    rows = [
        (0, "seizure", "focal_resolved"),
        (5 * DAY, "ice_score", 10),
        (5 * DAY, "consciousness", "alert"),
    ]
    icans = latest(rows)["astct_icans"]
    assert icans.grade == 3
    flag = [f for f in icans.flags if f.startswith("seizure focal, resolved at 20 Nov 00:00")]
    assert flag, icans.flags
    assert ", 5 days ago, still sets ICANS grade 3" in flag[0], flag
    assert "chart seizure 'none'" in flag[0], flag
    # Charted "none", the finding ends, and its flag with it.
    ended = latest([*rows, (5 * DAY + 1, "seizure", "none")])["astct_icans"]
    assert (ended.grade, ended.flags) == (0, ())
    # An old finding that does not set the grade is not flagged: diffuse edema (4) now
    # sets it, not the seizure (3) days ago.
    edema = latest([*rows, (5 * DAY + 1, "cerebral_edema", "diffuse")])["astct_icans"]
    assert edema.grade == 4
    assert not any("seizure" in f for f in edema.flags), edema.flags


def test_the_neuro_review_starts_after_24_hours():
    for hours, flagged in ((24, False), (25, True)):
        rows = [(0, "motor_weakness", "hemiparesis"), (hours, "ice_score", 10)]
        icans = latest(rows)["astct_icans"]
        assert icans.grade == 4
        said = [f for f in icans.flags if "chart motor weakness 'none'" in f]
        assert bool(said) == flagged, icans.flags
        if flagged:
            assert f"{hours} h ago" in said[0]


def test_the_neuro_review_age_is_a_ward_setting():
    rows = [(0, "cerebral_edema", "focal"), (30, "ice_score", 10)]
    assert any("cerebral edema 'none'" in f for f in latest(rows)["astct_icans"].flags)
    icans = latest(rows, GradingSettings(neuro_finding_review_h=48))["astct_icans"]
    assert icans.grade == 3 and icans.flags == ()


# -- item 4: Lee 2014 with vasopressin and one other vasopressor ----------------------------


def test_lee_vasopressin_with_norepinephrine_below_the_combination_threshold():
    rows = [FEVER, (1, "norepinephrine", 4), (1, "vasopressin", 0.03), (6, "heart_rate", 90)]
    systems = latest(rows)
    lee = systems["lee2014_crs"]
    assert lee.grade == 2  # §1.3a item 4: NE equivalent 4 < 10 µg/min, low dose
    said = " ".join(lee.reasons)
    for part in (
        "norepinephrine 4 µg/min running since 01:00",
        "vasopressin 0.03 U/min running since 01:00",
        "norepinephrine equivalent 4 µg/min",
        "with vasopressin, high dose is ≥ 10 µg/min",
    ):
        assert part in said, lee.reasons
    # Two drugs run: no system calls that one vasopressor (or pressor).
    for name in ("astct_crs", "lee2014_crs", "ctcae_crs"):
        for reason in systems[name].reasons:
            assert "one vasopressor" not in reason and "one pressor" not in reason, (name, reason)
    assert systems["astct_crs"].grade == 3
    assert systems["ctcae_crs"].grade == 3
    assert any("vasopressin" in f for f in systems["ctcae_crs"].flags)


@pytest.mark.parametrize(
    ("hours", "expected", "words"), [(2, 2, "not yet 3 h"), (3, 3, "3 h or more")]
)
def test_lee_vasopressin_combination_is_high_dose_after_3_hours(hours, expected, words):
    rows = [(0, "norepinephrine", 12), (0, "vasopressin", 0.04), (hours, "heart_rate", 90)]
    lee = latest(rows)["lee2014_crs"]
    assert lee.grade == expected
    said = " ".join(lee.reasons)
    assert "norepinephrine 12 µg/min" in said and "vasopressin 0.04 U/min" in said
    assert "norepinephrine equivalent 12 µg/min" in said
    assert f"high since 00:00, {'for ' if expected == 3 else ''}{words}" in said, lee.reasons


# -- item 2 (reasons): Lee 2014 and CTCAE name the rate, the time and the 3 hours ------------


def test_lee_high_dose_reason_has_rate_time_rule_and_the_3_hours():
    lee = latest([(0, "norepinephrine", 25), (4, "heart_rate", 90)])["lee2014_crs"]
    assert lee.grade == 3
    assert lee.reasons == (
        "high-dose vasopressor: norepinephrine 25 µg/min running since 00:00 "
        "(high dose is ≥ 20 µg/min; high since 00:00, for 3 h or more)",
    )


def test_lee_high_dose_counts_the_3_hours_from_the_rise():
    rows = [(0, "norepinephrine", 5), (2, "norepinephrine", 22), (4, "heart_rate", 90)]
    lee = latest(rows)["lee2014_crs"]
    assert lee.grade == 2
    assert lee.reasons == (
        "low dose of one vasopressor: norepinephrine 22 µg/min running since 00:00 "
        "(rate charted at 02:00) (high dose is ≥ 20 µg/min; high since 02:00, not yet 3 h)",
    )


def test_lee_dopamine_reason_gives_the_dose_per_kilogram():
    rows = [(0, "weight", 70), (0, "dopamine", 350), (1, "heart_rate", 90)]
    lee = latest(rows)["lee2014_crs"]
    assert any("5.0 µg/kg/min at 70 kg; high dose is ≥ 10 µg/kg/min" in r for r in lee.reasons)


def test_ctcae_pressor_reasons_name_rates_and_times():
    systems = latest([FEVER, (1, "norepinephrine", 5)])
    assert systems["ctcae_crs"].reasons[-1] == (
        "hypotension managed with one pressor: norepinephrine 5 µg/min running since 01:00"
    )
    two = latest([FEVER, (1, "norepinephrine", 5), (2, "epinephrine", 3)])["ctcae_crs"]
    assert two.reasons[-1] == (
        "more than one vasopressor: norepinephrine 5 µg/min running since 01:00; "
        "epinephrine 3 µg/min running since 02:00"
    )


def test_lee_and_ctcae_oxygen_reasons_name_the_fio2_and_its_time():
    rows = [FEVER, (1, "o2_device", "venturi_mask"), (2, "fio2", 45)]
    systems = latest(rows)
    assert "oxygen requirement FiO2 45 % at 02:00 (Venturi mask since 01:00)" in (
        systems["lee2014_crs"].reasons
    )
    assert "hypoxia needing FiO2 45 % at 02:00 (Venturi mask since 01:00)" in (
        systems["ctcae_crs"].reasons
    )
    cannula = latest([FEVER, (1, "o2_device", "nasal_cannula"), (1, "o2_flow", 4)])
    assert any(
        "FiO2 about 36 % (estimated from the nasal cannula flow 4 L/min at 01:00)" in r
        for r in cannula["lee2014_crs"].reasons
    )


def test_positive_pressure_reasons_use_ward_words_and_a_time():
    systems = latest([FEVER, (1, "o2_device", "cpap")])
    assert "oxygen: CPAP since 01:00" in systems["astct_crs"].reasons
    assert "ventilator support: CPAP since 01:00" in systems["lee2014_crs"].reasons
    vent = latest([FEVER, (1, "o2_device", "mechanical_ventilation")])["ctcae_crs"]
    assert "mechanical ventilation since 01:00" in vent.reasons


# -- item 5: a high-flow nasal cannula graded by its flow -----------------------------------


@pytest.mark.parametrize("low_flow", [2, 6])
def test_high_flow_cannula_is_graded_by_its_flow(low_flow):
    for flow, expected in ((low_flow, 2), (6.5, 3), (40, 3)):
        rows = [FEVER, (1, "o2_device", "high_flow_nasal_cannula"), (1, "o2_flow", flow)]
        crs = latest(rows)["astct_crs"]
        assert crs.grade == expected, flow
        low_flow_flag = [f for f in crs.flags if "graded by its flow as low flow" in f]
        assert bool(low_flow_flag) == (expected == 2), crs.flags
        if low_flow_flag:
            start = f"high-flow nasal cannula at {flow:g} L/min (01:00)"
            assert low_flow_flag[0].startswith(start), low_flow_flag


def test_the_plots_oxygen_band_follows_the_grade_for_a_high_flow_cannula():
    from crs_desktop.domain.oxygen_course import o2_band

    # Bands: 0 room air, 1 low flow (grade 2), 2 high flow (grade 3), 3 positive pressure.
    assert o2_band("high_flow_nasal_cannula", 5) == 1
    assert o2_band("high_flow_nasal_cannula", 6) == 1
    assert o2_band("high_flow_nasal_cannula", 7) == 2
    assert o2_band("high_flow_nasal_cannula", None) == 2
    assert o2_band("nasal_cannula", None) == 1


def test_high_flow_cannula_without_a_flow_is_grade_3_and_asks_for_the_flow():
    crs = latest([FEVER, (1, "o2_device", "high_flow_nasal_cannula")])["astct_crs"]
    assert crs.grade == 3
    assert any("no flow charted" in f and "chart the flow" in f for f in crs.flags), crs.flags
    assert "oxygen: high-flow nasal cannula (flow not charted) since 01:00" in crs.reasons


def test_a_flow_charted_for_the_cannula_before_does_not_count_for_the_high_flow_one():
    rows = [
        FEVER,
        (1, "o2_device", "nasal_cannula"),
        (1, "o2_flow", 4),
        (2, "o2_device", "high_flow_nasal_cannula"),
    ]
    crs = latest(rows)["astct_crs"]
    assert crs.grade == 3
    assert any("chart the flow" in f for f in crs.flags), crs.flags


# -- item 6: NEWS2 with a parameter missing -------------------------------------------------

ALL_BUT_ACVPU = {
    "resp_rate": 26,  # scores 3
    "spo2": 97,
    "o2_device": "room_air",
    "systolic_bp": 120,
    "heart_rate": 95,  # scores 1
    "temperature": 37.0,
}


def test_news2_missing_acvpu_is_incomplete_at_least_n_and_still_triggers():
    news2 = latest([(1, item, value) for item, value in ALL_BUT_ACVPU.items()])["news2"]
    assert news2.grade is None and news2.max is None
    assert news2.flags == ("NEWS2 incomplete: at least 4; not charted: consciousness (ACVPU)",)
    assert news2.reasons == (
        "respiratory rate 26 /min at 01:00 scores 3",
        "heart rate 95 /min at 01:00 scores 1",
        "a single parameter scores 3: inform the medical team",
    )
    assert news2.red_parameters == ("resp_rate",)  # the hourly reassessment still applies


def test_news2_incomplete_names_every_missing_parameter_and_a_threshold_already_reached():
    rows = [(1, "resp_rate", 26), (1, "systolic_bp", 88), (1, "acvpu", "C")]
    news2 = latest(rows)["news2"]
    assert news2.grade is None
    (flag,) = news2.flags
    assert flag == (
        "NEWS2 incomplete: at least 9; not charted: SpO2, heart rate, temperature, "
        "air or oxygen (the oxygen device)"
    )
    assert "consciousness new confusion (C) at 01:00 scores 3" in news2.reasons
    assert "7 or more: emergency response threshold" in news2.reasons


def test_news2_with_a_stale_parameter_counts_only_the_current_ones():
    rows = [(0, "acvpu", "V")] + [(5, item, value) for item, value in ALL_BUT_ACVPU.items()]
    news2 = latest(rows)["news2"]
    assert news2.grade is None
    assert news2.flags == (
        "NEWS2 incomplete: at least 4; older than 4 h: consciousness (ACVPU) (last at 00:00)",
    )


def test_grade_json_keeps_null_for_incomplete_news2(tmp_path):
    from tests.test_grade_command import json_lines, run_grade, write_chart

    body = "".join(
        f"2026-11-20T01:00:00Z,{item},{value},,\n" for item, value in ALL_BUT_ACVPU.items()
    )
    (line,) = json_lines(run_grade(write_chart(tmp_path, body), "--json", "--system", "news2"))
    assert line["news2"]["grade"] is None
    assert line["news2"]["flags"][0].startswith("NEWS2 incomplete: at least 4; not charted:")
    assert "respiratory rate 26 /min at 01:00+00:00 scores 3" in line["news2"]["reasons"]


# -- every reason names its time ------------------------------------------------------------

# NEWS2's trigger sentences sum up the findings before them; every other reason is a
# finding, with the time it was charted (grade-json.md).
TRIGGERS = re.compile(r"^(7 or more|5 or more|a single parameter scores 3): ")
CLOCK = re.compile(r"\b\d{2}:\d{2}\b")

RICH_CHARTS = [
    [FEVER, (1, "o2_device", "cpap"), (1, "norepinephrine", 25), (5, "vasopressin", 0.03)],
    [FEVER, (1, "o2_device", "simple_mask"), (2, "epinephrine", 3), (3, "phenylephrine", 50)],
    [FEVER, (1, "o2_device", "nasal_cannula"), (1, "o2_flow", 3), (1, "systolic_bp", 96)],
    [FEVER, (1, "diastolic_bp", 45), (1, "o2_device", "mechanical_ventilation")],
    [(1, "vasopressin", 0.03), (1, "o2_device", "bipap"), (2, "acvpu", "P")],
    [
        *WAIVED,
        (30, "o2_device", "venturi_mask"),
        (30, "ice_score", 4),
        (30, "seizure", "prolonged"),
    ],
    [(1, item, value) for item, value in {**ALL_BUT_ACVPU, "acvpu": "U"}.items()],
]


@pytest.mark.parametrize("rows", RICH_CHARTS)
def test_every_reason_of_every_system_names_its_time(rows):
    g = Grader(GradingSettings(), local_tz=UTC, word_every_time=True)
    g.add(chart(rows))
    for graded in g.timeline():
        for name, system in graded.systems.items():
            for reason in system.reasons:
                assert TRIGGERS.match(reason) or CLOCK.search(reason), (name, reason)
