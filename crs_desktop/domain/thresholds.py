"""The clinical numbers that more than one layer decides or draws by: the one home of each.

Read them as attributes of this module where they are used (`thresholds.FEVER_C`),
never copied into another name at import: then a change here reaches the grade, the
window's plots and the handover alike (tests/test_clinical_numbers.py changes one and
looks at all three). DESIGN.md: every clinical number lives in domain/.
"""

from __future__ import annotations

# REFERENCE.md §1.1, §1.2: fever is a temperature of 38.0 °C or more.
FEVER_C = 38.0

# REFERENCE.md §7.2 (NEWS2 Chart 4): a single parameter scoring 3 (the low-medium
# band), the urgent response threshold (medium) and the emergency one (high).
NEWS2_SINGLE_PARAMETER_RED = 3
NEWS2_URGENT = 5
NEWS2_EMERGENCY = 7

# The lowest CRS or ICANS grade framed heavier on the handover: grade 2 is where ASTCT
# 2019 CRS first needs treatment beyond symptomatic care (REFERENCE.md §1.2) and where
# the ward protocol's tocilizumab and steroid actions begin (§5).
CRS_ICANS_SERIOUS = 2


def is_fever(temperature_c: float) -> bool:
    """A fever by ASTCT 2019 (REFERENCE.md §1.1): 38.0 °C or more."""
    return temperature_c >= FEVER_C


def fever_words() -> str:
    """The fever line as a nurse reads it: '≥ 38.0 °C'."""
    return f"≥ {FEVER_C:.1f} °C"


# REFERENCE.md §7.2 risk bands, each as (key, words).
NEWS2_BANDS = {
    "low": "low risk",
    "low_medium": "low–medium risk (a single parameter scores 3)",
    "medium": "medium risk",
    "high": "high risk",
}


def news2_band(score: int | None, red_parameters: tuple[str, ...] | bool) -> str | None:
    """The NEWS2 risk band key (REFERENCE.md §7.2): low 0-4; low-medium when a single
    parameter scores 3; medium 5-6; high 7 or more. None with no score."""
    if score is None:
        return None
    if score >= NEWS2_EMERGENCY:
        return "high"
    if score >= NEWS2_URGENT:
        return "medium"
    if red_parameters:
        return "low_medium"
    return "low"


def serious(system: str, grade: int | None) -> bool:
    """A grade to frame heavier: NEWS2 at the urgent threshold or above (§7.2), CRS or
    ICANS grade 2 or above (§1.2)."""
    if grade is None:
        return False
    if system == "news2":
        return grade >= NEWS2_URGENT
    return grade >= CRS_ICANS_SERIOUS
