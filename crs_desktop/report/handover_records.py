"""The records a handover page is made of (no Qt): grades, plots, values, drugs, marks,
and HandoverData holding them all, ready to draw.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, tzinfo

# The drug letters on the plots, explained in the page's legend.
MARK_WORDS = {"T": "tocilizumab / anti-cytokine", "S": "steroid", "A": "antipyretic", "F": "fluid"}


# -- the records the page is made of -------------------------------------------


@dataclass(frozen=True, slots=True)
class GradeSummary:
    """One grading system for the handover: now, the maxima, why, and what to review."""

    system: str
    title: str
    grade: int | None
    since: float | None
    max_shift: int | None
    max_overall: int | None  # since the infusion (or on the whole chart, see max_scope)
    reasons: tuple[str, ...]
    flags: tuple[str, ...]
    band: str = ""  # NEWS2: the risk band in words ("medium risk"), from domain


@dataclass(frozen=True, slots=True, eq=False)
class Line:
    """One plotted series: times and values, drawn with a grayscale-safe style."""

    label: str
    t: Sequence[float]  # plain lists: the handover starts without numpy
    v: Sequence[float]
    dash: str = "solid"  # solid / dash / dot
    marker: str = "circle"  # circle / square / triangle / none
    step: bool = False


@dataclass(frozen=True, slots=True)
class DrugMark:
    at: float
    code: str  # a key of MARK_WORDS
    text: str  # "tocilizumab 576 mg"


@dataclass(frozen=True, slots=True, eq=False)
class Plot:
    """One small plot: its lines, threshold lines, labels and drug marks."""

    key: str
    title: str
    start: float
    end: float
    lines: tuple[Line, ...]
    thresholds: tuple[tuple[float, str], ...] = ()
    y_floor: tuple[float, float] | None = None  # at least this range is shown
    y_labels: tuple[tuple[float, str], ...] = ()  # words for a categorical axis
    notes: tuple[tuple[float, float, str], ...] = ()  # (t, y, text) written beside a point
    marks: tuple[DrugMark, ...] = ()
    shaded: tuple[tuple[float, float, str], ...] = ()  # (from, to, what) e.g. a vasopressor
    caption: str = ""  # a word of explanation in the plot's key
    until: float | None = None  # "now", when the period runs on into the future

    @property
    def empty(self) -> bool:
        return not any(len(line.t) for line in self.lines)


@dataclass(frozen=True, slots=True)
class LatestValue:
    label: str
    value: str
    at: float
    extreme: bool


@dataclass(frozen=True, slots=True)
class DrugGiven:
    at: float
    name: str
    category: str  # the vocabulary's Category value: antipyretic, corticosteroid, ...
    dose: str
    by: str
    note: str


@dataclass(frozen=True, slots=True)
class RunningInfusion:
    name: str
    rate: str
    since: float


@dataclass(frozen=True, slots=True)
class ChecklistMark:
    at: float
    key: str
    title: str
    status: str  # done / not_done / not_applicable
    reason: str
    by: str


@dataclass(frozen=True, slots=True)
class AlertAck:
    at: float
    text: str
    by: str


@dataclass(frozen=True, slots=True)
class Correction:
    """A value marked entered in error during the period, and what replaced it."""

    at: float  # when it was marked
    item: str
    value: str
    observed_at: float
    reason: str
    by: str
    replacement: str | None


@dataclass(frozen=True, slots=True)
class HandoverNote:
    at: float
    text: str
    by: str


@dataclass(frozen=True)
class HandoverData:
    """Everything one handover page shows, ready to draw."""

    # The patient
    name: str
    mrn: str
    age_years: int | None
    weight_kg: float | None
    product: str | None
    infusion_time: float | None
    day: int | None  # Day +N: calendar days since the infusion day (day 0)
    # The period and the printing
    start: float
    end: float
    now: float
    printed_by: str
    tz: tzinfo | None
    # Assessment
    graded_at: float | None  # the charted time the grades are from
    grades: tuple[GradeSummary, ...]
    max_scope: str  # "since infusion" or "on this chart"
    shift_plots: tuple[Plot, ...]
    lab_plots: tuple[Plot, ...]
    latest: tuple[LatestValue, ...]
    # Treatment
    drugs: tuple[DrugGiven, ...]
    tocilizumab_24h: tuple[int, float]  # (doses, mg) in the 24 h before the end
    tocilizumab_total: tuple[int, float]  # (doses, mg) ever charted
    fluids_ml: float
    running: tuple[RunningInfusion, ...]
    # What was done and what is left
    checklist: tuple[ChecklistMark, ...]
    outstanding: tuple[str, ...] | None  # None: not known where the report was made
    observations_due: tuple[str, ...] | None
    alerts: tuple[AlertAck, ...]
    corrections: tuple[Correction, ...]
    note: HandoverNote | None
    charted_in_period: int

    @property
    def empty(self) -> bool:
        """Nothing at all was charted or recorded in the period."""
        return (
            self.charted_in_period == 0
            and not self.checklist
            and not self.alerts
            and not self.corrections
            and self.note is None
        )

    def grade(self, system: str) -> GradeSummary | None:
        return next((g for g in self.grades if g.system == system), None)


def local_datetime(epoch: float, tz: tzinfo | None) -> datetime:
    return datetime.fromtimestamp(epoch, tz) if tz else datetime.fromtimestamp(epoch)
