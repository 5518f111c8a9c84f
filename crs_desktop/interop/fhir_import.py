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

import json
import math
import os
from collections import Counter
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
from crs_desktop.interop.fhir_validate import structure_problem

CHARTED_OBSERVATION = frozenset({"final", "amended", "corrected"})
CHARTED_MEDICATION = frozenset({"completed", "in-progress", "stopped"})
# Deeper than any Bundle this app reads: a hostile file is refused, not recursed into.
MAX_DEPTH = 64


@dataclass
class BundleRead:
    rows: list[ChartRow]
    left_out: Counter[str] = field(default_factory=Counter)
    patient_name: str | None = None


class _Refused(ValueError):
    """What is wrong with one entry (its place is added by the caller)."""


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def _depth_ok(value: Any, depth: int = 0) -> bool:
    if depth > MAX_DEPTH:
        return False
    if isinstance(value, dict):
        return all(_depth_ok(v, depth + 1) for v in value.values())
    if isinstance(value, list):
        return all(_depth_ok(v, depth + 1) for v in value)
    return True


def load_bundle(path: str | os.PathLike[str]) -> dict[str, Any]:
    """The Bundle as JSON (decimals kept as written); ChartFileError if it is none."""
    name = os.fspath(path)
    try:
        with open(path, encoding="utf-8-sig") as handle:
            bundle = json.load(handle, parse_float=Decimal, parse_constant=_no_constant)
    except OSError as exc:
        raise ChartFileError(name, [f"cannot read the file: {exc.strerror}"]) from None
    except UnicodeDecodeError:
        raise ChartFileError(name, ["not UTF-8 text; a FHIR JSON file is UTF-8"]) from None
    except json.JSONDecodeError as exc:
        where = f"line {exc.lineno}, column {exc.colno}"
        raise ChartFileError(name, [f"not JSON ({where}): {exc.msg}"]) from None
    except (ValueError, RecursionError) as exc:  # NaN, Infinity; nesting too deep to read
        raise ChartFileError(name, [f"not JSON: {shorten(str(exc))}"]) from None
    if not isinstance(bundle, dict) or bundle.get("resourceType") != "Bundle":
        raise ChartFileError(name, ["not a FHIR Bundle (resourceType must be Bundle)"])
    if not _depth_ok(bundle):
        raise ChartFileError(name, [f"nested deeper than {MAX_DEPTH} levels; not a Bundle"])
    return bundle


def read_bundle(
    path: str | os.PathLike[str], mrn: str, now: float, weight_kg: float | None = None
) -> BundleRead:
    """The chart rows of a Bundle for the patient with this MRN; ChartFileError naming
    every bad entry if any is bad. `now` is what "in the future" is judged against."""
    name = os.fspath(path)
    bundle = load_bundle(path)
    shell = {k: v for k, v in bundle.items() if k != "entry"}
    problem = structure_problem(shell)
    if problem:
        raise ChartFileError(name, [f"Bundle: {problem}"])
    entries = bundle.get("entry", [])
    if not isinstance(entries, list):
        raise ChartFileError(name, ["Bundle.entry: must be a list of entries"])
    read = BundleRead([])
    problems: list[str] = []
    patients = _patients(entries, mrn, problems, read)
    for index, entry in enumerate(entries):
        try:
            read.rows += _entry_rows(entry, index, patients, now, weight_kg, read.left_out)
        except _Refused as exc:
            problems.append(f"Bundle.entry[{index}]: {exc}")
    if problems:
        raise ChartFileError(name, problems)
    return read


def _resource(entry: Any) -> dict[str, Any] | None:
    resource = entry.get("resource") if isinstance(entry, dict) else None
    return resource if isinstance(resource, dict) else None


def _patients(entries: list[Any], mrn: str, problems: list[str], read: BundleRead) -> set[str]:
    """The fullUrls of the Bundle's Patients; each must carry the MRN imported to."""
    urls: set[str] = set()
    for index, entry in enumerate(entries):
        resource = _resource(entry)
        if resource is None or resource.get("resourceType") != "Patient":
            continue
        problem = structure_problem(resource)
        ids = resource.get("identifier") or []
        values = [i.get("value") for i in ids if isinstance(i, dict)] if not problem else []
        if problem:
            problems.append(f"Bundle.entry[{index}]: {problem}")
        elif mrn not in values:
            shown = ", ".join(str(v)[:40] for v in values) or "none"
            problems.append(
                f"Bundle.entry[{index}]: a Patient with MRN {shown}, not {mrn}: "
                "this Bundle is another patient's; nothing was imported"
            )
        else:
            names = resource.get("name") or []
            if names and isinstance(names[0], dict) and isinstance(names[0].get("text"), str):
                read.patient_name = names[0]["text"]
            if isinstance(entry.get("fullUrl"), str):
                urls.add(entry["fullUrl"])
            if isinstance(resource.get("id"), str):
                urls.add(f"Patient/{resource['id']}")
    return urls


def _entry_rows(
    entry: Any,
    index: int,
    patients: set[str],
    now: float,
    weight_kg: float | None,
    left_out: Counter[str],
) -> list[ChartRow]:
    resource = _resource(entry)
    if resource is None:
        raise _Refused("an entry needs a resource (an object)")
    kind = resource.get("resourceType")
    if kind == "Patient":
        return []
    if kind not in ("Observation", "MedicationAdministration"):
        left_out[str(kind)[:40]] += 1
        return []
    problem = structure_problem(resource)
    if problem:
        raise _Refused(problem)
    checks = observation_problems if kind == "Observation" else medication_problems
    problems = checks(resource)
    if problems:
        raise _Refused("; ".join(problems))
    subject = resource.get("subject") or {}
    if patients and subject.get("reference") not in patients:
        raise _Refused("subject is not the Patient of this Bundle")
    status = resource["status"]
    if status == "entered-in-error":
        left_out["entered in error"] += 1
        return []
    charted = CHARTED_OBSERVATION if kind == "Observation" else CHARTED_MEDICATION
    if status not in charted:
        raise _Refused(f"status {status}: only {', '.join(sorted(charted))} are charted")
    if kind == "MedicationAdministration":
        item, _ = known_code(resource["medicationCodeableConcept"])
        dosage = resource["dosage"]
        quantity = dosage.get("rateQuantity") or dosage.get("dose")
        return [_row(index, resource, str(item), quantity, resource, now, weight_kg)]
    item, grade = known_code(resource["code"])
    if grade is not None:
        left_out["grades (graded again here)"] += 1
        return []
    if item == "bp_panel":
        return [
            _row(index, resource, str(known_code(c["code"])[0]), c["valueQuantity"], c, now, None)
            for c in resource["component"]
        ]
    return [_row(index, resource, str(item), _value(resource, str(item)), resource, now, None)]


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


__all__ = ["BundleRead", "Code", "load_bundle", "read_bundle"]
