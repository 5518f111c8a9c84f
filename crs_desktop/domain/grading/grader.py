"""The grading timeline: every system's grade at every charted time, kept up to date.

Observations are folded into a ChartState in time order and every system is
graded at each distinct time. A value at the end costs one step; a
back-dated value restarts from the nearest snapshot of the state before it,
never from the start of the chart.

Reasons and flags are put into words only where they are read: at the latest
time (the window's panel, the checklist), at a moment asked for with at() (the
handover), or at every time when the grader is made with word_every_time=True
(`crs-desktop grade`). A long chart has tens of thousands of times and wording
each would be over a third of the grading. A moment worded later is re-graded
from the snapshot before it, and its grade must come out as the walk's.
"""

from __future__ import annotations

import bisect
from array import array
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from typing import TYPE_CHECKING, Any, NamedTuple

from crs_desktop.domain.collector import collector_paused
from crs_desktop.domain.grading import astct_crs, astct_icans, ctcae, lee2014, news2
from crs_desktop.domain.grading.chart_state import ChartState
from crs_desktop.domain.grading.settings import GradingSettings
from crs_desktop.domain.grading.verdict import Verdict
from crs_desktop.domain.observation import Observation

if TYPE_CHECKING:
    from crs_desktop.domain.grading.grade_history import GradeHistory

SYSTEMS = ("astct_crs", "astct_icans", "lee2014_crs", "ctcae_crs", "news2")
SYSTEM_TITLES = {
    "astct_crs": "CRS (ASTCT 2019)",
    "astct_icans": "ICANS (ASTCT 2019)",
    "lee2014_crs": "CRS (Lee 2014)",
    "ctcae_crs": "CRS (CTCAE v5.0)",
    "news2": "NEWS2",
}
SNAPSHOT_EVERY = 128


# NamedTuples, not frozen dataclasses: as immutable (one object is shared by every
# moment its answer holds), and built in half the time, tens of thousands per chart.
class SystemGrade(NamedTuple):
    """One system at one moment: the grade now, the highest so far, why, and what to review.

    `worded_reasons` and `worded_flags` are None where the moment was not put into
    words (see the module docstring); `reasons` and `flags` refuse to read those.
    """

    grade: int | None
    max: int | None
    worded_reasons: tuple[str, ...] | None
    worded_flags: tuple[str, ...] | None
    since: float | None  # when the current grade began
    worded_red: tuple[str, ...] | None = None  # NEWS2: parameters scoring 3 (Verdict)

    @property
    def reasons(self) -> tuple[str, ...]:
        if self.worded_reasons is None:
            raise NotWorded()
        return self.worded_reasons

    @property
    def flags(self) -> tuple[str, ...]:
        if self.worded_flags is None:
            raise NotWorded()
        return self.worded_flags

    @property
    def red_parameters(self) -> tuple[str, ...]:
        """NEWS2: the parameters scoring 3 on their own (REFERENCE.md §7.2), as data."""
        if self.worded_reasons is None:
            raise NotWorded()
        return self.worded_red or ()


class NotWorded(RuntimeError):
    """Reasons read from a moment the grader did not put into words: a programming error."""

    def __init__(self) -> None:
        super().__init__(
            "reasons and flags of this moment were not put into words: read them through "
            "Grader.at() or Grader.latest(), or make the Grader with word_every_time=True"
        )


class HistoryBeforeCheckpoint(LookupError):
    """A question about the chart at or before the moment a resumed Grader started from.

    A Grader resumed from a checkpoint (resume()) holds nothing of the chart before
    it: rather than answer from half a chart, it refuses, and the caller grades the
    whole chart instead (report/handover_data.py)."""


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


def _icans(
    state: ChartState, at: float, settings: GradingSettings, tz: tzinfo | None, words: bool
) -> Verdict:
    return astct_icans.grade(state, at, tz, words, settings)


# Each: (state, time, settings, zone, words) -> Verdict. With words=False the same grade,
# with no reasons or flags.
GRADE_FUNCTIONS: dict[
    str, Callable[[ChartState, float, GradingSettings, tzinfo | None, bool], Verdict]
] = {
    "astct_crs": astct_crs.grade,
    "astct_icans": _icans,
    "lee2014_crs": lee2014.grade,
    "ctcae_crs": ctcae.grade,
    "news2": news2.grade,
}


def _charting_order(obs: Observation) -> tuple[bool, int]:
    """Row-id order; values without an id keep their arrival order after those with one."""
    return (obs.id is None, obs.id or 0)


def _unworded_grades(
    systems: dict[str, SystemGrade], names: tuple[str, ...]
) -> list[int | None] | None:
    """The grade of each of `names`, in that order, if `systems` answers each of them
    and none of the answers is worded; else None."""
    answers = [systems.get(name) for name in names]
    if len(systems) != len(names) or any(
        g is None
        or g.worded_reasons is not None
        or g.worded_flags is not None
        or g.worded_red is not None
        for g in answers
    ):
        return None
    return [g.grade for g in answers if g is not None]


class Grader:
    """Grades a chart at every distinct time; add() and remove() keep it current."""

    def __init__(
        self,
        settings: GradingSettings | None = None,
        local_tz: tzinfo | None = None,
        systems: Iterable[str] = SYSTEMS,
        word_every_time: bool = False,
    ):
        """`systems`: grade only these (GradeSet.systems holds only them); the handover
        grades what it prints. ASTCT CRS is always graded, first: the checklist, the
        reassessment timers and the banner all read it.

        `word_every_time`: reasons and flags at every time of timeline(), for a
        reader of them all (`crs-desktop grade`); otherwise only where read."""
        unknown = sorted(set(systems) - set(SYSTEMS))
        if unknown:
            raise ValueError(f"unknown grading system(s): {', '.join(unknown)}")
        self.systems = ("astct_crs", *(s for s in SYSTEMS if s in systems and s != "astct_crs"))
        self.settings = settings or GradingSettings()
        self.tz = local_tz
        self.word_every_time = word_every_time
        self._grade_others = [GRADE_FUNCTIONS[name] for name in self.systems[1:]]
        self._times: list[float] = []
        self._at_time: dict[float, list[Observation]] = {}
        # Where each row id is, for remove(): ids that come in ascending order (nearly
        # all: the store numbers rows as they are charted) in two arrays, 16 bytes a
        # value; an id at or below the last of them (a row read after a later-charted
        # back-dated one, or added again) in a dict, whose entry is always the newer.
        self._ids = array("q")
        self._id_times = array("d")
        self._late_ids: dict[int, float] = {}
        self._results: list[GradeSet] = []
        self._snapshots: dict[int, ChartState] = {}
        self._state = ChartState()
        # Where the walk starts: an empty chart, or a checkpoint (resume()).
        self._origin = ChartState()
        self._origin_grades: dict[str, SystemGrade] = {}
        self._history: GradeHistory | None = None
        self.resumed_after: float | None = None

    def __len__(self) -> int:
        return len(self._times)

    def resume(
        self,
        after: float,
        state: ChartState,
        grades: dict[str, SystemGrade],
        history: GradeHistory | None = None,
    ) -> None:
        """Start an empty Grader from a checkpoint: `state` and `grades` as the walk left
        them at the charted time `after` (checkpoint()). Values are then added only after
        it; the grades, maxima and since-times walked from here are the whole chart's.
        at() and before() of `after` or earlier answer from `history` unworded; asked
        for words there, or without a history, they raise HistoryBeforeCheckpoint."""
        if self._times:
            raise ValueError("resume() only an empty Grader")
        if set(grades) != set(self.systems):
            raise ValueError("the checkpoint grades other systems than this Grader")
        self._origin = state.snapshot()
        self._state = state.snapshot()
        self._origin_grades = dict(grades)
        self._history = history
        self.resumed_after = after

    def checkpoint(self, before: float) -> tuple[float, ChartState, dict[str, SystemGrade]] | None:
        """(time, state, grades) at the last charted time strictly before `before`, for
        resume(): the state re-walked (unworded) from the snapshot before it."""
        index = bisect.bisect_left(self._times, before) - 1
        if index < 0:
            return None
        base = index - index % SNAPSHOT_EVERY
        state = self._snapshots[base].snapshot() if base else self._origin.snapshot()
        for step in range(base, index + 1):
            self._grade_moment(state, step, words=False)
        state.hypotension_memo = state.oxygen_memo = None  # caches of this process's objects
        return self._times[index], state, dict(self._results[index].systems)

    def add(self, observations: Iterable[Observation]) -> float | None:
        """Add observations; returns the earliest time re-graded (None if nothing added)."""
        with collector_paused():
            return self._add(observations)

    def _add(self, observations: Iterable[Observation]) -> float | None:
        earliest: float | None = None
        at_time, times = self._at_time, self._times
        ids, id_times, late_ids = self._ids, self._id_times, self._late_ids
        last_id = ids[-1] if ids else -1
        # A chart read from the store comes in time order, several values to a time:
        # the bucket of the time before is looked up once, not once a value.
        moment_before: float | None = None
        bucket: list[Observation] = []
        resumed_after = self.resumed_after
        for obs in observations:
            moment = obs.time
            if moment != moment_before:
                if resumed_after is not None and moment <= resumed_after:
                    raise HistoryBeforeCheckpoint(
                        "a value at or before the checkpoint this Grader resumed from"
                    )
                moment_before = moment
                found = at_time.get(moment)
                if found is None:
                    found = at_time[moment] = []
                    if not times or moment > times[-1]:
                        times.append(moment)
                    else:
                        bisect.insort(times, moment)
                bucket = found
                if earliest is None or moment < earliest:
                    earliest = moment
            bucket.append(obs)
            row_id = obs.id
            if row_id is not None:
                if row_id > last_id:
                    ids.append(row_id)
                    id_times.append(moment)
                    last_id = row_id
                else:
                    late_ids[row_id] = moment
                if len(bucket) > 1:
                    previous = bucket[-2].id
                    if previous is None or previous > row_id:
                        # Rows of one time are one assessment (chart-csv.md); they fold
                        # in the order they were charted (row id), however they arrive,
                        # so a later correction of the same item wins every time.
                        bucket.sort(key=_charting_order)
        if earliest is not None:
            self._regrade_from(earliest)
        return earliest

    def remove(self, ids: Iterable[int]) -> float | None:
        """Take rows out (entered in error); re-grade from the earliest of them."""
        earliest: float | None = None
        for row_id in ids:
            at = self._take_id(row_id)
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

    def _take_id(self, row_id: int) -> float | None:
        """The time of a row id (the newest if added twice), forgotten; None if not held."""
        ids = self._ids
        at = self._late_ids.pop(row_id, None)
        index = bisect.bisect_left(ids, row_id)
        if index < len(ids) and ids[index] == row_id:
            if at is None:
                at = self._id_times[index]
            del ids[index]
            del self._id_times[index]
        return at

    def row_ids(self) -> set[int]:
        """The row ids of every value held (those with one)."""
        return {*self._ids, *self._late_ids}

    def at(self, moment: float, worded: bool = True) -> GradeSet | None:
        """The grades at a moment: those of the latest charted time at or before it.

        With their reasons and flags, unless `worded` is False (grades, maxima and
        since are always there)."""
        index = bisect.bisect_right(self._times, moment) - 1
        if index < 0:
            return self._from_history(moment, worded, strictly=False)
        return self._worded(index) if worded else self._results[index]

    def before(self, moment: float, worded: bool = True) -> GradeSet | None:
        """The grades at the last charted time strictly before a moment (as at())."""
        index = bisect.bisect_left(self._times, moment) - 1
        if index < 0:
            return self._from_history(moment, worded, strictly=True)
        return self._worded(index) if worded else self._results[index]

    def _from_history(self, moment: float, worded: bool, strictly: bool) -> GradeSet | None:
        """Before the first time walked: nothing on a whole chart; on a resumed one, the
        history's unworded answer (HistoryBeforeCheckpoint where it has none)."""
        if self.resumed_after is None:
            return None
        if worded or self._history is None:
            raise HistoryBeforeCheckpoint("a moment at or before the checkpoint, worded")
        return self._history.before(moment) if strictly else self._history.at(moment)

    def latest(self) -> GradeSet | None:
        """The grades at the latest charted time, with reasons and flags."""
        return self._worded(len(self._results) - 1) if self._results else None

    def timeline(self) -> list[GradeSet]:
        """The grades at every charted time; reasons and flags only where worded
        (everywhere with word_every_time=True)."""
        if self.resumed_after is not None:  # never half a timeline taken for the whole
            raise HistoryBeforeCheckpoint("the timeline before the checkpoint")
        return list(self._results)

    def walked(self) -> list[GradeSet]:
        """The grades at every charted time this Grader walked: after the checkpoint
        when resumed (resumed_after), else the whole timeline."""
        return list(self._results)

    # -- the walk --------------------------------------------------------------

    def _regrade_from(self, moment: float) -> None:
        start = bisect.bisect_left(self._times, moment)
        if start < len(self._results):
            # Back-dated: restart from the last snapshot at or before it. Times
            # before `start` are unchanged, so that snapshot is still right.
            base = (start // SNAPSHOT_EVERY) * SNAPSHOT_EVERY
            self._state = self._snapshots[base].snapshot() if base else self._origin.snapshot()
            for key in [k for k in self._snapshots if k > base]:
                del self._snapshots[key]
            del self._results[base:]
        self._walk(len(self._results))

    def _grade_moment(self, state: ChartState, index: int, words: bool) -> list[Verdict]:
        """Fold the values of time `index` into `state` and grade it by every system.

        The one step of the walk, and of re-grading a moment to word it."""
        at = self._times[index]
        state.apply(self._at_time[at])
        settings, tz = self.settings, self.tz
        crs = astct_crs.grade(state, at, settings, tz, words)
        if crs.grade and state.crs_onset is None:
            # CRS has begun: drugs from now on waive the fever need (REFERENCE.md §1.2).
            state.open_crs_episode(at)
        verdicts = [crs]
        for grade_at in self._grade_others:
            verdicts.append(grade_at(state, at, settings, tz, words))
        return verdicts

    def _walk(self, start: int) -> None:
        state = self._state
        times, at_time, snapshots = self._times, self._at_time, self._snapshots
        results = self._results
        append = results.append
        grade_moment = self._grade_moment
        names = self.systems
        last_index = len(times) - 1
        word_every_time = self.word_every_time
        # The answers of a moment ago: they carry each system's running maximum and
        # when its current grade began. An answer that has not changed keeps its
        # SystemGrade object: fewer objects to build and for the collector to walk.
        last: dict[str, SystemGrade] = results[-1].systems if results else self._origin_grades
        # The grades of `last` while it is unworded (None: worded, or not yet known): an
        # unworded moment with the same grades is the same answers (see below), told
        # without building them again.
        last_grades = _unworded_grades(last, names)
        for index in range(start, len(times)):
            if index % SNAPSHOT_EVERY == 0 and index:
                snapshots[index] = state.snapshot()
            # The latest time is always worded: the window reads it after every value.
            words = word_every_time or index == last_index
            verdicts = grade_moment(state, index, words)
            at = times[index]
            if not words and last_grades is not None:
                grades = [verdict[0] for verdict in verdicts]
                if grades == last_grades:
                    append(GradeSet(at, at_time[at][0].utc_offset_min, last))
                    continue
            systems: dict[str, SystemGrade] = {}
            kept = 0  # answers unchanged from the moment before
            for name, (grade, reasons, flags, red) in zip(names, verdicts, strict=True):
                said, review, reds = (reasons, flags, red) if words else (None, None, None)
                before = last.get(name)
                if before is None:
                    systems[name] = SystemGrade(grade, grade, said, review, at, reds)
                elif before.grade != grade:
                    best = before.max
                    if grade is not None and (best is None or grade > best):
                        best = grade
                    systems[name] = SystemGrade(grade, best, said, review, at, reds)
                elif (
                    before.worded_reasons == said
                    and before.worded_flags == review
                    and before.worded_red == reds
                ):
                    systems[name] = before
                    kept += 1
                else:
                    systems[name] = SystemGrade(grade, before.max, said, review, before.since, reds)
            if kept == len(last) == len(systems):
                # Nothing changed: the moment shares the dict of the one before (never
                # changed in place; a worded moment gets a dict of its own in _worded),
                # a dict less for each streamed value that changes no grade.
                systems = last
            append(GradeSet(at, at_time[at][0].utc_offset_min, systems))
            last = systems
            last_grades = None if words else [systems[name].grade for name in names]

    def _worded(self, index: int) -> GradeSet:
        """The grades at time `index` with their reasons and flags: re-graded, worded,
        from the snapshot before it (at most SNAPSHOT_EVERY steps) if the walk left
        them unworded, and kept."""
        graded = self._results[index]
        if all(g.worded_reasons is not None for g in graded.systems.values()):
            return graded
        base = index - index % SNAPSHOT_EVERY
        state = self._snapshots[base].snapshot() if base else self._origin.snapshot()
        for step in range(base, index):
            self._grade_moment(state, step, words=False)
        verdicts = self._grade_moment(state, index, words=True)
        systems = {}
        for name, verdict in zip(self.systems, verdicts, strict=True):
            walked = graded.systems[name]
            if verdict.grade != walked.grade:  # grade and words must come from one reading
                raise RuntimeError(
                    f"{name} at {graded.iso_time()}: graded {walked.grade} on the walk, "
                    f"{verdict.grade} when worded"
                )
            systems[name] = walked._replace(
                worded_reasons=verdict.reasons,
                worded_flags=verdict.flags,
                worded_red=verdict.red_parameters,
            )
        worded = graded._replace(systems=systems)
        self._results[index] = worded
        return worded
