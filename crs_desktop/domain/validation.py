"""Checking a charted value against the vocabulary and converting its unit.

Shared by the store, the CSV importer and the entry form, so a value is
judged the same way wherever it comes from.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from fractions import Fraction

from crs_desktop.domain.errors import UserError
from crs_desktop.domain.units import ucum_unit
from crs_desktop.domain.vocabulary import (
    FAHRENHEIT_TYPED_AS_CELSIUS,
    ITEMS,
    SYNONYMS,
    Item,
    Kind,
    lookup_item,
    number_text,
    unit_text,
    word_text,
)

# ASCII digits only: a Unicode \d would read Arabic-Indic '٣٨.٥' as 38.5, a value
# the nurse never wrote in the form every other tool reads.
_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)$", re.ASCII)
_INTEGER = re.compile(r"^\d+$", re.ASCII)
# No measurement needs more digits; a longer string is a paste gone wrong (and a
# 5,000-digit one would be slow and unconvertible).
MAX_DIGITS = 20
# A value echoed in a message is cut to this many characters.
_SHOWN_CHARS = 40

# Every way in (form, import, grade, store) judges an observed time here.
# A nurse's clock and the workstation's may differ a little; beyond this an
# observed time in the future is a typo.
FUTURE_TOLERANCE_S = 120.0
# Nothing charted for a living patient predates this: an earlier year is a typo
# (0001 and 9999 are what spreadsheets write for "no date").
EARLIEST_OBSERVED = datetime(1900, 1, 1, tzinfo=UTC).timestamp()
# A stored time outside [EARLIEST_OBSERVED, LATEST_READABLE) is never shown or graded
# (the store leaves it out and lists it): no calendar arithmetic near the calendar's
# end, where a local date no longer exists (year 0 or 10000 in some zone).
LATEST_READABLE = datetime(9000, 1, 1, tzinfo=UTC).timestamp()


class ChartValueError(UserError, ValueError):
    """A value that cannot be charted; the message names the item, the value and what is allowed."""

    def __init__(self, item: str, value: str, problem: str) -> None:
        self.item = item
        self.value = value
        self.problem = problem
        shown = f"{item} {shorten(value)!r}" if value != "" else f"{item} (empty)"
        super().__init__(f"{shown}: {problem}")


@dataclass(frozen=True, slots=True)
class ValidValue:
    """A value that passed validation, in its canonical unit, with what was written."""

    item: str
    value: float | None  # canonical number; None for words and text
    text: str | None  # the word or text; None for numbers
    unit: str  # canonical unit ("" for words)
    written_value: str
    written_unit: str
    extreme: bool = False
    flag: str = ""  # why it is extreme, for the nurse to confirm


def shorten(text: str) -> str:
    """Text to echo in a message: a pasted megabyte is cut, with its length said."""
    if len(text) <= _SHOWN_CHARS:
        return text
    return f"{text[: _SHOWN_CHARS - 1]}… ({len(text):,} characters)"


class ObservedTimeError(UserError, ValueError):
    """An observed time that cannot be charted: before 1900 or in the future."""


def check_observed_time(epoch: float, now: float) -> None:
    """Refuse a time no value can have been observed at; the one rule for every way in."""
    if not math.isfinite(epoch) or epoch < EARLIEST_OBSERVED:
        raise ObservedTimeError("is before 1900; allowed from 1900 up to now")
    if epoch > now + FUTURE_TOLERANCE_S:
        raise ObservedTimeError("is in the future; allowed up to now")


def is_readable_time(epoch: float) -> bool:
    """Whether a stored time can be shown and graded (see LATEST_READABLE)."""
    return EARLIEST_OBSERVED <= epoch < LATEST_READABLE


def canonical_item_name(name: str) -> str:
    """The vocabulary's name for an item as written; raises ChartValueError if unknown."""
    item = lookup_item(name)
    if item is None:
        known = ", ".join(sorted(ITEMS) + sorted(SYNONYMS))
        raise ChartValueError("item", name, f"unknown item; known items are {known}")
    return item.name


def _fmt(x: float) -> str:
    return f"{x:g}"


def _range_text(item: Item, lo: float, hi: float) -> str:
    unit = f" {unit_text(item.canonical_unit)}" if item.canonical_unit else ""
    return f"{_fmt(lo)}–{_fmt(hi)}{unit}"


def _to_canonical(
    item: Item, number: Fraction, written: str, unit: str, weight_kg: float | None
) -> Fraction:
    if unit == item.canonical_unit:
        return number
    conv = item.conversions[unit]
    result = (number + Fraction(conv.offset)) * Fraction(conv.factor)
    if conv.per_kg:
        if weight_kg is None or not weight_kg > 0:
            raise ChartValueError(
                item.name,
                f"{written} {unit_text(unit)}",
                f"a rate in {unit_text(unit)} needs the patient's weight; chart a weight first "
                f"or give the rate in {unit_text(item.canonical_unit)}",
            )
        result *= Fraction(weight_kg)
    return result


def validate(
    item_name: str, value: str, unit: str = "", weight_kg: float | None = None
) -> ValidValue:
    """Check one value; return it in the canonical unit or raise ChartValueError.

    `unit` empty means the item's canonical unit. `weight_kg` is needed only
    for weight-based infusion rates (µg/kg/min).
    """
    name = canonical_item_name(item_name)
    item = ITEMS[name]
    written = value.strip()
    # An old spelling ('degF') is read as its UCUM code, and kept as that (issue 21).
    unit = ucum_unit(unit.strip())

    if item.kind is Kind.WORD:
        if unit:
            raise ChartValueError(name, written, f"takes no unit, got {shorten(unit)!r}")
        for word in item.words:
            # 'nasal cannula' as the ward writes it, or the code 'nasal_cannula'.
            if written.lower() in (word.lower(), word_text(word).lower()):
                return ValidValue(name, None, word, "", written, unit)
        allowed = ", ".join(word_text(w) for w in item.words)
        raise ChartValueError(name, written, f"allowed values are {allowed}")

    if item.kind is Kind.TEXT:
        if unit:
            raise ChartValueError(name, written, f"takes no unit, got {shorten(unit)!r}")
        if not written:
            raise ChartValueError(name, written, "needs a value (e.g. the product name)")
        return ValidValue(name, None, written, "", written, unit)

    if unit and unit not in item.units:
        allowed = ", ".join(item.units) if item.units else "no unit"
        raise ChartValueError(
            name, written, f"unit {shorten(unit)!r} is not allowed; allowed: {allowed}"
        )
    if item.kind is Kind.INTEGER:
        if not _INTEGER.match(written):
            lo, hi = item.possible or (0, 0)
            raise ChartValueError(name, written, f"must be a whole number {_fmt(lo)}–{_fmt(hi)}")
    elif not _NUMBER.match(written):
        raise ChartValueError(
            name, written, "must be a number written with the digits 0-9 and a '.' decimal point"
        )
    digits = sum(c.isdigit() for c in written)
    if digits > MAX_DIGITS:
        raise ChartValueError(name, written, f"has {digits} digits; at most {MAX_DIGITS}")

    unit_used = unit or item.canonical_unit
    if unit_used == item.canonical_unit and name != "fio2":
        as_float = float(written)  # no conversion: the same correctly rounded value
    else:
        number = Fraction(written)
        if name == "fio2" and number <= 1:
            # chart-csv.md: "a value of 1 or less is a fraction".
            number *= 100
        as_float = float(_to_canonical(item, number, written, unit_used, weight_kg))
    if not math.isfinite(as_float):
        raise ChartValueError(name, written, "must be a finite number")

    if name == "temperature" and unit_used == item.canonical_unit:
        lo, hi = FAHRENHEIT_TYPED_AS_CELSIUS
        if lo <= as_float <= hi:
            raise ChartValueError(name, f"{written} °C", "did you mean °F? Choose °F as the unit")
    if item.possible is not None:
        lo, hi = item.possible
        if not lo <= as_float <= hi:
            shown = f"{written} {unit_text(unit)}".strip() if unit else written
            converted = (
                f" (= {_fmt(as_float)} {unit_text(item.canonical_unit)})"
                if unit and unit != item.canonical_unit
                else ""
            )
            raise ChartValueError(
                name,
                shown,
                f"out of the possible range{converted}; allowed {_range_text(item, lo, hi)}",
            )

    extreme, flag = False, ""
    if item.usual is not None:
        lo, hi = item.usual
        if not lo <= as_float <= hi:
            extreme = True
            flag = (
                f"{item.label} {number_text(name, as_float)} {unit_text(item.canonical_unit)} "
                f"is outside the usual {_range_text(item, lo, hi)}: check and confirm"
            )
    return ValidValue(
        name, as_float, None, item.canonical_unit, written, unit, extreme=extreme, flag=flag
    )
