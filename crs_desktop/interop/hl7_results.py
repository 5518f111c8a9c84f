"""The results of an ORU^R01 judged as the chart judges every value: mapped to items,
validated by the domain (validation.validate, check_observed_time) and their times read
as the chart CSV reads them (chart_csv.parse_time: without an offset, in this computer's
zone, refused where daylight saving makes the time ambiguous or impossible).

A code the mapping does not know is not charted and not an error (a monitor's mean
pressure, a quality index): it is listed. Any mapped value the chart refuses makes the
whole message refused (AE), naming every one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from crs_desktop.domain.chart_row import ChartRow
from crs_desktop.domain.validation import (
    ChartValueError,
    ObservedTimeError,
    check_observed_time,
    shorten,
    validate,
)
from crs_desktop.domain.vocabulary import ITEMS, unit_text
from crs_desktop.interop.chart_csv import parse_time
from crs_desktop.interop.hl7_mapping import Mapping
from crs_desktop.interop.hl7_message import AE, Refusal, Report, Result

# HL7 DTM: YYYY[MM[DD[HH[MM[SS[.S[S[S[S]]]]]]]]][+/-ZZZZ]. A value needs at least the
# minute it was observed (a date alone cannot be placed on a plot or graded).
_DTM = re.compile(
    r"^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(?:(\d{2})(?:\.(\d{1,4}))?)?([+-]\d{4})?$", re.ASCII
)
# OBX-11 (HL7 table 0085) statuses that carry a result to chart: final, corrected,
# changed to final, entered (not verified: what monitors send), preliminary, partial.
# D (delete), W (wrong), X (cannot obtain) and the order statuses carry none.
CHARTED_STATUSES = {"", "F", "C", "U", "R", "P", "S"}
_STATUS_NOTES = {"C": "corrected result", "P": "preliminary result", "S": "partial result"}
# OBX-8 (HL7 table 0078), in words.
_FLAG_WORDS = {
    "L": "low",
    "H": "high",
    "LL": "critically low",
    "HH": "critically high",
    "A": "abnormal",
    "AA": "critically abnormal",
    "<": "below the measurable range",
    ">": "above the measurable range",
}
_NUMERIC_TYPES = {"NM", "SN", "ST", ""}
# A code as the log and the answer name it ("MDC 150023 MDC_PRESS_BLD_NONINV_MEAN").
_CODE_CHARS = 60


@dataclass(frozen=True, slots=True)
class Skipped:
    """A result not charted, and why (for the log and the answer's warning)."""

    result: Result
    reason: str

    @property
    def code_text(self) -> str:
        code = self.result.code
        ident = code[0] if code else ""
        system = code[2] if len(code) > 2 else ""
        name = code[1] if len(code) > 1 else ""
        text = " ".join(p.strip() for p in (system, ident, name) if p.strip()) or "(no code)"
        return text if len(text) <= _CODE_CHARS else text[: _CODE_CHARS - 1] + "…"


@dataclass(frozen=True, slots=True)
class Judged:
    """The rows to chart (valid, in message order) and the results left out."""

    rows: list[ChartRow]
    skipped: list[Skipped]


def hl7_time(text: str) -> str:
    """An HL7 DTM as ISO 8601 (no offset when it has none); ValueError if unreadable."""
    match = _DTM.match(text.strip())
    if match is None:
        raise ValueError("expected an HL7 time YYYYMMDDHHMM[SS[.SSSS]][+/-ZZZZ]")
    year, month, day, hour, minute, second, fraction, offset = match.groups()
    iso = f"{year}-{month}-{day}T{hour}:{minute}:{second or '00'}"
    if fraction:
        iso += "." + fraction.ljust(6, "0")
    if offset:
        iso += f"{offset[:3]}:{offset[3:]}"
    try:
        datetime.fromisoformat(iso)
    except ValueError:
        raise ValueError("is not a date and time that exists") from None
    return iso


def _value(result: Result) -> str:
    """OBX-5 as the chart writes a number; ValueError for a value that is not one."""
    kind = result.value_type
    if kind not in _NUMERIC_TYPES:
        raise ValueError(f"is of type {shorten(kind)}; only a number (NM or SN) can be charted")
    if kind != "SN":
        return result.value[0].strip() if result.value else ""
    comparator = result.value[0].strip() if result.value else ""
    number = result.value[1].strip() if len(result.value) > 1 else ""
    rest = [p.strip() for p in result.value[2:] if p.strip()]
    if comparator not in ("", "=") or rest:
        written = "".join(p.strip() for p in result.value)
        raise ValueError(
            f"is {shorten(written)!r}, a limit or a range, not a number; chart it by hand"
        )
    return number


def _note(result: Result) -> str:
    words = []
    flags = [f for f in result.abnormal.split(",") if f and f != "N"]
    if flags:
        words.append(
            "flag: " + ", ".join(f"{_FLAG_WORDS.get(f, 'flag')} ({shorten(f)})" for f in flags)
        )
    if result.status in _STATUS_NOTES:
        words.append(_STATUS_NOTES[result.status])
    return "; ".join(words)


def judge(report: Report, mapping: Mapping, now: float, not_before: float | None) -> Judged:
    """The rows of a report; Refusal (AE) naming every mapped result the chart refuses.

    `now` is what "in the future" is judged against; `not_before` (the start of the year
    of the patient's CAR-T infusion, when known) refuses a device clock left unset."""
    rows: list[ChartRow] = []
    skipped: list[Skipped] = []
    problems: list[str] = []
    for result in report.results:
        item = mapping.item_for(result.code)
        if item is None:
            skipped.append(Skipped(result, "code not in the mapping"))
            continue
        if result.status not in CHARTED_STATUSES:
            skipped.append(Skipped(result, f"result status {shorten(result.status)!r}"))
            continue
        label = ITEMS[item].label
        where = f"OBX {result.number} ({label})"
        try:
            value = _value(result)
            unit = mapping.unit_for(item, result.unit)
            if not unit and len(ITEMS[item].units) > 1:  # a CRP without mg/L or mg/dL
                allowed = ", ".join(unit_text(u) for u in ITEMS[item].units)
                raise ValueError(f"needs its unit (OBX-6); allowed {allowed}")
            valid = validate(item, value, unit)
        except ChartValueError as exc:
            problems.append(f"{where}: {exc.problem} (value {shorten(exc.value)!r})")
            continue
        except ValueError as exc:
            problems.append(f"{where}: {exc}")
            continue
        try:
            if not result.time:
                raise ValueError("has no time (OBX-14 or OBR-7)")
            epoch, offset = parse_time(hl7_time(result.time))
            check_observed_time(epoch, now)
            if not_before is not None and epoch < not_before:
                raise ObservedTimeError(
                    "is before the year of the CAR-T infusion (is the device clock set?)"
                )
        except ValueError as exc:  # ObservedTimeError is one
            problems.append(f"{where}: time {shorten(result.time)!r}: {exc}")
            continue
        rows.append(ChartRow(result.number, epoch, offset, item, valid, _note(result)))
    if problems:
        raise Refusal(AE, "; ".join(problems), "207")
    return Judged(rows, skipped)
