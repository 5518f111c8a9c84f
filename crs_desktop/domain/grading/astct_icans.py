"""ASTCT 2019 ICANS grade and the ICE score (REFERENCE.md §4)."""

from __future__ import annotations

from datetime import tzinfo

from crs_desktop.domain.grading.chart_state import ChartState
from crs_desktop.domain.grading.settings import GradingSettings
from crs_desktop.domain.grading.verdict import Verdict
from crs_desktop.domain.grading.wording import age_words, clock, finding, item_name
from crs_desktop.domain.observation import Observation

# REFERENCE.md §4.1: the five parts of the ICE score and their maximum points.
ICE_PARTS = {"orientation": 4, "naming": 3, "commands": 1, "writing": 1, "attention": 1}

# REFERENCE.md §4.2, row by row.
CONSCIOUSNESS_GRADE = {
    "alert": 0,
    "awakens_spontaneously": 1,
    "awakens_to_voice": 2,
    "awakens_to_touch": 3,
    "unarousable": 4,
}
SEIZURE_GRADE = {
    "none": 0,
    "focal_resolved": 3,
    "generalized_resolved": 3,
    "nonconvulsive_resolved": 3,
    "prolonged": 4,  # > 5 min
    "repetitive": 4,  # without return to baseline
}
MOTOR_GRADE = {"none": 0, "hemiparesis": 4, "paraparesis": 4}
EDEMA_GRADE = {
    "none": 0,
    "focal": 3,
    "diffuse": 4,
    "posturing": 4,
    "cn_vi_palsy": 4,
    "papilledema": 4,
    "cushings_triad": 4,
}


EVENT_TABLES = (
    ("seizure", SEIZURE_GRADE),
    ("motor_weakness", MOTOR_GRADE),
    ("cerebral_edema", EDEMA_GRADE),
)
DEFAULT_SETTINGS = GradingSettings()

# Every item the ICANS grade reads (besides death).
ICANS_ITEMS = (
    "ice_score",
    "consciousness",
    "sedation",
    "seizure",
    "motor_weakness",
    "cerebral_edema",
)
NOTHING_CHARTED = Verdict(0)
GRADE_5 = Verdict(5)


def ice_score(orientation: int, naming: int, commands: int, writing: int, attention: int) -> int:
    """The ICE score from its five parts (REFERENCE.md §4.1); ValueError names a bad part."""
    parts = {
        "orientation": orientation,
        "naming": naming,
        "commands": commands,
        "writing": writing,
        "attention": attention,
    }
    for name, points in parts.items():
        most = ICE_PARTS[name]
        if not isinstance(points, int) or isinstance(points, bool) or not 0 <= points <= most:
            raise ValueError(f"ICE {name} {points!r}: allowed 0–{most} points")
    return sum(parts.values())


def ice_band(score: int) -> int:
    """§4.2 ICE row: 7-9 grade 1, 3-6 grade 2, 0-2 grade 3 (0 and unarousable: grade 4)."""
    if score >= 10:
        return 0
    if score >= 7:
        return 1
    if score >= 3:
        return 2
    return 3


def grade(
    state: ChartState,
    at: float,
    tz: tzinfo | None,
    words: bool = True,
    settings: GradingSettings = DEFAULT_SETTINGS,
) -> Verdict:
    """ICANS grade now: the most severe of its domains (REFERENCE.md §4.2 rules).

    `words=False`: the same grade, without its reasons and flags (the grader words
    only the moments that are read; see grader.py).
    """
    if state.death is not None and state.death.text == "icans":
        # Grade 5 as an exact ASTCT wording is [U] (§4.2): flagged.
        if not words:
            return GRADE_5
        return Verdict(
            5,
            (f"death attributed to ICANS at {clock(state.death.time, tz, at)}",),
            ("grade 5 ICANS: the ASTCT 2019 wording for it is unconfirmed; clinician review",),
        )
    latest = state.latest
    if latest.keys().isdisjoint(ICANS_ITEMS):
        return NOTHING_CHARTED  # most moments of a chart: nothing neurological charted yet
    reasons: list[str] = []
    flags: list[str] = []
    worst = 0
    sedation = state.latest.get("sedation")
    sedated = sedation is not None and sedation.text == "sedated"
    if words and sedation is not None and sedated:
        # §4.2 †: depressed consciousness must have no other cause (no sedation).
        flags.append(
            f"sedated ({clock(sedation.time, tz, at)}): level of consciousness and ICE score "
            "are not graded while a sedating drug is on board"
        )

    def consider(level: int, said: str | Observation) -> None:
        """A domain at `level`, because of `said`: the words, or the finding to word."""
        nonlocal worst
        if level > 0:
            worst = max(worst, level)
            if words:
                reasons.append(said if isinstance(said, str) else finding(said, tz, at))

    ice = state.latest.get("ice_score")
    consciousness = state.latest.get("consciousness")
    if not sedated:
        if ice is not None and ice.value is not None and not ice.other_cause:
            # §4.2: ICE 0 is grade 3 awake with global aphasia and grade 4 unarousable.
            # The 4 is the level-of-consciousness row's (below: unarousable is grade 4
            # there, left out the same way when noted as another cause), so the ICE row
            # stops at 3; a separate "ICE 0 and unarousable" rule here could never change
            # the grade (tools/mutate_domain.py found its mutants equivalent).
            level = ice_band(int(ice.value))
            said = f"ICE score {int(ice.value)}/10 at {clock(ice.time, tz, at)}" if words else ""
            consider(level, said)
        if consciousness is not None and not consciousness.other_cause:
            level = CONSCIOUSNESS_GRADE.get(consciousness.text or "", 0)
            consider(level, consciousness)
            if (
                words
                and level == 1
                and ice is not None
                and ice.value is not None
                and int(ice.value) == 10
            ):
                flags.append(
                    "ICE 10 but wakes only spontaneously: grade 1 by the ASTCT 2019 table, the "
                    "ASCO 2021 wording differs; clinical sign-off"
                )
    events: list[tuple[int, Observation]] = []
    for item, table in EVENT_TABLES:
        # A finding stands until a newer one of the same item is charted
        # (e.g. seizure "none"): the safer reading (REFERENCE.md §1.3a item 3).
        obs = state.latest.get(item)
        if obs is not None and not obs.other_cause:
            level = table.get(obs.text or "", 0)
            consider(level, obs)
            if level:
                events.append((level, obs))
    if words:
        flags += _old_events(events, worst, settings, tz, at)
    return Verdict(worst, tuple(reasons), tuple(flags))


def _old_events(
    events: list[tuple[int, Observation]],
    worst: int,
    settings: GradingSettings,
    tz: tzinfo | None,
    at: float,
) -> list[str]:
    """REFERENCE.md §1.3a item 3: a seizure, motor weakness or cerebral edema finding that
    sets the grade and is older than the ward's limit keeps the grade, and a review flag
    says how old it is and what to chart if it has resolved."""
    limit_h = settings.neuro_finding_review_h
    said = []
    for level, obs in events:
        age_s = at - obs.time
        if level == worst and age_s > limit_h * 3600:
            name = item_name(obs.item)
            said.append(
                f"{finding(obs, tz, at)}, {age_words(age_s)} ago, still sets ICANS grade "
                f"{worst} (review after {limit_h:g} h, ward protocol): if it has resolved, "
                f"chart {name} 'none'"
            )
    return said
