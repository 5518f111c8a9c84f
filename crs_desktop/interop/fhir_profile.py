"""Our own checks of the FHIR resources, beyond fhir.resources (issue 21 item 3).

fhir.resources (R4B) checks structure only: `status="done"` or a temperature coded
with a heart-rate LOINC both pass it. These check what the Bundles of this app must
carry: the statuses FHIR defines, a known code, the category, the vital-signs profile
(its LOINC codes, the BP panel's two components), UCUM units that are the item's own.
Each returns the problems as plain sentences (empty: the resource conforms); the same
checks run on every resource exported and on every resource imported.
"""

from __future__ import annotations

from typing import Any

from crs_desktop.domain.vocabulary import ITEMS
from crs_desktop.interop.fhir_codes import (
    BP_PANEL,
    CATEGORY_SYSTEM,
    GRADE_OF_CODE,
    ITEM_OF_CODE,
    LOINC,
    UCUM,
    VITAL_PROFILE_ITEMS,
    Code,
    category_of,
    code_of,
    is_medication,
)

OBSERVATION_STATUSES = frozenset(
    {"registered", "preliminary", "final", "amended", "corrected", "cancelled"}
    | {"entered-in-error", "unknown"}
)
MEDICATION_STATUSES = frozenset(
    {"in-progress", "not-done", "on-hold", "completed", "entered-in-error", "stopped", "unknown"}
)
# What is charted: a result that stands (not a preliminary or cancelled one).
CHARTED_STATUSES = frozenset({"final", "amended", "corrected"})


def codes_in(concept: Any) -> list[Code]:
    """The (system, code) pairs of a CodeableConcept as read from JSON."""
    if not isinstance(concept, dict) or not isinstance(concept.get("coding"), list):
        return []
    return [
        Code(c.get("system", ""), c.get("code", ""))
        for c in concept["coding"]
        if isinstance(c, dict)
    ]


def known_code(concept: Any) -> tuple[str | None, str | None]:
    """(item, grade system): what the first code this app knows stands for."""
    for code in codes_in(concept):
        if code == (LOINC, BP_PANEL):
            return "bp_panel", None
        if code in ITEM_OF_CODE:
            return ITEM_OF_CODE[code], None
        if code in GRADE_OF_CODE:
            return None, GRADE_OF_CODE[code]
    return None, None


def _shown_codes(concept: Any) -> str:
    shown = ", ".join(f"{c.system or '(no system)'}|{c.code}" for c in codes_in(concept)[:3])
    return shown or "no coding"


def _quantity_problems(quantity: Any, item: str, where: str) -> list[str]:
    if not isinstance(quantity, dict):
        return [f"{where}: a quantity is needed"]
    if quantity.get("system") != UCUM:
        return [f"{where}: the unit must be a UCUM code (system {UCUM})"]
    units = ITEMS[item].units
    if quantity.get("code") not in units:
        got = str(quantity.get("code"))[:40]
        return [f"{where}: unit {got!r} is not one of {item}'s units ({', '.join(units)})"]
    return []


def _has_category(resource: dict[str, Any], wanted: str) -> bool:
    categories = resource.get("category")
    if not isinstance(categories, list):
        return False
    return any(Code(CATEGORY_SYSTEM, wanted) in codes_in(c) for c in categories)


def observation_problems(resource: dict[str, Any]) -> list[str]:
    """What keeps an Observation (as JSON) from being one this app writes and reads."""
    status = resource.get("status")
    if status not in OBSERVATION_STATUSES:
        return [f"status {str(status)[:40]!r} is not an Observation status"]
    if not isinstance(resource.get("effectiveDateTime"), str):
        return ["effectiveDateTime is needed (a date-time with its UTC offset)"]
    item, grade = known_code(resource.get("code"))
    if grade is not None:
        return []
    if item is None:
        return [f"unknown code ({_shown_codes(resource.get('code'))}); not charted"]
    if item == "bp_panel":
        return _bp_problems(resource)
    problems = []
    wanted = category_of(item)
    if not _has_category(resource, wanted):
        problems.append(f"{item}: category {wanted} is needed")
    if item == "spo2" and Code(LOINC, "2708-6") not in codes_in(resource.get("code")):
        problems.append("spo2: the vital-signs profile's code 2708-6 is needed")
    if ITEMS[item].is_numeric and ITEMS[item].units:
        problems += _quantity_problems(resource.get("valueQuantity"), item, f"{item} value")
    elif ITEMS[item].is_numeric and "valueInteger" not in resource:
        problems.append(f"{item}: valueInteger is needed")
    return problems


def _bp_problems(resource: dict[str, Any]) -> list[str]:
    """The vital-signs BP profile: category, and a systolic and a diastolic component."""
    problems = [] if _has_category(resource, "vital-signs") else ["category vital-signs needed"]
    components = resource.get("component")
    if not isinstance(components, list):
        return [*problems, "blood pressure panel: systolic and diastolic components are needed"]
    found = []
    for component in components:
        item, _ = known_code(component.get("code") if isinstance(component, dict) else None)
        if item not in ("systolic_bp", "diastolic_bp"):
            problems.append("blood pressure panel: a component that is not systolic/diastolic")
            continue
        found.append(item)
        problems += _quantity_problems(component.get("valueQuantity"), item, item)
    if sorted(found) != ["diastolic_bp", "systolic_bp"]:
        problems.append("blood pressure panel: exactly one systolic and one diastolic needed")
    return problems


def medication_problems(resource: dict[str, Any]) -> list[str]:
    """What keeps a MedicationAdministration from being a drug or fluid this app charts."""
    status = resource.get("status")
    if status not in MEDICATION_STATUSES:
        return [f"status {str(status)[:40]!r} is not a MedicationAdministration status"]
    if not isinstance(resource.get("effectiveDateTime"), str):
        return ["effectiveDateTime is needed (a date-time with its UTC offset)"]
    concept = resource.get("medicationCodeableConcept")
    item, _ = known_code(concept)
    if item is None or item == "bp_panel" or not is_medication(item):
        return [f"unknown medication ({_shown_codes(concept)}); not charted"]
    dosage = resource.get("dosage")
    if not isinstance(dosage, dict):
        return [f"{item}: dosage is needed"]
    key = "rateQuantity" if ITEMS[item].category.value == "vasopressor" else "dose"
    return _quantity_problems(dosage.get(key), item, f"{item} dosage.{key}")


def export_problems(resource: dict[str, Any]) -> list[str]:
    """The checks of a resource about to be exported (the profile claim included)."""
    kind = resource.get("resourceType")
    if kind == "Observation":
        problems = observation_problems(resource)
        item, _ = known_code(resource.get("code"))
        profiles = resource.get("meta", {}).get("profile", [])
        if (item in VITAL_PROFILE_ITEMS or item == "bp_panel") and not profiles:
            problems.append(f"{item}: the vital-signs profile must be claimed")
        return problems
    if kind == "MedicationAdministration":
        return medication_problems(resource)
    return []


__all__ = [
    "CHARTED_STATUSES",
    "code_of",
    "codes_in",
    "export_problems",
    "known_code",
    "medication_problems",
    "observation_problems",
]
