"""Quantities derived from charted vitals, shared by the grading and the plots."""

from __future__ import annotations

from typing import TYPE_CHECKING, TypeVar, cast

if TYPE_CHECKING:
    import numpy as np

    Pressure = TypeVar("Pressure", float, np.ndarray)
else:
    Pressure = TypeVar("Pressure")


def mean_arterial_pressure(systolic: Pressure, diastolic: Pressure) -> Pressure:
    """MAP estimated from a paired systolic and diastolic reading: (SBP + 2 x DBP) / 3.

    The standard bedside estimate, the one the ASTCT hypotension check uses
    with its MAP < 65 mmHg default (REFERENCE.md §1.3 item 1). Works on
    single readings and on whole numpy series alike.
    """
    return cast(Pressure, (systolic + 2 * diastolic) / 3)
