"""Chart CSV, version 1 (../shared/spec/chart-csv.md): read and write.

Reading is all or nothing: every bad line is collected and the whole file is
refused with one message naming them, so nothing is half-imported. A long file is
read and checked as a stream, a chunk of rows at a time (read_chart_chunks).
"""

from __future__ import annotations

import bisect
import collections
import csv
import itertools
import os
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from typing import IO, Any

from crs_desktop.domain.chart_row import ChartRow  # read here; kept importable from here
from crs_desktop.domain.errors import UserError
from crs_desktop.domain.observation import Observation
from crs_desktop.domain.units import chart_csv_unit
from crs_desktop.domain.validation import (
    ChartValueError,
    ValidValue,
    canonical_item_name,
    check_observed_time,
    shorten,
    validate,
)
from crs_desktop.domain.vocabulary import ITEMS, Kind
from crs_desktop.interop.csv_source import PER_KG, UNDECODED, Source, fields_of_any_size, scan

HEADER = ("time", "item", "value", "unit", "note")
MAX_PROBLEMS_SHOWN = 50
_EPOCH_WALL = datetime(1970, 1, 1)
# Real time zones run from UTC-12:00 to UTC+14:00.
MIN_OFFSET, MAX_OFFSET = timedelta(hours=-12), timedelta(hours=14)
# The csv module's default field limit, kept as the limit of a note: reached only
# by a paste gone wrong, and then the line is named.
MAX_NOTE_CHARS = 128 * 1024

# A spreadsheet runs a cell that starts with one of these as a formula
# (=HYPERLINK(...) when a ward clerk opens an export). Such a text cell is written
# with a leading apostrophe, which spreadsheets show as text and import removes;
# a text starting with an apostrophe gets one more, so the round trip is exact.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_ESCAPED_STARTS = (*FORMULA_STARTS, "'")


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


def parse_time(text: str) -> tuple[float, int]:
    """ISO 8601 date-time to (epoch seconds, UTC offset in minutes).

    Without an offset the time is read in this machine's local time zone
    (chart-csv.md), and the offset in force then is recorded. Whether the time
    can be charted (not before 1900, not in the future) is check_observed_time's.
    """
    stripped = text.strip()
    example = "expected an ISO 8601 date-time such as 2026-11-20T08:00:00+01:00"
    if not stripped or "T" not in stripped and " " not in stripped or not stripped.isascii():
        raise ValueError(example)
    try:
        moment = datetime.fromisoformat(stripped)
    except ValueError:
        raise ValueError(example) from None
    if moment.tzinfo is None:
        if not 1900 <= moment.year < 9000:
            # Refused anyway (before 1900 or in the future); the local zone of year 1
            # is not even computable, so judge it as UTC.
            moment = moment.replace(tzinfo=UTC)
        else:
            moment = _local(moment)
    offset = moment.utcoffset() or timedelta(0)
    if not MIN_OFFSET <= offset <= MAX_OFFSET:
        raise ValueError("UTC offset out of range; time zones run from -12:00 to +14:00")
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
    """Epoch seconds to ISO 8601 with the given offset (as it was charted).

    Computed on the wall clock of that offset, so any time that was once read
    from a file is written back, even year 0001 at +14:00 (year 0 in UTC).
    """
    tz = UTC if utc_offset_min == 0 else timezone(timedelta(minutes=utc_offset_min))
    try:
        wall = _EPOCH_WALL + (timedelta(seconds=epoch) + timedelta(minutes=utc_offset_min))
    except OverflowError:  # never read from a file; no calendar can write it
        raise UserError(
            f"a charted time ({epoch:.0f} s from 1970) is outside the calendar "
            "(before year 1 or after 9999); it cannot be written"
        ) from None
    return wall.replace(tzinfo=tz).isoformat()


def spreadsheet_safe(text: str) -> str:
    """A text cell as written to a chart file: neutralised if a spreadsheet would run it."""
    return "'" + text if text.startswith(_ESCAPED_STARTS) else text


def from_spreadsheet_safe(text: str) -> str:
    """The text a cell stands for: spreadsheet_safe undone. An apostrophe before
    ordinary text (a hand-written file) is the text's own and kept."""
    if text.startswith("'") and text[1:].startswith(_ESCAPED_STARTS):
        return text[1:]
    return text


CHUNK_ROWS = 5000


def read_chart_csv(
    source: str | os.PathLike[str] | IO[str],
    weight_kg: float | None = None,
    now: float | None = None,
) -> list[ChartRow]:
    """Read and validate a whole chart file; raise ChartFileError naming every bad line.

    `weight_kg` is the patient's weight on record, used for µg/kg/min rates
    when the file charts no weight of its own. `now` (default: this machine's
    clock) is what "in the future" is judged against.
    """
    return [row for chunk in read_chart_chunks(source, weight_kg, now) for row in chunk]


def read_chart_chunks(
    source: str | os.PathLike[str] | IO[str],
    weight_kg: float | None = None,
    now: float | None = None,
    chunk_rows: int = CHUNK_ROWS,
) -> Iterator[list[ChartRow]]:
    """The valid rows of a chart file in file order, a chunk at a time, so a long file is
    never held whole (see read_chart_csv for the arguments).

    Every line is checked. Once one is bad no more chunks come, and after the last line
    ChartFileError names every bad line: a caller that writes chunks as they come, inside
    one transaction, rolls it back then (nothing is written).
    """
    now = time.time() if now is None else now
    try:
        file = scan(source)
    except OSError as exc:
        raise ChartFileError(str(source), [f"cannot read the file: {exc.strerror}"]) from None
    weights = _weights(file, weight_kg, now)
    problems: list[str] = []
    with _rows_of(file, now, problems, weights) as rows:
        while chunk := list(itertools.islice(rows, chunk_rows)):
            if problems:  # refused whole: only the rest of its problems are wanted
                collections.deque(rows, maxlen=0)
                break
            yield chunk
    if problems:
        problems.sort(key=_line_number)
        raise ChartFileError(file.name, problems)


@contextmanager
def _rows_of(
    file: Source, now: float, problems: list[str], weights: Callable[[float], float | None]
) -> Iterator[Iterator[ChartRow]]:
    """The file's valid data lines after the header, in file order; each line that is not
    valid is named in `problems`. `weights` gives the weight in kg at a time."""
    with fields_of_any_size(), file.open() as stream:
        reader = csv.reader(stream)
        try:
            header = next(reader, None)
        except csv.Error as exc:
            raise ChartFileError(file.name, [f"line 1: unreadable CSV: {exc}"]) from None
        if header is None:
            raise ChartFileError(
                file.name, [f"line 1: empty file; expected the header {','.join(HEADER)}"]
            )
        if header and header[0].startswith("\ufeff"):
            header[0] = header[0][1:]
        if tuple(h.strip().lower() for h in header) != HEADER:
            got = shorten(",".join(header))
            raise ChartFileError(
                file.name, [f"line 1: header must be exactly {','.join(HEADER)}, got {got}"]
            )
        yield _rows(reader, file.undecoded, now, problems, weights)


# How many distinct times, and values, a read remembers; then it starts afresh, so
# a file of ever-new times or values (no two alike) still streams in little memory.
_REMEMBERED = 8192
# What a (item, value, unit) as written is: (the item's name, what is wrong with the
# item, the valid value or what is wrong with the value).
_Judged = tuple[str, str | None, ValidValue | str | None]


def _rows(
    reader: Any,  # a csv reader past the header
    undecoded: bool,
    now: float,
    problems: list[str],
    weights: Callable[[float], float | None],
) -> Iterator[ChartRow]:
    # A monitor file repeats itself: the rows of one assessment share a time, and the
    # same (item, value, unit) comes back again and again. Each distinct time and each
    # distinct value (unless it needs a weight) is judged once; what a value's check
    # says does not depend on the line it is on. ValidValue is immutable: shared.
    times: dict[str, tuple[float, int] | str] = {}
    judged: dict[tuple[str, str, str], _Judged] = {}
    # Looked up once, not on each of hundreds of thousands of lines.
    fields, longest, known_time, known_value = len(HEADER), MAX_NOTE_CHARS, times.get, judged.get
    row = ChartRow._make
    start = reader.line_num + 1  # the line the next record starts on
    try:
        for record in reader:
            line, start = start, reader.line_num + 1
            if not record or not record[0].strip() and all(not f.strip() for f in record):
                continue  # blank line
            if len(record) != fields:
                problems.append(
                    f"line {line}: expected 5 fields (time,item,value,unit,note), got {len(record)}"
                )
                continue
            if undecoded and any(UNDECODED.search(field) for field in record):
                problems.append(f"line {line}: not UTF-8 text; save the file as UTF-8 CSV")
                continue
            time_text, item_text, value, unit, note = record
            if len(note) > longest:
                problems.append(
                    f"line {line}: note of {len(note):,} characters; "
                    f"at most {MAX_NOTE_CHARS:,} (128 KiB)"
                )
                continue
            key = (item_text, value, unit)
            found = known_value(key)
            if found is None:
                found = _judge(item_text, value, unit)
                if PER_KG not in unit:
                    if len(judged) >= _REMEMBERED:
                        judged.clear()
                    judged[key] = found
            item, item_problem, valid = found
            if item_problem is not None:
                problems.append(f"line {line}: {item_problem}")
                continue
            when = known_time(time_text)
            if when is None:
                if len(times) >= _REMEMBERED:
                    times.clear()
                when = times[time_text] = _judge_time(time_text, now)
            if isinstance(when, str):
                problems.append(f"line {line}: {item} time {shorten(time_text)!r}: {when}")
                continue
            if valid is None:  # a rate per kg: judged with the weight at its time
                valid = _judge_value(item, value, unit, weights(when[0]))
            if isinstance(valid, str):
                problems.append(f"line {line}: {valid}")
                continue
            yield row((line, when[0], when[1], item, valid, note and from_spreadsheet_safe(note)))
    except csv.Error as exc:  # the reader cannot go on past it: name where it stopped
        problems.append(f"line {start}: unreadable CSV: {exc}")


def _judge(item_text: str, value: str, unit: str) -> _Judged:
    try:
        item = canonical_item_name(item_text)
    except ChartValueError as exc:
        return "", str(exc), None
    if PER_KG in unit:
        return item, None, None  # needs the weight at its time
    return item, None, _judge_value(item, value, unit, None)


def _judge_value(item: str, value: str, unit: str, weight_kg: float | None) -> ValidValue | str:
    if ITEMS[item].kind is Kind.TEXT:
        value = from_spreadsheet_safe(value)
    try:
        return validate(item, value, unit, weight_kg=weight_kg)
    except ChartValueError as exc:
        return str(exc)


def _judge_time(text: str, now: float) -> tuple[float, int] | str:
    """(epoch, offset) of a time that can be charted, else what is wrong with it."""
    try:
        epoch, offset = parse_time(text)
        check_observed_time(epoch, now)
    except ValueError as exc:  # ObservedTimeError is one
        return str(exc)
    return epoch, offset


def judge_value(
    time_text: str, item_text: str, value: str, unit: str, now: float, weight_kg: float | None
) -> tuple[float, int, ValidValue] | str:
    """One value judged exactly as a chart file's line is (its item, its value and unit,
    its time): (epoch, UTC offset, the valid value), or what is wrong with it. For the
    other formats that chart through the same rules (FHIR Bundles)."""
    item, item_problem, valid = _judge(item_text, value, unit)
    if item_problem is not None:
        return item_problem
    when = _judge_time(time_text, now)
    if isinstance(when, str):
        return f"{item} time {shorten(time_text)!r}: {when}"
    if valid is None:  # a rate per kg
        valid = _judge_value(item, value, unit, weight_kg)
    return valid if isinstance(valid, str) else (when[0], when[1], valid)


def _line_number(problem: str) -> int:
    word = problem.split(":", 1)[0].removeprefix("line ")
    return int(word) if word.isdigit() else 0


def _weights(file: Source, fallback: float | None, now: float) -> Callable[[float], float | None]:
    """A lookup: the weight in kg in force at a time (the latest charted at or before it,
    else the first charted after it, else the weight on record). The whole file is read
    for its weights first, only when it holds a per-kg rate (a weight may come last)."""
    charted: list[tuple[float, float]] = []
    if file.per_kg:
        with _rows_of(file, now, [], lambda _: fallback) as rows:
            for row in rows:
                if row.item == "weight" and row.valid.value is not None:
                    charted.append((row.time, row.valid.value))
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
        item = ITEMS[row.item]
        value = row.written_value
        if item.kind is Kind.TEXT:  # a product name is text a spreadsheet could run too
            value = spreadsheet_safe(value)
        writer.writerow(
            [
                format_time(row.time, row.utc_offset_min),
                row.item,
                value,
                chart_csv_unit(row.written_unit),  # 'degF', as the chart CSV spec lists it
                spreadsheet_safe(row.note),
            ]
        )
        count += 1
    return count
