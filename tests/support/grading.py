"""A chart written as (hour, item, value[, note]) tuples, and a Grader fed with it: the
one helper the grading tests share (it was copied into each of them)."""

from __future__ import annotations

from datetime import UTC

from crs_desktop.domain.grading import Grader, GradingSettings
from crs_desktop.domain.observation import Observation

T0 = 1_795_132_800.0  # 2026-11-20T00:00:00Z
HOUR = 3600.0


def chart(rows, first_id: int = 1) -> list[Observation]:
    """Observations from (hour, item, value[, note]) tuples, hours after T0; a str value
    is a word. Row ids count from `first_id` in the order given (the charting order)."""
    out = []
    for row_id, row in enumerate(rows, start=first_id):
        hour, item, value = row[:3]
        note = row[3] if len(row) > 3 else ""
        if isinstance(value, str):
            out.append(Observation(T0 + hour * HOUR, item, None, value, note=note, id=row_id))
        else:
            out.append(Observation(T0 + hour * HOUR, item, float(value), note=note, id=row_id))
    return out


def graded(rows, settings: GradingSettings | None = None) -> Grader:
    """A Grader (times read in UTC) fed with chart(rows)."""
    g = Grader(settings or GradingSettings(), local_tz=UTC)
    g.add(chart(rows))
    return g
