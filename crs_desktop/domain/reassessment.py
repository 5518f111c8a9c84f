"""Reassessment timers: when vitals and the ICE score fall due, and what is overdue.

A timer's items must all be charted again for it to restart: a set of
vitals is due `every_h` after the oldest of its items' latest values. The
interval shortens while one of the protocol's `faster` conditions holds
(febrile, a CRS grade, a NEWS2 score); the shortest interval that applies
wins, the safer reading where several do. A `continuous` condition (NEWS2 7 or more,
REFERENCE.md §7.2; §1.3a item 7) says the vital signs are monitored continuously; values
are still charted at the shortest interval of the other rules that hold.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from crs_desktop.domain.grading import GradeSet
from crs_desktop.domain.protocol import Condition, TimerRule
from crs_desktop.domain.thresholds import is_fever

HOUR_S = 3600.0


@dataclass(frozen=True, slots=True)
class Context:
    """What the faster conditions look at: the latest temperature and the grades now."""

    temperature_c: float | None = None
    crs: int | None = None
    icans: int | None = None
    news2: int | None = None
    news2_single_3: bool = False

    @classmethod
    def now(cls, grades: GradeSet | None, temperature_c: float | None) -> Context:
        if grades is None:
            return cls(temperature_c)
        news2 = grades.systems["news2"]
        return cls(
            temperature_c,
            grades.systems["astct_crs"].grade,
            grades.systems["astct_icans"].grade,
            news2.grade,
            bool(news2.red_parameters),  # §7.2 single-parameter trigger
        )

    def holds(self, condition: Condition) -> bool:
        if condition.kind == "febrile":
            return self.temperature_c is not None and is_fever(self.temperature_c)
        if condition.kind == "news2_single_3":
            return self.news2_single_3
        value = {"crs": self.crs, "icans": self.icans, "news2": self.news2}[condition.kind]
        return value is not None and value >= condition.at_least


@dataclass(frozen=True, slots=True)
class TimerState:
    """One reassessment: how often, why, when last done, when due, and whether overdue."""

    key: str
    title: str
    every_h: float
    why: str  # the condition that set the interval, or "" for the usual one
    last_done: float | None  # None: one of its items was never charted
    due_at: float | None  # None: due now (never charted)
    overdue: bool
    missing: tuple[str, ...]  # items never charted, or charted before the others
    continuous: str = ""  # the condition calling for continuous monitoring, or ""

    def due_in_s(self, now: float) -> float:
        return 0.0 if self.due_at is None else self.due_at - now


def timer_state(
    rule: TimerRule, latest: Mapping[str, float], context: Context, now: float
) -> TimerState:
    """The state of one timer from the latest charted time of each item."""
    every_h, why, continuous = rule.every_h, "", ""
    for faster in rule.faster:
        if not context.holds(faster.when):
            continue
        if faster.continuous and not continuous:
            continuous = faster.when.words
        if faster.every_h is not None and faster.every_h < every_h:
            every_h, why = faster.every_h, faster.when.words
    times = [latest.get(item) for item in rule.items]
    if any(t is None for t in times):
        missing = tuple(item for item, t in zip(rule.items, times, strict=True) if t is None)
        return TimerState(rule.key, rule.title, every_h, why, None, None, True, missing, continuous)
    oldest = min(t for t in times if t is not None)
    due_at = oldest + every_h * HOUR_S
    # Items charted less recently than the rest hold the timer back: name them.
    lagging = tuple(item for item, t in zip(rule.items, times, strict=True) if t == oldest)
    if len(lagging) == len(rule.items):
        lagging = ()
    return TimerState(
        rule.key, rule.title, every_h, why, oldest, due_at, now >= due_at, lagging, continuous
    )


def timer_states(
    rules: tuple[TimerRule, ...], latest: Mapping[str, float], context: Context, now: float
) -> list[TimerState]:
    return [timer_state(rule, latest, context, now) for rule in rules]
