"""Unit codes: UCUM everywhere a unit is a code (issue 21; REFERENCE.md §6.2).

The vocabulary (vocabulary.py) lists each item's units as UCUM codes, and a nurse
reads them through vocabulary.unit_text ("°F", "mmHg"). Here: the old spellings
still read, and the one place a format keeps an old spelling.
"""

from __future__ import annotations

# Older chart files and chart CSVs spell the Fahrenheit degree `degF`, which is not
# UCUM (`[degF]` is): read as `[degF]` wherever a unit comes in (validation, rows read
# back from the store), so nothing above those two ever sees the old spelling.
LEGACY_UNITS = {"degF": "[degF]"}

# The chart CSV, version 1, lists `degF` (spec/chart-csv.md, "Items") and is kept
# backward compatible: its export keeps writing that spelling, so a file exported
# today is byte-identical to one exported before, and older readers still read it.
CHART_CSV_UNITS = {ucum: old for old, ucum in LEGACY_UNITS.items()}


def ucum_unit(unit: str) -> str:
    """The UCUM code of a unit as written: '[degF]' for the old 'degF'; others unchanged."""
    return LEGACY_UNITS.get(unit, unit)


def chart_csv_unit(unit: str) -> str:
    """A UCUM unit as the chart CSV (version 1) writes it: 'degF' for '[degF]'."""
    return CHART_CSV_UNITS.get(unit, unit)
