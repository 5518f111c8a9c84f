"""The protocol file: the default loads with a source for every item; a bad file is refused
with its line and the problem; the tocilizumab arithmetic and limits (REFERENCE.md §5.1)."""

from __future__ import annotations

import re

import pytest

from crs_desktop.domain.drug_doses import (
    Dose,
    steroids_today,
    tocilizumab_dose_mg,
    tocilizumab_status,
)
from crs_desktop.domain.protocol import ProtocolError, parse_protocol
from crs_desktop.resources_path import default_protocol_path

HOUR = 3600.0
T0 = 1_795_132_800.0  # 2026-11-20T00:00:00Z


@pytest.fixture(scope="module")
def text() -> str:
    return default_protocol_path().read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def protocol(text):
    return parse_protocol(text, "default.toml")


# -- the default protocol ------------------------------------------------------------------


def test_default_protocol_names_a_reference_source_for_every_action_and_rule(protocol):
    assert len(protocol.actions) >= 20
    for action in protocol.actions:
        assert action.source.strip(), action.key
        assert action.evidence in ("C", "S", "U"), action.key
        # A REFERENCE.md section, or an honest statement that it is not there.
        assert re.search(r"REFERENCE\.md §\d", action.source) or (
            action.evidence == "U" and "Not in REFERENCE.md" in action.source
        ), action.key
    assert "§5.1" in protocol.tocilizumab.source
    for timer in protocol.timers:
        assert "REFERENCE.md §6.1" in timer.source
        for faster in timer.faster:
            assert re.search(r"REFERENCE\.md §\d", faster.source)


def test_default_protocol_covers_what_each_grade_calls_for(protocol):
    def keys(system, grade):
        return {a.key for a in protocol.actions_for(system, grade)}

    # Grade 1: supportive care and the infection work-up.
    assert {"crs_antipyretic", "crs_cultures", "crs_chest_xray"} <= keys("astct_crs", 1)
    assert "crs_tocilizumab" not in keys("astct_crs", 1)
    # Grade 2: tocilizumab, fluids, oxygen (§5.1, §5.2).
    assert {"crs_tocilizumab", "crs_fluids", "crs_oxygen"} <= keys("astct_crs", 2)
    # Grade 3: ICU and dexamethasone 10 mg every 6 h (§5.2 ASCO).
    assert {"crs_icu", "crs_dexamethasone_g3", "crs_vasopressor"} <= keys("astct_crs", 3)
    # Grade 4: methylprednisolone (§5.2 ASCO).
    assert "crs_methylprednisolone_g4" in keys("astct_crs", 4)
    assert "icans_icu" in keys("astct_icans", 3)
    assert (
        protocol.actions_for("astct_crs", 0) == [] and protocol.actions_for("astct_crs", None) == []
    )


def test_default_protocol_doses_are_the_references(protocol):
    """Doses only where REFERENCE.md §5.2 gives them."""
    assert protocol.action("crs_dexamethasone_g3").dose_mg == 10
    assert protocol.action("crs_methylprednisolone_g4").dose_mg == 500
    assert protocol.action("icans_methylprednisolone_g4").dose_mg == 1000
    assert protocol.action("crs_antipyretic").dose_mg is None  # no dose in the reference
    rules = protocol.tocilizumab
    assert (rules.mg_per_kg, rules.mg_per_kg_below_split, rules.weight_split_kg) == (8, 12, 30)
    assert (rules.max_dose_mg, rules.min_interval_h) == (800, 8)
    assert (rules.max_doses_24h, rules.max_doses_total) == (3, 4)


# -- refusing a bad file -------------------------------------------------------------------


def refused(text: str) -> str:
    with pytest.raises(ProtocolError) as caught:
        parse_protocol(text, "ward.toml")
    return str(caught.value)


def line_of(text: str, needle: str) -> int:
    return next(n for n, line in enumerate(text.splitlines(), 1) if needle in line)


def test_toml_syntax_error_names_the_line(text):
    broken = text.replace("mg_per_kg = 8\n", "mg_per_kg = = 8\n", 1)
    message = refused(broken)
    assert message.startswith(
        f"ward.toml line {line_of(broken, 'mg_per_kg = = 8')}: not valid TOML"
    )


def test_grade_out_of_range_names_the_action_and_line(text):
    broken = text.replace(
        'grades = [2, 3, 4]\ngroup = "Anti-cytokine"\ntitle = "Tocilizumab',
        'grades = [2, 5]\ngroup = "Anti-cytokine"\ntitle = "Tocilizumab',
        1,
    )
    assert broken != text
    message = refused(broken)
    assert f"line {line_of(broken, 'grades = [2, 5]')}" in message
    assert "action 'crs_tocilizumab'" in message and "grades from 1 to 4" in message


def test_missing_source_is_refused(text):
    broken = re.sub(
        r'source = "[^"\n]*REFERENCE.md §6.1 Labs: chest radiograph[^\n]*\n', "", text, count=1
    )
    assert broken != text
    message = refused(broken)
    assert "action 'crs_chest_xray'" in message and "'source' must be non-empty text" in message
    assert re.match(r"ward\.toml line \d+: ", message)


def test_unknown_drug_unknown_field_and_bad_condition_are_refused(text):
    message = refused(text.replace('drug = "paracetamol"', 'drug = "aspirin"', 1))
    assert "'drug' = 'aspirin'" in message and "paracetamol" in message
    message = refused(text.replace('drug = "paracetamol"', 'drugs = "paracetamol"', 1))
    assert "unknown field 'drugs'" in message
    message = refused(text.replace('when = "febrile"', 'when = "feverish"', 1))
    assert "'when' = 'feverish'" in message and "crs >= N" in message
    febrile_line = line_of(text, 'when = "febrile"')
    assert f"line {febrile_line}" in message


def test_tocilizumab_limits_must_be_whole_numbers_and_keys_unique(text):
    message = refused(text.replace("max_doses_24h = 3", "max_doses_24h = 2.5", 1))
    assert "[tocilizumab]" in message and "'max_doses_24h' must be a whole number" in message
    assert f"line {line_of(text, 'max_doses_24h')}" in message
    twice = text.replace('key = "crs_chest_xray"', 'key = "crs_cultures"', 1)
    assert "the key is used twice" in refused(twice)


def test_wrong_format_version_and_empty_file_are_refused(text):
    assert "'format' = 2" in refused(text.replace("format = 1", "format = 2", 1))
    assert "format" in refused("")


# -- grading settings (REFERENCE.md §1.3a) ------------------------------------------------


def test_default_protocol_holds_the_grading_numbers_with_their_sources(protocol, text):
    """§1.3a items 1-3: the thresholds a ward may change live in the file, each table with
    its source, and equal the built-in defaults (what `crs-desktop grade` uses)."""
    from crs_desktop.domain.grading import GradingSettings

    grading = protocol.grading
    assert (grading.systolic_threshold, grading.map_threshold) == (90, 65)
    assert grading.fever_waiver_review_days == 14
    assert grading.neuro_finding_review_h == 24
    assert grading == GradingSettings()
    for table, cited in (
        ("grading.hypotension", "§1.3a item 1"),
        ("grading.fever_waiver", "§1.3a item 2"),
        ("grading.neuro_findings", "§1.3a item 3"),
    ):
        start = line_of(text, f"[{table}]")
        source = next(line for line in text.splitlines()[start:] if line.startswith("source = "))
        assert cited in source, table


def test_a_ward_changes_a_grading_number_and_the_grade_follows(text):
    from datetime import UTC

    from crs_desktop.domain.grading import Grader
    from crs_desktop.domain.observation import Observation

    ward = parse_protocol(
        text.replace("map_below_mmhg = 65", "map_below_mmhg = 70", 1), "ward.toml"
    )
    assert ward.grading.map_threshold == 70
    g = Grader(ward.grading, local_tz=UTC)
    g.add(
        [
            Observation(T0, "temperature", 38.5, id=1),
            Observation(T0 + HOUR, "systolic_bp", 100.0, id=2),
            Observation(T0 + HOUR, "diastolic_bp", 52.0, id=3),  # MAP 68
        ]
    )
    latest = g.latest()
    assert latest is not None
    crs = latest.systems["astct_crs"]
    assert crs.grade == 2
    assert any("MAP 68 mmHg (100/52)" in r and "MAP < 70 mmHg" in r for r in crs.reasons)


def test_grading_tables_are_optional_and_lab_limits_can_be_set(text):
    from crs_desktop.domain.grading import GradingSettings

    without = re.sub(r"\[grading\.[a-z_]+\]\n(?:[^\[\n][^\n]*\n|\n)*", "", text)
    assert "[grading." not in without
    assert parse_protocol(without, "ward.toml").grading == GradingSettings()
    labs = text + (
        "\n[grading.lab_limits]\nalt_uln_u_per_l = 45\ncreatinine_uln_umol_per_l = 110\n"
        'source = "our laboratory"\n'
    )
    grading = parse_protocol(labs, "ward.toml").grading
    assert (grading.alt_uln, grading.creatinine_uln) == (45, 110)


def test_a_bad_grading_setting_is_refused_with_its_line(text):
    message = refused(text.replace("map_below_mmhg = 65", "map_below_mmhg = 650", 1))
    assert message.startswith(f"ward.toml line {line_of(text, 'map_below_mmhg = 65')}: ")
    assert (
        "[grading.hypotension]" in message
        and "'map_below_mmhg' = 650: allowed 40 to 110" in message
    )
    message = refused(text.replace("review_after_days = 14", "review_after_weeks = 2", 1))
    assert "[grading.fever_waiver]" in message and "unknown field 'review_after_weeks'" in message
    no_source = re.sub(
        r'(\[grading\.neuro_findings\]\n(?:[^\n]*\n)*?)source = "[^\n]*\n', r"\1", text, count=1
    )
    assert "'source' must be non-empty text" in refused(no_source)
    message = refused(text.replace("[grading.fever_waiver]", "[grading.fever]", 1))
    assert message.startswith(f"ward.toml line {line_of(text, '[grading.fever_waiver]')}: ")
    assert "unknown table [grading.fever]" in message and "[grading.fever_waiver]" in message


def test_the_checklist_source_is_in_ward_words(protocol):
    """What a nurse reads of a source names the guideline, never REFERENCE.md (a developer
    document); the full citation stays in the file."""
    for action in protocol.actions:
        shown = action.source_shown
        assert shown and "REFERENCE" not in shown and "§" not in shown, action.key
        assert not re.search(r"\[[CSUD][:\]]", shown), action.key
    assert protocol.action("crs_icu").source_shown == "ASCO 2021, CRS grade 3: ICU admission"


# -- tocilizumab (REFERENCE.md §5.1) -----------------------------------------------------


@pytest.mark.parametrize(
    ("weight", "dose"),
    [
        (29.9, 358.8),  # below 30 kg: 12 mg/kg
        (30.0, 240.0),  # 30 kg: 8 mg/kg
        (72.0, 576.0),
        (100.0, 800.0),  # 8 mg/kg is exactly 800
        (100.1, 800.0),  # capped
        (140.0, 800.0),
    ],
)
def test_tocilizumab_dose_by_weight_capped_at_800(protocol, weight, dose):
    assert tocilizumab_dose_mg(weight, protocol.tocilizumab) == pytest.approx(dose, abs=1e-9)


def test_tocilizumab_dose_needs_a_weight(protocol):
    with pytest.raises(ValueError, match="weight 0 kg"):
        tocilizumab_dose_mg(0, protocol.tocilizumab)


def test_tocilizumab_interval_of_8_hours(protocol):
    rules = protocol.tocilizumab
    doses = [Dose(T0, 576)]
    early = tocilizumab_status(doses, T0 + 7.9 * HOUR, rules)
    assert early.next_allowed_at == T0 + 8 * HOUR
    assert early.needs_reason and "since the last dose" in early.warnings[0]
    on_time = tocilizumab_status(doses, T0 + 8 * HOUR, rules)
    assert not on_time.needs_reason
    # A limit already past is no limit: nothing to wait for (the mark dialog printed it).
    assert on_time.next_allowed_at is None
    assert tocilizumab_status(doses, T0 + 3 * 24 * HOUR, rules).next_allowed_at is None
    assert (on_time.doses_24h, on_time.mg_24h, on_time.doses_total) == (1, 576, 1)


def test_tocilizumab_fourth_dose_in_24_hours_and_fifth_in_total_warn(protocol):
    rules = protocol.tocilizumab
    three = [Dose(T0, 576), Dose(T0 + 8 * HOUR, 576), Dose(T0 + 16 * HOUR, 576)]
    fourth = tocilizumab_status(three, T0 + 23.9 * HOUR, rules)
    assert fourth.doses_24h == 3
    assert any("dose 4 in 24 h" in w for w in fourth.warnings)
    # 24 h after the first, the first no longer counts in the last 24 h.
    later = tocilizumab_status(three, T0 + 24.1 * HOUR, rules)
    assert later.doses_24h == 2 and not later.needs_reason
    four = [*three, Dose(T0 + 30 * HOUR, 576)]
    fifth = tocilizumab_status(four, T0 + 60 * HOUR, rules)
    assert fifth.doses_total == 4 and fifth.mg_total == 4 * 576
    assert [w for w in fifth.warnings if "dose 5 in total" in w]
    assert not any("in 24 h" in w for w in fifth.warnings)


def test_tocilizumab_dose_above_the_maximum_per_infusion_warns(protocol):
    rules = protocol.tocilizumab
    assert not tocilizumab_status([], T0, rules, dose_mg=800).needs_reason
    over = tocilizumab_status([], T0, rules, dose_mg=1000)
    assert over.warnings == ("1000 mg is more than the 800 mg maximum per infusion",)


def test_tocilizumab_first_dose_has_no_warning(protocol):
    status = tocilizumab_status([], T0, protocol.tocilizumab)
    assert (status.doses_total, status.last_at, status.next_allowed_at) == (0, None, None)
    assert not status.needs_reason


def test_steroids_total_for_the_day():
    doses = [
        ("dexamethasone", Dose(T0 - 2 * HOUR, 10)),  # yesterday
        ("dexamethasone", Dose(T0 + 6 * HOUR, 10)),
        ("dexamethasone", Dose(T0 + 12 * HOUR, 10)),
        ("methylprednisolone", Dose(T0 + 13 * HOUR, 500)),
        ("tocilizumab", Dose(T0 + 13 * HOUR, 576)),  # not a steroid
    ]
    days = steroids_today(doses, T0, T0 + 14 * HOUR)
    assert [(d.drug, len(d.doses), d.total_mg) for d in days] == [
        ("dexamethasone", 2, 20),
        ("methylprednisolone", 1, 500),
    ]


def test_a_dose_in_mg_for_a_fluid_is_refused(text):
    broken = text.replace('drug = "fluid_bolus"', 'drug = "fluid_bolus"\ndose_mg = 500', 1)
    assert "a dose in mg does not fit 'fluid_bolus'" in refused(broken)
