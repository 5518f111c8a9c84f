"""What is known about the patient at a moment: the latest of each finding.

The grader walks the chart in time order and folds each observation into
this state; the grading rules read it. Carrying it forward is what makes
grading every time point cheap, and a copy of it (a snapshot) is what lets a
back-dated value re-grade from where it lands instead of from the start.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from crs_desktop.domain.grading.settings import GradingSettings
from crs_desktop.domain.observation import Observation
from crs_desktop.domain.thresholds import is_fever
from crs_desktop.domain.vocabulary import ITEMS, Category

if TYPE_CHECKING:
    from crs_desktop.domain.grading.oxygen_fraction import OxygenNeed

ANTIPYRETICS = frozenset(i for i, item in ITEMS.items() if item.category is Category.ANTIPYRETIC)
ANTICYTOKINES = frozenset(i for i, item in ITEMS.items() if item.category is Category.ANTICYTOKINE)
CORTICOSTEROIDS = frozenset(
    i for i, item in ITEMS.items() if item.category is Category.CORTICOSTEROID
)
# REFERENCE.md §1.2 fever footnote: antipyretics, anti-cytokine therapy and
# steroids all lift the fever requirement once CRS has begun.
FEVER_WAIVING_DRUGS = ANTIPYRETICS | ANTICYTOKINES | CORTICOSTEROIDS
VASOPRESSORS = ("norepinephrine", "epinephrine", "phenylephrine", "dopamine", "vasopressin")
# Items the state keeps more of than the latest value (see ChartState._noted).
NOTED_ITEMS = frozenset({"temperature", "weight", "death", *VASOPRESSORS, *FEVER_WAIVING_DRUGS})


@dataclass
class ChartState:
    """The latest finding of each kind up to the moment being graded."""

    latest: dict[str, Observation] = field(default_factory=dict)
    # The latest temperature >= 38.0 °C not attributed to another cause.
    last_fever: Observation | None = None
    # Vasopressors running now (rate > 0), with the observation that started
    # the current run at any rate, so reasons can say "running since".
    pressors: dict[str, Observation] = field(default_factory=dict)
    pressor_since: dict[str, float] = field(default_factory=dict)
    # Drugs that waive or may mask the fever criterion, the latest of each.
    last_waiving_drug: Observation | None = None
    waiving_drugs: list[Observation] = field(default_factory=list)
    crs_onset: float | None = None  # first moment ASTCT CRS was graded >= 1
    waiver: Observation | None = None  # the drug given after onset that lifted the fever need
    # The latest such drug given after onset: REFERENCE.md §1.3a item 2 asks for review
    # when it is old.
    last_waiver: Observation | None = None
    # Lee 2014 (REFERENCE.md §2.2): since when the vasopressors have run at a
    # high dose without a break; the dose must be needed for >= 3 hours.
    high_dose_since: float | None = None
    weight_kg: float | None = None
    # The last hypotension() answer with the readings and settings it came
    # from: three systems ask it at every moment.
    hypotension_memo: (
        tuple[Observation | None, Observation | None, GradingSettings, Observation | None] | None
    ) = None
    # The same for oxygen_fraction.oxygen_need(): (device, FiO2, flow, answer).
    oxygen_memo: (
        tuple[Observation | None, Observation | None, Observation | None, OxygenNeed] | None
    ) = None
    death: Observation | None = None

    def apply(self, observations: Iterable[Observation]) -> None:
        """Fold the observations of one moment into the state, in charting order (moments
        come in time order). Most are vitals, which only become the latest of their item."""
        latest, noted = self.latest, self._noted
        for obs in observations:
            latest[obs.item] = obs
            if obs.item in NOTED_ITEMS:
                noted(obs)

    def _noted(self, obs: Observation) -> None:
        """What an item in NOTED_ITEMS adds to the state beyond being the latest."""
        item = obs.item
        if item == "temperature":
            if obs.value is not None and is_fever(obs.value) and not obs.other_cause:
                self.last_fever = obs  # REFERENCE.md §1.2: fever is >= 38.0 °C
        elif item in VASOPRESSORS:
            running = obs.value is not None and obs.value > 0 and not obs.other_cause
            if running:
                if item not in self.pressors:
                    self.pressor_since[item] = obs.time
                self.pressors[item] = obs
            else:  # a rate of 0 means stopped (chart-csv.md)
                self.pressors.pop(item, None)
                self.pressor_since.pop(item, None)
        elif item in FEVER_WAIVING_DRUGS:
            self.waiving_drugs.append(obs)
            if self.crs_onset is not None and obs.time >= self.crs_onset:
                self.last_waiver = obs
                if self.waiver is None:
                    self.waiver = obs
        elif item == "weight" and obs.value is not None:
            self.weight_kg = obs.value
        elif item == "death":
            self.death = obs

    def open_crs_episode(self, at: float) -> None:
        """CRS has begun: a drug given from now on waives the fever criterion."""
        if self.crs_onset is None:
            self.crs_onset = at
            given_now = [d for d in self.waiving_drugs if d.time >= at]
            if given_now:
                self.last_waiver = given_now[-1]
                if self.waiver is None:
                    self.waiver = given_now[0]

    def note_high_dose(self, at: float, high: bool) -> float | None:
        """Record whether the vasopressor dose is high at `at`; returns since when it has been."""
        if not high:
            self.high_dose_since = None
        elif self.high_dose_since is None:
            self.high_dose_since = at
        return self.high_dose_since

    def snapshot(self) -> ChartState:
        clone = copy.copy(self)
        clone.latest = dict(self.latest)
        clone.pressors = dict(self.pressors)
        clone.pressor_since = dict(self.pressor_since)
        clone.waiving_drugs = list(self.waiving_drugs)
        return clone

    def value(self, item: str) -> float | None:
        obs = self.latest.get(item)
        return obs.value if obs is not None else None

    def word(self, item: str) -> str | None:
        obs = self.latest.get(item)
        return obs.text if obs is not None else None
