"""Boundaries the mutation check (tools/mutate_domain.py) found no test for: each test here
fails when one clinical number or comparison in domain/ moves (issue 15 item 6)."""

from __future__ import annotations

from tests.test_grading_astct_crs import crs

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
