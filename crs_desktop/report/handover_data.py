"""Everything the handover page shows, gathered from the store and the grader (no Qt).

`build_handover` reads the chart once for the period and returns a frozen
HandoverData; `render.py` only draws it. The same data serves the print
preview, the printer and the PDF.
"""

from __future__ import annotations

import bisect
import operator
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, tzinfo

import numpy as np

from crs_desktop.domain import thresholds as clinical
from crs_desktop.domain.drug_doses import Dose, doses_so_far
from crs_desktop.domain.escalation import acknowledgement_text
from crs_desktop.domain.grading import SYSTEM_TITLES, Grader, GradeSet, GradingSettings
from crs_desktop.domain.grading.grader import with_collector_paused
from crs_desktop.domain.grading.wording import shown_value
from crs_desktop.domain.observation import Observation
from crs_desktop.domain.oxygen_course import (
    BAND_NAMES,
    OxygenCharted,
    device_short,
    oxygen_course,
)
from crs_desktop.domain.protocol import Protocol
from crs_desktop.domain.vocabulary import DOSE_ITEMS, ITEMS, RATE_ITEMS, Category
from crs_desktop.report.treatment import TreatmentState
from crs_desktop.store import ChartStore, Event

HOUR = 3600.0
LAB_SPAN_S = 72 * HOUR  # CRP and ferritin are plotted over the last 72 h (issue 6)
DAY_S = 24 * HOUR
MAX_PLOT_POINTS = 1500  # above this a series is thinned to each bucket's lowest and highest
GRADED_SYSTEMS = ("astct_crs", "astct_icans", "news2")
CHECKLIST_STATUSES = ("done", "not_done", "not_applicable")

# The latest-values table, in the order a nurse reads a chart.
LATEST_ITEMS = (
    "temperature",
    "heart_rate",
    "systolic_bp",
    "diastolic_bp",
    "resp_rate",
    "spo2",
    "o2_device",
    "o2_flow",
    "fio2",
    "acvpu",
    "consciousness",
    "ice_score",
    "seizure",
    "motor_weakness",
    "cerebral_edema",
    "crp",
    "ferritin",
    "wbc",
    "anc",
    "lymphocytes",
    "platelets",
    "hemoglobin",
    "creatinine",
    "bilirubin",
    "alt",
    "ast",
    "fibrinogen",
    "il6",
    "weight",
)


# Drug marks on the plots: a short code each, explained in the legend.
MARK_CODES = {
    Category.ANTICYTOKINE: "T",
    Category.CORTICOSTEROID: "S",
    Category.ANTIPYRETIC: "A",
    Category.FLUID: "F",
}
O2_ITEMS = frozenset({"o2_device", "o2_flow"})
# Rows read beside the grading: drugs, vasopressors and the oxygen device and flow.
SIDE_ITEMS = DOSE_ITEMS | RATE_ITEMS | O2_ITEMS
MARK_WORDS = {"T": "tocilizumab / anti-cytokine", "S": "steroid", "A": "antipyretic", "F": "fluid"}


# -- the records the page is made of -------------------------------------------


@dataclass(frozen=True, slots=True)
class GradeSummary:
    """One grading system for the handover: now, the maxima, why, and what to review."""

    system: str
    title: str
    grade: int | None
    since: float | None
    max_shift: int | None
    max_overall: int | None  # since the infusion (or on the whole chart, see max_scope)
    reasons: tuple[str, ...]
    flags: tuple[str, ...]
    band: str = ""  # NEWS2: the risk band in words ("medium risk"), from domain


@dataclass(frozen=True, slots=True, eq=False)
class Line:
    """One plotted series: times and values, drawn with a grayscale-safe style."""

    label: str
    t: np.ndarray
    v: np.ndarray
    dash: str = "solid"  # solid / dash / dot
    marker: str = "circle"  # circle / square / triangle / none
    step: bool = False


@dataclass(frozen=True, slots=True)
class DrugMark:
    at: float
    code: str  # a key of MARK_WORDS
    text: str  # "tocilizumab 576 mg"


@dataclass(frozen=True, slots=True, eq=False)
class Plot:
    """One small plot: its lines, threshold lines, labels and drug marks."""

    key: str
    title: str
    start: float
    end: float
    lines: tuple[Line, ...]
    thresholds: tuple[tuple[float, str], ...] = ()
    y_floor: tuple[float, float] | None = None  # at least this range is shown
    y_labels: tuple[tuple[float, str], ...] = ()  # words for a categorical axis
    notes: tuple[tuple[float, float, str], ...] = ()  # (t, y, text) written beside a point
    marks: tuple[DrugMark, ...] = ()
    shaded: tuple[tuple[float, float, str], ...] = ()  # (from, to, what) e.g. a vasopressor
    caption: str = ""  # a word of explanation in the plot's key
    until: float | None = None  # "now", when the period runs on into the future

    @property
    def empty(self) -> bool:
        return not any(len(line.t) for line in self.lines)


@dataclass(frozen=True, slots=True)
class LatestValue:
    label: str
    value: str
    at: float
    extreme: bool


@dataclass(frozen=True, slots=True)
class DrugGiven:
    at: float
    name: str
    category: str  # the vocabulary's Category value: antipyretic, corticosteroid, ...
    dose: str
    by: str
    note: str


@dataclass(frozen=True, slots=True)
class RunningInfusion:
    name: str
    rate: str
    since: float


@dataclass(frozen=True, slots=True)
class ChecklistMark:
    at: float
    key: str
    title: str
    status: str  # done / not_done / not_applicable
    reason: str
    by: str


@dataclass(frozen=True, slots=True)
class AlertAck:
    at: float
    text: str
    by: str


@dataclass(frozen=True, slots=True)
class Correction:
    """A value marked entered in error during the period, and what replaced it."""

    at: float  # when it was marked
    item: str
    value: str
    observed_at: float
    reason: str
    by: str
    replacement: str | None


@dataclass(frozen=True, slots=True)
class HandoverNote:
    at: float
    text: str
    by: str


@dataclass(frozen=True)
class HandoverData:
    """Everything one handover page shows, ready to draw."""

    # The patient
    name: str
    mrn: str
    age_years: int | None
    weight_kg: float | None
    product: str | None
    infusion_time: float | None
    day: int | None  # Day +N: calendar days since the infusion day (day 0)
    # The period and the printing
    start: float
    end: float
    now: float
    printed_by: str
    tz: tzinfo | None
    # Assessment
    graded_at: float | None  # the charted time the grades are from
    grades: tuple[GradeSummary, ...]
    max_scope: str  # "since infusion" or "on this chart"
    shift_plots: tuple[Plot, ...]
    lab_plots: tuple[Plot, ...]
    latest: tuple[LatestValue, ...]
    # Treatment
    drugs: tuple[DrugGiven, ...]
    tocilizumab_24h: tuple[int, float]  # (doses, mg) in the 24 h before the end
    tocilizumab_total: tuple[int, float]  # (doses, mg) ever charted
    fluids_ml: float
    running: tuple[RunningInfusion, ...]
    # What was done and what is left
    checklist: tuple[ChecklistMark, ...]
    outstanding: tuple[str, ...] | None  # None: not known where the report was made
    observations_due: tuple[str, ...] | None
    alerts: tuple[AlertAck, ...]
    corrections: tuple[Correction, ...]
    note: HandoverNote | None
    charted_in_period: int

    @property
    def empty(self) -> bool:
        """Nothing at all was charted or recorded in the period."""
        return (
            self.charted_in_period == 0
            and not self.checklist
            and not self.alerts
            and not self.corrections
            and self.note is None
        )

    def grade(self, system: str) -> GradeSummary | None:
        return next((g for g in self.grades if g.system == system), None)


# -- small helpers -------------------------------------------------------------


def local_datetime(epoch: float, tz: tzinfo | None) -> datetime:
    return datetime.fromtimestamp(epoch, tz) if tz else datetime.fromtimestamp(epoch)


def age_years(birth_date: str | None, today: date) -> int | None:
    if not birth_date:
        return None
    try:
        born = date.fromisoformat(birth_date)
    except ValueError:
        return None
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


def news2_band(score: int | None, red_parameters: tuple[str, ...]) -> str:
    """The NEWS2 risk band in words; the bands are domain's (REFERENCE.md §7.2)."""
    band = clinical.news2_band(score, red_parameters)
    return "" if band is None else clinical.NEWS2_BANDS[band]


def peak_decimate(t: np.ndarray, v: np.ndarray, buckets: int) -> tuple[np.ndarray, np.ndarray]:
    """At most 2 x buckets points, keeping each bucket's lowest and highest value in time order."""
    if len(t) <= 2 * buckets:
        return t, v
    edges = np.linspace(0, len(t), buckets + 1).astype(int)
    keep: list[int] = []
    for lo, hi in zip(edges[:-1], edges[1:], strict=True):
        if hi <= lo:
            continue
        chunk = v[lo:hi]
        a, b = lo + int(np.argmin(chunk)), lo + int(np.argmax(chunk))
        keep.extend(sorted({a, b}))
    index = np.asarray(keep)
    return t[index], v[index]


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
    t, v = store.series(patient_id, item, since=since, until=until)
    t, v = peak_decimate(t, v, MAX_PLOT_POINTS // 2)
    if len(t) > 150:
        marker = "none"  # a dot per minute is a smear, not a mark
    return Line(label, t, v, dash, marker)


def _max_grade(
    timeline: list[GradeSet],
    times: list[float],
    system: str,
    lo: float,
    hi: float,
    include_in_force: bool,
) -> int | None:
    """The highest grade of `system` among charted times in [lo, hi]; with the grade in force
    at lo (from before it) when asked."""
    first = bisect.bisect_left(times, lo)
    last = bisect.bisect_right(times, hi)
    if include_in_force and first > 0:
        first -= 1
    best: int | None = None
    seen: object = None
    for grade_set in timeline[first:last]:
        grade = grade_set.systems[system]
        if grade is seen:  # an unchanged answer keeps its object (grader.py)
            continue
        seen = grade
        if grade.grade is not None and (best is None or grade.grade > best):
            best = grade.grade
    return best


# -- gathering -----------------------------------------------------------------


# The cycle collector stays off until the grader made here is let go: its hundreds of
# thousands of young objects hold no cycles, and a collection on the way out would
# walk them all (0.1 s) for nothing.
@with_collector_paused
def build_handover(
    store: ChartStore,
    patient_id: int,
    start: float,
    end: float,
    *,
    printed_by: str,
    now: float,
    outstanding: Sequence[str] | None = (),
    observations_due: Sequence[str] | None = (),
    local_tz: tzinfo | None = None,
    settings: GradingSettings | None = None,
    grader: Grader | None = None,
    protocol: Protocol | None = None,
) -> HandoverData:
    """Gather the handover for one patient and period [start, end] (epoch seconds).

    `grader`: a Grader already fed with this patient's current chart (the
    window keeps one); without it, or when it holds values after the period and
    the checklist is asked for, the chart up to `end` is graded here.
    `outstanding` / `observations_due` of None mean "not known here" and are
    printed as such. With a `protocol` they are worked out here, as the
    window's checklist and timers show them at the end of the period.
    """
    if not start < end:
        raise ValueError("the period must start before it ends")
    patient = store.patient_by_id(patient_id)
    if patient is None:
        raise ValueError(f"patient id {patient_id}: not found")
    if settings is None:  # the ward's grading numbers, and the patient's SpO2 scale
        ward = protocol.grading if protocol is not None else GradingSettings()
        settings = replace(ward, news2_scale=patient.news2_scale)
    tz = local_tz
    upto = min(end, now)  # grades, running drugs and "last 24 h" are as of this moment

    latest_graded = grader.latest() if grader is not None else None
    if protocol is not None and latest_graded is not None and latest_graded.time > upto:
        # The grader holds values charted after the period (a past shift printed from
        # the window): its checklist and timers would be as of now. Graded here up to
        # the end of the period instead, as the command does.
        grader = None
    with store.read_snapshot():
        if grader is None:
            # Only the systems the page prints (and the checklist and timers read):
            # Lee 2014 and CTCAE would be two fifths of the grading time for nothing.
            grader = Grader(settings, tz, systems=GRADED_SYSTEMS)
            grader.add(store.findings_to_grade_once(patient_id, until=end))
        # The grader has the chart; read only what the page shows. The last day gives
        # the latest vitals; one pass over the rest of the chart finds what was charted
        # before it (labs, weight, a device set long ago) and the drugs, oxygen and
        # vasopressor rows.
        recent = store.observations(patient_id, since=min(start, upto - DAY_S), until=end)
        found = {o.item for o in recent if o.time <= upto}
        older = [i for i in LATEST_ITEMS if i not in found]
        side_rows = store.rows(
            patient_id, include_errors=False, until=end, items=sorted(SIDE_ITEMS | set(older))
        )
        side = [r.to_observation() for r in side_rows]
        latest = _latest(sorted(side + recent, key=lambda o: o.time), upto)
        charted = _count(recent, start, end)
        # The charted weight and infusion, as the header and the dose helper read them.
        patient = store.patient_facts(patient, upto)
        grades, graded_at, scope = _grades(grader, start, upto, patient.infusion_time)
        events = store.events(patient_id, since=start, until=end)
        if protocol is not None:
            treatment = TreatmentState(store, patient_id, protocol, until=upto)
            every_event = store.events(patient_id, until=upto)  # a mark before the shift counts
            outstanding, observations_due = treatment.todo(grader, every_event, upto, tz)
        corrections = _corrections(store, patient_id, start, end)
        weight = store.weight_at(patient_id, upto)
        drug_obs = [o for o in side if o.item in DOSE_ITEMS and o.time <= end]
        pressor_obs = [o for o in side if o.item in RATE_ITEMS and o.time <= upto]
        device_obs = [o for o in side if o.item in O2_ITEMS and o.time <= end]
        shift_plots = _shift_plots(
            store, patient_id, start, end, upto, settings, device_obs, drug_obs, pressor_obs
        )
        lab_from = upto - LAB_SPAN_S
        lab_marks = _marks(drug_obs, lab_from, upto)
        lab_plots = (
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
                (
                    _line(
                        store, patient_id, "ferritin", lab_from, upto, "ferritin", "solid", "square"
                    ),
                ),
                marks=lab_marks,
            ),
        )

    today = local_datetime(now, tz).date()
    day = None
    if patient.infusion_time is not None:
        day = (
            local_datetime(upto, tz).date() - local_datetime(patient.infusion_time, tz).date()
        ).days
    toci, toci_24h = doses_so_far(
        (Dose(o.time, o.value or 0.0) for o in drug_obs if o.item == "tocilizumab"), upto
    )
    in_shift = [o for o in drug_obs if start <= o.time <= end]
    return HandoverData(
        name=patient.name,
        mrn=patient.mrn,
        age_years=age_years(patient.birth_date, today),
        weight_kg=weight,
        product=patient.car_t_product,  # the charted product, else the record's
        infusion_time=patient.infusion_time,
        day=day,
        start=start,
        end=end,
        now=now,
        printed_by=printed_by,
        tz=tz,
        graded_at=graded_at,
        grades=grades,
        max_scope=scope,
        shift_plots=shift_plots,
        lab_plots=lab_plots,
        latest=latest,
        drugs=tuple(
            DrugGiven(
                o.time,
                ITEMS[o.item].label,
                ITEMS[o.item].category.value,
                shown_value(o),
                o.charted_by,
                o.note,
            )
            for o in in_shift
        ),
        tocilizumab_24h=(len(toci_24h), float(sum(d.mg for d in toci_24h))),
        tocilizumab_total=(len(toci), float(sum(d.mg for d in toci))),
        fluids_ml=float(sum(o.value or 0.0 for o in in_shift if o.item == "fluid_bolus")),
        running=_running(pressor_obs),
        checklist=_checklist(events),
        outstanding=None if outstanding is None else tuple(outstanding),
        observations_due=None if observations_due is None else tuple(observations_due),
        alerts=tuple(
            AlertAck(e.at, acknowledgement_text(e.detail, e.key), e.charted_by)
            for e in events
            if e.kind == "alert_ack"
        ),
        corrections=corrections,
        note=_note(events),
        charted_in_period=charted,
    )


def _grades(
    grader: Grader, start: float, upto: float, infusion: float | None
) -> tuple[tuple[GradeSummary, ...], float | None, str]:
    now_set = grader.at(upto)
    timeline = grader.timeline()
    times = [g.time for g in timeline]
    scope = "since infusion" if infusion is not None else "on this chart"
    summaries = []
    for system in GRADED_SYSTEMS:
        current = now_set.systems[system] if now_set else None
        if infusion is not None:
            overall = _max_grade(timeline, times, system, infusion, upto, include_in_force=False)
        else:
            overall = current.max if current else None
        summaries.append(
            GradeSummary(
                system=system,
                title=SYSTEM_TITLES[system],
                grade=current.grade if current else None,
                since=current.since if current else None,
                max_shift=_max_grade(timeline, times, system, start, upto, include_in_force=True),
                max_overall=overall,
                reasons=current.reasons if current else (),
                flags=current.flags if current else (),
                band=news2_band(current.grade, current.red_parameters)
                if current and system == "news2"
                else "",
            )
        )
    return tuple(summaries), (now_set.time if now_set else None), scope


def _count(chart: list[Observation], start: float, end: float) -> int:
    """How many values in time order fall in [start, end]."""
    when = operator.attrgetter("time")
    return bisect.bisect_right(chart, end, key=when) - bisect.bisect_left(chart, start, key=when)


def _latest(recent: list[Observation], upto: float) -> tuple[LatestValue, ...]:
    # In time order, so the last of each item is its latest.
    found = {obs.item: obs for obs in recent if obs.time <= upto}
    return tuple(
        LatestValue(
            ITEMS[item].label, shown_value(found[item]), found[item].time, bool(found[item].extreme)
        )
        for item in LATEST_ITEMS
        if item in found
    )


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


def _running(pressors: list[Observation]) -> tuple[RunningInfusion, ...]:
    latest: dict[str, Observation] = {}
    since: dict[str, float] = {}
    for obs in pressors:
        running = obs.value is not None and obs.value > 0
        if running and obs.item not in since:
            since[obs.item] = obs.time
        elif not running:
            since.pop(obs.item, None)
        latest[obs.item] = obs
    return tuple(
        RunningInfusion(ITEMS[item].label, shown_value(latest[item]), t)
        for item, t in since.items()
    )


def _shift_plots(
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
                np.array([s[0] for s in steps], dtype=float),
                np.array([s[1] for s in steps], dtype=float),
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


def _checklist(events: list[Event]) -> tuple[ChecklistMark, ...]:
    """The latest mark of each checklist action in the period, in time order."""
    latest: dict[str, Event] = {}
    for event in events:
        if event.kind == "checklist" and event.status in CHECKLIST_STATUSES:
            latest[event.key] = event
    marks = [
        ChecklistMark(
            at=e.at,
            key=e.key,
            title=str(e.detail.get("title") or e.key.replace("_", " ")),
            status=e.status,
            reason=str(e.detail.get("reason") or ""),
            by=e.charted_by,
        )
        for e in latest.values()
    ]
    return tuple(sorted(marks, key=lambda m: m.at))


def _note(events: list[Event]) -> HandoverNote | None:
    notes = [e for e in events if e.kind == "handover_note" and e.detail.get("text")]
    if not notes:
        return None
    last = notes[-1]
    return HandoverNote(last.at, str(last.detail["text"]), last.charted_by)


def _corrections(
    store: ChartStore, patient_id: int, start: float, end: float
) -> tuple[Correction, ...]:
    found = []
    for row in store.flagged_rows(patient_id):
        if not row.entered_in_error or row.error_at is None:
            continue
        if not start <= row.error_at <= end:
            continue
        replacement = None
        if row.replaced_by is not None:
            new = store.row(row.replaced_by)
            if new is not None:
                replacement = shown_value(new.to_observation())
        found.append(
            Correction(
                at=row.error_at,
                item=ITEMS[row.item].label,
                value=shown_value(row.to_observation()),
                observed_at=row.observed_at,
                reason=row.error_reason or "",
                by=row.error_by or "",
                replacement=replacement,
            )
        )
    return tuple(sorted(found, key=lambda c: c.at))
