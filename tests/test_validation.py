"""The vocabulary's validation and unit conversions (chart-csv.md, REFERENCE.md §6.2)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crs_desktop.domain.validation import ChartValueError, validate
from crs_desktop.domain.vocabulary import ITEMS, Kind


def test_fahrenheit_100_4_is_exactly_38_0_celsius():
    # The grading's fever rule is >= 38.0 °C: a float a hair under 38 would miss it.
    v = validate("temperature", "100.4", "degF")
    assert v.value == 38.0
    assert v.value >= 38.0
    assert (v.written_value, v.written_unit, v.unit) == ("100.4", "[degF]", "Cel")


def test_fahrenheit_just_below_fever_stays_below():
    assert validate("temperature", "100.3", "degF").value < 38.0


@pytest.mark.parametrize(
    ("item", "value", "unit", "expected"),
    [
        ("crp", "12.5", "mg/dL", 125.0),  # 1 mg/dL = 10 mg/L
        ("ferritin", "850", "ug/L", 850.0),  # ng/mL = µg/L
        ("hemoglobin", "95", "g/L", 9.5),  # 1 g/dL = 10 g/L
        ("platelets", "75", "10*3/uL", 75.0),
        ("fibrinogen", "150", "mg/dL", 1.5),
        ("weight", "154", "[lb_av]", 69.85322498),
        ("fio2", "0.4", "", 40.0),  # a value of 1 or less is a fraction
        ("fio2", "1", "", 100.0),
        ("fio2", "40", "%", 40.0),
    ],
)
def test_unit_conversions(item, value, unit, expected):
    assert validate(item, value, unit).value == pytest.approx(expected, abs=1e-9)


def test_weight_based_rate_uses_the_weight():
    assert validate("norepinephrine", "0.1", "ug/kg/min", weight_kg=80).value == pytest.approx(8.0)


def test_weight_based_rate_without_weight_is_refused_by_name():
    with pytest.raises(ChartValueError, match="norepinephrine.*needs the patient's weight"):
        validate("norepinephrine", "0.1", "ug/kg/min")


@pytest.mark.parametrize(
    ("item", "value", "unit", "fragment"),
    [
        ("temperature", "20", "", "possible range"),
        ("temperature", "50", "", "possible range"),
        ("temperature", "122", "degF", "= 50 °C"),
        ("spo2", "120", "", "possible range"),
        ("ice_score", "11", "", "possible range"),
        ("ice_score", "7.5", "", "whole number"),
        ("temperature", "38,2", "", "'.' decimal point"),
        ("temperature", "nan", "", "number"),
        ("temperature", "", "", "number"),
        ("temperature", "38", "K", "unit 'K' is not allowed"),
        ("o2_device", "tent", "", "allowed values are room air"),
        ("o2_device", "room_air", "L/min", "takes no unit"),
        ("seizure", "maybe", "", "allowed values"),
        ("made_up", "1", "", "unknown item"),
    ],
)
def test_bad_values_name_the_item_value_and_what_is_allowed(item, value, unit, fragment):
    with pytest.raises(ChartValueError) as info:
        validate(item, value, unit)
    message = str(info.value)
    assert fragment in message
    assert (item if item != "made_up" else "made_up") in message


def test_extreme_but_possible_is_accepted_and_flagged():
    v = validate("temperature", "41.8")
    assert v.value == 41.8 and v.extreme
    assert "41.8" in v.flag and "confirm" in v.flag
    assert not validate("temperature", "38.5").extreme


def test_synonym_and_case():
    assert validate("Acetaminophen", "1000", "mg").item == "paracetamol"
    assert validate("acvpu", "c").text == "C"


@given(st.sampled_from(sorted(n for n, i in ITEMS.items() if i.kind is Kind.NUMBER)), st.floats())
def test_numbers_are_either_accepted_within_range_or_refused(item, number):
    text = repr(number)
    try:
        v = validate(item, text, weight_kg=70)
    except ChartValueError as exc:
        assert item in str(exc)
        return
    lo, hi = ITEMS[item].possible or (float("-inf"), float("inf"))
    assert v.value is not None and lo <= v.value <= hi
