"""Shift boundaries in local time: by default 07:00-19:00 and 19:00-07:00.

A shift starts at one of the given wall-clock times and ends at the next.
The times are local wall-clock times, so across a daylight-saving change a
night shift lasts 11 or 13 hours, as it does on the ward.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, time, timedelta, tzinfo

DEFAULT_SHIFT_STARTS = ("07:00", "19:00")


def parse_shift_starts(starts: Sequence[str]) -> tuple[time, ...]:
    """'07:00', '19:00' -> sorted wall-clock times; ValueError naming a bad one."""
    parsed: set[time] = set()
    for text in starts:
        try:
            hour, minute = (int(part) for part in text.strip().split(":"))
            parsed.add(time(hour, minute))
        except ValueError:
            raise ValueError(f"shift start {text!r}: expected HH:MM, e.g. 07:00") from None
    if not parsed:
        raise ValueError("shift starts: at least one time is needed, e.g. 07:00")
    return tuple(sorted(parsed))


def _local_date(epoch: float, tz: tzinfo | None) -> date:
    return (datetime.fromtimestamp(epoch, tz) if tz else datetime.fromtimestamp(epoch)).date()


def _epoch(day: date, wall: time, tz: tzinfo | None) -> float:
    naive = datetime.combine(day, wall)
    # Without a zone, a naive datetime is read with this machine's rules.
    return naive.replace(tzinfo=tz).timestamp() if tz else naive.timestamp()


def _boundaries(now: float, starts: tuple[time, ...], tz: tzinfo | None) -> list[float]:
    today = _local_date(now, tz)
    days = [today + timedelta(days=n) for n in (-2, -1, 0, 1, 2)]
    return sorted({_epoch(day, wall, tz) for day in days for wall in starts})


def current_shift(
    now: float,
    shift_starts: Sequence[str] = DEFAULT_SHIFT_STARTS,
    tz: tzinfo | None = None,
) -> tuple[float, float]:
    """(start, end) in epoch seconds of the shift that `now` falls in."""
    edges = _boundaries(now, parse_shift_starts(shift_starts), tz)
    start = max(edge for edge in edges if edge <= now)
    end = min(edge for edge in edges if edge > now)
    return start, end


def previous_shift(
    now: float,
    shift_starts: Sequence[str] = DEFAULT_SHIFT_STARTS,
    tz: tzinfo | None = None,
) -> tuple[float, float]:
    """(start, end) of the last complete shift before the one `now` falls in."""
    start, _end = current_shift(now, shift_starts, tz)
    return current_shift(start - 1, shift_starts, tz)
