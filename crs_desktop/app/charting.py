"""Charting a set of values (no Qt): what the nurse must confirm before it is committed.

The form asks review_set() and shows each check as a question; only then does it
chart the set (ChartSession.chart), which validates it again in the same
transaction as the write. Nothing here writes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from crs_desktop.app.treatment import TreatmentState
from crs_desktop.domain.observation import OTHER_CAUSE
from crs_desktop.domain.validation import ValidValue
from crs_desktop.store import ChartStore
from crs_desktop.store.records import Entry


@dataclass(frozen=True)
class SetReview:
    """The checks a set of values needs before it is charted, in the order to ask them."""

    valid: list[ValidValue]  # every value, validated and in its canonical unit
    extreme: list[ValidValue]  # possible but extreme: confirm each (DESIGN.md)
    # "other cause" in the note of a set of several values: the note flags every value
    # of the set, so the nurse confirms it is meant for all of them.
    other_cause_for_all: bool
    # The protocol's tocilizumab limits for a dose in this set (REFERENCE.md §5.1): past
    # one the nurse may go on with a reason, charted in the dose's note.
    tocilizumab_warnings: tuple[str, ...]

    @property
    def needs_confirming(self) -> bool:
        return bool(self.extreme or self.other_cause_for_all or self.tocilizumab_warnings)


def review_set(
    store: ChartStore,
    patient_id: int,
    treatment: TreatmentState | None,
    entries: Sequence[Entry],
    observed_at: float,
    note: str,
) -> SetReview:
    """Validate a set as chart() would (raises EntriesRefused naming each bad value) and
    say what needs confirming."""
    valid: list[ValidValue] = store.validate_entries(patient_id, entries, observed_at)
    dose = next((v for v in valid if v.item == "tocilizumab"), None)
    warnings: tuple[str, ...] = ()
    if treatment is not None and dose is not None:
        warnings = tuple(treatment.tocilizumab(observed_at, dose.value).warnings)
    return SetReview(
        valid=valid,
        extreme=[v for v in valid if v.extreme],
        other_cause_for_all=OTHER_CAUSE in note.lower() and len(valid) > 1,
        tocilizumab_warnings=warnings,
    )
