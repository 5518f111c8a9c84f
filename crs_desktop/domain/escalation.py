"""Escalations a nurse must acknowledge: a CRS or ICANS grade rising, a NEWS2 trigger reached
(pure Python).

Each alerting system has a level: the ASTCT CRS and ICANS grades themselves, and for NEWS2
its trigger band (REFERENCE.md §7.2; §1.3a item 7): 1 a single parameter scoring 3, 2 a
total of 5 or more, 3 a total of 7 or more. A rise of the level raises an alert that stays
until a nurse acknowledges it, even if the level falls first; it names the peak and the
level now, and the acknowledgement records the peak (§1.3a item 8). A fall alone raises
nothing.

This module is the one definition of "acknowledged": the banner, the checklist's NEW
items and the handover all read it.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import tzinfo
from typing import Any
from typing import Protocol as Shape

from crs_desktop.domain import thresholds
from crs_desktop.domain.grading import SYSTEM_TITLES, Grader, GradeSet
from crs_desktop.domain.grading.wording import clock

ALERT_SYSTEMS = ("astct_crs", "astct_icans", "news2")

# REFERENCE.md §7.2 trigger thresholds (Chart 4; their numbers in domain/thresholds.py),
# as levels of escalation.
NEWS2_SINGLE_3, NEWS2_URGENT, NEWS2_EMERGENCY = 1, 2, 3
NEWS2_LEVEL_WORDS = {
    NEWS2_SINGLE_3: "a single parameter scoring 3",
    NEWS2_URGENT: "5 or more (urgent response threshold)",
    NEWS2_EMERGENCY: "7 or more (emergency response threshold)",
}


class EventLike(Shape):
    """What is read of a charted event (the store's Event fits)."""

    @property
    def kind(self) -> str: ...
    @property
    def key(self) -> str: ...
    @property
    def recorded_at(self) -> float: ...
    @property
    def detail(self) -> dict[str, Any]: ...


def news2_band(total: int | None) -> int:
    """The trigger level a NEWS2 total alone reaches (§7.2)."""
    if total is None:
        return 0
    if total >= thresholds.NEWS2_EMERGENCY:
        return NEWS2_EMERGENCY
    if total >= thresholds.NEWS2_URGENT:
        return NEWS2_URGENT
    return 0


def level(system: str, grades: GradeSet) -> int:
    """The system's level of escalation at this moment (0: none).

    NEWS2's single parameter scoring 3 is read from the worded moment: pass a worded
    GradeSet (Grader.at or Grader.latest) where the total alone does not decide it.
    """
    grade = grades.systems[system]
    if system != "news2":
        return grade.grade or 0
    band = news2_band(grade.grade)
    if band:
        return band
    if grade.worded_reasons is not None and grade.red_parameters:
        return NEWS2_SINGLE_3  # §7.2: "3 in any single parameter"
    return 0


def _may_score_single_3(grades: GradeSet) -> bool:
    """Whether an unworded NEWS2 moment could hold a single 3: its total is at least 3
    (one parameter alone adds 3) and below the urgent band. An unscored moment is not
    worded for this (a chart without ACVPU has thousands): its single 3 counts while it
    is the latest moment, which is always worded."""
    total = grades.systems["news2"].grade
    return (
        total is not None
        and thresholds.NEWS2_SINGLE_PARAMETER_RED <= total < thresholds.NEWS2_URGENT
    )


def level_at(grader: Grader, system: str, moment: GradeSet, words: bool = True) -> int:
    """level() of a moment of the grader's timeline, worded first where needed (and
    `words` allows: wording a past moment re-grades it)."""
    if words and system == "news2" and moment.systems["news2"].worded_reasons is None:
        if _may_score_single_3(moment):
            worded = grader.at(moment.time)
            if worded is not None:
                return level(system, worded)
    return level(system, moment)


@dataclass(frozen=True, slots=True)
class Acknowledgement:
    """The last time a nurse acknowledged a system's alert, and what it acknowledged."""

    system: str
    peak: int  # the level acknowledged (the peak the alert named)
    now: int  # the level it showed as current
    at: float  # recorded time


def acknowledgements(events: Iterable[EventLike]) -> dict[str, Acknowledgement]:
    """The latest acknowledgement of each system."""
    last: dict[str, Acknowledgement] = {}
    for e in events:
        if e.kind != "alert_ack":
            continue
        peak = e.detail.get("grade")
        if not isinstance(peak, int):
            continue
        now = e.detail.get("now")
        ack = Acknowledgement(e.key, peak, now if isinstance(now, int) else peak, e.recorded_at)
        if e.key not in last or ack.at >= last[e.key].at:
            last[e.key] = ack
    return last


@dataclass(frozen=True, slots=True)
class Alert:
    """A rise not yet acknowledged: from what, when, its peak, and the level now."""

    system: str
    before: int  # the level before the rise
    rose_at: float  # observed time of the first unacknowledged rise
    peak: int
    peak_at: float  # when the peak was first reached
    now: int
    score: int | None = None  # NEWS2: the total now


# A back-dated value re-grades the moments from its time on (from the grader's snapshot
# before it, every 128 moments): the scan goes on from the last of its marks still on the
# timeline, kept every this many moments, so it walks only from about the value's time,
# not the whole chart again (30 days: 43,200 moments, 1,350 marks a system).
SCAN_MARK_EVERY = 32


@dataclass(frozen=True, slots=True)
class _Mark:
    """Where a system's scan stood after a moment, and what it had found."""

    index: int  # the last moment scanned
    moment: GradeSet | None  # that moment's object: another one there means it was re-graded
    previous: int  # its level
    rise: tuple[int, float] | None
    peak: int
    peak_at: float


@dataclass(slots=True)
class _Scan:
    """A system's scan kept between calls (see pending_alerts): the acknowledgement it
    started from, its marks at intervals and where it stopped; `visited` counts the
    moments the last call walked."""

    ack: Acknowledgement | None
    marks: list[_Mark]
    end: _Mark
    visited: int = 0


def pending_alerts(
    grader: Grader,
    acked: Mapping[str, Acknowledgement],
    systems: Iterable[str] = ALERT_SYSTEMS,
    memo: dict[str, _Scan] | None = None,
) -> list[Alert]:
    """Each system whose level rose after its last acknowledgement (§1.3a items 7, 8).

    A rise charted late (observed before the acknowledgement, charted after) is found too:
    the level then, as the chart now has it, is compared with what the nurse saw.
    `memo` (a dict kept by the caller for one grader) lets the next call go on from where
    the chart is as it was: after a new value only the moments added are walked, after a
    back-dated one only those from (about) its time; a month's chart never acknowledged
    is not walked again for every new value.
    """
    latest = grader.latest()
    if latest is None:
        return []
    timeline = grader.timeline()
    alerts = []
    for system in systems:
        if system not in latest.systems:
            continue
        ack = acked.get(system)
        scan = _resume(memo, system, ack, timeline)
        mark = scan.end
        index, previous, rise = mark.index, mark.previous, mark.rise
        peak, peak_at, moment = mark.peak, mark.peak_at, mark.moment
        for index in range(mark.index + 1, len(timeline)):
            moment = timeline[index]
            # A single 3 only matters while no rise is found and nothing was above 0.
            words = rise is None and previous == 0
            now = level_at(grader, system, moment, words=words)
            # When the level began (NEWS2's `since` is its total's, not its level's).
            began = moment.time if system == "news2" else moment.systems[system].since
            if rise is None and now > previous:
                rise = (previous, began or moment.time)
                peak, peak_at = now, began or moment.time
            elif rise is not None and now >= peak and now > previous:
                # The peak reached (again): its time is the last time it was reached.
                peak, peak_at = now, began or moment.time
            previous = now
            if index % SCAN_MARK_EVERY == 0:
                scan.marks.append(_Mark(index, moment, previous, rise, peak, peak_at))
        scan.visited = len(timeline) - 1 - mark.index
        scan.end = _Mark(index, moment, previous, rise, peak, peak_at)
        if memo is not None:
            memo[system] = scan
        if rise is not None:
            score = latest.systems[system].grade if system == "news2" else None
            before, rose_at = rise
            alerts.append(Alert(system, before, rose_at, peak, peak_at, previous, score))
    return alerts


def _resume(
    memo: dict[str, _Scan] | None,
    system: str,
    ack: Acknowledgement | None,
    timeline: list[GradeSet],
) -> _Scan:
    """The scan to go on from: the latest of its marks whose moment is still on the
    timeline as it was (the grader re-grades only from a value's time on, so the moments
    before a mark that stands are unchanged too); else a new scan from the start, or from
    the moment the acknowledgement saw, as the chart now has it."""
    scan = memo.get(system) if memo is not None else None
    if scan is not None and scan.ack == ack:
        while scan.marks and not _stands(scan.marks[-1], timeline):
            scan.marks.pop()
        if _stands(scan.end, timeline):
            return scan
        if scan.marks:
            scan.end = scan.marks[-1]
            return scan
    start = 0
    if ack is not None:
        start = bisect.bisect_right(timeline, ack.at, key=lambda g: g.time)
        start = max(start - 1, 0)  # the moment the acknowledgement saw, as it is now
    previous = ack.now if ack is not None else 0
    return _Scan(ack, [], _Mark(start - 1, None, previous, None, 0, 0.0))


def _stands(mark: _Mark, timeline: list[GradeSet]) -> bool:
    """Whether the moment a mark was taken after is still on the timeline, not re-graded."""
    return 0 <= mark.index < len(timeline) and timeline[mark.index] is mark.moment


# -- words a nurse reads -------------------------------------------------------------------


def _title(system: str) -> str:
    return SYSTEM_TITLES.get(system, system)


def _level_words(system: str, value: int) -> str:
    if system == "news2":
        return NEWS2_LEVEL_WORDS.get(value, "below its triggers")
    return f"grade {value}"


def alert_words(alert: Alert, tz: tzinfo | None, now: float) -> str:
    """'CRS (ASTCT 2019) rose to grade 2 at 01:53, now grade 1', as the banner says it."""
    title, system = _title(alert.system), alert.system
    when = clock(alert.peak_at, tz, now)
    if system == "news2":
        score = "not scored" if alert.score is None else str(alert.score)
        if alert.now >= alert.peak:
            return f"NEWS2 {score}: {NEWS2_LEVEL_WORDS[alert.peak]} since {when}"
        return f"NEWS2 reached {NEWS2_LEVEL_WORDS[alert.peak]} at {when}, now {score}"
    if alert.now >= alert.peak:
        was = f" (was {alert.before})" if alert.before else ""
        return f"{title} is now GRADE {alert.peak}{was} since {when}"
    return f"{title} rose to GRADE {alert.peak} at {when}, now grade {alert.now}"


def acknowledgement_detail(alert: Alert) -> dict[str, Any]:
    """What an acknowledgement charts: the peak it acknowledges, what was before, the level
    now, and the words the handover prints."""
    return {
        "system": alert.system,
        "grade": alert.peak,
        "from": alert.before,
        "now": alert.now,
        "peak_at": alert.peak_at,
        "text": acknowledgement_words(alert.system, alert.peak, alert.before, alert.now),
    }


def acknowledgement_words(system: str, peak: int, before: int | None, now: int | None) -> str:
    """'CRS (ASTCT 2019) grade 2 acknowledged (was 0); now grade 1'."""
    if system == "news2":
        reached = NEWS2_LEVEL_WORDS.get(peak, f"level {peak}").removeprefix("a ")
        words = f"NEWS2 {reached} acknowledged"
        if now is not None and now < peak:
            words += f"; now {_level_words(system, now)}"
        return words
    words = f"{_title(system)} grade {peak} acknowledged"
    if before is not None:
        words += f" (was {before})"
    if now is not None and now < peak:
        words += f"; now grade {now}"
    return words


def acknowledgement_text(detail: Mapping[str, Any], system: str) -> str:
    """An acknowledgement event in a nurse's words, from what it charted (events charted
    before these words existed said 'astct_crs grade 2 acknowledged')."""
    peak = detail.get("grade")
    if isinstance(peak, int) and system in ALERT_SYSTEMS:
        before, now = detail.get("from"), detail.get("now")
        return acknowledgement_words(
            system,
            peak,
            before if isinstance(before, int) else None,
            now if isinstance(now, int) else None,
        )
    return str(detail.get("text") or f"{_title(system)} acknowledged")
