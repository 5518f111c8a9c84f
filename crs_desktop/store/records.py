"""The plain records the store hands out: patients, charted rows, events, changes."""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass, field
from typing import Any

from crs_desktop.domain.observation import Observation
from crs_desktop.domain.units import ucum_unit
from crs_desktop.domain.validation import ValidValue

STATUS_FINAL = "final"
STATUS_ENTERED_IN_ERROR = "entered_in_error"


@dataclass(frozen=True, slots=True)
class Patient:
    """One patient and the facts the header and the grading need."""

    id: int
    mrn: str
    name: str
    birth_date: str | None = None
    weight_kg: float | None = None
    car_t_product: str | None = None
    infusion_time: float | None = None  # epoch s, day 0
    news2_scale: int = 1
    is_demo: bool = False


@dataclass(frozen=True, slots=True)
class Entry:
    """One value a nurse (or a feed) wants to chart, as written."""

    item: str
    value: str
    unit: str = ""
    note: str = ""


@dataclass(frozen=True, slots=True)
class ChartedRow:
    """A row of the chart with everything known about it, corrections included."""

    id: int
    patient_id: int
    item: str
    observed_at: float
    utc_offset_min: int
    recorded_at: float
    value: float | None
    text: str | None
    unit: str
    written_value: str
    written_unit: str
    note: str
    extreme: bool
    charted_by: str
    source: str
    status: str
    error_reason: str | None = None
    error_by: str | None = None
    error_at: float | None = None
    replaced_by: int | None = None

    @property
    def entered_in_error(self) -> bool:
        return self.status == STATUS_ENTERED_IN_ERROR

    def to_observation(self) -> Observation:
        # The grader keeps every value of a live stream: its item name, word and nurse
        # are a few dozen strings, kept once (sys.intern), not once a value.
        return Observation(
            time=self.observed_at,
            item=_once(self.item),
            value=self.value,
            text=_once(self.text),
            note=self.note,
            id=self.id,
            utc_offset_min=self.utc_offset_min,
            charted_by=_once(self.charted_by),
            extreme=self.extreme,
        )


def _once(text: Any) -> Any:
    """The one copy of a string (None, or anything else, as it is)."""
    return sys.intern(text) if type(text) is str else text


ROW_COLUMNS = (
    "id, patient_id, item, observed_at, utc_offset_min, recorded_at, value, text, unit, "
    "written_value, written_unit, note, extreme, charted_by, source, status, error_reason, "
    "error_by, error_at, replaced_by"
)
# Adding a current (final) row: charting, corrections, events and imports alike.
INSERT_ROW = (
    "INSERT INTO observations (patient_id, item, observed_at, utc_offset_min, recorded_at, "
    "value, text, unit, written_value, written_unit, note, extreme, charted_by, source, status) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'final')"
)


def final_row(
    patient_id: int,
    valid: ValidValue,
    note: str,
    *,
    observed_at: float,
    utc_offset_min: int,
    recorded_at: float,
    actor: str,
    source: str,
) -> tuple[Any, ...]:
    """The parameters of INSERT_ROW for one validated value (its item is valid.item)."""
    return (
        patient_id,
        valid.item,
        observed_at,
        utc_offset_min,
        recorded_at,
        valid.value,
        valid.text,
        valid.unit,
        valid.written_value,
        valid.written_unit,
        note,
        int(valid.extreme),
        actor,
        source,
    )


def row_from_tuple(t: tuple[Any, ...]) -> ChartedRow:
    return ChartedRow(
        id=t[0],
        patient_id=t[1],
        item=t[2],
        observed_at=t[3],
        utc_offset_min=t[4] or 0,
        recorded_at=t[5],
        value=t[6],
        text=t[7],
        unit=t[8] or "",
        written_value=t[9],
        # A chart file written before issue 21 holds 'degF': read as UCUM '[degF]'.
        written_unit=ucum_unit(t[10] or ""),
        note=t[11] or "",
        extreme=bool(t[12]),
        charted_by=t[13],
        source=t[14],
        status=t[15],
        error_reason=t[16],
        error_by=t[17],
        error_at=t[18],
        replaced_by=t[19],
    )


@dataclass(frozen=True, slots=True)
class Event:
    """Something done or said that is not a measurement: a checklist mark, an
    acknowledged alert, a handover note, a reason for overriding a dose limit."""

    id: int
    patient_id: int
    kind: str
    key: str
    status: str
    at: float
    recorded_at: float
    charted_by: str
    source: str
    detail: dict[str, Any] = field(default_factory=dict)


EVENT_COLUMNS = "id, patient_id, kind, key, status, at, recorded_at, charted_by, source, detail"


def event_from_tuple(t: tuple[Any, ...]) -> Event:
    return Event(
        id=t[0],
        patient_id=t[1],
        kind=t[2],
        key=t[3] or "",
        status=t[4] or "",
        at=t[5],
        recorded_at=t[6],
        charted_by=t[7],
        source=t[8] or "",
        detail=json.loads(t[9]) if t[9] else {},
    )


@dataclass(frozen=True, slots=True)
class Changes:
    """What other writers (or this one) added since the last look."""

    rows: list[ChartedRow]
    entered_in_error: list[int]  # ids of earlier rows now marked entered in error
    events: list[Event]
    last_row_id: int
    last_audit_id: int
    last_event_id: int

    def __bool__(self) -> bool:
        return bool(self.rows or self.entered_in_error or self.events)
