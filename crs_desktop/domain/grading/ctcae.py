"""CTCAE v5.0 "Cytokine release syndrome" (REFERENCE.md §3)."""

from __future__ import annotations

from datetime import tzinfo

from crs_desktop.domain.grading.astct_crs import (
    hypotension,
    hypotension_words,
    left_out,
    pressor_words,
)
from crs_desktop.domain.grading.chart_state import ChartState
from crs_desktop.domain.grading.oxygen_fraction import (
    FIO2_CUTOFF,
    device_words,
    fio2_words,
    oxygen_need,
)
from crs_desktop.domain.grading.settings import GradingSettings
from crs_desktop.domain.grading.verdict import Verdict
from crs_desktop.domain.grading.wording import clock, finding

GRADE_5 = Verdict(5)


def grade(
    state: ChartState, at: float, settings: GradingSettings, tz: tzinfo | None, words: bool = True
) -> Verdict:
    """CTCAE CRS grade now. `words=False`: the same grade, without its reasons and flags
    (the grader words only the moments that are read; see grader.py)."""
    if state.death is not None and state.death.text == "crs":
        if not words:
            return GRADE_5
        return Verdict(5, (f"death attributed to CRS at {clock(state.death.time, tz, at)}",))
    reasons: list[str] = []
    flags: list[str] = []
    worst = 0
    fever = state.last_fever
    if fever is not None and at - fever.time <= settings.fever_window_h * 3600:
        worst = 1  # "Fever with or without constitutional symptoms"
        if words:
            reasons.append(f"fever: {finding(fever, tz, at)}")
    pressors = [n for n in state.pressors if n != "vasopressin"]
    if len(pressors) >= 2:
        # Grade 4 "life-threatening consequences; urgent intervention": more
        # than one pressor is read as that. An interpretation: flagged.
        worst = max(worst, 4)
        if words:
            running = "; ".join(pressor_words(state, tz, at))
            reasons.append(f"more than one vasopressor: {running}")
            flags.append("CTCAE grade 4 read from more than one vasopressor: clinician review")
    elif state.pressors:
        worst = max(worst, 3)  # "Hypotension managed with one pressor"
        if words:
            running = "; ".join(pressor_words(state, tz, at))
            if pressors and "vasopressin" in state.pressors:
                # Two drugs run: never called "one pressor" (REFERENCE.md §1.3a item 4).
                # Vasopressin beside one pressor is not counted as a second, as ASTCT 2019
                # (§1.2) reads it: an interpretation, flagged.
                reasons.append(f"hypotension managed with a pressor and vasopressin: {running}")
                flags.append(
                    "CTCAE grade 3 with vasopressin beside one pressor (vasopressin not counted "
                    "as a second, as in ASTCT 2019): clinician review"
                )
            else:
                reasons.append(f"hypotension managed with one pressor: {running}")
    else:
        low = hypotension(state, settings)
        if low is not None:
            worst = max(worst, 2)  # "Hypotension responding to fluids"
            if words:
                said = hypotension_words(low, state, settings, tz, at)
                reasons.append(f"hypotension without pressors: {said}")
    need = oxygen_need(state)
    if need.on_oxygen:
        if need.device == "mechanical_ventilation":
            worst = max(worst, 4)
            if words:
                reasons.append(f"mechanical ventilation since {_device_time(state, tz, at)}")
            flags.append("CTCAE grade 4 read from mechanical ventilation: clinician review")
        elif need.fio2 is None:
            worst = max(worst, 2)
            if words:
                reasons.append(f"oxygen by {device_words(state, tz, at)}, FiO2 not charted")
            flags.append("FiO2 not charted: CTCAE grade 2 vs 3 (< or ≥ 40 % O2) cannot be told")
        else:
            level = 3 if need.fio2 >= FIO2_CUTOFF else 2
            worst = max(worst, level)
            if words:
                reasons.append(f"hypoxia needing {fio2_words(state, need, tz, at)}")
            if need.estimated:
                flags.append(
                    "CTCAE grade rests on an estimated FiO2 (from the nasal-cannula flow): "
                    "provisional; chart the FiO2 to be exact"
                )
    if not words:
        return Verdict(worst)  # the few words left above are not kept
    flags += left_out(state, settings, tz, at)  # what the nurse attributed elsewhere
    return Verdict(worst, tuple(reasons), tuple(flags))


def _device_time(state: ChartState, tz: tzinfo | None, at: float) -> str:
    device = state.latest["o2_device"]
    return clock(device.time, tz, at)
