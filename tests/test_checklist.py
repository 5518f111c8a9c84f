"""The checklist at each grade, marks answering it, new items after a rise, and the
reassessment timers going overdue and clearing with the clock controlled (no Qt)."""

from __future__ import annotations

import re
from datetime import UTC

import pytest

from crs_desktop.domain.checklist import (
    Mark,
    checklist,
    due_since,
    outstanding_titles,
    timer_words,
)
from crs_desktop.domain.escalation import Acknowledgement
from crs_desktop.domain.observation import Observation
from crs_desktop.domain.protocol import ProtocolError, parse_protocol
from crs_desktop.domain.reassessment import Context, timer_state
from crs_desktop.resources_path import default_protocol_path
from tests.support.grading import HOUR, T0, graded


@pytest.fixture(scope="module")
def protocol():
    return parse_protocol(default_protocol_path().read_text(encoding="utf-8"), "default.toml")


FEVER = [(0, "temperature", 38.6)]
GRADE_2 = [*FEVER, (1, "o2_device", "nasal_cannula"), (1, "o2_flow", 2)]
GRADE_3 = [*GRADE_2, (3, "o2_flow", 8)]  # > 6 L/min (REFERENCE.md §1.2)


def keys(items) -> set[str]:
    return {i.action.key for i in items}


def ack(grade: int, at: float, now: int | None = None) -> Acknowledgement:
    return Acknowledgement("astct_crs", grade, grade if now is None else now, at)


@pytest.mark.parametrize(("rows", "grade"), [(FEVER, 1), (GRADE_2, 2), (GRADE_3, 3)])
def test_each_grade_shows_its_protocol_items(protocol, rows, grade):
    items = checklist(protocol, graded(rows), [], {})
    assert {i.grade for i in items} == {grade}
    expected = {a.key for a in protocol.actions_for("astct_crs", grade)}
    assert keys(items) == expected
    assert all(i.outstanding for i in items)


def test_no_crs_no_items(protocol):
    assert checklist(protocol, graded([(0, "temperature", 37.2)]), [], {}) == []


def test_a_rise_brings_new_items_and_keeps_earlier_answers(protocol):
    g2 = graded(GRADE_2)
    assert due_since(g2, "astct_crs", (2, 3, 4)) == T0 + 1 * HOUR
    # At grade 2 the nurse gives tocilizumab and acknowledges the alert.
    doses = [Observation(T0 + 1.5 * HOUR, "tocilizumab", 576.0, id=90, charted_by="RN A")]
    acked = {"astct_crs": ack(2, T0 + 1.2 * HOUR)}
    items = {i.action.key: i for i in checklist(protocol, g2, [], acked, doses, T0 + 2 * HOUR)}
    assert items["crs_tocilizumab"].mark.at == T0 + 1.5 * HOUR
    assert not any(i.new for i in items.values())  # all due before the acknowledgement

    g3 = graded(GRADE_3)
    items3 = {i.action.key: i for i in checklist(protocol, g3, [], acked, doses, T0 + 3 * HOUR)}
    # Still answered: tocilizumab has been due since grade 2 began (grades 2-4).
    assert items3["crs_tocilizumab"].mark.by == "RN A"
    assert items3["crs_tocilizumab"].due_since == T0 + 1 * HOUR
    # Grade 3's own items are new until seen.
    new = {k for k, i in items3.items() if i.new}
    assert {"crs_icu", "crs_dexamethasone_g3", "crs_inform_doctor_g3"} <= new
    assert "crs_oxygen" not in new
    # Acknowledging the grade 3 alert afterwards makes them seen, still outstanding.
    seen = checklist(protocol, g3, [], {"astct_crs": ack(3, T0 + 3.1 * HOUR)}, doses, T0 + 4 * HOUR)
    assert not any(i.new for i in seen)
    assert "Tocilizumab" not in " ".join(outstanding_titles(seen))
    assert any("ICU" in t for t in outstanding_titles(seen))


def test_a_mark_before_the_item_was_due_does_not_answer_it(protocol):
    early = [Mark("crs_icu", "not_applicable", T0, T0 + 0.5 * HOUR, "RN A", "grade 2")]
    items = {i.action.key: i for i in checklist(protocol, graded(GRADE_3), early, {})}
    assert items["crs_icu"].mark is None


def test_latest_mark_wins(protocol):
    marks = [
        Mark("crs_cultures", "not_done", T0 + 1 * HOUR, T0 + 1 * HOUR, "RN A", "no bottles"),
        Mark("crs_cultures", "done", T0 + 2 * HOUR, T0 + 2 * HOUR, "RN B"),
    ]
    items = {i.action.key: i for i in checklist(protocol, graded(FEVER), marks, {})}
    assert items["crs_cultures"].mark.status == "done"


def test_falling_out_and_back_into_a_grade_reopens_its_items(protocol):
    rows = [*GRADE_2, (5, "o2_device", "room_air"), (9, "o2_device", "nasal_cannula")]
    g = graded(rows)
    # The fever at 0 h is still within the 24 h window: grade 1 at 5 h, grade 2 again at 9 h.
    assert g.latest().systems["astct_crs"].grade == 2
    assert due_since(g, "astct_crs", (2, 3, 4)) == T0 + 9 * HOUR
    marks = [Mark("crs_oxygen", "done", T0 + 2 * HOUR, T0 + 2 * HOUR, "RN A")]
    items = {i.action.key: i for i in checklist(protocol, g, marks, {})}
    assert items["crs_oxygen"].mark is None
    # Actions of grades 1-4 stayed due through the dip.
    assert items["crs_cultures"].due_since == T0


# -- reassessment timers (REFERENCE.md §6.1, §7.2) ----------------------------------------

VITALS = ("temperature", "systolic_bp", "heart_rate", "resp_rate", "spo2")


def vitals_at(hour: float) -> dict[str, float]:
    return {item: T0 + hour * HOUR for item in VITALS}


def test_vitals_every_4_hours_overdue_then_cleared(protocol):
    rule = next(t for t in protocol.timers if t.key == "vitals")
    calm = Context(temperature_c=37.0, crs=0, news2=1)
    latest = vitals_at(0)
    assert not timer_state(rule, latest, calm, T0 + 3.99 * HOUR).overdue
    late = timer_state(rule, latest, calm, T0 + 4 * HOUR)
    assert late.overdue and late.due_at == T0 + 4 * HOUR and late.every_h == 4
    # Charting a new set clears it.
    cleared = timer_state(rule, vitals_at(4.2), calm, T0 + 4.2 * HOUR)
    assert not cleared.overdue and cleared.due_at == T0 + 8.2 * HOUR


def test_one_item_missing_keeps_vitals_due_and_names_it(protocol):
    rule = next(t for t in protocol.timers if t.key == "vitals")
    latest = {**vitals_at(4), "resp_rate": T0}
    state = timer_state(rule, latest, Context(), T0 + 4.5 * HOUR)
    assert state.overdue and state.missing == ("resp_rate",)
    never = timer_state(rule, {"temperature": T0}, Context(), T0)
    assert never.overdue and never.due_at is None and "spo2" in never.missing


@pytest.mark.parametrize(
    ("context", "every_h"),
    [
        (Context(temperature_c=37.9), 4),
        (Context(temperature_c=38.0), 2),  # febrile: >= 38.0 °C (§1.1)
        (Context(temperature_c=38.5, crs=2), 1),  # the shortest interval wins
        (Context(crs=1), 4),
        (Context(news2=4), 4),
        (Context(news2=5), 1),  # §7.2 hourly
        (Context(news2=3, news2_single_3=True), 1),
    ],
)
def test_vitals_more_often_when_febrile_or_sicker(protocol, context, every_h):
    rule = next(t for t in protocol.timers if t.key == "vitals")
    state = timer_state(rule, vitals_at(0), context, T0 + 1.5 * HOUR)
    assert state.every_h == every_h
    assert state.overdue == (1.5 >= every_h)


def test_ice_every_8_hours(protocol):
    rule = next(t for t in protocol.timers if t.key == "ice")
    assert not timer_state(rule, {"ice_score": T0}, Context(crs=3), T0 + 7.9 * HOUR).overdue
    assert timer_state(rule, {"ice_score": T0}, Context(), T0 + 8 * HOUR).overdue


def test_a_fluid_bolus_charted_answers_the_fluids_action(protocol):
    bolus = Observation(T0 + 2 * HOUR, "fluid_bolus", 500.0, id=99, charted_by="RN B")
    items = {
        i.action.key: i
        for i in checklist(protocol, graded(GRADE_2), [], {}, [bolus], T0 + 3 * HOUR)
    }
    assert items["crs_fluids"].mark.status == "done" and items["crs_fluids"].mark.by == "RN B"
    assert items["crs_oxygen"].mark is None


# -- a drug given is done for its interval (REFERENCE.md §1.3a item 9) ---------------------


def test_dexamethasone_counts_for_its_repeat_interval_then_is_outstanding_again(protocol):
    g2 = graded(GRADE_2)
    dose = Observation(T0 + 1.5 * HOUR, "dexamethasone", 10.0, id=91, charted_by="RN A")
    assert protocol.repeat_h(protocol.action("crs_dexamethasone_g2")) == 12  # of 12-24 h
    items = {i.action.key: i for i in checklist(protocol, g2, [], {}, [dose], T0 + 13 * HOUR)}
    mark = items["crs_dexamethasone_g2"].mark
    assert mark is not None and mark.until == T0 + 13.5 * HOUR
    later = {i.action.key: i for i in checklist(protocol, g2, [], {}, [dose], T0 + 14 * HOUR)}
    assert later["crs_dexamethasone_g2"].outstanding
    assert later["crs_dexamethasone_g2"].waiting_since == T0 + 13.5 * HOUR


def test_a_dose_before_the_grade_rose_counts_within_its_interval(protocol):
    """Tocilizumab at grade 1 (the doctor's order), then grade 2: done, not TO DO."""
    dose = Observation(T0 + 0.5 * HOUR, "tocilizumab", 576.0, id=92, charted_by="RN A")
    g2 = graded(GRADE_2)  # grade 2 from 1 h
    items = {i.action.key: i for i in checklist(protocol, g2, [], {}, [dose], T0 + 2 * HOUR)}
    assert items["crs_tocilizumab"].mark.at == T0 + 0.5 * HOUR
    # Its pre-check is done with it, and neither is new.
    check = items["crs_diverticulitis_check"]
    assert check.mark is not None and check.mark.reason == "Tocilizumab given"
    assert not check.new and not items["crs_tocilizumab"].new


def test_a_bolus_counts_for_the_episode_but_not_a_new_one(protocol):
    """No interval in REFERENCE.md for a fluid bolus: done while the grade stays above 0."""
    bolus = Observation(T0 + 1.5 * HOUR, "fluid_bolus", 500.0, id=93, charted_by="RN A")
    dip = [*GRADE_2, (3, "o2_device", "room_air"), (5, "o2_device", "nasal_cannula")]
    items = {
        i.action.key: i
        for i in checklist(protocol, graded(dip), [], {}, [bolus], T0 + 6 * HOUR)
    }
    assert items["crs_fluids"].mark is not None  # 2 -> 1 -> 2: the same episode
    # After 24 h without fever the grade was 0: a new episode calls for it again.
    again = [
        *dip,
        (26, "o2_device", "room_air"),
        (30, "temperature", 38.9),
        (30.5, "o2_device", "nasal_cannula"),
    ]
    g = graded(again)
    assert g.at(T0 + 29 * HOUR).systems["astct_crs"].grade == 0
    later = {i.action.key: i for i in checklist(protocol, g, [], {}, [bolus], T0 + 31 * HOUR)}
    assert later["crs_fluids"].outstanding


def test_an_action_brought_up_by_a_fall_is_not_new(protocol):
    rows = [*GRADE_2, (3, "o2_device", "room_air")]  # 2 -> 1
    items = {
        i.action.key: i for i in checklist(protocol, graded(rows), [], {}, [], T0 + 4 * HOUR)
    }
    assert "crs_inform_doctor_g1" in items and not items["crs_inform_doctor_g1"].new
    assert items["crs_cultures"].new  # due since the rise to 1, never acknowledged


def test_continuous_monitoring_at_news2_7(protocol):
    rule = next(t for t in protocol.timers if t.key == "vitals")
    state = timer_state(rule, vitals_at(0), Context(news2=7), T0 + 0.5 * HOUR)
    assert state.continuous == "NEWS2 ≥ 7" and state.every_h == 1
    words = timer_words(state, T0 + 0.5 * HOUR, UTC)
    assert words == (
        "Vital signs: continuous monitoring (NEWS2 ≥ 7); next set due 01:00 (every 1 h: NEWS2 ≥ 5)"
    )
    assert not timer_state(rule, vitals_at(0), Context(news2=6), T0).continuous


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            ('precheck_for = "crs_tocilizumab"', 'precheck_for = "crs_oxygen"'),
            "'precheck_for' = 'crs_oxygen': allowed the key of an action with a drug",
        ),
        (
            ('key = "crs_oxygen"\n', 'key = "crs_oxygen"\nrepeat_h = 4\n'),
            "a repeat interval needs 'drug'",
        ),
        (
            (
                'key = "news2_urgent"\nsystem = "news2"\ngrades = [2]',
                'key = "news2_urgent"\nsystem = "news2"\ngrades = [4]',
            ),
            "a list of NEWS2 trigger levels from 1 to 3",
        ),
    ],
)
def test_protocol_mistakes_in_the_new_fields_are_refused_with_their_line(change, message):
    text = default_protocol_path().read_text(encoding="utf-8")
    old, new = change
    assert old in text
    with pytest.raises(ProtocolError, match=re.escape(message)) as refused:
        parse_protocol(text.replace(old, new, 1), "ward.toml")
    assert re.match(r"ward\.toml line \d+: ", str(refused.value))
