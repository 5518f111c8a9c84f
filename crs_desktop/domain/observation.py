"""One charted value as the grader, the plots and the report see it."""

from __future__ import annotations

from typing import NamedTuple

# chart-csv.md: "The word other_cause in a note marks the finding as
# attributed to something other than CRS/ICANS".
OTHER_CAUSE = "other_cause"


class Observation(NamedTuple):
    """A committed chart value: canonical number or word, at an observed time.

    `time` is the observed time in epoch seconds (UTC); `utc_offset_min` is
    the offset it was charted with, so it can be shown and exported as it was
    written. Entered-in-error rows never become Observations.

    A NamedTuple rather than a dataclass: a long chart makes hundreds of
    thousands of them at start-up, and a tuple is built several times faster.
    """

    time: float
    item: str
    value: float | None = None  # canonical number; None for words and text
    text: str | None = None  # the word (o2_device, seizure, ...) or product name
    note: str = ""
    id: int | None = None  # the store's row id, when it came from a store
    utc_offset_min: int = 0
    charted_by: str = ""
    extreme: bool = False

    @property
    def other_cause(self) -> bool:
        """The nurse attributed this finding to something other than CRS/ICANS."""
        note = self.note
        return bool(note) and OTHER_CAUSE in note.lower()  # most values have no note
