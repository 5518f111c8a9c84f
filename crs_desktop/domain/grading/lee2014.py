"""Lee et al. 2014 revised CRS grading (REFERENCE.md §2)."""

from __future__ import annotations

from datetime import tzinfo

from crs_desktop.domain.grading.astct_crs import hypotension, left_out
from crs_desktop.domain.grading.chart_state import ChartState
from crs_desktop.domain.grading.oxygen_fraction import FIO2_CUTOFF, oxygen_need
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
UNVERIFIED = (
    "Lee 2014 high-dose vasopressor values are unverified (REFERENCE.md §2.2): clinician review"
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


def _high_dose(state: ChartState, at: float) -> tuple[bool, str]:
    high, words = _high_rate(state)
    # REFERENCE.md §2.2: "All doses must be required for >= 3 hours": counted
    # from when the dose became high, not from when the vasopressor started.
    since = state.note_high_dose(at, high)
    sustained = since is not None and at - since >= HIGH_DOSE_HOURS * 3600
    return high and sustained, words


def _high_rate(state: ChartState) -> tuple[bool, str]:
    """Whether the vasopressors run now at a high dose (REFERENCE.md §2.2 table)."""
    rates = {n: o.value or 0.0 for n, o in state.pressors.items() if n != "vasopressin"}
    if "vasopressin" in state.pressors:
        ne_eq = norepinephrine_equivalent(rates, state.weight_kg)
        high = ne_eq is not None and ne_eq >= HIGH_DOSE_WITH_VASOPRESSIN_NE_EQ
        words = f"vasopressin with norepinephrine equivalent {ne_eq or 0:.0f} µg/min"
        return high, words
    if len(rates) == 1:
        (name, rate), = rates.items()
        if name == "dopamine":
            if not state.weight_kg:
                return False, "dopamine (no weight charted to judge the dose)"
            rate = rate / state.weight_kg
        return rate >= HIGH_DOSE_MONOTHERAPY[name], name
    ne_eq = norepinephrine_equivalent(rates, state.weight_kg)
    high = ne_eq is not None and ne_eq >= HIGH_DOSE_COMBINATION_NE_EQ
    return high, f"norepinephrine equivalent {ne_eq or 0:.0f} µg/min"


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
        high, dose_words = _high_dose(state, at)
        flags.append(UNVERIFIED)
        if len(non_vasopressin) >= 2 or high:
            worst = max(worst, 3)  # §2.1 grade 3: high-dose or multiple vasopressors
            kind = "multiple vasopressors" if len(non_vasopressin) >= 2 else "high-dose vasopressor"
            reasons.append(f"{kind}: {dose_words}")
        else:
            worst = max(worst, 2)  # §2.1 grade 2: low dose of one vasopressor
            reasons.append(f"low dose of one vasopressor: {dose_words}")
    else:
        state.note_high_dose(at, False)  # no vasopressor: a high-dose run has ended
        low = hypotension(state, settings)
        if low is not None:
            worst = max(worst, 2)  # §2.1 grade 2: hypotension responsive to fluids
            if words:
                reasons.append(f"hypotension without vasopressors: {finding(low, tz, at)}")

    need = oxygen_need(state)
    if need.on_oxygen:
        if need.device in ("mechanical_ventilation", "cpap", "bipap"):
            worst = max(worst, 4)  # §2.1 grade 4: ventilator support
            reasons.append(f"ventilator support: {(need.device or '').replace('_', ' ')}")
            if need.device != "mechanical_ventilation":
                # §2.1 notes: whether CPAP/BiPAP counts is ambiguous; the
                # higher grade is the safer reading.
                flags.append(
                    "CPAP/BiPAP counted as ventilator support (Lee 2014 is ambiguous): "
                    "clinician review"
                )
        elif need.fio2 is None:
            worst = max(worst, 2)
            reasons.append(f"oxygen by {(need.device or '').replace('_', ' ')}")
            flags.append("FiO2 not charted: Lee grade 2 vs 3 (FiO2 < or >= 40 %) cannot be told")
        else:
            level = 3 if need.fio2 >= FIO2_CUTOFF else 2
            worst = max(worst, level)
            est = " (estimated from the nasal-cannula flow)" if need.estimated else ""
            reasons.append(f"oxygen requirement FiO2 {need.fio2:.0f} %{est}")
            if need.estimated:
                flags.append(
                    "Lee grade rests on an estimated FiO2 (REFERENCE.md §2.1, §9.3): provisional"
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
