"""A chart's grades up to a checkpoint as runs of one grade (no Qt, no SQL).

A Grader resumed from a checkpoint (Grader.resume) has not walked the chart before
it; the checklist still asks what the grade was at earlier moments (when did this
episode begin? did the grade rise then?). Each system's history as runs answers that
exactly for every grade, maximum and since-time: a run is every charted time, in
order, at which the system kept one grade, so its maximum and since-time are one too.
It does not hold reasons: a question that needs them raises HistoryBeforeCheckpoint.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Sequence

from crs_desktop.domain.grading.grader import GradeSet, SystemGrade

# (first charted time, last charted time, grade, highest grade so far) of one run.
Run = tuple[float, float, int | None, int | None]


class GradeHistory:
    """Each system's runs of one grade, in time order, over the same charted times."""

    def __init__(self, runs: dict[str, Sequence[Run]]) -> None:
        self.runs = runs
        self._firsts = {name: [run[0] for run in history] for name, history in runs.items()}

    def at(self, moment: float) -> GradeSet | None:
        """The grades at the last charted time at or before `moment`, unworded."""
        return self._grades(moment, bisect.bisect_right, lambda t: t <= moment)

    def before(self, moment: float) -> GradeSet | None:
        """The grades at the last charted time strictly before `moment`, unworded."""
        return self._grades(moment, bisect.bisect_left, lambda t: t < moment)

    def _grades(
        self,
        moment: float,
        find: Callable[[list[float], float], int],
        counts: Callable[[float], bool],
    ) -> GradeSet | None:
        systems = {}
        time: float | None = None
        for name, history in self.runs.items():
            index = find(self._firsts[name], moment) - 1
            if index < 0:  # every system is graded at the same times: none before
                return None
            first, last, grade, highest = history[index]
            systems[name] = SystemGrade(grade, highest, None, None, first)
            # The moment is in this run; its time is `last` where the run ends by then
            # (always so for some system at a run's first time, where the checklist
            # asks), else no earlier than `first`.
            seen = last if counts(last) else first
            time = seen if time is None else max(time, seen)
        if time is None:
            return None
        return GradeSet(time, 0, systems)
