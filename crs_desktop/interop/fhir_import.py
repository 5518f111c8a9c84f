"""A FHIR R4 Bundle read into chart rows (issue 21 item 2), by the chart CSV's rules.

Every value goes through the same checks as a chart file's line (chart_csv.judge_value:
the vocabulary, the units, the possible ranges, the time), and every resource through
fhir.resources (R4B) and our profile checks first. All or nothing: every bad entry is
named (`Bundle.entry[12]: ...`) and the whole Bundle refused (ChartFileError), nothing
written. An unknown code is refused, never guessed.

Charted: Observations (final, amended, corrected) and MedicationAdministrations
(completed, in-progress, stopped) of the codes fhir_codes lists. Left out and counted:
entered-in-error resources, the grades (the app grades the chart itself), Tasks, and
resources of other types.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Any

from crs_desktop.domain.chart_row import ChartRow
from crs_desktop.domain.validation import ChartValueError, ValidValue, shorten, validate
from crs_desktop.domain.vocabulary import ITEMS
from crs_desktop.interop.chart_csv import MAX_NOTE_CHARS, ChartFileError, judge_value
from crs_desktop.interop.fhir_codes import AS_WRITTEN, LOCAL, Code
from crs_desktop.interop.fhir_profile import (
    codes_in,
    known_code,
    medication_problems,
    observation_problems,
)
from crs_desktop.interop.fhir_stream import BundleFile
from crs_desktop.interop.fhir_validate import structure_problem

CHARTED_OBSERVATION = frozenset({"final", "amended", "corrected"})
CHARTED_MEDICATION = frozenset({"completed", "in-progress", "stopped"})


@dataclass
class BundleRead:
    """What a read of a Bundle counted: values charted, entries left out, the name."""

    count: int = 0
    left_out: Counter[str] = field(default_factory=Counter)
    patient_name: str | None = None


class _Refused(ValueError):
    """What is wrong with one entry (its place is added by the caller)."""


def _entry_number(problem: str) -> int:
    found = re.match(r"Bundle\.entry\[(\d+)\]", problem)
    return int(found.group(1)) if found else -1


def bundle_rows(
    bundle: BundleFile, mrn: str, now: float, read: BundleRead, weight_kg: float | None = None
) -> Iterator[ChartRow]:
    """The chart rows of a Bundle for the patient with this MRN, as they are read (the
    Bundle is never held whole). Once an entry is bad no more rows come, and at the end
    ChartFileError names every bad entry: a caller inserting the rows as they come,
    inside one transaction, rolls it back then (nothing is written), as with a chart CSV.
    `now` is what "in the future" is judged against; `read` gathers the counts."""
    problem = structure_problem(bundle.shell)
    if problem:
        raise ChartFileError(bundle.name, [f"Bundle: {problem}"])
    problems: list[str] = []
    patients: set[str] = set()
    # Entries whose subject is not (yet) a Patient of the Bundle, by subject: judged at
    # the end, as a Patient may come after the entries about it.
    strangers: dict[Any, list[int]] = {}
    for index, entry in bundle.entries():
        resource = _resource(entry)
        if resource is not None and resource.get("resourceType") == "Patient":
            _patient(index, entry, resource, mrn, problems, read, patients)
            continue
        try:
            rows, subject = _entry_rows(entry, index, now, weight_kg, read.left_out)
        except _Refused as exc:
            problems.append(f"Bundle.entry[{index}]: {exc}")
            continue
        if subject is not _NO_SUBJECT and subject not in patients:
            strangers.setdefault(subject, []).append(index)
        read.count += len(rows)
        if not problems:
            yield from rows
    if patients:
        for subject, indexes in strangers.items():
            if subject not in patients:
                problems += [
                    f"Bundle.entry[{i}]: subject is not the Patient of this Bundle" for i in indexes
                ]
    if problems:
        problems.sort(key=_entry_number)
        raise ChartFileError(bundle.name, problems)


def _resource(entry: Any) -> dict[str, Any] | None:
    resource = entry.get("resource") if isinstance(entry, dict) else None
    return resource if isinstance(resource, dict) else None


def _patient(
    index: int,
    entry: dict[str, Any],
    resource: dict[str, Any],
    mrn: str,
    problems: list[str],
    read: BundleRead,
    urls: set[str],
) -> None:
    """A Patient of the Bundle: it must carry the MRN imported to; its fullUrl noted."""
    problem = structure_problem(resource)
    if problem:
        problems.append(f"Bundle.entry[{index}]: {problem}")
        return
    ids = resource.get("identifier") or []
    values = [i.get("value") for i in ids if isinstance(i, dict)]
    if mrn not in values:
        shown = ", ".join(str(v)[:40] for v in values) or "none"
        problems.append(
            f"Bundle.entry[{index}]: a Patient with MRN {shown}, not {mrn}: "
            "this Bundle is another patient's; nothing was imported"
        )
        return
    names = resource.get("name") or []
    if names and isinstance(names[0], dict) and isinstance(names[0].get("text"), str):
        read.patient_name = read.patient_name or names[0]["text"]
    if isinstance(entry.get("fullUrl"), str):
        urls.add(entry["fullUrl"])
    if isinstance(resource.get("id"), str):
        urls.add(f"Patient/{resource['id']}")


def patient_facts(index: int, entry: Any, mrn: str, read: BundleRead) -> str | None:
    """The name of an entry that is a Patient with this MRN (else None)."""
    resource = _resource(entry)
    if resource is not None and resource.get("resourceType") == "Patient":
        _patient(index, entry, resource, mrn, [], read, set())
    return read.patient_name


_NO_SUBJECT = object()  # an entry charted nothing and names no subject to check


def _entry_rows(
    entry: Any, index: int, now: float, weight_kg: float | None, left_out: Counter[str]
) -> tuple[list[ChartRow], Any]:
    """(the rows of one entry, the subject it names); _Refused if it is bad."""
    resource = _resource(entry)
    if resource is None:
        raise _Refused("an entry needs a resource (an object)")
    kind = resource.get("resourceType")
    if kind not in ("Observation", "MedicationAdministration"):
        left_out[str(kind)[:40]] += 1
        return [], _NO_SUBJECT
    problem = structure_problem(resource)
    if problem:
        raise _Refused(problem)
    checks = observation_problems if kind == "Observation" else medication_problems
    problems = checks(resource)
    if problems:
        raise _Refused("; ".join(problems))
    subject = (resource.get("subject") or {}).get("reference")
    status = resource["status"]
    if status == "entered-in-error":
        left_out["entered in error"] += 1
        return [], subject
    charted = CHARTED_OBSERVATION if kind == "Observation" else CHARTED_MEDICATION
    if status not in charted:
        raise _Refused(f"status {status}: only {', '.join(sorted(charted))} are charted")
    if kind == "MedicationAdministration":
        item, _ = known_code(resource["medicationCodeableConcept"])
        dosage = resource["dosage"]
        quantity = dosage.get("rateQuantity") or dosage.get("dose")
        return [_row(index, resource, str(item), quantity, resource, now, weight_kg)], subject
    item, grade = known_code(resource["code"])
    if grade is not None:
        left_out["grades (graded again here)"] += 1
        return [], subject
    if item == "bp_panel":
        rows = [
            _row(index, resource, str(known_code(c["code"])[0]), c["valueQuantity"], c, now, None)
            for c in resource["component"]
        ]
        return rows, subject
    value = _value(resource, str(item))
    return [_row(index, resource, str(item), value, resource, now, None)], subject


def _value(resource: dict[str, Any], item: str) -> Any:
    if "valueQuantity" in resource:
        return resource["valueQuantity"]
    if "valueInteger" in resource:
        return resource["valueInteger"]
    if "valueString" in resource:
        return resource["valueString"]
    concept = resource.get("valueCodeableConcept")
    local = [c.code for c in codes_in(concept) if c.system == LOCAL]
    if local:
        return local[0]
    if concept is not None:
        raise _Refused(f"{item}: value code not in {LOCAL} ({shorten(str(codes_in(concept)))})")
    raise _Refused(f"{item}: a value is needed")


def _number_text(number: Any) -> str:
    if isinstance(number, bool) or not isinstance(number, int | Decimal):
        raise _Refused("the value must be a number")
    return str(number)


def _row(
    index: int,
    resource: dict[str, Any],
    item: str,
    value: Any,
    holder: dict[str, Any],
    now: float,
    weight_kg: float | None,
) -> ChartRow:
    """One chart row: the value judged by the chart CSV's rules, the note, the as-written."""
    unit = ""
    if isinstance(value, dict):  # a Quantity: its UCUM code ("" for the canonical unit)
        text = _number_text(value.get("value"))
        unit = "" if value.get("code") == ITEMS[item].canonical_unit else str(value.get("code"))
    else:
        text = value if isinstance(value, str) else _number_text(value)
    judged = judge_value(resource["effectiveDateTime"], item, text, unit, now, weight_kg)
    if isinstance(judged, str):
        raise _Refused(judged)
    epoch, offset, valid = judged
    notes = [n.get("text") for n in resource.get("note") or [] if isinstance(n, dict)]
    note = "\n".join(n for n in notes if isinstance(n, str))
    if len(note) > MAX_NOTE_CHARS:
        raise _Refused(f"note of {len(note):,} characters; at most {MAX_NOTE_CHARS:,}")
    valid = _with_as_written(valid, holder)
    return ChartRow(index, epoch, offset, valid.item, valid, note)


def _with_as_written(valid: ValidValue, holder: dict[str, Any]) -> ValidValue:
    """The value as the nurse wrote it, from our extension, checked against the value
    charted: it must say the same thing (102 [degF] is 38.9 Cel), else refused."""
    found = [
        e
        for e in holder.get("extension") or []
        if isinstance(e, dict) and e.get("url") == AS_WRITTEN
    ]
    if not found:
        return valid
    parts = {p.get("url"): p for p in found[0].get("extension") or [] if isinstance(p, dict)}
    written = parts.get("value", {}).get("valueString")
    unit = parts.get("unit", {}).get("valueCode", "")
    if not isinstance(written, str) or not isinstance(unit, str):
        raise _Refused("the value as written (extension) needs a text value and a unit code")
    per_kg = "/kg" in unit
    try:
        # A rate per kg is checked as a number in an allowed unit (the weight it was
        # converted with is not in the Bundle); the value charted is valueQuantity's.
        as_written = validate(valid.item, written, unit, weight_kg=1.0 if per_kg else None)
    except ChartValueError as exc:
        raise _Refused(f"the value as written: {exc}") from None
    same = (
        per_kg
        or as_written.text == valid.text
        and (
            as_written.value == valid.value
            or as_written.value is not None
            and valid.value is not None
            and math.isclose(as_written.value, valid.value, rel_tol=1e-9, abs_tol=1e-9)
        )
    )
    if not same:
        raise _Refused(f"the value as written ({shorten(written)} {unit}) is not the value charted")
    return replace(valid, written_value=as_written.written_value, written_unit=unit)


__all__ = ["BundleFile", "BundleRead", "Code", "bundle_rows", "patient_facts"]
