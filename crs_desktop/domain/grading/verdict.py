"""One grading system's answer at a moment."""

from __future__ import annotations

from typing import NamedTuple


class Verdict(NamedTuple):
    """A grade (None when it cannot be given), the findings that set it, and points to review.

    A NamedTuple (immutable, and built in half the time of a frozen dataclass): every
    system answers one at every charted moment, tens of thousands on a long chart.
    """

    grade: int | None
    reasons: tuple[str, ...] = ()
    flags: tuple[str, ...] = ()
    # NEWS2 only: the parameters scoring 3 on their own (REFERENCE.md §7.2's single-parameter
    # trigger), as data for the risk band and the timers; filled where the moment is worded.
    red_parameters: tuple[str, ...] = ()
