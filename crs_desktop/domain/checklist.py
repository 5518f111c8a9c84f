"""What the protocol says to do now, what was done, and what is left (pure Python).

An action is due while its system's grade is one of the action's grades;
it became due when the grade last entered those grades (so a rise from 2 to
3 keeps grade 2-4 actions answered, and brings grade 3 actions up new).
A mark (done, not done with a reason, not applicable) recorded after it
became due answers it. An unanswered action that became due after the last
acknowledged alert of its system, or that the acknowledged grade did not call
for, is new: highlighted until seen.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import tzinfo
from typing import Any
from typing import Protocol as Shape

from crs_desktop.domain.grading import Grader
from crs_desktop.domain.grading.wording import clock
from crs_desktop.domain.observation import Observation
from crs_desktop.domain.protocol import Action, Protocol
from crs_desktop.domain.reassessment import TimerState

DONE, NOT_DONE, NOT_APPLICABLE = "done", "not_done", "not_applicable"
STATUSES = (DONE, NOT_DONE, NOT_APPLICABLE)
STATUS_WORDS = {DONE: "Done", NOT_DONE: "Not done", NOT_APPLICABLE: "Not applicable"}


@dataclass(frozen=True, slots=True)
class Mark:
    """A nurse's answer to a checklist action, as charted."""

    key: str
    status: str  # done, not_done, not_applicable
    at: float  # when it was done (or decided)
    recorded_at: float
    by: str
    reason: str = ""


@dataclass(frozen=True, slots=True)
class ChecklistItem:
    """One due action, with the mark that answers it (if any)."""

    action: Action
    grade: int  # the system's grade now
    due_since: float
    mark: Mark | None
    new: bool

    @property
    def outstanding(self) -> bool:
        return self.mark is None


class EventLike(Shape):
    """What the checklist reads of a charted event (the store's Event, frozen: so read-only
    here, or a frozen Event would not fit the shape)."""

    @property
    def kind(self) -> str: ...
    @property
    def key(self) -> str: ...
    @property
    def status(self) -> str: ...
    @property
    def at(self) -> float: ...
    @property
    def recorded_at(self) -> float: ...
    @property
    def charted_by(self) -> str: ...
    @property
    def detail(self) -> dict[str, Any]: ...


def marks_from_events(events: Iterable[EventLike]) -> list[Mark]:
    """The checklist marks among a patient's events."""
    return [
        Mark(e.key, e.status, e.at, e.recorded_at, e.charted_by, str(e.detail.get("reason") or ""))
        for e in events
        if e.kind == "checklist" and e.status in STATUSES
    ]


def marks_from_doses(protocol: Protocol, doses: Iterable[Observation]) -> list[Mark]:
    """A dose charted any way (the entry form, an import) answers the actions that give that
    drug: the checklist and the chart never disagree. It counts from its observed time."""
    by_drug: dict[str, list[str]] = {}
    for action in protocol.actions:
        if action.drug:
            by_drug.setdefault(action.drug, []).append(action.key)
    return [
        Mark(key, DONE, dose.time, dose.time, dose.charted_by, "")
        for dose in doses
        for key in by_drug.get(dose.item, ())
    ]


def acknowledged_at(events: Iterable[EventLike]) -> dict[str, float]:
    """When each system's alert was last acknowledged."""
    acked: dict[str, float] = {}
    for e in events:
        if e.kind == "alert_ack":
            acked[e.key] = max(acked.get(e.key, e.recorded_at), e.recorded_at)
    return acked


def acknowledged_grades(events: Iterable[EventLike]) -> dict[str, int]:
    """The grade each system's last acknowledged alert showed."""
    last: dict[str, tuple[float, int]] = {}
    for e in events:
        grade = e.detail.get("grade")
        if e.kind == "alert_ack" and isinstance(grade, int):
            if e.key not in last or e.recorded_at >= last[e.key][0]:
                last[e.key] = (e.recorded_at, grade)
    return {system: grade for system, (_at, grade) in last.items()}


def due_since(grader: Grader, system: str, grades: Sequence[int]) -> float | None:
    """When the system's grade last entered `grades` (None: not in them now).

    Walks back one grade change at a time (each a bisect), never over the whole chart.
    """
    grade_set = grader.latest()  # worded already (the walk words the latest time)
    if grade_set is None:
        return None
    current = grade_set.systems[system]
    if current.grade not in grades or current.since is None:
        return None
    start = current.since
    earlier = grader.before(start, worded=False)
    while earlier is not None:
        previous = earlier.systems[system]
        if previous.grade not in grades or previous.since is None:
            break
        start = previous.since
        earlier = grader.before(start, worded=False)
    return start


def checklist(
    protocol: Protocol,
    grader: Grader,
    marks: Iterable[Mark],
    acknowledged_at: Mapping[str, float],
    acknowledged_grades: Mapping[str, int] | None = None,
) -> list[ChecklistItem]:
    """The actions due at the current CRS and ICANS grades, each with its answer."""
    latest = grader.latest()
    if latest is None:
        return []
    by_key: dict[str, list[Mark]] = {}
    for given in marks:
        by_key.setdefault(given.key, []).append(given)
    items = []
    for system in ("astct_crs", "astct_icans"):
        grade = latest.systems[system].grade
        for action in protocol.actions_for(system, grade):
            since = due_since(grader, system, action.grades)
            if since is None or grade is None:
                continue
            # A mark recorded after the action became due answers it, whatever
            # time the nurse gave for doing it (a dose given just before the grade rose).
            answers = [m for m in by_key.get(action.key, ()) if m.recorded_at >= since]
            mark: Mark | None = max(answers, key=lambda m: m.recorded_at) if answers else None
            # Seen: due before the last acknowledgement and called for by the grade it
            # acknowledged. `since` is an observed time and the acknowledgement a recorded
            # one: a rise charted late (observed before the acknowledgement) is still new.
            acked_grade = (acknowledged_grades or {}).get(system)
            seen = since <= acknowledged_at.get(system, float("-inf")) and (
                acked_grade is None or acked_grade in action.grades
            )
            new = mark is None and not seen
            items.append(ChecklistItem(action, grade, since, mark, new))
    return items


def outstanding_titles(items: Iterable[ChecklistItem]) -> list[str]:
    """The unanswered actions, as the handover lists them."""
    return [item.action.title for item in items if item.outstanding]


def timer_words(state: TimerState, now: float, tz: tzinfo | None) -> str:
    """'Vital signs OVERDUE since 13:00 (every 1 h: CRS grade ≥ 2)', as a nurse reads it."""
    interval = f"every {state.every_h:g} h" + (f": {state.why}" if state.why else "")
    if state.due_at is None:
        never = ", ".join(i.replace("_", " ") for i in state.missing)
        return f"{state.title} DUE NOW, never charted ({never}) ({interval})"
    when = clock(state.due_at, tz, now)
    if state.overdue:
        lagging = ""
        if state.missing and state.last_done is not None:
            names = ", ".join(i.replace("_", " ") for i in state.missing)
            lagging = f"; {names} last charted {clock(state.last_done, tz, now)}"
        return f"{state.title} OVERDUE since {when} ({interval}{lagging})"
    return f"{state.title} due {when} ({interval})"
