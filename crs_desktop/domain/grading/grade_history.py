"""A chart's grades up to a checkpoint as runs of one grade (no Qt, no SQL).

A Grader resumed from a checkpoint (Grader.resume) has not walked the chart before
it; the checklist still asks what the grade was at earlier moments (when did this
episode begin? did the grade rise then?) and the handover the highest grade since
the infusion. Each system's history as runs answers that exactly for every grade,
maximum and since-time: a run is every charted time, in order, at which the system
kept one grade, so its maximum and since-time are one too. It does not hold
reasons: a question that needs them raises HistoryBeforeCheckpoint (grader.py).

A month of one-minute vitals has tens of thousands of NEWS2 runs: they are kept in
four columns of float64 (NaN for no grade), written and read as bytes, not as
tuples.
"""

from __future__ import annotations

import bisect
import math
from array import array
from collections.abc import Callable, Iterable, Sequence

from crs_desktop.domain.grading.grader import GradeSet, SystemGrade

COLUMNS = ("first", "last", "grade", "highest")


def _number(grade: int | None) -> float:
    return math.nan if grade is None else float(grade)


def _grade(number: float) -> int | None:
    return None if math.isnan(number) else int(number)


class SystemRuns:
    """One system's runs: first and last charted time, grade and highest grade so far."""

    def __init__(self, columns: Sequence[array[float]] | None = None) -> None:
        first, last, grade, highest = columns or [array("d") for _ in COLUMNS]
        if not len(first) == len(last) == len(grade) == len(highest):
            raise ValueError("grade runs: columns of different lengths")
        self.first, self.last, self.grade, self.highest = first, last, grade, highest

    def __len__(self) -> int:
        return len(self.first)

    def columns(self) -> tuple[array[float], ...]:
        return self.first, self.last, self.grade, self.highest

    def copy(self) -> SystemRuns:
        return SystemRuns([array("d", column) for column in self.columns()])

    def add(self, at: float, grade: int | None, highest: int | None) -> None:
        """The grade at the next charted time `at` (later than every run)."""
        number = _number(grade)
        if self.first and (
            self.grade[-1] == number or (math.isnan(number) and math.isnan(self.grade[-1]))
        ):
            self.last[-1] = at  # one grade keeps one maximum (grader.py)
            return
        self.first.append(at)
        self.last.append(at)
        self.grade.append(number)
        self.highest.append(_number(highest))

    def run(self, index: int) -> tuple[float, float, int | None, int | None]:
        return (
            self.first[index],
            self.last[index],
            _grade(self.grade[index]),
            _grade(self.highest[index]),
        )

    def highest_in(self, lo: float, hi: float) -> int | None:
        """The highest grade at the charted times in [lo, hi]; every run must end by `hi`."""
        if self.last and self.last[-1] > hi:
            raise ValueError("grade runs past the end of the period asked")
        start = bisect.bisect_left(self.last, lo)  # the runs with a charted time >= lo
        grades = [g for g in self.grade[start:] if not math.isnan(g)]
        return int(max(grades)) if grades else None

    def grade_before(self, moment: float) -> int | None:
        """The grade at the last charted time before `moment` (None: none, or no grade)."""
        index = bisect.bisect_left(self.first, moment) - 1
        return _grade(self.grade[index]) if index >= 0 else None


def runs_of(
    timeline: Iterable[GradeSet], systems: Sequence[str], before: dict[str, SystemRuns] | None
) -> dict[str, SystemRuns]:
    """`before` (copied) followed by the grades of `timeline`, later than all of it."""
    out = {name: before[name].copy() if before else SystemRuns() for name in systems}
    for grade_set in timeline:
        for name in systems:
            graded = grade_set.systems[name]
            out[name].add(grade_set.time, graded.grade, graded.max)
    return out


class GradeHistory:
    """Each system's runs of one grade, in time order, over the same charted times."""

    def __init__(self, runs: dict[str, SystemRuns]) -> None:
        self.runs = runs

    def at(self, moment: float) -> GradeSet | None:
        """The grades at the last charted time at or before `moment`, unworded."""
        return self._grades(moment, bisect.bisect_right, lambda t: t <= moment)

    def before(self, moment: float) -> GradeSet | None:
        """The grades at the last charted time strictly before `moment`, unworded."""
        return self._grades(moment, bisect.bisect_left, lambda t: t < moment)

    def _grades(
        self,
        moment: float,
        find: Callable[[array[float], float], int],
        counts: Callable[[float], bool],
    ) -> GradeSet | None:
        systems = {}
        time: float | None = None
        for name, history in self.runs.items():
            index = find(history.first, moment) - 1
            if index < 0:  # every system is graded at the same times: none before
                return None
            first, last, grade, highest = history.run(index)
            systems[name] = SystemGrade(grade, highest, None, None, first)
            # The moment is in this run; its time is `last` where the run ends by then
            # (always so for some system at a run's first time, where the checklist
            # asks), else no earlier than `first`.
            seen = last if counts(last) else first
            time = seen if time is None else max(time, seen)
        if time is None:
            return None
        return GradeSet(time, 0, systems)
