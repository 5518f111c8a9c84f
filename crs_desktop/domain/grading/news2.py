"""NEWS2 aggregate score (Royal College of Physicians 2017; REFERENCE.md §7)."""

from __future__ import annotations

from datetime import tzinfo

from crs_desktop.domain import thresholds
from crs_desktop.domain.grading.chart_state import ChartState
from crs_desktop.domain.grading.settings import GradingSettings
from crs_desktop.domain.grading.verdict import Verdict
from crs_desktop.domain.grading.wording import clock, finding
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


SPONTANEOUS_FLAG = (
    "NEWS2 consciousness: 'awakens spontaneously' scored as not alert (3); chart ACVPU to be exact"
)
UNSCORED = Verdict(None)


def grade(
    state: ChartState, at: float, settings: GradingSettings, tz: tzinfo | None, words: bool = True
) -> Verdict:
    """The NEWS2 score now, or None (with a flag) while a parameter is missing or stale.

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
        missing.append("consciousness (ACVPU)")
    elif source is not None and at - source.time > window:
        stale.append(source)
    flags = (SPONTANEOUS_FLAG,) if spontaneous and words else ()
    if missing or stale:
        if not words:
            return UNSCORED
        parts = []
        if missing:
            parts.append("not charted: " + ", ".join(m.replace("_", " ") for m in missing))
        if stale:
            parts.append(
                f"older than {settings.vitals_window_h:g} h: "
                + ", ".join(
                    f"{_stale_name(obs)} (last at {clock(obs.time, tz, at)})" for obs in stale
                )
            )
        return Verdict(None, (), (f"NEWS2 not scored: {'; '.join(parts)}", *flags))

    assert device is not None  # not missing
    on_oxygen = device.text != "room_air"
    spo2 = latest["spo2"].value or 0.0
    scale2 = settings.news2_scale == 2
    resp_rate = resp_rate_points(latest["resp_rate"].value or 0.0)
    saturation = spo2_scale2_points(spo2, on_oxygen) if scale2 else spo2_scale1_points(spo2)
    air_or_oxygen = 2 if on_oxygen else 0
    systolic = systolic_points(latest["systolic_bp"].value or 0.0)
    pulse = pulse_points(latest["heart_rate"].value or 0.0)
    consciousness_points = 0 if level == "A" else 3  # §7.1: any of C, V, P, U scores 3
    temp = temperature_points(latest["temperature"].value or 0.0)
    total = resp_rate + saturation + air_or_oxygen + systolic + pulse + consciousness_points + temp
    if not words:
        return Verdict(total)
    points = {
        "resp_rate": resp_rate,
        "spo2": saturation,
        "air_or_oxygen": air_or_oxygen,
        "systolic_bp": systolic,
        "heart_rate": pulse,
        "consciousness": consciousness_points,
        "temperature": temp,
    }
    # §7.2: a single parameter scoring 3 is a trigger of its own.
    red = tuple(k for k, v in points.items() if v == thresholds.NEWS2_SINGLE_PARAMETER_RED)
    reasons = []
    for item in PARAMETERS:
        if points[item]:
            reasons.append(f"{finding(latest[item], tz, at)} scores {points[item]}")
    if on_oxygen:
        reasons.append("on oxygen scores 2")
    if points["consciousness"]:
        reasons.append(f"consciousness {level} scores 3")
    # §7.2 trigger thresholds, said plainly.
    if total >= thresholds.NEWS2_EMERGENCY:
        reasons.append(f"{thresholds.NEWS2_EMERGENCY} or more: emergency response threshold")
    elif total >= thresholds.NEWS2_URGENT:
        reasons.append(f"{thresholds.NEWS2_URGENT} or more: urgent response threshold")
    elif red:
        reasons.append("a single parameter scores 3: inform the medical team")
    return Verdict(total, tuple(reasons), flags, red)


def _stale_name(obs: Observation) -> str:
    if obs.item in ("acvpu", "consciousness"):
        return "consciousness"
    return obs.item.replace("_", " ")
