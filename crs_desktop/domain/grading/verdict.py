"""One grading system's answer at a moment."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Verdict:
    """A grade (None when it cannot be given), the findings that set it, and points to review."""

    grade: int | None
    reasons: tuple[str, ...] = ()
    flags: tuple[str, ...] = ()
