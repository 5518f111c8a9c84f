"""ASTCT 2019 consensus CRS grade (REFERENCE.md §1), from the chart state at a moment."""

from __future__ import annotations

from datetime import tzinfo

from crs_desktop.domain.grading.chart_state import VASOPRESSORS, ChartState
from crs_desktop.domain.grading.settings import GradingSettings
from crs_desktop.domain.grading.verdict import Verdict
from crs_desktop.domain.grading.wording import (
    age_words,
    clock,
    finding,
    number_shown,
    shown_value,
    word_shown,
)
from crs_desktop.domain.observation import Observation
from crs_desktop.domain.thresholds import is_fever
from crs_desktop.domain.vitals import mean_arterial_pressure

# REFERENCE.md §1.1 and §1.4 o2_level: the oxygen delivery the patient needs.
LOW_FLOW_LIMIT_L_MIN = 6.0  # §1.2 ‡: "<= 6 L/min" is low flow; > 6 is high flow
HIGH_FLOW_CANNULA = "high_flow_nasal_cannula"
# Graded by the flow charted with them (§1.2 ‡, §1.3a item 5).
CANNULAS = frozenset({"nasal_cannula", HIGH_FLOW_CANNULA})
O2_LEVEL_BY_DEVICE = {
    "room_air": 0,
    "blow_by": 2,  # §1.2 ‡: low flow includes blow-by
    "simple_mask": 3,  # §1.3 item 9: any facemask, at any flow, is grade 3
    "venturi_mask": 3,
    "non_rebreather": 3,
    "cpap": 4,  # positive pressure
    "bipap": 4,
    "mechanical_ventilation": 4,
}


DAY_S = 24 * 3600.0
GRADE_0 = Verdict(0)
GRADE_5 = Verdict(5)


def device_level(device: str, flow: float | None) -> int:
    """The ASTCT hypoxia level (0/2/3/4) of a device at a flow (None: no flow charted with
    it): a cannula, high-flow or not, by its flow (§1.2 ‡, §1.3a item 5); any other device
    by what it is. The grade and the plots' oxygen bands both read it."""
    if device in CANNULAS:
        if flow is None:
            # No flow: a nasal cannula is taken as low flow, a high-flow cannula as high
            # flow (§1.3a item 5); either way a flag asks for the flow.
            return 2 if device == "nasal_cannula" else 3
        return 2 if flow <= LOW_FLOW_LIMIT_L_MIN else 3
    return O2_LEVEL_BY_DEVICE.get(device, 0)


def oxygen_level(
    state: ChartState, tz: tzinfo | None, at: float, words: bool = True
) -> tuple[int, str, list[str]]:
    """(level 0/2/3/4, the finding in words, flags) for the oxygen the patient is on now;
    without words or flags when `words` is False."""
    device = state.latest.get("o2_device")
    flags: list[str] = []
    flow = state.latest.get("o2_flow")
    if device is None:
        if words and flow is not None and flow.value:
            flags.append(
                f"oxygen flow {shown_value(flow)} charted without a device: "
                "chart the device to grade hypoxia"
            )
        return 0, "", flags
    if device.other_cause:
        if words and device.text != "room_air":
            flags.append(
                f"{finding(device, tz, at)} noted as due to another cause: left out of CRS grading"
            )
        return 0, "", flags
    name = device.text or ""
    if name in CANNULAS:
        return _cannula_level(name, device, flow, tz, at, words)
    level = O2_LEVEL_BY_DEVICE.get(name, 0)
    if not level or not words:
        return level, "", flags  # room air: the words are never shown
    return level, f"{word_shown('o2_device', name)} since {clock(device.time, tz, at)}", flags


def _cannula_level(
    name: str,
    device: Observation,
    flow: Observation | None,
    tz: tzinfo | None,
    at: float,
    words: bool,
) -> tuple[int, str, list[str]]:
    """A nasal cannula, low- or high-flow: the flow decides the level, not the hardware
    (REFERENCE.md §1.2 ‡; §1.3a item 5 for the high-flow cannula)."""
    flags: list[str] = []
    shown = word_shown("o2_device", name)
    started = clock(device.time, tz, at)
    # A flow charted before the device was last changed belongs to the earlier device.
    if flow is None or flow.time < device.time or flow.value is None:
        # No flow charted for this device: its level without one (device_level), and the
        # flow asked for (§1.3a item 5 for the high-flow cannula).
        level = device_level(name, None)
        if not words:
            return level, "", flags
        if name == "nasal_cannula":
            flags.append(
                f"nasal cannula at {started} with no flow charted since: "
                "graded as low flow (grade 2); chart the flow (> 6 L/min is grade 3)"
            )
            return level, f"nasal cannula (flow not charted) since {started}", flags
        flags.append(
            f"high-flow nasal cannula at {started} with no flow charted since: graded as "
            "high flow (grade 3); chart the flow (≤ 6 L/min is low flow, grade 2)"
        )
        return level, f"high-flow nasal cannula (flow not charted) since {started}", flags
    level = device_level(name, flow.value)
    if not words:
        return level, "", flags
    kind = "low flow, ≤ 6 L/min" if level == 2 else "high flow, > 6 L/min"
    if level == 2 and name == HIGH_FLOW_CANNULA:
        # §1.3a item 5: graded by its flow, and said, so the device or flow is checked.
        flags.append(
            f"high-flow nasal cannula at {shown_value(flow)} "
            f"({clock(flow.time, tz, at)}): graded by its flow as low flow (grade 2, "
            "ASTCT 2019: ≤ 6 L/min); check the device and the flow"
        )
    since = clock(flow.time, tz, at)
    return level, f"{shown} at {shown_value(flow)} ({kind}) since {since}", flags


def hypotension(state: ChartState, settings: GradingSettings) -> Observation | None:
    """The latest blood pressure, if it is below the threshold and not due to another cause."""
    sbp = state.latest.get("systolic_bp")
    dbp = state.latest.get("diastolic_bp")
    memo = state.hypotension_memo
    if memo is not None and memo[0] is sbp and memo[1] is dbp and memo[2] is settings:
        return memo[3]
    low = _hypotension(sbp, dbp, settings)
    state.hypotension_memo = (sbp, dbp, settings, low)
    return low


def _hypotension(
    sbp: Observation | None, dbp: Observation | None, settings: GradingSettings
) -> Observation | None:
    if sbp is None:
        return None
    sbp_other_cause = sbp.other_cause
    if not sbp_other_cause and sbp.value is not None:
        if sbp.value < settings.systolic_threshold:
            return sbp
    if dbp is not None and sbp.time == dbp.time:
        # chart-csv.md `other_cause`: a reading whose systolic or diastolic is
        # attributed to another cause is left out, its MAP included.
        if sbp_other_cause or dbp.other_cause:
            return None
        if sbp.value is not None and dbp.value is not None:
            mean = mean_arterial_pressure(sbp.value, dbp.value)
            if mean < settings.map_threshold:
                return dbp
    return None


def pressor_words(state: ChartState, tz: tzinfo | None, at: float) -> list[str]:
    """Each vasopressor running, in words: 'norepinephrine 8 µg/min running since 07:40
    (rate charted at 09:00)'. ASTCT, Lee 2014 and CTCAE name them alike."""
    said = []
    for name in VASOPRESSORS:
        obs = state.pressors.get(name)
        if obs is None:
            continue
        since = state.pressor_since[name]
        words = f"{name} {shown_value(obs)} running since {clock(since, tz, at)}"
        if obs.time != since:
            words += f" (rate charted at {clock(obs.time, tz, at)})"
        said.append(words)
    return said


def hypotension_words(
    low: Observation, state: ChartState, settings: GradingSettings, tz: tzinfo | None, at: float
) -> str:
    """The reading that met the rule, and the rule (REFERENCE.md §1.3a item 1): 'systolic BP
    84 mmHg at 03:10 (ward protocol: systolic < 90 mmHg)' or 'MAP 62 mmHg (96/45) at 03:10
    (ward protocol: MAP < 65 mmHg)'."""
    if low.item == "systolic_bp":
        rule = f"systolic < {settings.systolic_threshold:g} mmHg"
        return f"{finding(low, tz, at)} (ward protocol: {rule})"
    # hypotension() answers the diastolic reading for a low MAP, paired by time with the
    # systolic that is the latest.
    sbp = state.latest["systolic_bp"]
    systolic, diastolic = sbp.value or 0.0, low.value or 0.0
    mean = mean_arterial_pressure(systolic, diastolic)
    return (
        f"MAP {number_shown(mean)} mmHg ({systolic:g}/{diastolic:g}) at "
        f"{clock(low.time, tz, at)} (ward protocol: MAP < {settings.map_threshold:g} mmHg)"
    )


def pressure_level(
    state: ChartState, settings: GradingSettings, tz: tzinfo | None, at: float, words: bool = True
) -> tuple[int, str, list[str]]:
    """(level 0/2/3/4, words, flags) for what the blood pressure needs now (REFERENCE.md §1.4);
    without words or flags when `words` is False."""
    flags: list[str] = []
    running = state.pressors
    if running:
        non_vasopressin = [n for n in running if n != "vasopressin"]
        if not words:
            # §1.2: more than one vasopressor (vasopressin not counted) is grade 4; one,
            # or vasopressin alone (§1.3 item 3), grade 3. Worded below, the same.
            return (4 if len(non_vasopressin) >= 2 else 3), "", flags
        running_words = "; ".join(pressor_words(state, tz, at))
        if len(non_vasopressin) >= 2:
            # §1.2: grade 4 is multiple vasopressors, vasopressin not counted.
            return 4, f"{running_words} (more than one vasopressor, vasopressin not counted)", flags
        if non_vasopressin and "vasopressin" in running:
            # §1.2: "a vasopressor with or without vasopressin" is grade 3. Two drugs run:
            # never called "one vasopressor" (§1.3a item 4).
            return 3, f"{running_words} (a vasopressor with vasopressin)", flags
        if non_vasopressin:
            return 3, f"{running_words} (one vasopressor)", flags  # §1.2: grade 3
        # §1.3 item 3: vasopressin alone is not addressed; grade 3 with review.
        flags.append("vasopressin alone: graded 3 (sources silent); clinician review")
        return 3, f"{running_words} (vasopressin alone)", flags
    low = hypotension(state, settings)
    if low is not None and not words:
        return 2, "", flags
    if low is not None:
        return (
            2,
            f"hypotension without vasopressors: {hypotension_words(low, state, settings, tz, at)}",
            flags,
        )
    return 0, "", flags


def left_out(
    state: ChartState, settings: GradingSettings, tz: tzinfo | None, at: float
) -> list[str]:
    """The latest fever, low blood pressure or vasopressor the nurse attributed to another
    cause (chart-csv.md `other_cause`): left out of the grade, and said, so that whoever
    reads the grade sees what it leaves out (REFERENCE.md §1.3 item 6: the app cannot
    decide attribution; the oxygen device is said in oxygen_level)."""
    said: list[str] = []
    latest = state.latest
    temperature = latest.get("temperature")
    if (
        temperature is not None
        and temperature.other_cause
        and temperature.value is not None
        and is_fever(temperature.value)
        and at - temperature.time <= settings.fever_window_h * 3600
    ):
        said.append(finding(temperature, tz, at))
    sbp, dbp = latest.get("systolic_bp"), latest.get("diastolic_bp")
    if sbp is not None and sbp.value is not None:
        paired = dbp if dbp is not None and dbp.time == sbp.time else None
        low = sbp.value < settings.systolic_threshold or (
            paired is not None
            and paired.value is not None
            and mean_arterial_pressure(sbp.value, paired.value) < settings.map_threshold
        )
        noted = [o for o in (sbp, paired) if o is not None and o.other_cause]
        if low and noted and hypotension(state, settings) is None:  # not counted anyway
            said.extend(finding(o, tz, at) for o in noted)
    for name in VASOPRESSORS:
        drug = latest.get(name)
        if drug is not None and drug.other_cause and drug.value:
            said.append(finding(drug, tz, at))
    return [f"{words} noted as due to another cause: left out of CRS grading" for words in said]


def waiver_review(
    last: Observation, settings: GradingSettings, tz: tzinfo | None, at: float
) -> list[str]:
    """REFERENCE.md §1.3a item 2: the grade stands, but a waiver resting on a drug older
    than the ward's limit is put to a clinician."""
    limit_days = settings.fever_waiver_review_days
    age_s = at - last.time
    if age_s <= limit_days * DAY_S:
        return []
    return [
        f"fever waived by {finding(last, tz, at)}, {age_words(age_s)} ago (more than "
        f"{limit_days:g} days, ward protocol): is this still CRS? Clinician review"
    ]


def grade(
    state: ChartState, at: float, settings: GradingSettings, tz: tzinfo | None, words: bool = True
) -> Verdict:
    """ASTCT CRS grade now (REFERENCE.md §1.4 sketch).

    `words=False`: the same grade, without its reasons and flags (the grader words
    only the moments that are read; see grader.py).
    """
    if state.death is not None and state.death.text == "crs":
        # §1.1: grade 5 is death due to CRS.
        if not words:
            return GRADE_5
        return Verdict(5, (f"death attributed to CRS at {clock(state.death.time, tz, at)}",))
    reasons: list[str] = []
    flags: list[str] = []
    window_s = settings.fever_window_h * 3600
    fever = state.last_fever
    fever_now = fever is not None and at - fever.time <= window_s
    bp, bp_words, bp_flags = pressure_level(state, settings, tz, at, words)
    o2, o2_words, o2_flags = oxygen_level(state, tz, at, words)
    waiver = state.waiver
    worst = max(bp, o2)
    # CRS needs a fever, unless a drug given after CRS began waived it (§1.2); treated
    # and with no hypotension or hypoxia left, it is grade 0 (§1.3 item 7).
    crs_now = fever_now or (waiver is not None and worst != 0)
    grade_now = max(worst, 1) if crs_now else 0
    if not words:
        return Verdict(grade_now) if grade_now else GRADE_0
    flags += bp_flags + o2_flags + left_out(state, settings, tz, at)

    if not fever_now and waiver is None:
        if worst:
            flags.append(
                "hypotension or hypoxia without fever in the last "
                f"{settings.fever_window_h:g} h: not CRS by ASTCT unless the fever is masked; "
                "clinician review"
            )
            masking = [d for d in state.waiving_drugs if at - d.time <= window_s and d.time <= at]
            if masking:
                d = masking[-1]
                flags.append(
                    f"fever may be masked by {finding(d, tz, at)} given before CRS began "
                    "(premedication does not waive the fever criterion; ASTCT 2019)"
                )
        if fever is not None and not fever_now:
            reasons.append(
                f"no fever in the last {settings.fever_window_h:g} h "
                f"(last {finding(fever, tz, at)})"
            )
        return Verdict(grade_now, tuple(reasons), tuple(flags))

    if not crs_now and waiver is not None:
        # §1.3 item 7: treated, afebrile, no hypotension or hypoxia.
        return Verdict(
            grade_now,
            (
                "CRS (treated), no current gradable features: no fever, no hypotension, "
                f"no oxygen need (fever criterion waived after {finding(waiver, tz, at)})",
            ),
            tuple(flags),
        )
    if fever_now and fever is not None:
        reasons.append(f"fever: {finding(fever, tz, at)}")
    elif waiver is not None:
        # §1.2 and §1.3a item 2: the waiver is said every time it is relied on.
        last = state.last_waiver or waiver
        reasons.append(
            f"fever no longer required after {finding(last, tz, at)} "
            "(given after CRS began; ASTCT 2019)"
        )
        flags += waiver_review(last, settings, tz, at)
    if bp:
        reasons.append(bp_words)
    if o2:
        reasons.append(f"oxygen: {o2_words}")
    return Verdict(grade_now, tuple(reasons), tuple(flags))
