"""Tocilizumab dose and limits, and the day's corticosteroids, from the doses charted.

Only arithmetic on the protocol's numbers (REFERENCE.md §5.1 for
tocilizumab): the dose to prepare from the charted weight, how many doses in
the last 24 h and in total, when the next may be given, and what a nurse
must be warned of before giving one more. It never blocks: a nurse may go on
after giving a reason, which is charted.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from crs_desktop.domain.protocol import TocilizumabRules

HOUR_S = 3600.0
DAY_S = 24 * HOUR_S
STEROIDS = ("dexamethasone", "methylprednisolone", "hydrocortisone")


@dataclass(frozen=True, slots=True)
class Dose:
    """One charted administration: when and how many mg."""

    at: float
    mg: float


def tocilizumab_dose_mg(weight_kg: float, rules: TocilizumabRules) -> float:
    """The dose for this weight: mg/kg by the weight split, capped per dose (REFERENCE.md §5.1).

    8 mg/kg at >= 30 kg and 12 mg/kg below it, at most 800 mg, with the
    default protocol. Kept to 0.1 mg (no clinical rounding): the nurse
    confirms what is given.
    """
    if weight_kg <= 0:
        raise ValueError(f"weight {weight_kg:g} kg: must be more than 0")
    return round(min(tocilizumab_mg_per_kg(weight_kg, rules) * weight_kg, rules.max_dose_mg), 1)


def tocilizumab_mg_per_kg(weight_kg: float, rules: TocilizumabRules) -> float:
    """mg/kg for this weight: the lower rate from the weight split up (REFERENCE.md §5.1)."""
    return rules.mg_per_kg if weight_kg >= rules.weight_split_kg else rules.mg_per_kg_below_split


@dataclass(frozen=True, slots=True)
class TocilizumabStatus:
    """Tocilizumab so far, and what giving one more now would break."""

    doses_24h: int
    mg_24h: float
    doses_total: int
    mg_total: float
    last_at: float | None
    # When the next dose may be given; None when it may be given now (no dose yet, or the
    # interval has passed): a past time is no limit, and was read on 1 Dec as a wait.
    next_allowed_at: float | None
    warnings: tuple[str, ...]  # each must be answered with a reason to give one more now

    @property
    def needs_reason(self) -> bool:
        return bool(self.warnings)


def doses_so_far(doses: Iterable[Dose], now: float) -> tuple[list[Dose], list[Dose]]:
    """The doses given up to `now` in time order, and those of them in the 24 h before it
    (REFERENCE.md §5.1 counts doses per 24 h): the checklist's and the handover's counts."""
    given = sorted((d for d in doses if d.at <= now), key=lambda d: d.at)
    return given, [d for d in given if now - d.at < DAY_S]


def _hours(seconds: float) -> str:
    minutes = int(round(seconds / 60))
    return f"{minutes // 60} h {minutes % 60:02d} min"


def tocilizumab_status(
    doses: Iterable[Dose], now: float, rules: TocilizumabRules, dose_mg: float | None = None
) -> TocilizumabStatus:
    """Counts and warnings for a dose given at `now` (REFERENCE.md §5.1 limits); with
    `dose_mg`, also whether that dose is more than the maximum per infusion."""
    given, recent = doses_so_far(doses, now)
    last = given[-1].at if given else None
    next_at = last + rules.min_interval_h * HOUR_S if last is not None else None
    warnings = []
    if dose_mg is not None and dose_mg > rules.max_dose_mg:
        # §5.1: "maximum 800 mg per infusion" (the default protocol's figure).
        warnings.append(
            f"{dose_mg:g} mg is more than the {rules.max_dose_mg:g} mg maximum per infusion"
        )
    if last is not None and next_at is not None and now < next_at:
        warnings.append(
            f"only {_hours(now - last)} since the last dose (at least "
            f"{rules.min_interval_h:g} h between doses)"
        )
    if len(recent) >= rules.max_doses_24h:
        warnings.append(
            f"this would be dose {len(recent) + 1} in 24 h (no more than "
            f"{rules.max_doses_24h} in 24 h)"
        )
    if len(given) >= rules.max_doses_total:
        warnings.append(
            f"this would be dose {len(given) + 1} in total (no more than "
            f"{rules.max_doses_total} in total)"
        )
    return TocilizumabStatus(
        doses_24h=len(recent),
        mg_24h=sum(d.mg for d in recent),
        doses_total=len(given),
        mg_total=sum(d.mg for d in given),
        last_at=last,
        next_allowed_at=next_at if next_at is not None and now < next_at else None,
        warnings=tuple(warnings),
    )


@dataclass(frozen=True, slots=True)
class SteroidDay:
    """One corticosteroid's doses since the start of the day, and their total."""

    drug: str
    doses: tuple[Dose, ...]

    @property
    def total_mg(self) -> float:
        return sum(d.mg for d in self.doses)


def steroids_today(
    doses: Sequence[tuple[str, Dose]], day_start: float, now: float
) -> tuple[SteroidDay, ...]:
    """Each corticosteroid given from `day_start` (local midnight) to now, with its total."""
    days = []
    for drug in STEROIDS:
        today = tuple(
            sorted(
                (d for name, d in doses if name == drug and day_start <= d.at <= now),
                key=lambda d: d.at,
            )
        )
        if today:
            days.append(SteroidDay(drug, today))
    return tuple(days)
