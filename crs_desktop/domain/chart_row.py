"""A validated line of a chart file: what interop reads and the store imports.

Here, below both, so that the store and interop never import each other."""

from __future__ import annotations

from dataclasses import dataclass

from crs_desktop.domain.validation import ValidValue


@dataclass(frozen=True, slots=True)
class ChartRow:
    """One valid line of a chart file."""

    line: int
    time: float  # epoch seconds, UTC
    utc_offset_min: int
    item: str  # canonical item name
    valid: ValidValue
    note: str
