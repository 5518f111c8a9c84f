"""What was done in the period, for the handover (no Qt): vasopressors running, the
checklist's marks, the nurse's note and the values corrected.
"""

from __future__ import annotations

from crs_desktop.domain.grading.wording import shown_value
from crs_desktop.domain.observation import Observation
from crs_desktop.domain.vocabulary import ITEMS
from crs_desktop.report.handover_records import (
    ChecklistMark,
    Correction,
    HandoverNote,
    RunningInfusion,
)
from crs_desktop.store import ChartStore, Event

CHECKLIST_STATUSES = ("done", "not_done", "not_applicable")


def running_now(pressors: list[Observation]) -> tuple[RunningInfusion, ...]:
    """The vasopressors running at the end (a rate above 0), each at its latest rate,
    with the time it was started."""
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


def checklist_marks(events: list[Event]) -> tuple[ChecklistMark, ...]:
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


def last_note(events: list[Event]) -> HandoverNote | None:
    notes = [e for e in events if e.kind == "handover_note" and e.detail.get("text")]
    if not notes:
        return None
    last = notes[-1]
    return HandoverNote(last.at, str(last.detail["text"]), last.charted_by)


def corrections_in(
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
