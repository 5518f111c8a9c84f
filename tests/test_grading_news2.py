"""NEWS2 (REFERENCE.md §7): the band edges of every parameter row of Chart 1, scale 2, ACVPU,
and no score (None, flagged) while a parameter is missing or older than the vitals window."""

from __future__ import annotations

from datetime import UTC

import pytest

from crs_desktop.domain.grading import Grader, GradingSettings
from tests.support.grading import chart

# A patient who scores 0 on every parameter.
NORMAL = {
    "resp_rate": 16,
    "spo2": 97,
    "o2_device": "room_air",
    "systolic_bp": 120,
    "heart_rate": 70,
    "acvpu": "A",
    "temperature": 37.0,
}


def vitals(hour: float = 1, settings: GradingSettings | None = None, **changes):
    """NEWS2 of one set of vitals at `hour`: NORMAL with `changes` (None drops a parameter)."""
    values = {**NORMAL, **changes}
    rows = [(hour, item, value) for item, value in values.items() if value is not None]
    return news2(rows, settings)


def news2(rows, settings: GradingSettings | None = None):
    g = Grader(settings or GradingSettings(), local_tz=UTC)
    g.add(chart(rows))
    latest = g.latest()
    assert latest is not None
    return latest.systems["news2"]


def test_a_normal_set_of_vitals_scores_0():
    g = vitals()
    assert (g.grade, g.reasons, g.flags) == (0, (), ())


# -- Chart 1, row by row ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("rate", "points"), [(8, 3), (9, 1), (11, 1), (12, 0), (20, 0), (21, 2), (24, 2), (25, 3)]
)
def test_respiration_rate_band_edges(rate, points):
    g = vitals(resp_rate=rate)
    assert g.grade == points
    if points:
        assert any(f"respiratory rate {rate} /min at 01:00 scores {points}" in r for r in g.reasons)


@pytest.mark.parametrize(
    ("spo2", "points"), [(91, 3), (92, 2), (93, 2), (94, 1), (95, 1), (96, 0), (100, 0)]
)
def test_spo2_scale_1_band_edges(spo2, points):
    assert vitals(spo2=spo2).grade == points


@pytest.mark.parametrize(
    ("device", "points"),
    [("room_air", 0), ("nasal_cannula", 2), ("blow_by", 2), ("simple_mask", 2), ("cpap", 2)],
)
def test_air_or_oxygen(device, points):
    # §7.1: oxygen by any device scores 2.
    g = vitals(o2_device=device)
    assert g.grade == points
    if points:
        # The device and its time named (grade-json.md: item, value, time).
        assert any(r.startswith("on oxygen (") and r.endswith(" since 01:00) scores 2") for r in g.reasons), g.reasons


@pytest.mark.parametrize(
    ("systolic", "points"),
    [(90, 3), (91, 2), (100, 2), (101, 1), (110, 1), (111, 0), (219, 0), (220, 3)],
)
def test_systolic_bp_band_edges(systolic, points):
    assert vitals(systolic_bp=systolic).grade == points


@pytest.mark.parametrize(
    ("pulse", "points"),
    [
        (40, 3),
        (41, 1),
        (50, 1),
        (51, 0),
        (90, 0),
        (91, 1),
        (110, 1),
        (111, 2),
        (130, 2),
        (131, 3),
    ],
)
def test_pulse_band_edges(pulse, points):
    assert vitals(heart_rate=pulse).grade == points


@pytest.mark.parametrize(
    ("temperature", "points"),
    [
        (35.0, 3),
        (35.1, 1),
        (36.0, 1),
        (36.1, 0),
        (38.0, 0),
        (38.1, 1),
        (39.0, 1),
        (39.1, 2),
        (41.0, 2),
    ],
)
def test_temperature_band_edges(temperature, points):
    assert vitals(temperature=temperature).grade == points


def test_38_0_scores_0_in_news2_but_is_an_astct_fever():
    # §7.2 "Interaction with ASTCT".
    g = Grader(local_tz=UTC)
    g.add(chart([(1, k, v) for k, v in {**NORMAL, "temperature": 38.0}.items()]))
    latest = g.latest()
    assert latest is not None
    assert latest.systems["news2"].grade == 0
    assert latest.systems["astct_crs"].grade == 1


@pytest.mark.parametrize(("letter", "points"), [("A", 0), ("C", 3), ("V", 3), ("P", 3), ("U", 3)])
def test_acvpu(letter, points):
    # §7.1: any of C, V, P or U scores 3.
    g = vitals(acvpu=letter)
    assert g.grade == points
    if points:
        # The letter read as words, with its time (REFERENCE.md §7.1: C is new confusion).
        shown = {"C": "new confusion (C)", "V": "responds to voice (V)", "P": "responds to pain (P)", "U": "unresponsive (U)"}
        assert f"consciousness {shown[letter]} at 01:00 scores 3" in g.reasons


@pytest.mark.parametrize(
    ("level", "points"),
    [("alert", 0), ("awakens_to_voice", 3), ("awakens_to_touch", 3), ("unarousable", 3)],
)
def test_level_of_consciousness_stands_in_for_acvpu(level, points):
    assert vitals(acvpu=None, consciousness=level).grade == points


def test_awakens_spontaneously_scores_as_not_alert_with_a_flag():
    g = vitals(acvpu=None, consciousness="awakens_spontaneously")
    assert g.grade == 3
    assert any("awakens spontaneously" in f for f in g.flags), g.flags


def test_the_later_of_acvpu_and_consciousness_counts():
    base = [(1, k, v) for k, v in NORMAL.items()]
    assert news2([*base, (2, "consciousness", "awakens_to_voice")]).grade == 3
    assert news2([*base, (0.5, "consciousness", "awakens_to_voice")]).grade == 0


# -- scale 2 ------------------------------------------------------------------------------


SCALE2 = GradingSettings(news2_scale=2)


@pytest.mark.parametrize(
    ("spo2", "device", "points"),
    [
        (83, "room_air", 3),
        (84, "room_air", 2),
        (85, "room_air", 2),
        (86, "room_air", 1),
        (87, "room_air", 1),
        (88, "room_air", 0),
        (92, "room_air", 0),
        (93, "room_air", 0),  # >= 93 on air scores 0
        (100, "room_air", 0),
        (88, "nasal_cannula", 0 + 2),
        (92, "nasal_cannula", 0 + 2),
        (93, "nasal_cannula", 1 + 2),  # 93-94 on oxygen scores 1 (+2 for oxygen)
        (94, "nasal_cannula", 1 + 2),
        (95, "nasal_cannula", 2 + 2),
        (96, "nasal_cannula", 2 + 2),
        (97, "nasal_cannula", 3 + 2),
        (83, "nasal_cannula", 3 + 2),
    ],
)
def test_spo2_scale_2_band_edges(spo2, device, points):
    assert vitals(settings=SCALE2, spo2=spo2, o2_device=device).grade == points


def test_scale_1_is_the_default_and_scores_88_as_3():
    assert vitals(spo2=88).grade == 3
    assert vitals(settings=SCALE2, spo2=88).grade == 0


# -- aggregate and trigger thresholds (§7.2) --------------------------------------------


def test_the_aggregate_adds_every_parameter():
    g = vitals(resp_rate=22, spo2=93, o2_device="nasal_cannula", systolic_bp=105,
               heart_rate=115, acvpu="V", temperature=39.2)
    assert g.grade == 2 + 2 + 2 + 1 + 2 + 3 + 2
    assert "7 or more: emergency response threshold" in g.reasons


def test_the_highest_possible_score_is_20():
    g = vitals(resp_rate=30, spo2=85, o2_device="non_rebreather", systolic_bp=80,
               heart_rate=140, acvpu="U", temperature=34.0)
    assert g.grade == 20


def test_trigger_wording():
    assert "5 or more: urgent response threshold" in vitals(resp_rate=22, heart_rate=115, temperature=38.5).reasons
    single = vitals(resp_rate=26)
    assert single.grade == 3
    assert "a single parameter scores 3: inform the medical team" in single.reasons


# -- missing or stale: no score, flagged ------------------------------------------------


@pytest.mark.parametrize(
    ("dropped", "named"),
    [
        ("resp_rate", "respiratory rate"),
        ("spo2", "SpO2"),
        ("o2_device", "air or oxygen"),
        ("systolic_bp", "systolic BP"),
        ("heart_rate", "heart rate"),
        ("temperature", "temperature"),
        ("acvpu", "consciousness"),
    ],
)
def test_news2_is_none_while_a_parameter_is_missing(dropped, named):
    g = vitals(**{dropped: None})
    assert g.grade is None
    assert g.max is None
    # REFERENCE.md §1.3a item 6: "incomplete: at least N", naming what is missing.
    assert len(g.flags) == 1 and "incomplete: at least" in g.flags[0], g.flags
    assert "not charted" in g.flags[0] and named in g.flags[0], g.flags


@pytest.mark.parametrize(
    ("item", "hours_old", "scored"),
    [("resp_rate", 4.0, True), ("resp_rate", 4.01, False), ("temperature", 5, False),
     ("acvpu", 4.01, False), ("acvpu", 3, True)],
)
def test_news2_is_none_while_a_parameter_is_older_than_the_vitals_window(item, hours_old, scored):
    # Default window 4 h (REFERENCE.md §6.1 vital signs "at least every 4 h").
    at = 10.0
    rows = [(at - hours_old if k == item else at, k, v) for k, v in NORMAL.items()]
    g = news2(rows)
    if scored:
        assert g.grade == 0
    else:
        assert g.grade is None
        assert any("older than 4 h" in f for f in g.flags), g.flags


def test_oxygen_device_does_not_go_stale():
    rows = [(0, "o2_device", "room_air")] + [(10, k, v) for k, v in NORMAL.items() if k != "o2_device"]
    assert news2(rows).grade == 0


def test_configured_vitals_window():
    settings = GradingSettings(vitals_window_h=1.0)
    rows = [(8.0 if k == "heart_rate" else 10.0, k, v) for k, v in NORMAL.items()]
    g = news2(rows, settings)
    assert g.grade is None
    assert any("older than 1 h" in f and "heart rate" in f for f in g.flags), g.flags
    assert news2(rows).grade == 0


def test_score_returns_when_the_missing_parameter_is_charted():
    rows = [(1, k, v) for k, v in NORMAL.items() if k != "spo2"] + [(2, "spo2", 93)]
    g = Grader(local_tz=UTC)
    g.add(chart(rows))
    scores = [gs.systems["news2"].grade for gs in g.timeline()]
    maxima = [gs.systems["news2"].max for gs in g.timeline()]
    assert scores == [None, 2]
    assert maxima == [None, 2]
