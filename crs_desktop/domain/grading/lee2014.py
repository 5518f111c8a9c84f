"""Lee et al. 2014 revised CRS grading (REFERENCE.md §2)."""

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
    POSITIVE_PRESSURE,
    device_words,
    fio2_words,
    oxygen_need,
)
from crs_desktop.domain.grading.settings import GradingSettings
from crs_desktop.domain.grading.verdict import Verdict
from crs_desktop.domain.grading.wording import clock, finding

# REFERENCE.md §2.2 "high-dose vasopressors" [U: recalled, unverified], in
# µg/min except dopamine in µg/kg/min; each must be needed for >= 3 hours.
HIGH_DOSE_MONOTHERAPY = {
    "norepinephrine": 20.0,
    "dopamine": 10.0,  # µg/kg/min
    "phenylephrine": 200.0,
    "epinephrine": 10.0,
}
HIGH_DOSE_WITH_VASOPRESSIN_NE_EQ = 10.0
HIGH_DOSE_COMBINATION_NE_EQ = 20.0
HIGH_DOSE_HOURS = 3.0
GRADE_5 = Verdict(5)
# REFERENCE.md §2.2 [U]: the table could not be retrieved.
UNVERIFIED = (
    "Lee 2014 high-dose vasopressor values are unverified (recalled, not checked against "
    "the paper): clinician review"
)


def norepinephrine_equivalent(rates: dict[str, float], weight_kg: float | None) -> float | None:
    """VASST equation [U] (REFERENCE.md §2.2); dopamine needs the weight (µg/kg/min)."""
    total = rates.get("norepinephrine", 0.0) + rates.get("epinephrine", 0.0)
    total += rates.get("phenylephrine", 0.0) / 10
    if "dopamine" in rates:
        if not weight_kg:
            return None
        total += rates["dopamine"] / weight_kg / 2
    return total


def _high_dose(state: ChartState, at: float, words: bool) -> tuple[bool, bool, str]:
    """(high and sustained, high now, the rule in words) for the vasopressors running."""
    high, rule = _high_rate(state, words)
    # REFERENCE.md §2.2: "All doses must be required for >= 3 hours": counted
    # from when the dose became high, not from when the vasopressor started.
    since = state.note_high_dose(at, high)
    sustained = since is not None and at - since >= HIGH_DOSE_HOURS * 3600
    return high and sustained, high, rule


def _high_rate(state: ChartState, words: bool) -> tuple[bool, str]:
    """Whether the vasopressors run now at a high dose (REFERENCE.md §2.2 table), and the
    rule it was judged by in words ('' when `words` is False)."""
    rates = {n: o.value or 0.0 for n, o in state.pressors.items() if n != "vasopressin"}
    weight = state.weight_kg
    if "vasopressin" in state.pressors:
        # §1.3a item 4: vasopressin with another vasopressor is high-dose only at the
        # combination threshold (NE equivalent >= 10 µg/min, for >= 3 h).
        ne_eq = norepinephrine_equivalent(rates, weight)
        high = ne_eq is not None and ne_eq >= HIGH_DOSE_WITH_VASOPRESSIN_NE_EQ
        if not words:
            return high, ""
        limit = f"with vasopressin, high dose is ≥ {HIGH_DOSE_WITH_VASOPRESSIN_NE_EQ:g} µg/min"
        return high, f"{_ne_eq_words(ne_eq, rates)}; {limit}"
    if len(rates) == 1:
        ((name, rate),) = rates.items()
        threshold = HIGH_DOSE_MONOTHERAPY[name]
        if name == "dopamine":
            if not weight:
                return False, "no weight charted to judge the dopamine dose in µg/kg/min"
            per_kg = rate / weight
            said = (
                f"{per_kg:.1f} µg/kg/min at {weight:g} kg; high dose is ≥ {threshold:g} µg/kg/min"
                if words
                else ""
            )
            return per_kg >= threshold, said
        return rate >= threshold, f"high dose is ≥ {threshold:g} µg/min" if words else ""
    ne_eq = norepinephrine_equivalent(rates, weight)
    high = ne_eq is not None and ne_eq >= HIGH_DOSE_COMBINATION_NE_EQ
    if not words:
        return high, ""
    limit = f"high dose is ≥ {HIGH_DOSE_COMBINATION_NE_EQ:g} µg/min"
    return high, f"{_ne_eq_words(ne_eq, rates)}; {limit}"


def _ne_eq_words(ne_eq: float | None, rates: dict[str, float]) -> str:
    if ne_eq is None:
        return "norepinephrine equivalent unknown (no weight charted for the dopamine dose)"
    if not rates:
        return "no other vasopressor: norepinephrine equivalent 0 µg/min"
    return f"norepinephrine equivalent {ne_eq:.4g} µg/min"


def grade(
    state: ChartState, at: float, settings: GradingSettings, tz: tzinfo | None, words: bool = True
) -> Verdict:
    """Lee 2014 CRS grade now. `words=False`: the same grade, without its reasons and
    flags (the grader words only the moments that are read; see grader.py)."""
    if state.death is not None and state.death.text == "crs":
        if not words:
            return GRADE_5
        return Verdict(5, (f"death attributed to CRS at {clock(state.death.time, tz, at)}",))
    reasons: list[str] = []
    flags: list[str] = []
    worst = 0
    fever = state.last_fever
    if fever is not None and at - fever.time <= settings.fever_window_h * 3600:
        worst = 1  # §2.1 grade 1: symptoms such as fever, symptomatic treatment only
        if words:
            reasons.append(f"fever: {finding(fever, tz, at)}")

    non_vasopressin = [n for n in state.pressors if n != "vasopressin"]
    if state.pressors:
        high, high_now, rule = _high_dose(state, at, words)
        if len(non_vasopressin) >= 2 or high:
            worst = max(worst, 3)  # §2.1 grade 3: high-dose or multiple vasopressors
        else:
            worst = max(worst, 2)  # §2.1 grade 2: low dose of one vasopressor
        if words:
            flags.append(UNVERIFIED)
            reason, flag = _pressor_reason(state, at, tz, non_vasopressin, high, high_now, rule)
            reasons.append(reason)
            flags += flag
    else:
        state.note_high_dose(at, False)  # no vasopressor: a high-dose run has ended
        low = hypotension(state, settings)
        if low is not None:
            worst = max(worst, 2)  # §2.1 grade 2: hypotension responsive to fluids
            if words:
                said = hypotension_words(low, state, settings, tz, at)
                reasons.append(f"hypotension without vasopressors: {said}")

    need = oxygen_need(state)
    if need.on_oxygen:
        if need.device in POSITIVE_PRESSURE:
            worst = max(worst, 4)  # §2.1 grade 4: ventilator support
            if words:
                reasons.append(f"ventilator support: {device_words(state, tz, at)}")
            if need.device != "mechanical_ventilation":
                # §2.1 notes: whether CPAP/BiPAP counts is ambiguous; the
                # higher grade is the safer reading.
                flags.append(
                    "CPAP/BiPAP counted as ventilator support (Lee 2014 is ambiguous): "
                    "clinician review"
                )
        elif need.fio2 is None:
            worst = max(worst, 2)
            if words:
                reasons.append(f"oxygen by {device_words(state, tz, at)}, FiO2 not charted")
            flags.append(
                "FiO2 not charted: Lee 2014 grade 2 vs 3 (FiO2 < or ≥ 40 %) cannot be told"
            )
        else:
            level = 3 if need.fio2 >= FIO2_CUTOFF else 2
            worst = max(worst, level)
            if words:
                reasons.append(f"oxygen requirement {fio2_words(state, need, tz, at)}")
            if need.estimated:
                flags.append(
                    "Lee 2014 grade rests on an estimated FiO2 (from the nasal-cannula flow): "
                    "provisional; chart the FiO2 to be exact"
                )

    organ, organ_words, organ_flags = organ_toxicity(state, settings, tz, at, words)
    flags += organ_flags
    if organ:
        worst = max(worst, organ)
        reasons.append(organ_words)
    if not words:
        return Verdict(worst)  # the few words left above are not kept
    flags += left_out(state, settings, tz, at)  # what the nurse attributed elsewhere
    return Verdict(worst, tuple(reasons), tuple(flags))


def _pressor_reason(
    state: ChartState,
    at: float,
    tz: tzinfo | None,
    non_vasopressin: list[str],
    high: bool,
    high_now: bool,
    rule: str,
) -> tuple[str, list[str]]:
    """The vasopressor finding in words: every drug with its rate and times, the dose rule
    and, for a high dose, since when (§2.2: for >= 3 h). Never "one vasopressor" when two
    run (§1.3a item 4)."""
    running = "; ".join(pressor_words(state, tz, at))
    since = state.high_dose_since
    held = ""
    if high_now and since is not None:
        hours = f"{HIGH_DOSE_HOURS:g} h"
        held = (
            f"; high since {clock(since, tz, at)}, for {hours} or more"
            if high
            else f"; high since {clock(since, tz, at)}, not yet {hours}"
        )
    with_vasopressin = "vasopressin" in state.pressors
    if len(non_vasopressin) >= 2:
        return f"multiple vasopressors: {running} ({rule}{held})", []
    if high:
        kind = "high-dose vasopressors" if with_vasopressin else "high-dose vasopressor"
        return f"{kind}: {running} ({rule}{held})", []
    if with_vasopressin and not non_vasopressin:
        # Vasopressin alone: the sources are silent (REFERENCE.md §1.3 item 3); it has no
        # norepinephrine equivalent, so it is read as a low dose, and put to a clinician.
        return f"vasopressin alone: {running} ({rule})", [
            "vasopressin alone: Lee 2014 graded 2 (low dose; sources silent); clinician review"
        ]
    kind = "low dose of vasopressors" if with_vasopressin else "low dose of one vasopressor"
    return f"{kind}: {running} ({rule}{held})", []


def organ_toxicity(
    state: ChartState, settings: GradingSettings, tz: tzinfo | None, at: float, words: bool = True
) -> tuple[int, str, list[str]]:
    """Lee grade from CTCAE grades of ALT and creatinine (REFERENCE.md §2.1, §3 table);
    the findings left unworded when `words` is False."""
    flags: list[str] = []
    # chart-csv.md `other_cause`: a lab value attributed to another cause is left out.
    alt = state.latest.get("alt")
    if alt is not None and alt.other_cause:
        alt = None
    creat = state.latest.get("creatinine")
    if creat is not None and creat.other_cause:
        creat = None
    if (alt is not None and settings.alt_uln is None) or (
        creat is not None and settings.creatinine_uln is None
    ):
        flags.append(
            "organ toxicity not graded: set the laboratory's upper limits (ALT, creatinine) "
            "in the protocol file"
        )
    best = (0, "")
    if alt is not None and alt.value is not None and settings.alt_uln:
        ratio = alt.value / settings.alt_uln
        # CTCAE grades 2-4 of §3 (grade 1, > ULN, is below every Lee grade: left out).
        ctcae = 4 if ratio > 20 else 3 if ratio > 5 else 2 if ratio > 3 else 0
        # Lee: grade 4 transaminitis is grade 3 CRS; other grade N organ toxicity is grade N.
        lee = 3 if ctcae == 4 else ctcae
        if lee:
            said = f"ALT CTCAE grade {ctcae}: {finding(alt, tz, at)}" if words else ""
            best = max(best, (lee, said))
    if creat is not None and creat.value is not None and settings.creatinine_uln:
        ratio = creat.value / settings.creatinine_uln
        ctcae = 4 if ratio > 6 else 3 if ratio > 3 else 2 if ratio > 1.5 else 0  # as for ALT
        if ctcae:
            said = f"creatinine CTCAE grade {ctcae}: {finding(creat, tz, at)}" if words else ""
            best = max(best, (ctcae, said))
    return best[0], best[1], flags
