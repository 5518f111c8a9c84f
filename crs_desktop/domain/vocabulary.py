"""The chart's vocabulary: items, their values, units and possible ranges.

This is the single list of what can be charted (../shared/spec/chart-csv.md,
"Items"). The store, the CSV importer, the entry form and the grader all read
it from here.

The "possible" ranges refuse what cannot be a real measurement (a typo, a
wrong unit); the "usual" ranges only flag a value as extreme so a nurse
confirms it. Neither is a clinical threshold: grading thresholds live in the
grading modules and the protocol file, with their REFERENCE.md sections.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum

from crs_desktop.domain.units import ucum_unit


class Kind(Enum):
    """How an item's value is written."""

    NUMBER = "number"
    INTEGER = "integer"
    WORD = "word"  # one of the item's listed words
    TEXT = "text"  # free text (a product name)


class Category(Enum):
    """What an item is, for grouping on screen and for the grading rules."""

    VITAL = "vital"
    OXYGEN = "oxygen"
    VASOPRESSOR = "vasopressor"
    FLUID = "fluid"
    ANTIPYRETIC = "antipyretic"
    ANTICYTOKINE = "anticytokine"
    CORTICOSTEROID = "corticosteroid"
    LAB = "lab"
    NEURO = "neuro"
    PATIENT = "patient"
    EVENT = "event"


@dataclass(frozen=True)
class UnitConversion:
    """To the canonical unit: add `offset`, then multiply by `factor`.

    Both are exact fractions written as text ("5/9", "0.1"), so that 100.4 °F
    becomes exactly 38.0 °C, as the grading sees it. Weight-based infusion
    rates (`per_kg`) also multiply by the patient's weight.
    """

    factor: str
    offset: str = "0"
    per_kg: bool = False


@dataclass(frozen=True)
class Item:
    """One thing that can be charted, with its allowed values and units."""

    name: str
    label: str
    kind: Kind
    category: Category
    units: tuple[str, ...] = ()  # canonical first
    words: tuple[str, ...] = ()
    possible: tuple[float, float] | None = None  # in the canonical unit, inclusive
    usual: tuple[float, float] | None = None  # outside this: accepted, flagged extreme
    conversions: dict[str, UnitConversion] = field(default_factory=dict)
    loinc: str | None = None  # REFERENCE.md §6.3

    @property
    def canonical_unit(self) -> str:
        return self.units[0] if self.units else ""

    @property
    def is_numeric(self) -> bool:
        return self.kind in (Kind.NUMBER, Kind.INTEGER)


_SAME = UnitConversion("1")

# Standard conversions. °F→°C and the ×10 / ÷10 ones are in REFERENCE.md
# §6.2; creatinine (113.12 g/mol: 1 mg/dL = 88.4 µmol/L), bilirubin
# (584.66 g/mol: 1 mg/dL = 17.1 µmol/L), fibrinogen (1 g/L = 100 mg/dL) and
# the pound (0.45359237 kg by definition) are physical constants, not rules.
_PER_KG = UnitConversion("1", per_kg=True)


def _vasopressor(name: str, label: str) -> Item:
    return Item(
        name,
        label,
        Kind.NUMBER,
        Category.VASOPRESSOR,
        units=("ug/min", "ug/kg/min"),
        possible=(0, 2000),
        usual=(0, 100),
        conversions={"ug/kg/min": _PER_KG},
    )


def _dose(name: str, label: str, category: Category, most: float, usual_most: float) -> Item:
    return Item(
        name,
        label,
        Kind.NUMBER,
        category,
        units=("mg",),
        possible=(0.01, most),
        usual=(0.01, usual_most),
    )


def _lab(
    name: str,
    label: str,
    units: tuple[str, ...],
    possible: tuple[float, float],
    usual: tuple[float, float] | None = None,
    conversions: dict[str, UnitConversion] | None = None,
    loinc: str | None = None,
) -> Item:
    return Item(
        name,
        label,
        Kind.NUMBER,
        Category.LAB,
        units=units,
        possible=possible,
        usual=usual,
        conversions=conversions or {},
        loinc=loinc,
    )


_COUNT_UNITS = ("10*9/L", "10*3/uL")
_COUNT_SAME = {"10*3/uL": _SAME}

O2_DEVICES = (
    "room_air",
    "blow_by",
    "nasal_cannula",
    "high_flow_nasal_cannula",
    "simple_mask",
    "venturi_mask",
    "non_rebreather",
    "cpap",
    "bipap",
    "mechanical_ventilation",
)

CONSCIOUSNESS_LEVELS = (
    "alert",
    "awakens_spontaneously",
    "awakens_to_voice",
    "awakens_to_touch",
    "unarousable",
)

_ITEM_LIST: tuple[Item, ...] = (
    Item(
        "temperature",
        "Temperature",
        Kind.NUMBER,
        Category.VITAL,
        units=("Cel", "[degF]"),
        possible=(25.0, 45.0),
        usual=(35.0, 41.0),
        conversions={"[degF]": UnitConversion("5/9", offset="-32")},
        loinc="8310-5",
    ),
    Item(
        "systolic_bp",
        "Systolic BP",
        Kind.NUMBER,
        Category.VITAL,
        units=("mm[Hg]",),
        possible=(20, 300),
        usual=(70, 220),
        loinc="8480-6",
    ),
    Item(
        "diastolic_bp",
        "Diastolic BP",
        Kind.NUMBER,
        Category.VITAL,
        units=("mm[Hg]",),
        possible=(10, 200),
        usual=(35, 130),
        loinc="8462-4",
    ),
    Item(
        "heart_rate",
        "Heart rate",
        Kind.NUMBER,
        Category.VITAL,
        units=("/min",),
        possible=(0, 300),
        usual=(40, 180),
        loinc="8867-4",
    ),
    Item(
        "resp_rate",
        "Respiratory rate",
        Kind.NUMBER,
        Category.VITAL,
        units=("/min",),
        possible=(0, 80),
        usual=(8, 40),
        loinc="9279-1",
    ),
    Item(
        "spo2",
        "SpO2",
        Kind.NUMBER,
        Category.VITAL,
        units=("%",),
        possible=(0, 100),
        usual=(80, 100),
        loinc="59408-5",
    ),
    Item("o2_device", "Oxygen device", Kind.WORD, Category.OXYGEN, words=O2_DEVICES),
    Item(
        "o2_flow",
        "Oxygen flow",
        Kind.NUMBER,
        Category.OXYGEN,
        units=("L/min",),
        possible=(0, 80),
        usual=(0, 60),
        loinc="3151-8",
    ),
    # A value of 1 or less is a fraction (chart-csv.md): converted in validate().
    Item(
        "fio2",
        "FiO2",
        Kind.NUMBER,
        Category.OXYGEN,
        units=("%",),
        possible=(21, 100),
        loinc="3150-0",
    ),
    _vasopressor("norepinephrine", "Norepinephrine"),
    _vasopressor("epinephrine", "Epinephrine"),
    _vasopressor("phenylephrine", "Phenylephrine"),
    _vasopressor("dopamine", "Dopamine"),
    Item(
        "vasopressin",
        "Vasopressin",
        Kind.NUMBER,
        Category.VASOPRESSOR,
        units=("U/min",),
        possible=(0, 1),
        usual=(0, 0.1),
    ),
    Item(
        "fluid_bolus",
        "Fluid bolus",
        Kind.NUMBER,
        Category.FLUID,
        units=("mL",),
        possible=(1, 5000),
        usual=(1, 2000),
    ),
    _dose("paracetamol", "Paracetamol", Category.ANTIPYRETIC, 4000, 1000),
    _dose("ibuprofen", "Ibuprofen", Category.ANTIPYRETIC, 2400, 800),
    # 800 mg is the per-dose maximum of REFERENCE.md §5.1: above it, flagged.
    _dose("tocilizumab", "Tocilizumab", Category.ANTICYTOKINE, 2000, 800),
    _dose("siltuximab", "Siltuximab", Category.ANTICYTOKINE, 3000, 1500),
    _dose("anakinra", "Anakinra", Category.ANTICYTOKINE, 1000, 200),
    _dose("dexamethasone", "Dexamethasone", Category.CORTICOSTEROID, 200, 40),
    _dose("methylprednisolone", "Methylprednisolone", Category.CORTICOSTEROID, 3000, 1000),
    _dose("hydrocortisone", "Hydrocortisone", Category.CORTICOSTEROID, 1000, 400),
    _lab(
        "crp",
        "CRP",
        ("mg/L", "mg/dL"),
        (0, 1000),
        (0, 500),
        {"mg/dL": UnitConversion("10")},
        loinc="1988-5",
    ),
    _lab(
        "ferritin",
        "Ferritin",
        ("ng/mL", "ug/L"),
        (0, 500000),
        (0, 100000),
        {"ug/L": _SAME},
        loinc="2276-4",
    ),
    _lab("wbc", "WBC", _COUNT_UNITS, (0, 1000), (0, 200), _COUNT_SAME, loinc="6690-2"),
    _lab("anc", "ANC", _COUNT_UNITS, (0, 500), (0, 100), _COUNT_SAME, loinc="751-8"),
    _lab("lymphocytes", "Lymphocytes", _COUNT_UNITS, (0, 1000), (0, 200), _COUNT_SAME),
    _lab("platelets", "Platelets", _COUNT_UNITS, (0, 3000), (0, 1500), _COUNT_SAME, loinc="777-3"),
    _lab(
        "hemoglobin",
        "Hemoglobin",
        ("g/dL", "g/L"),
        (0, 25),
        (5, 20),
        {"g/L": UnitConversion("0.1")},
        loinc="718-7",
    ),
    _lab(
        "creatinine",
        "Creatinine",
        ("umol/L", "mg/dL"),
        (0, 3000),
        (0, 1500),
        {"mg/dL": UnitConversion("88.4")},
    ),
    _lab(
        "bilirubin",
        "Bilirubin",
        ("umol/L", "mg/dL"),
        (0, 1500),
        (0, 700),
        {"mg/dL": UnitConversion("17.1")},
    ),
    _lab("alt", "ALT", ("U/L",), (0, 20000), (0, 5000)),
    _lab("ast", "AST", ("U/L",), (0, 20000), (0, 5000)),
    _lab(
        "fibrinogen",
        "Fibrinogen",
        ("g/L", "mg/dL"),
        (0, 20),
        (0.5, 10),
        {"mg/dL": UnitConversion("0.01")},
    ),
    _lab("il6", "IL-6", ("pg/mL",), (0, 1_000_000), (0, 100_000)),
    Item("ice_score", "ICE score", Kind.INTEGER, Category.NEURO, possible=(0, 10)),
    Item(
        "consciousness",
        "Level of consciousness",
        Kind.WORD,
        Category.NEURO,
        words=CONSCIOUSNESS_LEVELS,
    ),
    Item("acvpu", "ACVPU", Kind.WORD, Category.NEURO, words=("A", "C", "V", "P", "U")),
    Item(
        "seizure",
        "Seizure",
        Kind.WORD,
        Category.NEURO,
        words=(
            "none",
            "focal_resolved",
            "generalized_resolved",
            "nonconvulsive_resolved",
            "prolonged",
            "repetitive",
        ),
    ),
    Item(
        "motor_weakness",
        "Motor weakness",
        Kind.WORD,
        Category.NEURO,
        words=("none", "hemiparesis", "paraparesis"),
    ),
    Item(
        "cerebral_edema",
        "Raised ICP / cerebral edema",
        Kind.WORD,
        Category.NEURO,
        words=(
            "none",
            "focal",
            "diffuse",
            "posturing",
            "cn_vi_palsy",
            "papilledema",
            "cushings_triad",
        ),
    ),
    Item("sedation", "Sedation", Kind.WORD, Category.NEURO, words=("none", "sedated")),
    Item(
        "weight",
        "Weight",
        Kind.NUMBER,
        Category.PATIENT,
        units=("kg", "[lb_av]"),
        possible=(0.5, 400),
        usual=(2, 250),
        conversions={"[lb_av]": UnitConversion("0.45359237")},
    ),
    Item("car_t_infusion", "CAR-T infusion", Kind.TEXT, Category.EVENT),
    Item("death", "Death", Kind.WORD, Category.EVENT, words=("crs", "icans", "other")),
)

ITEMS: dict[str, Item] = {item.name: item for item in _ITEM_LIST}

# chart-csv.md: "acetaminophen is a synonym of paracetamol".
SYNONYMS: dict[str, str] = {"acetaminophen": "paracetamol"}

# Items whose value is a rate that holds from its time on (0 = stopped).
RATE_ITEMS = frozenset(i.name for i in _ITEM_LIST if i.category is Category.VASOPRESSOR)
# Items whose value is a single administration at its time.
DOSE_ITEMS = frozenset(
    i.name
    for i in _ITEM_LIST
    if i.category
    in (Category.FLUID, Category.ANTIPYRETIC, Category.ANTICYTOKINE, Category.CORTICOSTEROID)
)


def lookup_item(name: str) -> Item | None:
    """The item for a name as written (case-insensitive, synonyms allowed)."""
    key = name.strip().lower()
    key = SYNONYMS.get(key, key)
    return ITEMS.get(key)


def items_in(category: Category) -> list[Item]:
    return [i for i in _ITEM_LIST if i.category is category]


# -- the words a nurse reads -------------------------------------------------------------
# Units are stored as UCUM codes (REFERENCE.md §6.2: `Cel`, `mm[Hg]`, `10*9/L`); a nurse
# reads "°C", "mmHg", "×10⁹/L". Every message and label shows a unit through unit_text().
UNIT_WORDS = {
    "Cel": "°C",
    "[degF]": "°F",
    "mm[Hg]": "mmHg",
    "ug/min": "µg/min",
    "ug/kg/min": "µg/kg/min",
    "U/min": "U/min",
    "/min": "/min",
    "10*9/L": "×10⁹/L",
    "10*3/uL": "×10³/µL",
    "umol/L": "µmol/L",
    "ug/L": "µg/L",
    "[lb_av]": "lb",
}

# A temperature typed in °C that reads as °F (96-105 °F is a fever or a normal
# temperature in °F; no one is 90-110 °C). Not a clinical threshold: a check of the unit,
# like the possible ranges above (issue 13).
FAHRENHEIT_TYPED_AS_CELSIUS = (90.0, 110.0)


def unit_text(unit: str) -> str:
    """'°C' for 'Cel': a unit as the ward writes it (old spellings too)."""
    return UNIT_WORDS.get(ucum_unit(unit), unit)


def word_text(word: str) -> str:
    """'nasal cannula' for 'nasal_cannula': a charted word as the ward says it."""
    return word.replace("_", " ")


def number_text(item: str, value: float) -> str:
    """A canonical number at the precision it is read: temperature to 0.1 °C (as NEWS2
    scores it, REFERENCE.md §7.1), other values to 4 significant figures."""
    return f"{value:.1f}" if item == "temperature" else f"{value:.4g}"


def number_shown(item: str, value: float, written_value: str = "", written_unit: str = "") -> str:
    """The canonical number as it is read: as typed when it was typed in the canonical
    unit ('37.25'), else rounded ('38.9' for 102 °F, never '38.8889')."""
    same_unit = written_unit in ("", ITEMS[item].canonical_unit)
    if written_value and same_unit and _as_number(written_value) == value:
        return written_value
    return number_text(item, value)


def value_text(
    item: str,
    value: float | None,
    text: str | None = None,
    written_value: str = "",
    written_unit: str = "",
) -> str:
    """A charted value as a nurse reads it: '38.9 °C (102 °F)', '120 mmHg', 'nasal cannula'.

    The canonical value first, and the value as written when it was written otherwise, so
    that neither is lost.
    """
    if value is None:
        return word_text(text or "")
    unit = unit_text(ITEMS[item].canonical_unit)
    number = number_shown(item, value, written_value, written_unit)
    shown = f"{number} {unit}".strip()
    if written_value and number != written_value:
        shown += f" ({written_value} {unit_text(written_unit)})".replace(" )", ")")
    return shown


def _as_number(written: str) -> float | None:
    try:
        return float(written)
    except ValueError:
        return None
