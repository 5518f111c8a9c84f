"""Findings as a nurse reads them: "temperature 38.6 °C at 14:00"."""

from __future__ import annotations

from datetime import datetime, timedelta, tzinfo
from functools import lru_cache

from crs_desktop.domain.observation import Observation
from crs_desktop.domain.vocabulary import ITEMS, UNIT_WORDS

UNIT_SHOWN = UNIT_WORDS  # one list of the units' ward words (vocabulary.py)


class ShownZone(tzinfo):
    """A fixed UTC offset written after every time worded in it ("08:00+05:30"): for
    words read away from the chart's clock (`crs-desktop grade`), where a bare "08:00"
    would not say which zone it is in."""

    def __init__(self, offset_min: int) -> None:
        self.offset = timedelta(minutes=offset_min)
        sign, minutes = ("-", -offset_min) if offset_min < 0 else ("+", offset_min)
        self.suffix = f"{sign}{minutes // 60:02d}:{minutes % 60:02d}"  # as ISO 8601 writes it

    def utcoffset(self, dt: datetime | None) -> timedelta:
        return self.offset

    def dst(self, dt: datetime | None) -> timedelta:
        return timedelta(0)

    def tzname(self, dt: datetime | None) -> str:
        return self.suffix

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ShownZone) and other.offset == self.offset

    def __hash__(self) -> int:
        return hash(self.offset)


def _zone_shown(tz: tzinfo | None) -> str:
    return tz.suffix if isinstance(tz, ShownZone) else ""


# Charted words that are codes or letters, as a nurse reads them (the rest only lose their
# underscores: "nasal_cannula" -> "nasal cannula"). ACVPU letters: REFERENCE.md §7.1
# ("C" is new confusion).
WORD_SHOWN = {
    ("o2_device", "cpap"): "CPAP",
    ("o2_device", "bipap"): "BiPAP",
    ("o2_device", "blow_by"): "blow-by",
    ("o2_device", "non_rebreather"): "non-rebreather mask",
    ("o2_device", "venturi_mask"): "Venturi mask",
    ("o2_device", "high_flow_nasal_cannula"): "high-flow nasal cannula",
    ("acvpu", "A"): "alert (A)",
    ("acvpu", "C"): "new confusion (C)",
    ("acvpu", "V"): "responds to voice (V)",
    ("acvpu", "P"): "responds to pain (P)",
    ("acvpu", "U"): "unresponsive (U)",
    ("seizure", "focal_resolved"): "focal, resolved",
    ("seizure", "generalized_resolved"): "generalized, resolved",
    ("seizure", "nonconvulsive_resolved"): "nonconvulsive, resolved",
    ("seizure", "prolonged"): "prolonged (> 5 min)",
    ("cerebral_edema", "cn_vi_palsy"): "cranial nerve VI palsy",
    ("cerebral_edema", "cushings_triad"): "Cushing's triad",
    ("death", "crs"): "CRS",
    ("death", "icans"): "ICANS",
}


def word_shown(item: str, word: str) -> str:
    """A charted word as a nurse reads it: 'CPAP', 'new confusion (C)', 'nasal cannula'."""
    return WORD_SHOWN.get((item, word), word.replace("_", " "))


def number_shown(value: float) -> str:
    """A derived number (a MAP, a dose per kg): whole when it is, else one decimal."""
    return f"{value:.0f}" if abs(value - round(value)) < 0.05 else f"{value:.1f}"


def age_words(seconds: float) -> str:
    """How long ago, as a nurse says it: '30 h' under two days, else '5 days'."""
    hours = seconds / 3600
    if hours < 48:
        return f"{hours:.0f} h"
    return f"{int(hours // 24)} days"


def _local(epoch: float, tz: tzinfo | None) -> datetime:
    # A naive fromtimestamp() is the machine's local wall time: the same date,
    # hour and minute as .astimezone() gives, without building the zone.
    return datetime.fromtimestamp(epoch, tz) if tz else datetime.fromtimestamp(epoch)


@lru_cache(maxsize=8192)
def _hour_minute(epoch: float, tz: tzinfo | None) -> str:
    moment = _local(epoch, tz)
    # By hand: digits in every locale, and fast.
    return f"{moment.hour:02d}:{moment.minute:02d}{_zone_shown(tz)}"


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
    return moment.strftime("%d %b %H:%M") + _zone_shown(tz)  # the locale's month name


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
        return word_shown(obs.item, obs.text or "")
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
