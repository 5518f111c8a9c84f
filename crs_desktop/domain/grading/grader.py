"""The grading timeline: every system's grade at every charted time, kept up to date.

Observations are folded into a ChartState in time order and every system is
graded at each distinct time. A value at the end costs one step; a
back-dated value restarts from the nearest snapshot of the state before it,
never from the start of the chart.
"""

from __future__ import annotations

import bisect
import functools
import gc
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from typing import Any, NamedTuple, ParamSpec, TypeVar

from crs_desktop.domain.grading import astct_crs, astct_icans, ctcae, lee2014, news2
from crs_desktop.domain.grading.chart_state import ChartState
from crs_desktop.domain.grading.settings import GradingSettings
from crs_desktop.domain.grading.verdict import Verdict
from crs_desktop.domain.observation import Observation

SYSTEMS = ("astct_crs", "astct_icans", "lee2014_crs", "ctcae_crs", "news2")
SYSTEM_TITLES = {
    "astct_crs": "CRS (ASTCT 2019)",
    "astct_icans": "ICANS (ASTCT 2019)",
    "lee2014_crs": "CRS (Lee 2014)",
    "ctcae_crs": "CRS (CTCAE v5.0)",
    "news2": "NEWS2",
}
SNAPSHOT_EVERY = 128
P = ParamSpec("P")
R = TypeVar("R")


# NamedTuples, not frozen dataclasses: as immutable (one object is shared by every
# moment its answer holds), and built in half the time, tens of thousands per chart.
class SystemGrade(NamedTuple):
    """One system at one moment: the grade now, the highest so far, why, and what to review."""

    grade: int | None
    max: int | None
    reasons: tuple[str, ...]
    flags: tuple[str, ...]
    since: float | None  # when the current grade began


class GradeSet(NamedTuple):
    """Every system's grade at one charted time."""

    time: float
    utc_offset_min: int
    systems: dict[str, SystemGrade]

    def iso_time(self) -> str:
        tz = UTC if not self.utc_offset_min else timezone(timedelta(minutes=self.utc_offset_min))
        return datetime.fromtimestamp(self.time, tz).isoformat()

    def to_json_dict(self, systems: Iterable[str] = SYSTEMS) -> dict[str, Any]:
        """The shape of ../shared/spec/grade-json.md."""
        out: dict[str, Any] = {"time": self.iso_time()}
        for name in systems:
            g = self.systems[name]
            out[name] = {
                "grade": g.grade,
                "max": g.max,
                "reasons": list(g.reasons),
                "flags": list(g.flags),
            }
        return out


def _icans(state: ChartState, at: float, settings: GradingSettings, tz: tzinfo | None) -> Verdict:
    return astct_icans.grade(state, at, tz)  # ICANS has no settings


GRADE_FUNCTIONS = {
    "astct_crs": astct_crs.grade,
    "astct_icans": _icans,
    "lee2014_crs": lee2014.grade,
    "ctcae_crs": ctcae.grade,
    "news2": news2.grade,
}


@contextmanager
def collector_paused() -> Iterator[None]:
    """Python's cycle collector off while a chart is graded: the walk builds tens of
    thousands of grade objects (no cycles among them) and the collector walking them
    again and again costs a sixth of the time. Back on, as it was, afterwards."""
    was_on = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_on:
            gc.enable()


def with_collector_paused(function: Callable[P, R]) -> Callable[P, R]:
    """`function` runs with the cycle collector off, and its locals (a grader and the
    chart in it) are let go before the collector comes back on, so it never walks them."""

    @functools.wraps(function)
    def paused(*args: P.args, **kwargs: P.kwargs) -> R:
        with collector_paused():
            return function(*args, **kwargs)

    return paused


def _charting_order(obs: Observation) -> tuple[bool, int]:
    """Row-id order; values without an id keep their arrival order after those with one."""
    return (obs.id is None, obs.id or 0)


class Grader:
    """Grades a chart at every distinct time; add() and remove() keep it current."""

    def __init__(
        self,
        settings: GradingSettings | None = None,
        local_tz: tzinfo | None = None,
        systems: Iterable[str] = SYSTEMS,
    ):
        """`systems`: grade only these (GradeSet.systems holds only them); the handover
        grades what it prints. ASTCT CRS is always graded, first: the checklist, the
        reassessment timers and the banner all read it."""
        unknown = sorted(set(systems) - set(SYSTEMS))
        if unknown:
            raise ValueError(f"unknown grading system(s): {', '.join(unknown)}")
        self.systems = ("astct_crs", *(s for s in SYSTEMS if s in systems and s != "astct_crs"))
        self.settings = settings or GradingSettings()
        self.tz = local_tz
        self._times: list[float] = []
        self._at_time: dict[float, list[Observation]] = {}
        self._time_of_id: dict[int, float] = {}
        self._results: list[GradeSet] = []
        self._snapshots: dict[int, ChartState] = {}
        self._state = ChartState()

    def __len__(self) -> int:
        return len(self._times)

    def add(self, observations: Iterable[Observation]) -> float | None:
        """Add observations; returns the earliest time re-graded (None if nothing added)."""
        with collector_paused():
            return self._add(observations)

    def _add(self, observations: Iterable[Observation]) -> float | None:
        earliest: float | None = None
        at_time, times, time_of_id = self._at_time, self._times, self._time_of_id
        for obs in observations:
            moment = obs.time
            bucket = at_time.get(moment)
            if bucket is None:
                at_time[moment] = [obs]
                if not times or moment > times[-1]:
                    times.append(moment)
                else:
                    bisect.insort(times, moment)
            else:
                bucket.append(obs)
                previous = bucket[-2].id
                if obs.id is not None and (previous is None or previous > obs.id):
                    # Rows of one time are one assessment (chart-csv.md); they fold
                    # in the order they were charted (row id), however they arrive,
                    # so a later correction of the same item wins every time.
                    bucket.sort(key=_charting_order)
            if obs.id is not None:
                time_of_id[obs.id] = moment
            if earliest is None or moment < earliest:
                earliest = moment
        if earliest is not None:
            self._regrade_from(earliest)
        return earliest

    def remove(self, ids: Iterable[int]) -> float | None:
        """Take rows out (entered in error); re-grade from the earliest of them."""
        earliest: float | None = None
        for row_id in ids:
            at = self._time_of_id.pop(row_id, None)
            if at is None:
                continue
            bucket = [o for o in self._at_time[at] if o.id != row_id]
            if bucket:
                self._at_time[at] = bucket
            else:
                del self._at_time[at]
                self._times.remove(at)
            earliest = at if earliest is None else min(earliest, at)
        if earliest is not None:
            self._regrade_from(earliest)
        return earliest

    def at(self, moment: float) -> GradeSet | None:
        """The grades at a moment: those of the latest charted time at or before it."""
        index = bisect.bisect_right(self._times, moment) - 1
        return self._results[index] if index >= 0 else None

    def before(self, moment: float) -> GradeSet | None:
        """The grades at the last charted time strictly before a moment."""
        index = bisect.bisect_left(self._times, moment) - 1
        return self._results[index] if index >= 0 else None

    def latest(self) -> GradeSet | None:
        return self._results[-1] if self._results else None

    def timeline(self) -> list[GradeSet]:
        return list(self._results)

    # -- the walk --------------------------------------------------------------

    def _regrade_from(self, moment: float) -> None:
        start = bisect.bisect_left(self._times, moment)
        if start < len(self._results):
            # Back-dated: restart from the last snapshot at or before it. Times
            # before `start` are unchanged, so that snapshot is still right.
            base = (start // SNAPSHOT_EVERY) * SNAPSHOT_EVERY
            self._state = self._snapshots[base].snapshot() if base else ChartState()
            for key in [k for k in self._snapshots if k > base]:
                del self._snapshots[key]
            del self._results[base:]
        self._walk(len(self._results))

    def _walk(self, start: int) -> None:
        state = self._state
        settings, tz = self.settings, self.tz
        times, at_time, snapshots = self._times, self._at_time, self._snapshots
        results = self._results
        append = results.append
        apply = state.apply
        graders = [(name, GRADE_FUNCTIONS[name], name == "astct_crs") for name in self.systems]
        # The answers of a moment ago: they carry each system's running maximum and
        # when its current grade began. An answer that has not changed keeps its
        # SystemGrade object: fewer objects to build and for the collector to walk.
        last: dict[str, SystemGrade] = results[-1].systems if results else {}
        for index in range(start, len(times)):
            if index % SNAPSHOT_EVERY == 0 and index:
                snapshots[index] = state.snapshot()
            at = times[index]
            bucket = at_time[at]
            apply(bucket)
            systems: dict[str, SystemGrade] = {}
            for name, grade_at, is_crs in graders:
                grade, reasons, flags = grade_at(state, at, settings, tz)
                if is_crs and grade and state.crs_onset is None:
                    # CRS has begun: drugs from now on waive the fever need (REFERENCE.md §1.2).
                    state.open_crs_episode(at)
                before = last.get(name)
                if before is None:
                    systems[name] = SystemGrade(grade, grade, reasons, flags, at)
                elif before.grade != grade:
                    best = before.max
                    if grade is not None and (best is None or grade > best):
                        best = grade
                    systems[name] = SystemGrade(grade, best, reasons, flags, at)
                elif before.reasons == reasons and before.flags == flags:
                    systems[name] = before
                else:
                    systems[name] = SystemGrade(grade, before.max, reasons, flags, before.since)
            append(GradeSet(at, bucket[0].utc_offset_min, systems))
            last = systems
