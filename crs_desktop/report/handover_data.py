"""Everything the handover page shows, gathered from the store and the grader (no Qt).

`build_handover` reads the chart once for the period and returns a frozen
HandoverData (handover_records.py); `render.py` only draws it. The same data serves
the print preview, the printer and the PDF. The grades, the plots' data and what was
done are gathered by gather_grades, gather_plots and gather_treatment.
"""

from __future__ import annotations

import bisect
import operator
from collections.abc import Sequence
from dataclasses import replace
from datetime import date, tzinfo

from crs_desktop.app.grade_checkpoint import checkpoint_to_keep, grade_chart, grade_whole_chart
from crs_desktop.app.treatment import TreatmentState
from crs_desktop.domain.collector import with_collector_paused
from crs_desktop.domain.drug_doses import Dose, doses_so_far
from crs_desktop.domain.escalation import acknowledgement_text
from crs_desktop.domain.grading import Grader, GradingSettings
from crs_desktop.domain.grading.grader import HistoryBeforeCheckpoint
from crs_desktop.domain.grading.wording import shown_value
from crs_desktop.domain.observation import Observation
from crs_desktop.domain.protocol import Protocol
from crs_desktop.domain.vocabulary import DOSE_ITEMS, ITEMS, RATE_ITEMS
from crs_desktop.report.gather_grades import GRADED_SYSTEMS, grade_summaries
from crs_desktop.report.gather_plots import lab_plots, shift_plots
from crs_desktop.report.gather_treatment import (
    checklist_marks,
    corrections_in,
    last_note,
    running_now,
)
from crs_desktop.report.handover_records import (
    AlertAck,
    DrugGiven,
    HandoverData,
    LatestValue,
    local_datetime,
)
from crs_desktop.store import ChartStore
from crs_desktop.store.grade_checkpoints import StoredCheckpoint
from crs_desktop.store.records import Event

# What other modules take from here (the records themselves are in handover_records).
__all__ = ["GRADED_SYSTEMS", "HandoverData", "build_handover", "local_datetime"]

HOUR = 3600.0
DAY_S = 24 * HOUR


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

O2_ITEMS = frozenset({"o2_device", "o2_flow"})
# Rows read beside the grading: drugs, vasopressors and the oxygen device and flow.
SIDE_ITEMS = DOSE_ITEMS | RATE_ITEMS | O2_ITEMS


# -- small helpers -------------------------------------------------------------


def age_years(birth_date: str | None, today: date) -> int | None:
    if not birth_date:
        return None
    try:
        born = date.fromisoformat(birth_date)
    except ValueError:
        return None
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


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
    checkpoints: list[StoredCheckpoint] | None = None,
) -> HandoverData:
    """Gather the handover for one patient and period [start, end] (epoch seconds).

    `grader`: a Grader already fed with this patient's current chart (the
    window keeps one); without it, or when it holds values after the period and
    the checklist is asked for, the chart up to `end` is graded here.
    `outstanding` / `observations_due` of None mean "not known here" and are
    printed as such. With a `protocol` they are worked out here, as the
    window's checklist and timers show them at the end of the period.

    Without `grader` the chart is graded from the latest grade checkpoint before the
    period that is still true to the chart (app/grade_checkpoint.py), else whole. A
    `checkpoints` list is given one for the next handover, for the caller to save.
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
        graded = None
        if grader is None:
            # Only the systems the page prints (and the checklist and timers read):
            # Lee 2014 and CTCAE would be two fifths of the grading time for nothing.
            graded = grade_chart(store, patient_id, end, settings, tz, GRADED_SYSTEMS, start)
            grader = graded.grader
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
        events = store.events(patient_id, since=start, until=end)
        treatment = None
        every_event: Sequence[Event] = ()
        if protocol is not None:
            treatment = TreatmentState(store, patient_id, protocol, until=upto)
            every_event = store.events(patient_id, until=upto)  # a mark before the shift counts
        try:
            grades, graded_at, scope = grade_summaries(
                grader, start, upto, patient.infusion_time, graded.runs_before if graded else None
            )
            if treatment is not None:
                outstanding, observations_due = treatment.todo(grader, every_event, upto, tz)
        except HistoryBeforeCheckpoint:
            # Asked about the chart before the checkpoint (the checklist walking back an
            # episode that began before it; nothing charted since): graded whole instead.
            key = graded.key if graded is not None else None
            graded = grade_whole_chart(store, patient_id, end, settings, tz, GRADED_SYSTEMS, key)
            grader = graded.grader
            grades, graded_at, scope = grade_summaries(grader, start, upto, patient.infusion_time)
            if treatment is not None:
                outstanding, observations_due = treatment.todo(grader, every_event, upto, tz)
        if graded is not None and checkpoints is not None:
            kept = checkpoint_to_keep(graded, store, patient_id, start, upto)
            if kept is not None:
                checkpoints.append(kept)
        corrections = corrections_in(store, patient_id, start, end)
        weight = store.weight_at(patient_id, upto)
        drug_obs = [o for o in side if o.item in DOSE_ITEMS and o.time <= end]
        pressor_obs = [o for o in side if o.item in RATE_ITEMS and o.time <= upto]
        device_obs = [o for o in side if o.item in O2_ITEMS and o.time <= end]
        in_shift_plots = shift_plots(
            store, patient_id, start, end, upto, settings, device_obs, drug_obs, pressor_obs
        )
        labs = lab_plots(store, patient_id, drug_obs, upto)

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
        shift_plots=in_shift_plots,
        lab_plots=labs,
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
        running=running_now(pressor_obs),
        checklist=checklist_marks(events),
        outstanding=None if outstanding is None else tuple(outstanding),
        observations_due=None if observations_due is None else tuple(observations_due),
        alerts=tuple(
            AlertAck(e.at, acknowledgement_text(e.detail, e.key), e.charted_by)
            for e in events
            if e.kind == "alert_ack"
        ),
        corrections=corrections,
        note=last_note(events),
        charted_in_period=charted,
    )


def _count(chart: list[Observation], start: float, end: float) -> int:
    """How many values in time order fall in [start, end]."""
    when = operator.attrgetter("time")
    return bisect.bisect_right(chart, end, key=when) - bisect.bisect_left(chart, start, key=when)


def _latest(recent: list[Observation], upto: float) -> tuple[LatestValue, ...]:
    # In time order, so the last of each item is its latest.
    found = {obs.item: obs for obs in recent if obs.time <= upto}
    device = found.get("o2_device")
    if device is not None:
        # A flow or FiO2 charted before the device was last changed was the earlier
        # device's (domain oxygen_course, as grading reads it): not "latest" for this one.
        for item in ("o2_flow", "fio2"):
            if item in found and found[item].time < device.time:
                del found[item]
    return tuple(
        LatestValue(
            ITEMS[item].label, shown_value(found[item]), found[item].time, bool(found[item].extreme)
        )
        for item in LATEST_ITEMS
        if item in found
    )
