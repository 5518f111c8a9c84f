"""A patient's chart as a FHIR R4 Bundle (issue 21 item 1), written as a stream.

Each resource is built as JSON, checked (fhir.resources R4B for its structure, then
fhir_profile for what this app's Bundles must carry) and written at once: the Bundle is
never held whole, so a 30-day chart of 260,000 values exports in little memory. What
goes in:

- the Patient, its MRN as identifier;
- every charted value as an Observation (LOINC where backed, else the local code
  system; UCUM valueQuantity in the canonical unit, and the value as written in an
  extension), or, for drugs and fluids, a MedicationAdministration (a dose, or a
  vasopressor's rate from then on); a systolic and diastolic charted together as the
  vital-signs blood pressure panel; corrected values as entered-in-error, linked to
  their replacement;
- the CRS and ICANS grades (ASTCT 2019), each time they change, with their reasons;
- the acknowledgements and checklist marks as Tasks (done by whom, when).
"""

from __future__ import annotations

import itertools
import json
import re
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import IO, Any, Protocol

from crs_desktop.domain import checklist
from crs_desktop.domain.errors import UserError
from crs_desktop.domain.vocabulary import ITEMS, Category, unit_text, word_text
from crs_desktop.interop.chart_csv import format_time
from crs_desktop.interop.fhir_codes import (
    AS_WRITTEN,
    BP_PANEL,
    BP_PROFILE,
    CATEGORY_SYSTEM,
    GRADE_CODES,
    GRADE_DISPLAY,
    LOCAL,
    MRN_SYSTEM,
    REPLACED_BY,
    SPO2_PROFILE_CODE,
    UCUM,
    VITAL_PROFILE_ITEMS,
    VITAL_SIGNS_PROFILE,
    Code,
    category_of,
    code_of,
    is_medication,
)
from crs_desktop.interop.fhir_profile import export_problems
from crs_desktop.interop.fhir_validate import structure_problem

# Names for the resources' urn:uuid fullUrls: the same chart exports the same file.
_NAMESPACE = uuid.UUID("6f1c3a52-6a0e-4c36-9b1e-2d6c1f0e5a21")
ENTERED_IN_ERROR = "entered_in_error"  # the store's status of a corrected row
UNKNOWN = "unknown"  # who, when an older row does not say (FHIR allows no empty text)
_DATE = re.compile(r"\d{4}(-\d{2}(-\d{2})?)?", re.ASCII)  # a FHIR date: 1968, 1968-04-12


class RowLike(Protocol):
    """A charted row as the store hands it out (store.records.ChartedRow)."""

    @property
    def id(self) -> int: ...

    @property
    def item(self) -> str: ...

    @property
    def observed_at(self) -> float: ...

    @property
    def utc_offset_min(self) -> int: ...

    @property
    def recorded_at(self) -> float: ...

    @property
    def value(self) -> float | None: ...

    @property
    def text(self) -> str | None: ...

    @property
    def unit(self) -> str: ...

    @property
    def written_value(self) -> str: ...

    @property
    def written_unit(self) -> str: ...

    @property
    def note(self) -> str: ...

    @property
    def charted_by(self) -> str: ...

    @property
    def status(self) -> str: ...

    @property
    def error_reason(self) -> str | None: ...

    @property
    def error_by(self) -> str | None: ...

    @property
    def replaced_by(self) -> int | None: ...


class EventLike(checklist.EventLike, Protocol):
    """An event as the store hands it out (store.records.Event): what the checklist reads
    of it, and its id (a Task's identifier)."""

    @property
    def id(self) -> int: ...


@dataclass(frozen=True, slots=True)
class GradeChange:
    """A grade that changed at a charted time, with the reasons that set it."""

    time: float
    utc_offset_min: int
    system: str  # astct_crs or astct_icans
    grade: int | None
    reasons: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class PatientFacts:
    mrn: str
    name: str
    birth_date: str | None = None


class ExportFault(UserError):
    """A resource built here that FHIR or our profile checks refuse: a fault of this app."""


def _url(kind: str, key: object) -> str:
    return f"urn:uuid:{uuid.uuid5(_NAMESPACE, f'{kind}/{key}')}"


def _category(code: str) -> list[dict[str, Any]]:
    return [{"coding": [{"system": CATEGORY_SYSTEM, "code": code}]}]


def _concept(code: Code, display: str) -> dict[str, Any]:
    return {"coding": [{"system": code.system, "code": code.code, "display": display}]}


def _quantity(value: float, unit: str) -> dict[str, Any]:
    return {"value": value, "unit": unit_text(unit), "system": UCUM, "code": unit}


def plain_text(item: str, value: float | None, text: str | None) -> str:
    """The value as FHIR carries it, as text: what import reads back when nothing else
    was written (the word's code, the whole number, the float's shortest form)."""
    if value is None:
        return text or ""
    return str(int(value)) if ITEMS[item].kind.value == "integer" else repr(value)


def _as_written(row: RowLike) -> list[dict[str, Any]]:
    """The value as the nurse wrote it ('102' in [degF], 'Nasal Cannula'), when it is not
    the value FHIR carries in the item's canonical unit: kept for the round trip."""
    if row.written_unit == "" and row.written_value == plain_text(row.item, row.value, row.text):
        return []
    parts = [{"url": "value", "valueString": row.written_value}]
    if row.written_unit:
        parts.append({"url": "unit", "valueCode": row.written_unit})
    return [{"url": AS_WRITTEN, "extension": parts}]


class BundleWriter:
    """Builds, checks and writes the entries of one Bundle (see write_bundle)."""

    def __init__(self, stream: IO[str], patient: PatientFacts, transaction: bool) -> None:
        self.stream = stream
        self.transaction = transaction
        self.patient_url = _url("patient", patient.mrn)
        self.mrn = patient.mrn
        self.subject = {"reference": self.patient_url}
        self.count = 0

    def entry(self, url: str, resource: dict[str, Any], where: str) -> None:
        problem = structure_problem(resource)
        problems = [problem] if problem else export_problems(resource)
        if problems:
            raise ExportFault(
                f"{where}: the export built a resource that is refused: "
                f"{'; '.join(problems)}; nothing was written"
            )
        entry: dict[str, Any] = {"fullUrl": url, "resource": resource}
        if self.transaction:
            entry["request"] = {"method": "POST", "url": resource["resourceType"]}
            if resource["resourceType"] == "Patient":
                entry["request"]["ifNoneExist"] = f"identifier={MRN_SYSTEM}|{self.mrn}"
        self.stream.write(("" if not self.count else ",\n") + json.dumps(entry, ensure_ascii=False))
        self.count += 1

    # -- resources --------------------------------------------------------------------

    def patient(self, patient: PatientFacts) -> None:
        resource: dict[str, Any] = {
            "resourceType": "Patient",
            "identifier": [{"system": MRN_SYSTEM, "value": patient.mrn}],
            "name": [{"text": patient.name or UNKNOWN}],
        }
        if patient.birth_date and _DATE.fullmatch(patient.birth_date):  # else left out
            resource["birthDate"] = patient.birth_date
        self.entry(self.patient_url, resource, f"patient {patient.mrn}")

    def _common(self, row: RowLike, kind: str, status: str) -> dict[str, Any]:
        resource: dict[str, Any] = {"resourceType": kind, "status": status}
        if row.status == ENTERED_IN_ERROR and row.replaced_by is not None:
            resource["extension"] = [
                {"url": REPLACED_BY, "valueReference": {"reference": _url("row", row.replaced_by)}}
            ]
        return resource

    def _finish(self, row: RowLike, resource: dict[str, Any]) -> None:
        notes = [{"text": row.note}] if row.note else []
        if row.status == ENTERED_IN_ERROR:
            why = f"entered in error by {row.error_by or 'unknown'}: {row.error_reason or ''}"
            notes.append({"text": why.rstrip(": ")})
        if notes:
            resource["note"] = notes
        self.entry(_url("row", row.id), resource, f"row {row.id} ({row.item})")

    def observation(self, row: RowLike, diastolic: RowLike | None = None) -> None:
        error = row.status == ENTERED_IN_ERROR
        resource = self._common(row, "Observation", "entered-in-error" if error else "final")
        item = ITEMS[row.item]
        if diastolic is not None:
            resource["meta"] = {"profile": [VITAL_SIGNS_PROFILE, BP_PROFILE]}
            resource["category"] = _category("vital-signs")
            resource["code"] = _concept(Code("http://loinc.org", BP_PANEL), "Blood pressure panel")
        else:
            if row.item in VITAL_PROFILE_ITEMS:
                resource["meta"] = {"profile": [VITAL_SIGNS_PROFILE]}
            resource["category"] = _category(category_of(row.item))
            resource["code"] = _concept(code_of(row.item), item.label)
            if row.item == "spo2":  # the vital-signs profile's own code beside US Core's
                resource["code"]["coding"].insert(
                    0, {"system": "http://loinc.org", "code": SPO2_PROFILE_CODE}
                )
        resource["subject"] = self.subject
        resource["effectiveDateTime"] = format_time(row.observed_at, row.utc_offset_min)
        resource["issued"] = format_time(row.recorded_at, 0)
        resource["performer"] = [{"display": row.charted_by or UNKNOWN}]
        if diastolic is not None:
            resource["component"] = [self._component(row), self._component(diastolic)]
        elif row.value is None:
            if item.kind.value == "word":
                resource["valueCodeableConcept"] = _concept(
                    Code(LOCAL, row.text or ""), word_text(row.text or "")
                )
            else:
                resource["valueString"] = row.text or ""
        elif item.kind.value == "integer":
            resource["valueInteger"] = int(row.value)
        else:
            resource["valueQuantity"] = _quantity(row.value, item.canonical_unit)
        if diastolic is None and (written := _as_written(row)):
            resource.setdefault("extension", []).extend(written)
        self._finish(row, resource)

    def _component(self, row: RowLike) -> dict[str, Any]:
        component: dict[str, Any] = {
            "code": _concept(code_of(row.item), ITEMS[row.item].label),
            "valueQuantity": _quantity(row.value or 0.0, ITEMS[row.item].canonical_unit),
        }
        if written := _as_written(row):
            component["extension"] = written
        return component

    def medication(self, row: RowLike) -> None:
        rate = ITEMS[row.item].category is Category.VASOPRESSOR
        status = "completed"
        if row.status == ENTERED_IN_ERROR:
            status = "entered-in-error"
        elif rate:  # a rate holds from its time on; 0 is stopped (chart-csv.md)
            status = "stopped" if row.value == 0 else "in-progress"
        resource = self._common(row, "MedicationAdministration", status)
        resource["medicationCodeableConcept"] = _concept(code_of(row.item), ITEMS[row.item].label)
        resource["subject"] = self.subject
        resource["effectiveDateTime"] = format_time(row.observed_at, row.utc_offset_min)
        resource["performer"] = [{"actor": {"display": row.charted_by or UNKNOWN}}]
        quantity = _quantity(row.value or 0.0, ITEMS[row.item].canonical_unit)
        resource["dosage"] = {"rateQuantity": quantity} if rate else {"dose": quantity}
        if written := _as_written(row):
            resource.setdefault("extension", []).extend(written)
        self._finish(row, resource)

    def grade(self, change: GradeChange) -> None:
        resource: dict[str, Any] = {
            "resourceType": "Observation",
            "status": "final",
            "category": _category("survey"),
            "code": _concept(Code(LOCAL, GRADE_CODES[change.system]), GRADE_DISPLAY[change.system]),
            "subject": self.subject,
            "effectiveDateTime": format_time(change.time, change.utc_offset_min),
        }
        if change.grade is None:
            resource["dataAbsentReason"] = {"text": "not gradable yet"}
        else:
            resource["valueInteger"] = change.grade
        if change.reasons:
            resource["note"] = [{"text": r} for r in change.reasons]
        key = f"{change.system}/{change.time!r}"
        self.entry(_url("grade", key), resource, f"{GRADE_DISPLAY[change.system]} grade")

    def task(self, event: EventLike) -> None:
        what = event.detail.get("text") or event.key or event.kind
        resource: dict[str, Any] = {
            "resourceType": "Task",
            "status": "completed",
            "intent": "order",
            "code": _concept(Code(LOCAL, event.kind), word_text(event.kind)),
            "description": f"{word_text(event.kind)}: {what}"[:1000],
            "for": self.subject,
            "authoredOn": format_time(event.at, 0),
            "owner": {"display": event.charted_by or UNKNOWN},
        }
        if event.status:
            resource["businessStatus"] = {"text": event.status}
        self.entry(_url("event", event.id), resource, f"event {event.id} ({event.kind})")


def _paired(rows: Iterable[RowLike]) -> Iterator[tuple[RowLike, RowLike | None]]:
    """Each row, a systolic with the diastolic charted with it (same time, same nurse,
    same note, both current) as one blood pressure panel; that diastolic not again."""
    for _time, group in itertools.groupby(rows, key=lambda r: r.observed_at):
        at_time = list(group)
        used: set[int] = set()
        for row in at_time:
            if row.id in used:
                continue
            partner = None
            if row.item == "systolic_bp" and row.status != ENTERED_IN_ERROR:
                partner = next(
                    (
                        d
                        for d in at_time
                        if d.item == "diastolic_bp"
                        and d.id not in used
                        and d.status != ENTERED_IN_ERROR
                        and (d.charted_by, d.note, d.utc_offset_min)
                        == (row.charted_by, row.note, row.utc_offset_min)
                    ),
                    None,
                )
                if partner is not None:
                    used.add(partner.id)
            yield row, partner


def write_bundle(
    stream: IO[str],
    patient: PatientFacts,
    rows: Iterable[RowLike],
    grades: Iterable[GradeChange] = (),
    events: Iterable[EventLike] = (),
    *,
    transaction: bool = False,
    now: float = 0.0,
) -> int:
    """Write the Bundle to `stream`, each resource checked before it is written; returns
    the number of entries. Raises ExportFault (a resource refused) before the caller's
    file replaces anything (commands.output writes a temporary file)."""
    kind = "transaction" if transaction else "collection"
    shell = {"resourceType": "Bundle", "type": kind, "timestamp": format_time(now, 0)}
    problem = structure_problem(shell)
    if problem:
        raise ExportFault(f"the Bundle: {problem}")
    writer = BundleWriter(stream, patient, transaction)
    head = json.dumps(shell, ensure_ascii=False)[:-1]
    stream.write(head + ', "entry": [\n')
    writer.patient(patient)
    for row, diastolic in _paired(rows):
        if is_medication(row.item):
            writer.medication(row)
        else:
            writer.observation(row, diastolic)
    for change in grades:
        writer.grade(change)
    for event in events:
        writer.task(event)
    stream.write("\n]}\n")
    return writer.count
