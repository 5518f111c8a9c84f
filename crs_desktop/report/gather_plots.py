"""The data of the handover's plots (no Qt): the shift's temperature, blood pressure,
oxygen need and SpO2, CRP and ferritin over 72 h, with drug letters and vasopressor spans.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from crs_desktop.domain import thresholds as clinical
from crs_desktop.domain.grading import GradingSettings
from crs_desktop.domain.grading.wording import shown_value
from crs_desktop.domain.observation import Observation
from crs_desktop.domain.oxygen_course import (
    BAND_NAMES,
    OxygenCharted,
    device_short,
    oxygen_course,
)
from crs_desktop.domain.vocabulary import ITEMS, Category
from crs_desktop.report.handover_records import DrugMark, Line, Plot
from crs_desktop.store import ChartStore
from crs_desktop.store.plain_series import series_lists

HOUR = 3600.0
LAB_SPAN_S = 72 * HOUR  # CRP and ferritin are plotted over the last 72 h (issue 6)
MAX_PLOT_POINTS = 1500  # above this a series is thinned to each bucket's lowest and highest


# Drug marks on the plots: a short code each, explained in the legend.
MARK_CODES = {
    Category.ANTICYTOKINE: "T",
    Category.CORTICOSTEROID: "S",
    Category.ANTIPYRETIC: "A",
    Category.FLUID: "F",
}


def peak_decimate(
    t: Sequence[float], v: Sequence[float], buckets: int
) -> tuple[Sequence[float], Sequence[float]]:
    """At most 2 x buckets points, keeping each bucket's lowest and highest value in time order.

    Plain Python (the handover starts without numpy); the buckets are numpy's
    linspace(0, len, buckets + 1) cast to int, to the bit: i * (len / buckets) truncated.
    """
    n = len(t)
    if n <= 2 * buckets:
        return t, v
    step = n / buckets
    edges = [int(float(i) * step) for i in range(buckets)] + [n]
    keep: list[int] = []
    for lo, hi in zip(edges[:-1], edges[1:], strict=True):
        if hi <= lo:
            continue
        positions = range(lo, hi)  # the first lowest and first highest, as argmin/argmax
        a, b = min(positions, key=v.__getitem__), max(positions, key=v.__getitem__)
        keep.extend(sorted({a, b}))
    return [t[i] for i in keep], [v[i] for i in keep]


def _line(
    store: ChartStore,
    patient_id: int,
    item: str,
    since: float,
    until: float,
    label: str,
    dash: str,
    marker: str,
) -> Line:
    t, v = peak_decimate(
        *series_lists(store, patient_id, item, since=since, until=until), MAX_PLOT_POINTS // 2
    )
    if len(t) > 150:
        marker = "none"  # a dot per minute is a smear, not a mark
    return Line(label, t, v, dash, marker)


def _marks(
    drugs: list[Observation], since: float, until: float, fluids: bool = False
) -> tuple[DrugMark, ...]:
    """Drug marks for a plot; fluid boluses only where asked (the blood pressure)."""
    marks = []
    for obs in drugs:
        code = MARK_CODES.get(ITEMS[obs.item].category)
        if code == "F" and not fluids:
            continue
        if code and since <= obs.time <= until:
            marks.append(DrugMark(obs.time, code, f"{ITEMS[obs.item].label} {shown_value(obs)}"))
    return tuple(marks)


def _pressor_intervals(pressors: list[Observation], until: float) -> list[tuple[float, float, str]]:
    """(from, to, name) while each vasopressor ran at a rate above 0 (0 = stopped)."""
    spans: list[tuple[float, float, str]] = []
    started: dict[str, float] = {}
    for obs in pressors:
        running = obs.value is not None and obs.value > 0
        if running and obs.item not in started:
            started[obs.item] = obs.time
        elif not running and obs.item in started:
            spans.append((started.pop(obs.item), obs.time, ITEMS[obs.item].label))
    spans += [(t, until, ITEMS[item].label) for item, t in started.items()]
    return spans


def shift_plots(
    store: ChartStore,
    patient_id: int,
    start: float,
    end: float,
    upto: float,
    settings: GradingSettings,
    devices: list[Observation],
    drugs: list[Observation],
    pressors: list[Observation],
) -> tuple[Plot, ...]:
    marks = _marks(drugs, start, end)
    temperature = Plot(
        "temperature",
        "Temperature °C",
        start,
        end,
        (_line(store, patient_id, "temperature", start, end, "temperature", "solid", "circle"),),
        thresholds=((clinical.FEVER_C, f"fever {clinical.fever_words()}"),),
        y_floor=(36.0, 39.0),
        marks=marks,
    )
    bp = Plot(
        "bp",
        "Blood pressure mmHg",
        start,
        end,
        (
            _line(store, patient_id, "systolic_bp", start, end, "systolic", "solid", "circle"),
            _line(store, patient_id, "diastolic_bp", start, end, "diastolic", "dash", "square"),
        ),
        # REFERENCE.md §1.3 item 1: the systolic number that flags hypotension (settings).
        thresholds=((settings.systolic_threshold, f"systolic < {settings.systolic_threshold:g}"),),
        y_floor=(50.0, 140.0),
        marks=_marks(drugs, start, end, fluids=True),
        shaded=tuple(
            (max(a, start), min(b, end), name)
            for a, b, name in _pressor_intervals(pressors, upto)
            if b >= start and a <= end
        ),
    )
    spo2 = Plot(
        "spo2",
        "SpO2 %",
        start,
        end,
        (_line(store, patient_id, "spo2", start, end, "SpO2", "solid", "triangle"),),
        y_floor=(88.0, 100.0),
        marks=marks,
    )
    plots = (temperature, bp, _oxygen_plot(devices, start, end, upto), spo2)
    return tuple(replace(p, until=upto) for p in plots) if upto < end else plots


def _oxygen_plot(devices: list[Observation], start: float, end: float, upto: float) -> Plot:
    """The oxygen band as a step, from the device in force at the start; the device and
    flow written at each change."""
    states: list[tuple[float, int, str]] = []  # (time, band, words) at each charted time
    charted = (OxygenCharted(o.time, o.item, o.value, o.text) for o in devices if o.time <= end)
    for on in oxygen_course(charted):
        device = on.device
        if device is None:
            continue  # a flow without a device: nothing to draw yet
        words = device_short(device)
        if on.flow is not None and device != "room_air":
            words += f" {on.flow:g} L/min"
        states.append((on.time, on.band, words))
    before = [s for s in states if s[0] < start]
    shown = [(start, *before[-1][1:])] if before else []
    for state in states:
        if state[0] >= start and (not shown or state[1:] != shown[-1][1:]):
            shown.append(state)
    steps = shown + [(upto, shown[-1][1], "")] if shown else []  # held until now, no further
    return Plot(
        "oxygen",
        "Oxygen need (device, flow)",
        start,
        end,
        (
            Line(
                "oxygen",
                [float(s[0]) for s in steps],
                [float(s[1]) for s in steps],
                "solid",
                "none",
                step=True,
            ),
        ),
        y_floor=(0.0, 3.0),
        y_labels=tuple((float(level), words) for level, words in BAND_NAMES),
        notes=tuple((t, float(level), words) for t, level, words in shown),
        caption="high flow: over 6 L/min, or a mask",
    )


def lab_plots(
    store: ChartStore, patient_id: int, drugs: list[Observation], upto: float
) -> tuple[Plot, ...]:
    """CRP and ferritin over the 72 h before `upto`, with the drug letters."""
    lab_from = upto - LAB_SPAN_S
    lab_marks = _marks(drugs, lab_from, upto)
    return (
        Plot(
            "crp",
            "CRP mg/L (last 72 h)",
            lab_from,
            upto,
            (_line(store, patient_id, "crp", lab_from, upto, "CRP", "solid", "circle"),),
            marks=lab_marks,
        ),
        Plot(
            "ferritin",
            "Ferritin ng/mL (last 72 h)",
            lab_from,
            upto,
            (_line(store, patient_id, "ferritin", lab_from, upto, "ferritin", "solid", "square"),),
            marks=lab_marks,
        ),
    )
