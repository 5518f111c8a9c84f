"""The codes of the FHIR R4 Bundles (issue 21): LOINC, UCUM, the app's local code system.

One table says how each chart item travels: its code (LOINC where one can be backed,
else the local code system), its observation category, and whether it is a vital sign
of the FHIR vital-signs profile. Both directions read it, so an export always imports.
"""

from __future__ import annotations

from typing import NamedTuple

from crs_desktop.domain.vocabulary import ITEMS, Category

LOINC = "http://loinc.org"
UCUM = "http://unitsofmeasure.org"
# The app's own code system: the items LOINC has no code for (the ICE score: none
# exists), the words charted (oxygen devices, seizure types...), the drugs and the
# CRS/ICANS grades. A URN, so that no one takes it for a web address the project hosts.
LOCAL = "urn:crs-desktop:codes"
# Where the MRN comes from: an interface engine maps it to the hospital's own system.
MRN_SYSTEM = "urn:crs-desktop:mrn"
# The value and unit as the nurse wrote them (102 [degF]), beside the canonical
# valueQuantity (38.9 Cel): a complex extension with "value" (string) and "unit" (code).
AS_WRITTEN = "urn:crs-desktop:as-written"
# On an entered-in-error Observation: the Observation that replaced it.
REPLACED_BY = "urn:crs-desktop:replaced-by"
CATEGORY_SYSTEM = "http://terminology.hl7.org/CodeSystem/observation-category"
VITAL_SIGNS_PROFILE = "http://hl7.org/fhir/StructureDefinition/vitalsigns"
BP_PROFILE = "http://hl7.org/fhir/StructureDefinition/bp"

# The FHIR vital-signs profile's codes (REFERENCE.md §6.3 [C: F1]): the blood pressure
# panel with its systolic and diastolic components; SpO2 carries both 2708-6 (the
# profile's) and 59408-5 (pulse oximetry, as US Core codes it).
BP_PANEL = "85354-9"
SPO2_PROFILE_CODE = "2708-6"
# LOINC codes beyond the vocabulary's own (vocabulary.Item.loinc, REFERENCE.md §6.3),
# each seen in public FHIR implementation guides and lab mappings (searched 2026-12-01):
# body weight is a vital-signs profile code [F1]; the others are the moles/volume or
# activity codes matching the canonical units (µmol/L, U/L, g/L, ×10⁹/L).
# IL-6 (26881-3) is unconfirmed in REFERENCE.md §6.3 [U]: it goes by the local code.
EXTRA_LOINC = {
    "weight": "29463-7",  # Body weight
    "lymphocytes": "731-0",  # Lymphocytes [#/volume] in Blood by Automated count
    "creatinine": "14682-9",  # Creatinine [Moles/volume] in Serum or Plasma
    "bilirubin": "14631-6",  # Bilirubin.total [Moles/volume] in Serum or Plasma
    "alt": "1742-6",  # Alanine aminotransferase [Enzymatic activity/volume] in S/P
    "ast": "1920-8",  # Aspartate aminotransferase [Enzymatic activity/volume] in S/P
    "fibrinogen": "3255-7",  # Fibrinogen [Mass/volume] in Platelet poor plasma
}

# The grades, as Observations of the local code system (derived: never imported).
GRADE_CODES = {"astct_crs": "astct-crs-grade", "astct_icans": "astct-icans-grade"}
GRADE_DISPLAY = {"astct_crs": "CRS grade (ASTCT 2019)", "astct_icans": "ICANS grade (ASTCT 2019)"}
# Items of the vital-signs profile (category vital-signs and the profile claimed).
VITAL_PROFILE_ITEMS = frozenset(
    {"temperature", "systolic_bp", "diastolic_bp", "heart_rate", "resp_rate", "spo2", "weight"}
)
_CATEGORY_OF = {
    Category.VITAL: "vital-signs",
    Category.OXYGEN: "vital-signs",
    Category.LAB: "laboratory",
    Category.NEURO: "exam",
    Category.PATIENT: "vital-signs",
    Category.EVENT: "procedure",
}
# Drugs and fluids go as MedicationAdministration, not Observation.
MEDICATION_CATEGORIES = frozenset(
    {
        Category.VASOPRESSOR,
        Category.FLUID,
        Category.ANTIPYRETIC,
        Category.ANTICYTOKINE,
        Category.CORTICOSTEROID,
    }
)


class Code(NamedTuple):
    system: str
    code: str


def loinc_of(item: str) -> str | None:
    return ITEMS[item].loinc or EXTRA_LOINC.get(item)


def code_of(item: str) -> Code:
    """The code an item's Observation (or medication) carries."""
    loinc = loinc_of(item)
    return Code(LOINC, loinc) if loinc else Code(LOCAL, item)


def category_of(item: str) -> str:
    if item == "ice_score":
        return "survey"
    return _CATEGORY_OF[ITEMS[item].category]


def is_medication(item: str) -> bool:
    return ITEMS[item].category in MEDICATION_CATEGORIES


# What a code read from a Bundle stands for: an item's name, or a grade's system.
ITEM_OF_CODE: dict[Code, str] = {code_of(name): name for name in ITEMS}
ITEM_OF_CODE[Code(LOINC, SPO2_PROFILE_CODE)] = "spo2"
GRADE_OF_CODE = {Code(LOCAL, code): system for system, code in GRADE_CODES.items()}
