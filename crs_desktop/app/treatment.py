"""A patient's treatment state from the store (no Qt): the checklist at the current grades,
the reassessment timers, tocilizumab and the day's steroids.

The window keeps one current as values arrive (rows_added), reading only the
new rows; the handover builds one for the end of its period. Both show the
same words, so the screen and the printout never disagree.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, tzinfo

from crs_desktop.domain.checklist import (
    ChecklistItem,
    EventLike,
    checklist,
    marks_from_events,
    outstanding_titles,
    timer_words,
)
from crs_desktop.domain.drug_doses import (
    STEROIDS,
    Dose,
    SteroidDay,
    TocilizumabStatus,
    steroids_today,
    tocilizumab_dose_mg,
    tocilizumab_status,
)
from crs_desktop.domain.escalation import acknowledgements
from crs_desktop.domain.grading import Grader, GradeSet
from crs_desktop.domain.observation import Observation
from crs_desktop.domain.protocol import Protocol
from crs_desktop.domain.reassessment import Context, TimerState, timer_states
from crs_desktop.domain.vocabulary import DOSE_ITEMS
from crs_desktop.store import ChartedRow, ChartStore
from crs_desktop.store.plain_series import series_lists


class TreatmentState:
    """Latest times of the timed items, the latest temperature, and every dose given."""

    def __init__(
        self,
        store: ChartStore,
        patient_id: int,
        protocol: Protocol,
        until: float | None = None,
    ) -> None:
        self.store, self.patient_id, self.protocol, self.until = store, patient_id, protocol, until
        self.timed_items = sorted({i for t in protocol.timers for i in t.items} | {"temperature"})
        self.reload()

    def reload(self) -> None:
        """Read what the state needs (a few index lookups and the drug rows), e.g. after a
        correction took a value out."""
        store, pid, until = self.store, self.patient_id, self.until
        with store.read_snapshot():
            self.latest = store.latest_times(pid, self.timed_items, until=until)
            self.temperature: float | None = None
            if "temperature" in self.latest:
                at = self.latest["temperature"]
                # Lists, not numpy: the handover command starts without numpy.
                _t, values = series_lists(store, pid, "temperature", since=at, until=at)
                self.temperature = float(values[-1]) if len(values) else None
            rows = store.rows(pid, include_errors=False, items=sorted(DOSE_ITEMS), until=until)
            self.doses: list[Observation] = [r.to_observation() for r in rows]

    def rows_added(self, rows: Iterable[ChartedRow]) -> None:
        """New committed rows: only they are looked at."""
        for row in rows:
            if row.item in DOSE_ITEMS:
                self.doses.append(row.to_observation())
            elif row.item in self.latest or row.item in self.timed_items:
                if row.observed_at >= self.latest.get(row.item, float("-inf")):
                    self.latest[row.item] = row.observed_at
                    if row.item == "temperature":
                        self.temperature = row.value

    # -- what the checklist panel and the handover show -------------------------------

    def checklist(
        self, grader: Grader, events: Sequence[EventLike], now: float
    ) -> list[ChecklistItem]:
        """The checklist at `now`: a dose counts as done for its interval (REFERENCE.md
        §1.3a item 9), so the clock matters, not only the chart."""
        return checklist(
            self.protocol,
            grader,
            marks_from_events(events),
            acknowledgements(events),
            self.doses,
            now,
        )

    def timers(self, grades: GradeSet | None, now: float) -> list[TimerState]:
        context = Context.now(grades, self.temperature)
        return timer_states(self.protocol.timers, self.latest, context, now)

    def weight_kg(self, now: float) -> float | None:
        return self.store.weight_at(self.patient_id, now)

    def tocilizumab(self, now: float, dose_mg: float | None = None) -> TocilizumabStatus:
        """So far, and the warnings for one more dose at `now` (of `dose_mg`, if known)."""
        doses = [Dose(o.time, o.value or 0.0) for o in self.doses if o.item == "tocilizumab"]
        return tocilizumab_status(doses, now, self.protocol.tocilizumab, dose_mg)

    def steroids(self, now: float, tz: tzinfo | None = None) -> tuple[SteroidDay, ...]:
        """Each corticosteroid since local midnight."""
        moment = datetime.fromtimestamp(now, tz) if tz else datetime.fromtimestamp(now)
        midnight = moment.replace(hour=0, minute=0, second=0, microsecond=0).timestamp()
        doses = [(o.item, Dose(o.time, o.value or 0.0)) for o in self.doses if o.item in STEROIDS]
        return steroids_today(doses, midnight, now)

    def todo(
        self,
        grader: Grader,
        events: Sequence[EventLike],
        now: float,
        tz: tzinfo | None = None,
    ) -> tuple[list[str], list[str]]:
        """(outstanding actions, observations overdue or due next) for the handover."""
        items = self.checklist(grader, events, now)
        timers = self.timers(grader.latest(), now)
        return outstanding_titles(items), [timer_words(t, now, tz) for t in timers]


@dataclass(frozen=True)
class TreatmentView:
    """What the checklist panel and the timers strip show at one moment."""

    timers: list[TimerState]
    items: list[ChecklistItem] | None  # None while a long chart is still being graded
    grades: dict[str, int | None]  # the ASTCT CRS and ICANS grades the checklist is for
    tocilizumab: TocilizumabStatus
    dose_text: str  # the weight-based tocilizumab dose, in words
    steroids: tuple[SteroidDay, ...]


def treatment_view(
    treatment: TreatmentState, grader: Grader | None, events: Sequence[EventLike], now: float
) -> TreatmentView:
    """The checklist, timers, tocilizumab so far and the day's steroids as of `now`."""
    grades = grader.latest() if grader is not None else None
    timers = treatment.timers(grades, now)
    items = treatment.checklist(grader, events, now) if grader is not None else None
    weight = treatment.weight_kg(now)
    rules = treatment.protocol.tocilizumab
    dose_text = (  # the dose by weight (REFERENCE.md §5.1, the protocol's numbers)
        f"{tocilizumab_dose_mg(weight, rules):g} mg for {weight:g} kg"
        if weight
        else "no weight charted: chart the weight to compute the dose"
    )
    return TreatmentView(
        timers,
        items,
        {s: grades.systems[s].grade if grades else None for s in ("astct_crs", "astct_icans")},
        treatment.tocilizumab(now),
        dose_text,
        treatment.steroids(now),
    )
