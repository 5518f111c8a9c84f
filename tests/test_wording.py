"""Times in the grading reasons: the clock time alone on the same local day, with the
date otherwise, also on the days the clocks change."""

import re
import time
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from crs_desktop.domain.grading import wording
from crs_desktop.domain.grading.wording import clock, finding
from crs_desktop.domain.observation import Observation

LONDON = ZoneInfo("Europe/London")


def at(text: str, tz=LONDON) -> float:
    return datetime.fromisoformat(text).replace(tzinfo=tz).timestamp()


@pytest.mark.parametrize(
    ("when", "reference", "shown"),
    [
        ("2026-06-10 14:05", "2026-06-10 23:59", "14:05"),
        ("2026-06-10 14:05", "2026-06-11 00:00", "10 Jun 14:05"),
        ("2026-06-10 00:00", "2026-06-09 23:59", "10 Jun 00:00"),
        # 29 March 2026: 23 hours long in London (01:00 GMT -> 02:00 BST).
        ("2026-03-29 00:30", "2026-03-29 23:30", "00:30"),
        ("2026-03-29 00:30", "2026-03-30 00:10", "29 Mar 00:30"),
        ("2026-03-29 23:50", "2026-03-30 00:00", "29 Mar 23:50"),
        # 25 October 2026: 25 hours long (02:00 BST -> 01:00 GMT).
        ("2026-10-25 00:30", "2026-10-25 23:30", "00:30"),
        ("2026-10-25 23:59", "2026-10-26 00:00", "25 Oct 23:59"),
        ("2026-10-26 00:00", "2026-10-25 23:59", "26 Oct 00:00"),
    ],
)
def test_clock_has_the_date_only_when_the_day_differs(when, reference, shown):
    assert clock(at(when), LONDON, at(reference)) == shown


def test_finding_names_the_value_and_dates_it_from_another_day():
    fever = Observation(at("2026-03-28 22:15"), "temperature", 38.6)
    assert finding(fever, LONDON, at("2026-03-28 23:00")) == "temperature 38.6 °C at 22:15"
    assert finding(fever, LONDON, at("2026-03-29 03:00")) == "temperature 38.6 °C at 28 Mar 22:15"
    assert finding(fever, LONDON, fever.time) == "temperature 38.6 °C at 22:15"


@pytest.fixture
def machine_in_berlin(monkeypatch):
    """The machine's own zone (tz None), with the caches emptied around the change."""
    monkeypatch.setenv("TZ", "Europe/Berlin")
    time.tzset()
    for cached in (wording._hour_minute, wording._day_bounds, wording._long_form, wording._finding):
        cached.cache_clear()
    yield ZoneInfo("Europe/Berlin")
    monkeypatch.delenv("TZ")
    time.tzset()
    for cached in (wording._hour_minute, wording._day_bounds, wording._long_form, wording._finding):
        cached.cache_clear()


def test_the_machine_zone_across_the_spring_change(machine_in_berlin):
    berlin = machine_in_berlin
    # 29 March 2026 in Berlin: 02:00 CET -> 03:00 CEST, a 23-hour day.
    early = at("2026-03-29 01:30", berlin)
    assert clock(early, None, at("2026-03-29 23:45", berlin)) == "01:30"
    assert clock(early, None, at("2026-03-30 00:05", berlin)) == "29 Mar 01:30"
    assert clock(at("2026-03-29 03:10", berlin), None) == "03:10"


@pytest.mark.parametrize(
    ("item", "name"),
    [
        ("spo2", "SpO2"),
        ("fio2", "FiO2"),
        ("crp", "CRP"),
        ("il6", "IL-6"),
        ("ice_score", "ICE score"),
        ("systolic_bp", "systolic BP"),
        ("heart_rate", "heart rate"),
        ("cerebral_edema", "raised ICP / cerebral edema"),
    ],
)
def test_items_are_named_mid_sentence_as_a_nurse_writes_them(item, name):
    """Lower case mid-sentence, but a symbol or acronym keeps its capitals."""
    assert wording.item_name(item) == name


# -- no developer document, no codes, in a nurse's words (issue 15 item 3) ------------------


def _message_strings(path):
    """Every string literal of a module that is not a docstring or a regular expression
    (f-string parts included): what the program can show or write."""
    import ast

    tree = ast.parse(path.read_text(encoding="utf-8"))
    skipped = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                skipped.add(id(body[0].value))
        if isinstance(node, ast.Call) and ast.unparse(node.func) == "re.compile":
            skipped.update(id(inner) for inner in ast.walk(node))
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            if id(node) not in skipped:
                yield node.lineno, node.value


def test_no_message_anywhere_cites_the_developer_reference():
    """Reasons, flags, dialogs and protocol-file messages name the guideline ("ASTCT
    2019", "Lee 2014", "ward protocol"), never "REFERENCE.md §…" (cited in comments only)."""
    from pathlib import Path

    import crs_desktop

    root = Path(crs_desktop.__file__).parent
    found = [
        f"{path.relative_to(root)}:{line}: {text!r}"
        for path in sorted(root.rglob("*.py"))
        for line, text in _message_strings(path)
        if "REFERENCE" in text or re.search(r"§\s*\d", text)
    ]
    assert found == []


def test_protocol_titles_and_details_shown_to_nurses_cite_no_section():
    from crs_desktop.app.protocol_file import default_protocol

    for action in default_protocol().actions:
        for text in (action.title, action.detail, action.source_shown):
            assert "REFERENCE" not in text and "§" not in text, (action.key, text)


@pytest.mark.parametrize(
    ("item", "word", "shown"),
    [
        ("o2_device", "cpap", "CPAP"),
        ("o2_device", "bipap", "BiPAP"),
        ("o2_device", "high_flow_nasal_cannula", "high-flow nasal cannula"),
        ("o2_device", "nasal_cannula", "nasal cannula"),
        ("acvpu", "C", "new confusion (C)"),
        ("acvpu", "U", "unresponsive (U)"),
        ("cerebral_edema", "cn_vi_palsy", "cranial nerve VI palsy"),
    ],
)
def test_charted_codes_and_letters_read_as_words(item, word, shown):
    assert finding(Observation(at("2026-06-10 14:05"), item, None, word), LONDON) == (
        f"{wording.item_name(item)} {shown} at 14:05"
    )
