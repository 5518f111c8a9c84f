"""The fraction of inspired oxygen, charted or (for a nasal cannula) estimated.

Lee 2014 and CTCAE v5.0 grade hypoxia by the FiO2 needed (< 40 % or >= 40 %).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import tzinfo

from crs_desktop.domain.grading.chart_state import ChartState
from crs_desktop.domain.grading.wording import clock, shown_value, word_shown

FIO2_CUTOFF = 40.0  # REFERENCE.md §2.1 and §3: "<40%" vs ">=40%"
POSITIVE_PRESSURE = frozenset({"cpap", "bipap", "mechanical_ventilation"})


@dataclass(frozen=True, slots=True)
class OxygenNeed:
    on_oxygen: bool
    fio2: float | None  # %, None when neither charted nor estimable
    estimated: bool
    device: str | None


def estimate_nasal_cannula_fio2(flow_l_min: float) -> float:
    """REFERENCE.md §2.1 rule of thumb [S: X1]: 1 L/min ≈ 24 %, +4 % per L/min."""
    return 20.0 + 4.0 * flow_l_min


def oxygen_need(state: ChartState) -> OxygenNeed:
    """The oxygen the patient needs now. Lee 2014 and CTCAE ask at every moment, and it
    changes only with the device, the FiO2 or the flow: the last answer is kept."""
    latest = state.latest
    device_obs, fio2, flow = latest.get("o2_device"), latest.get("fio2"), latest.get("o2_flow")
    memo = state.oxygen_memo
    if memo is not None and memo[0] is device_obs and memo[1] is fio2 and memo[2] is flow:
        return memo[3]
    need = _oxygen_need(state)
    state.oxygen_memo = (device_obs, fio2, flow, need)
    return need


def _oxygen_need(state: ChartState) -> OxygenNeed:
    device_obs = state.latest.get("o2_device")
    if device_obs is None or device_obs.other_cause or device_obs.text == "room_air":
        return OxygenNeed(False, None, False, device_obs.text if device_obs else None)
    device = device_obs.text
    fio2 = state.latest.get("fio2")
    if fio2 is not None and fio2.value is not None and fio2.time >= device_obs.time:
        return OxygenNeed(True, fio2.value, False, device)
    flow = state.latest.get("o2_flow")
    if device in ("nasal_cannula", "blow_by") and flow is not None and flow.value is not None:
        if flow.time >= device_obs.time:
            return OxygenNeed(True, estimate_nasal_cannula_fio2(flow.value), True, device)
    return OxygenNeed(True, None, False, device)


def device_words(state: ChartState, tz: tzinfo | None, at: float) -> str:
    """'simple mask since 01:00': the oxygen device now, as Lee 2014 and CTCAE name it."""
    device = state.latest.get("o2_device")
    if device is None:
        return ""
    return f"{word_shown('o2_device', device.text or '')} since {clock(device.time, tz, at)}"


def fio2_words(state: ChartState, need: OxygenNeed, tz: tzinfo | None, at: float) -> str:
    """'FiO2 45 % at 01:00 (simple mask since 00:30)', or for a cannula 'FiO2 about 36 %
    (estimated from nasal cannula at 4 L/min at 01:00)'. Only for a need with an FiO2."""
    if need.estimated:
        flow = state.latest["o2_flow"]
        device = word_shown("o2_device", need.device or "")
        return (
            f"FiO2 about {need.fio2 or 0:.0f} % (estimated from the {device} flow "
            f"{shown_value(flow)} at {clock(flow.time, tz, at)})"
        )
    fio2 = state.latest["fio2"]
    return (
        f"FiO2 {need.fio2 or 0:.0f} % at {clock(fio2.time, tz, at)} ({device_words(state, tz, at)})"
    )
