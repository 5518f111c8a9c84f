"""Quantities derived from charted vitals, shared by the grading and the plots."""

from __future__ import annotations

from collections.abc import Collection


def mean_arterial_pressure(systolic: float, diastolic: float) -> float:
    """MAP estimated from a paired systolic and diastolic reading: (SBP + 2 x DBP) / 3.

    The standard bedside estimate, the one the ASTCT hypotension check uses
    with its MAP < 65 mmHg default (REFERENCE.md §1.3 item 1). Plain
    arithmetic, so it also works element-wise on numpy series.
    """
    return (systolic + 2 * diastolic) / 3


def blood_pressure_problem(systolic: float, diastolic: float) -> str | None:
    """Why a systolic/diastolic pair cannot be one reading, or None.

    The diastolic pressure is the lower of the two by definition: a diastolic at or above
    the systolic is two values typed into each other's box (a systolic of 80 and a
    diastolic of 88 would grade a false hypotension, issue 13), never a measurement.
    """
    if diastolic >= systolic:
        return (
            f"diastolic {diastolic:g} mmHg is not below systolic {systolic:g} mmHg: "
            "check which is which (systolic is the higher)"
        )
    return None


# The seven NEWS2 parameters (REFERENCE.md §7.1, Chart 1) and the items that chart each:
# consciousness is ACVPU, or a level of consciousness the NEWS2 grading reads as ACVPU.
NEWS2_SET: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("respiratory rate", ("resp_rate",)),
    ("SpO2", ("spo2",)),
    ("air or oxygen (oxygen device)", ("o2_device",)),
    ("systolic BP", ("systolic_bp",)),
    ("heart rate", ("heart_rate",)),
    ("consciousness (ACVPU)", ("acvpu", "consciousness")),
    ("temperature", ("temperature",)),
)
# A set with any of these is a set of vital signs: it should be a whole NEWS2 set
# (REFERENCE.md §1.3a item 6). Oxygen alone (a flow turned up) is not.
VITAL_SIGN_ITEMS = frozenset(
    ("temperature", "systolic_bp", "diastolic_bp", "heart_rate", "resp_rate", "spo2")
    + ("acvpu", "consciousness")
)


def news2_missing(charted: Collection[str]) -> list[str]:
    """The NEWS2 parameters a set of vital signs lacks, in Chart 1's order, by name.

    Empty when the set has them all, or is not a set of vital signs (labs, drugs, ICE).
    """
    if not VITAL_SIGN_ITEMS.intersection(charted):
        return []
    return [name for name, items in NEWS2_SET if not any(item in charted for item in items)]
