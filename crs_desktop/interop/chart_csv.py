"""Chart CSV, version 1 (../shared/spec/chart-csv.md): read and write.

Reading is all or nothing: every bad line is collected and the whole file is
refused with one message naming them, so nothing is half-imported.
"""

from __future__ import annotations

import bisect
import csv
import io
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import IO

from crs_desktop.domain.errors import UserError
from crs_desktop.domain.observation import Observation
from crs_desktop.domain.validation import ChartValueError, ValidValue, canonical_item_name, validate
from crs_desktop.domain.vocabulary import ITEMS

HEADER = ("time", "item", "value", "unit", "note")
MAX_PROBLEMS_SHOWN = 50


class ChartFileError(UserError, ValueError):
    """A chart file refused whole; `problems` names every bad line."""

    def __init__(self, source: str, problems: list[str]) -> None:
        self.source = source
        self.problems = problems
        shown = problems[:MAX_PROBLEMS_SHOWN]
        more = len(problems) - len(shown)
        lines = [f"{source}: refused, nothing was written ({len(problems)} problem(s)):"]
        lines += [f"  {p}" for p in shown]
        if more:
            lines.append(f"  … and {more} more")
        super().__init__("\n".join(lines))


@dataclass(frozen=True, slots=True)
class ChartRow:
    """One valid line of a chart file."""

    line: int
    time: float  # epoch seconds, UTC
    utc_offset_min: int
    item: str  # canonical item name
    valid: ValidValue
    note: str


def parse_time(text: str) -> tuple[float, int]:
    """ISO 8601 date-time to (epoch seconds, UTC offset in minutes).

    Without an offset the time is read in this machine's local time zone
    (chart-csv.md), and the offset in force then is recorded.
    """
    stripped = text.strip()
    if not stripped or "T" not in stripped and " " not in stripped:
        raise ValueError("expected an ISO 8601 date-time such as 2026-11-20T08:00:00+01:00")
    try:
        moment = datetime.fromisoformat(stripped)
    except ValueError:
        raise ValueError(
            "expected an ISO 8601 date-time such as 2026-11-20T08:00:00+01:00"
        ) from None
    if moment.tzinfo is None:
        moment = _local(moment)
    offset = moment.utcoffset() or timedelta(0)
    return moment.timestamp(), int(offset.total_seconds() // 60)


def _local(naive: datetime) -> datetime:
    """A wall-clock time in this machine's zone; refused where a daylight-saving change
    makes it ambiguous (clocks go back) or non-existent (clocks go forward)."""
    first = naive.replace(fold=0).astimezone()
    second = naive.replace(fold=1).astimezone()
    if first.utcoffset() != second.utcoffset():
        back = first.astimezone(first.tzinfo).replace(tzinfo=None)
        problem = "does not exist" if back != naive else "is ambiguous"
        raise ValueError(
            f"{problem} in local time (a daylight-saving change); "
            "write it with its UTC offset, e.g. +01:00"
        )
    return first


def format_time(epoch: float, utc_offset_min: int) -> str:
    """Epoch seconds to ISO 8601 with the given offset (as it was charted)."""
    tz = UTC if utc_offset_min == 0 else timezone(timedelta(minutes=utc_offset_min))
    text = datetime.fromtimestamp(epoch, tz).isoformat()
    return text


@dataclass(frozen=True, slots=True)
class _RawRow:
    line: int
    time: float
    offset: int
    item: str
    value: str
    unit: str
    note: str


def _open_text(source: str | os.PathLike[str] | IO[str]) -> tuple[str, IO[str], bool]:
    if isinstance(source, (str, os.PathLike)):
        path = Path(source)
        try:
            raw = path.read_bytes()
        except OSError as exc:
            raise ChartFileError(str(path), [f"cannot read the file: {exc.strerror}"]) from None
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise ChartFileError(
                str(path), [f"not UTF-8 text (byte {exc.start}); save the file as UTF-8 CSV"]
            ) from None
        return str(path), io.StringIO(text, newline=""), True
    return getattr(source, "name", "chart"), source, False


def _records(stream: IO[str]) -> Iterator[tuple[int, list[str]]]:
    reader = csv.reader(stream)
    start = 1
    for record in reader:
        yield start, record
        start = reader.line_num + 1


def read_chart_csv(
    source: str | os.PathLike[str] | IO[str], weight_kg: float | None = None
) -> list[ChartRow]:
    """Read and validate a whole chart file; raise ChartFileError naming every bad line.

    `weight_kg` is the patient's weight on record, used for µg/kg/min rates
    when the file charts no weight of its own.
    """
    name, stream, _ = _open_text(source)
    problems: list[str] = []
    raw_rows: list[_RawRow] = []
    records = _records(stream)
    times: dict[str, tuple[float, int]] = {}
    try:
        first = next(records, None)
        if first is None:
            raise ChartFileError(
                name, [f"line 1: empty file; expected the header {','.join(HEADER)}"]
            )
        line, header = first
        if header and header[0].startswith("\ufeff"):
            header[0] = header[0][1:]
        if tuple(h.strip().lower() for h in header) != HEADER:
            raise ChartFileError(
                name,
                [f"line {line}: header must be exactly {','.join(HEADER)}, got {','.join(header)}"],
            )
        for line, record in records:
            if not record or all(not field.strip() for field in record):
                continue  # blank line
            if len(record) != len(HEADER):
                problems.append(
                    f"line {line}: expected 5 fields (time,item,value,unit,note), got {len(record)}"
                )
                continue
            time_text, item_text, value, unit, note = record
            try:
                item = canonical_item_name(item_text)
            except ChartValueError as exc:
                problems.append(f"line {line}: {exc}")
                continue
            try:
                # Rows of one assessment share a time: parse each distinct one once.
                epoch, offset = times[time_text] if time_text in times else parse_time(time_text)
                times[time_text] = (epoch, offset)
            except ValueError as exc:
                problems.append(f"line {line}: {item} time {time_text!r}: {exc}")
                continue
            raw_rows.append(_RawRow(line, epoch, offset, item, value, unit, note))
    except csv.Error as exc:
        problems.append(f"line {getattr(exc, 'line', '?')}: unreadable CSV: {exc}")

    weights = _weights(raw_rows, weight_kg)
    rows: list[ChartRow] = []
    # A value that needs no weight validates the same every time: judge each
    # distinct (item, value, unit) once. ValidValue is immutable, so sharing is safe.
    judged: dict[tuple[str, str, str], ValidValue] = {}
    for raw in raw_rows:
        key = (raw.item, raw.value, raw.unit)
        try:
            if key in judged:
                valid = judged[key]
            elif "/kg" in raw.unit:
                valid = validate(raw.item, raw.value, raw.unit, weight_kg=weights(raw.time))
            else:
                valid = judged[key] = validate(raw.item, raw.value, raw.unit)
        except ChartValueError as exc:
            problems.append(f"line {raw.line}: {exc}")
            continue
        rows.append(ChartRow(raw.line, raw.time, raw.offset, raw.item, valid, raw.note))
    if problems:
        problems.sort(key=_line_number)
        raise ChartFileError(name, problems)
    return rows


def _line_number(problem: str) -> int:
    word = problem.split(":", 1)[0].removeprefix("line ")
    return int(word) if word.isdigit() else 0


def _weights(raw_rows: list[_RawRow], fallback: float | None):  # type: ignore[no-untyped-def]
    """A lookup: the weight in kg in force at a time (the latest charted at or before it,
    else the first charted after it, else the weight on record)."""
    charted: list[tuple[float, float]] = []
    for raw in raw_rows:
        if raw.item == "weight":
            try:
                value = validate("weight", raw.value, raw.unit).value
            except ChartValueError:
                continue  # reported on its own line
            if value is not None:
                charted.append((raw.time, value))
    charted.sort()

    times = [t for t, _ in charted]

    def weight_at(time: float) -> float | None:
        if not charted:
            return fallback
        index = bisect.bisect_right(times, time)
        return charted[index - 1][1] if index else charted[0][1]

    return weight_at


def rows_to_observations(rows: Iterable[ChartRow]) -> list[Observation]:
    """Chart rows as Observations in time order (file order within a time); ids are line numbers."""
    observations = [
        Observation(
            time=row.time,
            item=row.item,
            value=row.valid.value,
            text=row.valid.text,
            note=row.note,
            id=row.line,
            utc_offset_min=row.utc_offset_min,
            extreme=row.valid.extreme,
        )
        for row in rows
    ]
    observations.sort(key=lambda o: o.time)
    return observations


@dataclass(frozen=True, slots=True)
class ExportRow:
    """One charted value as it is written back out: the value and unit as first written."""

    time: float
    utc_offset_min: int
    item: str
    written_value: str
    written_unit: str
    note: str


def write_chart_csv(rows: Iterable[ExportRow], stream: IO[str]) -> int:
    """Write rows as chart CSV (header first); returns the number of data rows."""
    writer = csv.writer(stream, lineterminator="\r\n")
    writer.writerow(HEADER)
    count = 0
    for row in rows:
        assert row.item in ITEMS, row.item
        writer.writerow(
            [
                format_time(row.time, row.utc_offset_min),
                row.item,
                row.written_value,
                row.written_unit,
                row.note,
            ]
        )
        count += 1
    return count
