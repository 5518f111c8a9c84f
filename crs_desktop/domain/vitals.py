"""Quantities derived from charted vitals, shared by the grading and the plots."""

from __future__ import annotations


def mean_arterial_pressure(systolic: float, diastolic: float) -> float:
    """MAP estimated from a paired systolic and diastolic reading: (SBP + 2 x DBP) / 3.

    The standard bedside estimate, the one the ASTCT hypotension check uses
    with its MAP < 65 mmHg default (REFERENCE.md §1.3 item 1). Plain
    arithmetic, so it also works element-wise on numpy series.
    """
    return (systolic + 2 * diastolic) / 3
