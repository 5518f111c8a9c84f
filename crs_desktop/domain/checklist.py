"""What the protocol says to do now, what was done, and what is left (pure Python).

An action is due while its system's level (the CRS or ICANS grade, or the NEWS2 trigger
level: domain/escalation.py) is one of the action's grades; it became due when the level
last entered those grades (so a rise from 2 to 3 keeps grade 2-4 actions answered, and
brings grade 3 actions up new). A mark (done, not done with a reason, not applicable)
recorded after it became due answers it.

A drug's action is answered by the drug given, whatever the grade does afterwards
(REFERENCE.md §1.3a item 9): by its last dose while that dose is within the action's
repeat interval (Protocol.repeat_h); where the reference gives no interval, by a dose given
since the system's level last rose from 0 (the episode it was given in). Its pre-checks
(`precheck_for`) count as done with it. Once the interval has passed and the grade still
calls for it, it is outstanding again.

An unanswered action is new (highlighted until seen) when a rise brought it up after the
last acknowledgement of its system, or the acknowledgement did not show a level calling
for it. An action brought up by a fall is never new.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import tzinfo
from typing import Any
from typing import Protocol as Shape

from crs_desktop.domain.escalation import ALERT_SYSTEMS, Acknowledgement, level_at
from crs_desktop.domain.grading import Grader
from crs_desktop.domain.grading.wording import clock
from crs_desktop.domain.observation import Observation
from crs_desktop.domain.protocol import Action, Protocol
from crs_desktop.domain.reassessment import TimerState
from crs_desktop.domain.vocabulary import ITEMS

DONE, NOT_DONE, NOT_APPLICABLE = "done", "not_done", "not_applicable"
STATUSES = (DONE, NOT_DONE, NOT_APPLICABLE)
STATUS_WORDS = {DONE: "Done", NOT_DONE: "Not done", NOT_APPLICABLE: "Not applicable"}
HOUR_S = 3600.0
ANY_LEVEL = (1, 2, 3, 4)


@dataclass(frozen=True, slots=True)
class Mark:
    """A nurse's answer to a checklist action, as charted."""

    key: str
    status: str  # done, not_done, not_applicable
    at: float  # when it was done (or decided)
    recorded_at: float
    by: str
    reason: str = ""
    until: float | None = None  # a dose: counts as done until then (its repeat interval)


@dataclass(frozen=True, slots=True)
class ChecklistItem:
    """One due action, with the mark that answers it (if any)."""

    action: Action
    grade: int  # the system's level now
    due_since: float
    mark: Mark | None
    new: bool
    outstanding_since: float | None = None  # unanswered: since when (None: due_since)

    @property
    def outstanding(self) -> bool:
        return self.mark is None

    @property
    def waiting_since(self) -> float:
        """Since when it has been outstanding (a dose's interval ended, or it became due)."""
        return self.due_since if self.outstanding_since is None else self.outstanding_since


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


def due_since(grader: Grader, system: str, grades: Sequence[int]) -> float | None:
    """When the system's level last entered `grades` (None: not in them now).

    Walks back one grade change at a time (each a bisect), never over the whole chart.
    """
    latest = grader.latest()  # worded already (the walk words the latest time)
    if latest is None or system not in latest.systems:
        return None
    current = latest.systems[system]
    if level_at(grader, system, latest) not in grades or current.since is None:
        return None
    start = current.since
    earlier = grader.before(start, worded=False)
    while earlier is not None:
        previous = earlier.systems[system]
        if level_at(grader, system, earlier) not in grades or previous.since is None:
            break
        start = previous.since
        earlier = grader.before(start, worded=False)
    return start


def _brought_by_a_rise(grader: Grader, system: str, since: float) -> bool:
    """Whether the level rose at `since` (an action due from then came with a rise)."""
    at, before = grader.at(since, worded=False), grader.before(since, worded=False)
    if at is None:
        return False
    return before is None or level_at(grader, system, at) > level_at(grader, system, before)


def _dose_mark(
    action: Action,
    doses: Sequence[Observation],
    repeat_h: float | None,
    episode: float | None,
    now: float,
) -> tuple[Mark | None, float | None]:
    """(the dose answering a drug's action, when the last dose stopped counting), §1.3a item 9."""
    given = [d for d in doses if d.item == action.drug and d.time <= now]
    if not given:
        return None, None
    last = max(given, key=lambda d: d.time)
    if repeat_h is not None:
        until = last.time + repeat_h * HOUR_S
        if now < until:
            return Mark(action.key, DONE, last.time, last.time, last.charted_by, "", until), None
        return None, until
    if episode is not None and last.time >= episode:  # no interval: done for the episode
        return Mark(action.key, DONE, last.time, last.time, last.charted_by), None
    return None, None


def checklist(
    protocol: Protocol,
    grader: Grader,
    marks: Iterable[Mark],
    acked: Mapping[str, Acknowledgement],
    doses: Sequence[Observation] = (),
    now: float | None = None,
) -> list[ChecklistItem]:
    """The actions due at the current CRS and ICANS grades and NEWS2 level, each with its
    answer. `doses`: every drug given (a dose charted any way answers its actions: the
    checklist and the chart never disagree); `now`: the clock (default: the latest value)."""
    latest = grader.latest()
    if latest is None:
        return []
    now = latest.time if now is None else now
    by_key: dict[str, list[Mark]] = {}
    for given in marks:
        by_key.setdefault(given.key, []).append(given)
    by_drug_action: dict[str, tuple[Mark | None, float | None]] = {}
    items = []
    for system in ALERT_SYSTEMS:
        if system not in latest.systems:
            continue
        grade = level_at(grader, system, latest)
        episode: float | None = None
        for action in protocol.actions_for(system, grade):
            since = due_since(grader, system, action.grades)
            if since is None:
                continue
            # A mark recorded after the action became due answers it, whatever time the
            # nurse gave for doing it. A drug's "done" is its dose, read from the chart.
            answers = [
                m
                for m in by_key.get(action.key, ())
                if m.recorded_at >= since and not (action.drug and m.status == DONE)
            ]
            ended: float | None = None
            linked = protocol.action(action.precheck_for) if action.precheck_for else None
            drug_action = action if action.drug else linked
            if drug_action is not None and drug_action.drug:
                if drug_action.key not in by_drug_action:
                    repeat_h = protocol.repeat_h(drug_action)
                    if repeat_h is None and episode is None:
                        episode = due_since(grader, system, ANY_LEVEL)
                    by_drug_action[drug_action.key] = _dose_mark(
                        drug_action, doses, repeat_h, episode, now
                    )
                dose, ended = by_drug_action[drug_action.key]
                if dose is not None and linked is None:
                    # The "done" charted with this very dose says why it went past a limit.
                    said = [
                        m
                        for m in by_key.get(action.key, ())
                        if m.status == DONE and m.at == dose.at and m.reason
                    ]
                    if said:
                        dose = replace(dose, reason=said[-1].reason)
                if dose is not None:
                    if linked is not None:  # a pre-check: done with the drug
                        label = ITEMS[drug_action.drug].label
                        dose = replace(dose, key=action.key, reason=f"{label} given")
                    answers.append(dose)
            mark: Mark | None = max(answers, key=lambda m: m.recorded_at) if answers else None
            # Seen: due before the last acknowledgement and called for by a level it showed.
            # `since` is an observed time and the acknowledgement a recorded one: a rise
            # charted late (observed before the acknowledgement) is still new.
            ack = acked.get(system)
            seen = (
                ack is not None
                and since <= ack.at
                and (ack.peak in action.grades or ack.now in action.grades)
            )
            new = mark is None and not seen and _brought_by_a_rise(grader, system, since)
            waiting = max(since, ended) if ended is not None and mark is None else None
            items.append(ChecklistItem(action, grade, since, mark, new, waiting))
    return items


def outstanding_titles(items: Iterable[ChecklistItem]) -> list[str]:
    """The unanswered actions, as the handover lists them."""
    return [item.action.title for item in items if item.outstanding]


def timer_words(state: TimerState, now: float, tz: tzinfo | None) -> str:
    """'Vital signs OVERDUE since 13:00 (every 1 h: CRS grade ≥ 2)', as a nurse reads it."""
    interval = f"every {state.every_h:g} h" + (f": {state.why}" if state.why else "")
    title = state.title
    if state.continuous:  # REFERENCE.md §7.2: NEWS2 7 or more; §1.3a item 7
        title = f"{title}: continuous monitoring ({state.continuous}); next set"
    if state.due_at is None:
        never = ", ".join(i.replace("_", " ") for i in state.missing)
        return f"{title} DUE NOW, never charted ({never}) ({interval})"
    when = clock(state.due_at, tz, now)
    if state.overdue:
        lagging = ""
        if state.missing and state.last_done is not None:
            names = ", ".join(i.replace("_", " ") for i in state.missing)
            lagging = f"; {names} last charted {clock(state.last_done, tz, now)}"
        return f"{title} OVERDUE since {when} ({interval}{lagging})"
    return f"{title} due {when} ({interval})"
