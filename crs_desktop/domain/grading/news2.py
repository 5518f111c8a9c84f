"""NEWS2 aggregate score (Royal College of Physicians 2017; REFERENCE.md §7)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import tzinfo

from crs_desktop.domain import thresholds
from crs_desktop.domain.grading.chart_state import ChartState
from crs_desktop.domain.grading.settings import GradingSettings
from crs_desktop.domain.grading.verdict import Verdict
from crs_desktop.domain.grading.wording import clock, finding, item_name, word_shown
from crs_desktop.domain.observation import Observation

PARAMETERS = ("resp_rate", "spo2", "systolic_bp", "heart_rate", "temperature")


def resp_rate_points(rr: float) -> int:  # §7.1 Chart 1, respiration rate row
    if rr <= 8:
        return 3
    if rr <= 11:
        return 1
    if rr <= 20:
        return 0
    if rr <= 24:
        return 2
    return 3


def spo2_scale1_points(spo2: float) -> int:  # §7.1 SpO2 scale 1
    if spo2 <= 91:
        return 3
    if spo2 <= 93:
        return 2
    if spo2 <= 95:
        return 1
    return 0


def spo2_scale2_points(spo2: float, on_oxygen: bool) -> int:  # §7.1 SpO2 scale 2
    if spo2 <= 83:
        return 3
    if spo2 <= 85:
        return 2
    if spo2 <= 87:
        return 1
    if spo2 <= 92 or not on_oxygen:
        return 0  # 88-92, or >= 93 on air
    if spo2 <= 94:
        return 1
    if spo2 <= 96:
        return 2
    return 3


def systolic_points(sbp: float) -> int:  # §7.1 systolic BP row
    if sbp <= 90:
        return 3
    if sbp <= 100:
        return 2
    if sbp <= 110:
        return 1
    if sbp <= 219:
        return 0
    return 3


def pulse_points(hr: float) -> int:  # §7.1 pulse row
    if hr <= 40:
        return 3
    if hr <= 50:
        return 1
    if hr <= 90:
        return 0
    if hr <= 110:
        return 1
    if hr <= 130:
        return 2
    return 3


def temperature_points(temp: float) -> int:  # §7.1 temperature row (one decimal place)
    t = round(temp, 1)
    if t <= 35.0:
        return 3
    if t <= 36.0:
        return 1
    if t <= 38.0:
        return 0
    if t <= 39.0:
        return 1
    return 2


# ACVPU from the charted level of consciousness when no ACVPU is charted.
ACVPU_FROM_CONSCIOUSNESS = {
    "alert": "A",
    "awakens_to_voice": "V",
    "awakens_to_touch": "P",
    "unarousable": "U",
}


# What a missing parameter is called in the "incomplete" flag.
MISSING_NAMES = {
    "resp_rate": "respiratory rate",
    "spo2": "SpO2",
    "systolic_bp": "systolic BP",
    "heart_rate": "heart rate",
    "temperature": "temperature",
    "o2_device": "air or oxygen (the oxygen device)",
    "consciousness": "consciousness (ACVPU)",
}
SPONTANEOUS_FLAG = (
    "NEWS2 consciousness: 'awakens spontaneously' scored as not alert (3); chart ACVPU to be exact"
)
UNSCORED = Verdict(None)


def grade(
    state: ChartState, at: float, settings: GradingSettings, tz: tzinfo | None, words: bool = True
) -> Verdict:
    """The NEWS2 score now, or None (with a flag) while a parameter is missing or stale.

    With a parameter missing the score is "incomplete: at least N", the sum of what was
    charted, and a single parameter scoring 3 is still said (REFERENCE.md §1.3a item 6).
    `words=False`: the same score, without its reasons and flags (the grader words
    only the moments that are read; see grader.py).
    """
    window = settings.vitals_window_h * 3600
    latest = state.latest
    missing: list[str] = []
    stale: list[Observation] = []
    for item in PARAMETERS:
        obs = latest.get(item)
        if obs is None:
            missing.append(item)
        elif at - obs.time > window:
            stale.append(obs)
    device = latest.get("o2_device")
    if device is None:
        missing.append("o2_device")
    acvpu = latest.get("acvpu")
    consciousness = latest.get("consciousness")
    level: str | None = None
    source = None
    spontaneous = False
    if acvpu is not None and (consciousness is None or acvpu.time >= consciousness.time):
        level, source = acvpu.text, acvpu
    elif consciousness is not None:
        level = ACVPU_FROM_CONSCIOUSNESS.get(consciousness.text or "")
        source = consciousness
        if level is None:
            # "Awakens spontaneously" has no ACVPU letter: not alert, so scored
            # as not alert (3), the safer reading; flagged.
            level = "V"
            spontaneous = True
    if level is None:
        missing.append("consciousness")
    elif source is not None and at - source.time > window:
        stale.append(source)
    complete = not missing and not stale
    if not complete and not words:
        return UNSCORED
    flags = (SPONTANEOUS_FLAG,) if spontaneous else ()
    on_oxygen = device is not None and device.text != "room_air"
    if complete:
        counted = latest
    else:
        # Only what counts now: charted, and not older than the window.
        old = {id(obs) for obs in stale}
        counted = {
            item: latest[item]
            for item in PARAMETERS
            if item not in missing and id(latest[item]) not in old
        }
        if id(source) in old:
            level = None
    points = _points(counted, on_oxygen, device is not None, level, settings)
    total = sum(points.values())
    if not words:
        return Verdict(total)
    reasons = []
    for item in PARAMETERS:
        if points.get(item):
            reasons.append(f"{finding(counted[item], tz, at)} scores {points[item]}")
    if points.get("air_or_oxygen") and device is not None:
        oxygen = word_shown("o2_device", device.text or "")
        reasons.append(f"on oxygen ({oxygen} since {clock(device.time, tz, at)}) scores 2")
    if points.get("consciousness") and source is not None:
        reasons.append(f"{_consciousness_words(level or '', source, tz, at)} scores 3")
    # §7.2 trigger thresholds, said plainly. With a parameter missing the total is a
    # lower bound: a threshold it reaches is reached (the safer reading).
    # §7.2: a single parameter scoring 3 is a trigger of its own.
    red = tuple(k for k, v in points.items() if v == thresholds.NEWS2_SINGLE_PARAMETER_RED)
    if total >= thresholds.NEWS2_EMERGENCY:
        reasons.append(f"{thresholds.NEWS2_EMERGENCY} or more: emergency response threshold")
    elif total >= thresholds.NEWS2_URGENT:
        reasons.append(f"{thresholds.NEWS2_URGENT} or more: urgent response threshold")
    elif red:
        reasons.append("a single parameter scores 3: inform the medical team")
    if complete:
        return Verdict(total, tuple(reasons), flags, red)
    incomplete = _incomplete(total, missing, stale, settings, tz, at)
    return Verdict(None, tuple(reasons), (incomplete, *flags), red)


def _points(
    counted: Mapping[str, Observation],
    on_oxygen: bool,
    device_known: bool,
    level: str | None,
    settings: GradingSettings,
) -> dict[str, int]:
    """Chart 1 points of each parameter that counts (REFERENCE.md §7.1). Without a device,
    scale 2 scores SpO2 as on air: never more than on oxygen, so the sum stays a lower
    bound."""
    points: dict[str, int] = {}
    resp_rate = counted.get("resp_rate")
    if resp_rate is not None:
        points["resp_rate"] = resp_rate_points(resp_rate.value or 0.0)
    spo2 = counted.get("spo2")
    if spo2 is not None:
        value = spo2.value or 0.0
        points["spo2"] = (
            spo2_scale2_points(value, on_oxygen)
            if settings.news2_scale == 2
            else spo2_scale1_points(value)
        )
    if device_known:
        points["air_or_oxygen"] = 2 if on_oxygen else 0
    systolic = counted.get("systolic_bp")
    if systolic is not None:
        points["systolic_bp"] = systolic_points(systolic.value or 0.0)
    pulse = counted.get("heart_rate")
    if pulse is not None:
        points["heart_rate"] = pulse_points(pulse.value or 0.0)
    if level is not None:
        points["consciousness"] = 0 if level == "A" else 3  # §7.1: any of C, V, P, U scores 3
    temperature = counted.get("temperature")
    if temperature is not None:
        points["temperature"] = temperature_points(temperature.value or 0.0)
    return points


def _incomplete(
    total: int,
    missing: list[str],
    stale: list[Observation],
    settings: GradingSettings,
    tz: tzinfo | None,
    at: float,
) -> str:
    """'NEWS2 incomplete: at least 4; not charted: consciousness (ACVPU)' (§1.3a item 6)."""
    parts = []
    if missing:
        parts.append("not charted: " + ", ".join(MISSING_NAMES.get(m, m) for m in missing))
    if stale:
        parts.append(
            f"older than {settings.vitals_window_h:g} h: "
            + ", ".join(f"{_stale_name(obs)} (last at {clock(obs.time, tz, at)})" for obs in stale)
        )
    return f"NEWS2 incomplete: at least {total}; {'; '.join(parts)}"


def _consciousness_words(level: str, source: Observation, tz: tzinfo | None, at: float) -> str:
    """'consciousness new confusion (C) at 01:00', or from the level of consciousness
    charted for ICANS: 'level of consciousness awakens to voice at 01:00 (V)'."""
    if source.item == "acvpu":
        return f"consciousness {word_shown('acvpu', level)} at {clock(source.time, tz, at)}"
    return f"{finding(source, tz, at)} ({level})"


def _stale_name(obs: Observation) -> str:
    if obs.item in ("acvpu", "consciousness"):
        return "consciousness (ACVPU)"
    return item_name(obs.item)
