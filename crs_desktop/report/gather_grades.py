"""The grades for the handover (no Qt): each system's grade at the end of the period,
its maxima this shift and since the infusion, its reasons and flags.
"""

from __future__ import annotations

import bisect

from crs_desktop.app.grade_checkpoint import Runs
from crs_desktop.domain import thresholds as clinical
from crs_desktop.domain.grading import SYSTEM_TITLES, Grader, GradeSet
from crs_desktop.report.handover_records import GradeSummary

GRADED_SYSTEMS = ("astct_crs", "astct_icans", "news2")


def news2_band(score: int | None, red_parameters: tuple[str, ...]) -> str:
    """The NEWS2 risk band in words; the bands are domain's (REFERENCE.md §7.2)."""
    band = clinical.news2_band(score, red_parameters)
    return "" if band is None else clinical.NEWS2_BANDS[band]


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


def _higher(a: int | None, b: int | None) -> int | None:
    return a if b is None or (a is not None and a >= b) else b


def grade_summaries(
    grader: Grader,
    start: float,
    upto: float,
    infusion: float | None,
    runs_before: Runs | None = None,
) -> tuple[tuple[GradeSummary, ...], float | None, str]:
    """`runs_before`: the grade history before the checkpoint a resumed grader started
    from (app/grade_checkpoint.py); the maxima read it as they read the timeline."""
    now_set = grader.at(upto)
    timeline = grader.walked() if runs_before is not None else grader.timeline()
    times = [g.time for g in timeline]
    scope = "since infusion" if infusion is not None else "on this chart"
    summaries = []
    for system in GRADED_SYSTEMS:
        current = now_set.systems[system] if now_set else None
        shift = _max_grade(timeline, times, system, start, upto, include_in_force=True)
        if infusion is not None:
            overall = _max_grade(timeline, times, system, infusion, upto, include_in_force=False)
        else:
            overall = current.max if current else None
        if runs_before is not None:
            before = runs_before[system]  # all of it before every time of `timeline`
            shift = _higher(shift, before.highest_in(start, upto))
            if not times or times[0] >= start:  # the grade in force at the start is before
                shift = _higher(shift, before.grade_before(start))
            if infusion is not None:
                overall = _higher(overall, before.highest_in(infusion, upto))
        summaries.append(
            GradeSummary(
                system=system,
                title=SYSTEM_TITLES[system],
                grade=current.grade if current else None,
                since=current.since if current else None,
                max_shift=shift,
                max_overall=overall,
                reasons=current.reasons if current else (),
                flags=current.flags if current else (),
                band=news2_band(current.grade, current.red_parameters)
                if current and system == "news2"
                else "",
            )
        )
    return tuple(summaries), (now_set.time if now_set else None), scope
