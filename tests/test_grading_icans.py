"""ASTCT 2019 ICANS grading and the ICE score: REFERENCE.md §4.1 and every row of §4.2."""

from __future__ import annotations

import pytest

from crs_desktop.domain.grading import ice_score
from crs_desktop.domain.vocabulary import ITEMS
from tests.support.grading import graded


def icans(rows):
    latest = graded(rows).latest()
    assert latest is not None
    return latest.systems["astct_icans"]


# -- the ICE score (§4.1) -----------------------------------------------------------------


def test_ice_score_full_marks_is_10():
    assert ice_score(orientation=4, naming=3, commands=1, writing=1, attention=1) == 10


@pytest.mark.parametrize(
    ("parts", "expected"),
    [
        ((0, 0, 0, 0, 0), 0),
        ((4, 0, 0, 0, 0), 4),
        ((0, 3, 0, 0, 0), 3),
        ((0, 0, 1, 0, 0), 1),
        ((0, 0, 0, 1, 0), 1),
        ((0, 0, 0, 0, 1), 1),
        ((2, 2, 1, 0, 1), 6),
        ((3, 3, 1, 0, 0), 7),
    ],
)
def test_ice_score_adds_its_five_parts(parts, expected):
    assert ice_score(*parts) == expected


@pytest.mark.parametrize(
    ("name", "parts"),
    [
        ("orientation", (5, 3, 1, 1, 1)),
        ("naming", (4, 4, 1, 1, 1)),
        ("commands", (4, 3, 2, 1, 1)),
        ("writing", (4, 3, 1, 2, 1)),
        ("attention", (4, 3, 1, 1, 2)),
        ("orientation", (-1, 3, 1, 1, 1)),
    ],
)
def test_ice_score_refuses_a_part_out_of_range_and_names_it(name, parts):
    with pytest.raises(ValueError, match=name):
        ice_score(*parts)


def test_ice_score_refuses_a_non_integer_part():
    with pytest.raises(ValueError, match="naming"):
        ice_score(4, 2.5, 1, 1, 1)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="commands"):
        ice_score(4, 3, True, 1, 1)


# -- ICE row (§4.2) ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("ice", "expected"),
    [(10, 0), (9, 1), (7, 1), (6, 2), (3, 2), (2, 3), (1, 3), (0, 3)],
)
def test_ice_score_bands(ice, expected):
    g = icans([(1, "ice_score", ice)])
    assert g.grade == expected
    if expected:
        assert g.reasons == (f"ICE score {ice}/10 at 01:00",)
    else:
        assert g.reasons == ()


def test_ice_0_awake_is_grade_3_and_unarousable_is_grade_4():
    # §4.2: ICE 0 is grade 3 if awake with global aphasia, grade 4 if unarousable.
    assert icans([(1, "ice_score", 0), (1, "consciousness", "alert")]).grade == 3
    assert icans([(1, "ice_score", 0), (1, "consciousness", "awakens_to_voice")]).grade == 3
    assert icans([(1, "ice_score", 0), (1, "consciousness", "unarousable")]).grade == 4


def test_ice_0_with_unarousable_noted_other_cause_is_grade_3():
    # The unarousable state is attributed elsewhere: only the ICE row counts.
    g = icans([(1, "ice_score", 0), (1, "consciousness", "unarousable", "other_cause: hypoglycaemia")])
    assert g.grade == 3


# -- level of consciousness row (§4.2 †) -----------------------------------------------


@pytest.mark.parametrize(
    ("level", "expected"),
    [
        ("alert", 0),
        ("awakens_spontaneously", 1),
        ("awakens_to_voice", 2),
        ("awakens_to_touch", 3),
        ("unarousable", 4),
    ],
)
def test_level_of_consciousness(level, expected):
    g = icans([(1, "consciousness", level)])
    assert g.grade == expected
    if expected:
        assert any(level.replace("_", " ") in r for r in g.reasons), g.reasons


def test_ice_10_but_wakes_only_spontaneously_is_grade_1_and_flagged():
    # §4.2 wording conflict: ASTCT table grade 1; ASCO differs; clinical sign-off.
    g = icans([(1, "ice_score", 10), (1, "consciousness", "awakens_spontaneously")])
    assert g.grade == 1
    assert any("ICE 10" in f for f in g.flags), g.flags


# -- seizure, motor, cerebral edema rows (§4.2) ----------------------------------------


@pytest.mark.parametrize(
    ("seizure", "expected"),
    [
        ("none", 0),
        ("focal_resolved", 3),
        ("generalized_resolved", 3),
        ("nonconvulsive_resolved", 3),
        ("prolonged", 4),
        ("repetitive", 4),
    ],
)
def test_seizure_row(seizure, expected):
    assert icans([(1, "seizure", seizure)]).grade == expected


@pytest.mark.parametrize(
    ("motor", "expected"), [("none", 0), ("hemiparesis", 4), ("paraparesis", 4)]
)
def test_motor_row(motor, expected):
    assert icans([(1, "motor_weakness", motor)]).grade == expected


@pytest.mark.parametrize(
    ("finding", "expected"),
    [
        ("none", 0),
        ("focal", 3),
        ("diffuse", 4),
        ("posturing", 4),
        ("cn_vi_palsy", 4),
        ("papilledema", 4),
        ("cushings_triad", 4),
    ],
)
def test_cerebral_edema_row(finding, expected):
    assert icans([(1, "cerebral_edema", finding)]).grade == expected


def test_a_finding_stands_until_a_newer_one_of_the_same_item():
    g = graded(
        [(1, "seizure", "generalized_resolved"), (2, "ice_score", 10), (3, "seizure", "none")]
    )
    assert [gs.systems["astct_icans"].grade for gs in g.timeline()] == [3, 3, 0]


# -- the worst domain sets the grade (§4.2 rules) ------------------------------------


def test_reference_example_ice_3_with_generalized_seizure_is_grade_3():
    g = icans([(1, "ice_score", 3), (1, "seizure", "generalized_resolved")])
    assert g.grade == 3
    assert len(g.reasons) == 2


@pytest.mark.parametrize(
    ("rows", "expected"),
    [
        ([(1, "ice_score", 8), (1, "consciousness", "awakens_to_voice")], 2),
        ([(1, "ice_score", 5), (1, "motor_weakness", "hemiparesis")], 4),
        ([(1, "ice_score", 2), (1, "cerebral_edema", "focal")], 3),
        ([(1, "consciousness", "awakens_spontaneously"), (1, "cerebral_edema", "diffuse")], 4),
        ([(1, "ice_score", 9), (1, "seizure", "none"), (1, "motor_weakness", "none")], 1),
    ],
)
def test_icans_grade_is_the_most_severe_domain(rows, expected):
    assert icans(rows).grade == expected


# -- sedation, other causes, what is not ICANS ----------------------------------------


def test_sedation_takes_out_the_ice_score_and_consciousness():
    # §4.2 †: depressed consciousness must have no other cause (no sedating medication).
    g = icans(
        [
            (1, "ice_score", 2),
            (1, "consciousness", "unarousable"),
            (1, "sedation", "sedated"),
        ]
    )
    assert g.grade == 0
    assert g.reasons == ()
    assert any("sedat" in f for f in g.flags), g.flags


def test_sedation_does_not_take_out_seizure_motor_or_edema():
    g = icans([(1, "sedation", "sedated"), (1, "ice_score", 0), (1, "seizure", "repetitive")])
    assert g.grade == 4
    assert all("ICE" not in r for r in g.reasons), g.reasons


def test_sedation_stopped_brings_the_ice_score_back():
    g = graded([(1, "sedation", "sedated"), (1, "ice_score", 4), (3, "sedation", "none")])
    grades = [gs.systems["astct_icans"].grade for gs in g.timeline()]
    assert grades == [0, 2]


def test_ice_score_noted_other_cause_is_left_out():
    assert icans([(1, "ice_score", 4, "other_cause: hepatic encephalopathy")]).grade == 0


def test_seizure_noted_other_cause_is_left_out():
    assert icans([(1, "seizure", "prolonged", "other_cause: known epilepsy")]).grade == 0


def test_tremor_and_intracranial_haemorrhage_cannot_be_charted_as_icans_findings():
    # §4.2 ‡ ¥: tremor, myoclonus and intracranial haemorrhage do not grade ICANS. The
    # vocabulary offers no such item or word, so nothing charted can make them count.
    words = {w for item in ITEMS.values() for w in item.words}
    assert not any(("tremor" in n or "myoclon" in n or "hemorrh" in n) for n in ITEMS)
    assert not any(("tremor" in w or "hemorrh" in w or "haemorrh" in w) for w in words)


def test_icans_is_graded_independently_of_crs():
    # §4.2: ICANS can occur without CRS, and CRS findings do not grade ICANS.
    latest = graded(
        [(0, "temperature", 39.5), (1, "norepinephrine", 10), (1, "o2_device", "cpap")]
    ).latest()
    assert latest is not None
    assert latest.systems["astct_icans"].grade == 0
    latest = graded([(1, "ice_score", 5)]).latest()
    assert latest is not None
    assert latest.systems["astct_icans"].grade == 2
    assert latest.systems["astct_crs"].grade == 0


def test_death_from_icans_is_grade_5_with_a_flag():
    g = graded([(1, "ice_score", 2), (4, "death", "icans")])
    latest = g.latest()
    assert latest is not None
    assert latest.systems["astct_icans"].grade == 5
    assert latest.systems["astct_icans"].max == 5
    assert any("unconfirmed" in f for f in latest.systems["astct_icans"].flags)
    assert latest.systems["astct_crs"].grade == 0
