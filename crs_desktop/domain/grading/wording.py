"""Findings as a nurse reads them: "temperature 38.6 °C at 14:00"."""

from __future__ import annotations

from datetime import datetime, timedelta, tzinfo
from functools import lru_cache

from crs_desktop.domain.observation import Observation
from crs_desktop.domain.vocabulary import ITEMS, UNIT_WORDS

UNIT_SHOWN = UNIT_WORDS  # one list of the units' ward words (vocabulary.py)


def _local(epoch: float, tz: tzinfo | None) -> datetime:
    # A naive fromtimestamp() is the machine's local wall time: the same date,
    # hour and minute as .astimezone() gives, without building the zone.
    return datetime.fromtimestamp(epoch, tz) if tz else datetime.fromtimestamp(epoch)


@lru_cache(maxsize=8192)
def _hour_minute(epoch: float, tz: tzinfo | None) -> str:
    moment = _local(epoch, tz)
    return f"{moment.hour:02d}:{moment.minute:02d}"  # by hand: digits in every locale, and fast


@lru_cache(maxsize=8192)
def _day_bounds(epoch: float, tz: tzinfo | None) -> tuple[float, float]:
    """(start of its local day, start of the next), epoch seconds.

    "Is this the same day?" is then two comparisons: grading asks it of a finding
    (a fever, the last ACVPU) at every charted moment, and a new moment is never in
    a cache, the finding's own time is.
    """
    midnight = _local(epoch, tz).replace(hour=0, minute=0, second=0, microsecond=0)
    # Wall-clock arithmetic, naive or aware: the next midnight even across a DST change.
    return midnight.timestamp(), (midnight + timedelta(days=1)).timestamp()


def _same_day(epoch: float, other: float, tz: tzinfo | None) -> bool:
    start, end = _day_bounds(epoch, tz)
    return start <= other < end


@lru_cache(maxsize=1024)
def _long_form(epoch: float, tz: tzinfo | None) -> str:
    moment = datetime.fromtimestamp(epoch, tz) if tz else datetime.fromtimestamp(epoch).astimezone()
    return moment.strftime("%d %b %H:%M")  # the month name as the locale writes it


def clock(epoch: float, tz: tzinfo | None, reference: float | None = None) -> str:
    """Local clock time; with the date when it is not the day of `reference`.

    Cached: grading a long chart names the same few times again and again.
    """
    if reference is not None and reference != epoch and not _same_day(epoch, reference, tz):
        return _long_form(epoch, tz)
    return _hour_minute(epoch, tz)


def shown_value(obs: Observation) -> str:
    item = ITEMS[obs.item]
    if obs.value is None:
        return (obs.text or "").replace("_", " ")
    unit = UNIT_SHOWN.get(item.canonical_unit, item.canonical_unit)
    number = f"{obs.value:.1f}" if obs.item == "temperature" else f"{obs.value:.4g}"
    return f"{number} {unit}".strip()


def _name(label: str) -> str:
    first_word = label.split()[0]
    if any(letter.isupper() for letter in first_word[1:]):
        return label  # an acronym or symbol: CRP, SpO2, FiO2, IL-6, ICE score
    return label[0].lower() + label[1:]


# 'systolic BP', 'SpO2', 'ICE score': labels lower-cased unless they start with an acronym.
ITEM_NAMES = {name: _name(item.label) for name, item in ITEMS.items()}


def item_name(item: str) -> str:
    return ITEM_NAMES[item]


def finding(obs: Observation, tz: tzinfo | None, reference: float | None = None) -> str:
    """'temperature 38.6 °C at 14:00'

    Cached: the same finding is named at many moments and by several systems.
    """
    dated = (
        reference is not None and reference != obs.time and not _same_day(obs.time, reference, tz)
    )
    return _finding(obs, tz, dated)


@lru_cache(maxsize=4096)
def _finding(obs: Observation, tz: tzinfo | None, dated: bool) -> str:
    when = _long_form(obs.time, tz) if dated else _hour_minute(obs.time, tz)
    return f"{item_name(obs.item)} {shown_value(obs)} at {when}"
