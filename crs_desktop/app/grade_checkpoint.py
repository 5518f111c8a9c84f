"""Grading a chart from a stored checkpoint instead of from its first value (no Qt).

The handover needs the grades of its period, each system's highest grade since the
infusion, and the checklist at its end. Grading a month of one-minute vitals for
that takes most of a second; a checkpoint (store/grade_checkpoints.py) holds what
the grader knew at one charted time before the period:

- the grader's state there (domain ChartState: the latest of each finding, the
  last fever, the vasopressor runs, the drugs that waive the fever need, when CRS
  began...) and each system's grade, maximum and since-time there: resumed from
  them, the grader walks on exactly as it would have from the first value;
- each system's grade history up to there, as runs of one grade (domain
  GradeHistory): the maxima since the infusion and over the shift read them, and
  the checklist asks it when an episode began before the checkpoint.

A question the checkpoint cannot answer exactly (words at a moment before it, such
as NEWS2's single parameter scoring 3; nothing charted after it) raises
HistoryBeforeCheckpoint from the Grader, and the handover grades the whole chart
instead. A checkpoint is used only when it was
made by the same grading rules (a digest of domain/'s source), the same settings,
the same systems and the same time zone (grading_key), and while the chart up to its
time is unchanged (the store checks that).
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import json
import os
import sys
import time
import zlib
from array import array
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import tzinfo
from pathlib import Path
from typing import Any

from crs_desktop.domain.grading import Grader, GradingSettings, SystemGrade
from crs_desktop.domain.grading.chart_state import ChartState
from crs_desktop.domain.grading.grade_history import GradeHistory, SystemRuns, runs_of
from crs_desktop.domain.observation import Observation
from crs_desktop.store.base import StoreBase
from crs_desktop.store.grade_checkpoints import (
    StoredCheckpoint,
    chart_stamp,
    current_checkpoint,
    findings_after,
)

# Not a clinical number: where the next handover's checkpoint is put. The last hour is
# where values come in late (a round's vitals typed in afterwards; a result), and a value
# charted before a checkpoint's time stops its use (the next handover then resumes from
# an older one, KEEP of them being kept).
SETTLED_S = 3600.0
FORMAT = 3  # of the body; a change of it changes every key, so old bodies are not read
STATE_FIELDS = tuple(f.name for f in dataclasses.fields(ChartState))

# Each system's grade history, runs of one grade in time order.
Runs = dict[str, SystemRuns]


@dataclass
class GradedChart:
    """A Grader holding a chart up to a time, and what it does not hold itself."""

    grader: Grader
    # The grade history up to the checkpoint the grader resumed from (None: it holds
    # the whole chart).
    runs_before: Runs | None
    key: str | None  # grading_key(); None: checkpoints cannot be used here


# -- the key -------------------------------------------------------------------------


def _rules_digest() -> str | None:
    """A digest of the grading rules' source: every module of domain/ (thresholds,
    vocabulary and validation included). None where the source is not there to read."""
    import crs_desktop.domain as domain

    digest = hashlib.sha256()
    files = sorted(Path(domain.__file__).parent.rglob("*.py"))
    if not files:
        return None
    for path in files:
        try:
            digest.update(path.as_posix().rsplit("crs_desktop/", 1)[-1].encode())
            digest.update(path.read_bytes())
        except OSError:
            return None
    return digest.hexdigest()


def _zone(tz: tzinfo | None) -> str:
    if tz is not None:
        return repr(tz)
    # The process's local zone (what grading reads when given none).
    return repr((os.environ.get("TZ"), time.tzname, time.timezone, time.altzone))


def grading_key(settings: GradingSettings, tz: tzinfo | None, systems: Sequence[str]) -> str | None:
    """What a checkpoint must have been made with to be used here (None: none can be)."""
    rules = _rules_digest()
    if rules is None:
        return None
    # The runs are written as this machine's float64 bytes: its byte order is part of it.
    text = repr(
        (FORMAT, rules, STATE_FIELDS, repr(settings), _zone(tz), tuple(systems), sys.byteorder)
    )
    return hashlib.sha256(text.encode()).hexdigest()


# -- the body --------------------------------------------------------------------------


def _encode(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, Observation):
        return {"o": list(value)}
    if isinstance(value, dict):
        return {"d": {str(k): _encode(v) for k, v in value.items()}}
    if isinstance(value, list):
        return {"l": [_encode(v) for v in value]}
    raise TypeError(f"a grader state holding {type(value).__name__}: not kept in a checkpoint")


def _decode(value: Any) -> Any:
    if isinstance(value, dict):
        ((tag, inner),) = value.items()
        if tag == "o":
            return Observation(*inner)
        if tag == "d":
            return {k: _decode(v) for k, v in inner.items()}
        if tag == "l":
            return [_decode(v) for v in inner]
        raise ValueError(f"checkpoint: unknown tag {tag!r}")
    return value


def _packed(column: array[float]) -> str:
    return base64.b64encode(zlib.compress(column.tobytes(), 1)).decode()


def encode(
    patient_id: int, at: float, state: ChartState, grades: dict[str, SystemGrade], runs: Runs
) -> str:
    """The body of a checkpoint (TypeError if the state holds what JSON cannot)."""
    return json.dumps(
        {
            "patient": patient_id,  # whose: a row moved to another patient is refused
            "at": at,
            "state": {name: _encode(getattr(state, name)) for name in STATE_FIELDS},
            "grades": {name: [g.grade, g.max, g.since] for name, g in grades.items()},
            "runs": {
                # zlib: a month's runs are 1 MB of float64, a tenth of that compressed
                name: [_packed(column) for column in rs.columns()]
                for name, rs in runs.items()
            },
        },
        separators=(",", ":"),
    )


def decode(body: str, patient_id: int) -> tuple[float, ChartState, dict[str, SystemGrade], Runs]:
    """(time, state, grades, runs) of a body (ValueError, KeyError, TypeError or
    zlib.error if it is not one this version wrote)."""
    data = json.loads(body)
    if data["patient"] != patient_id:
        raise ValueError("checkpoint: another patient's")
    fields = data["state"]
    if tuple(fields) != STATE_FIELDS:
        raise ValueError("checkpoint: another shape of grader state")
    state = ChartState(**{name: _decode(value) for name, value in fields.items()})
    grades = {
        name: SystemGrade(grade, best, None, None, since)
        for name, (grade, best, since) in data["grades"].items()
    }
    runs = {}
    for name, texts in data["runs"].items():
        columns = []
        for text in texts:
            column = array("d")
            column.frombytes(zlib.decompress(base64.b64decode(text, validate=True)))
            columns.append(column)
        runs[name] = SystemRuns(columns)
    return float(data["at"]), state, grades, runs


# -- grading ---------------------------------------------------------------------------


def grade_whole_chart(
    store: Any,
    patient_id: int,
    until: float,
    settings: GradingSettings,
    tz: tzinfo | None,
    systems: Sequence[str],
    key: str | None = None,
) -> GradedChart:
    """The chart up to `until` graded from its first value."""
    grader = Grader(settings, tz, systems=systems)
    grader.add(store.findings_to_grade_once(patient_id, until=until))
    return GradedChart(grader, None, key)


def grade_chart(
    store: Any,
    patient_id: int,
    until: float,
    settings: GradingSettings,
    tz: tzinfo | None,
    systems: Sequence[str],
    before: float,
) -> GradedChart:
    """The chart up to `until` graded from the latest usable checkpoint before `before`,
    else from its first value. Call inside one read snapshot of the store."""
    grader = Grader(settings, tz, systems=systems)
    key = grading_key(settings, tz, grader.systems)
    stored = current_checkpoint(store, patient_id, key, before) if key else None
    if stored is not None:
        try:
            at, state, grades, runs = decode(stored.body, patient_id)
            grader.resume(at, state, grades, GradeHistory(runs))
        except (ValueError, KeyError, TypeError, zlib.error):  # not one this version can use
            return grade_whole_chart(store, patient_id, until, settings, tz, systems, key)
        grader.add(findings_after(store, patient_id, at, until))
        return GradedChart(grader, runs, key)
    return grade_whole_chart(store, patient_id, until, settings, tz, systems, key)


def checkpoint_to_keep(
    graded: GradedChart, store: StoreBase, patient_id: int, start: float, upto: float
) -> StoredCheckpoint | None:
    """A checkpoint for the next handover, at the last charted time an hour before `upto`
    (SETTLED_S; at least `start`). None: nothing to keep, or the one resumed from is that
    one. Call inside the read snapshot the grading read: its stamp must be of the chart
    that was graded."""
    if graded.key is None:
        return None
    grader = graded.grader
    found = grader.checkpoint(max(start, upto - SETTLED_S))
    if found is None:
        return None
    at, state, grades = found
    if grader.resumed_after is not None and at <= grader.resumed_after:
        return None
    walked = [g for g in grader.walked() if g.time <= at]
    runs = runs_of(walked, grader.systems, graded.runs_before)
    try:
        body = encode(patient_id, at, state, grades, runs)
    except TypeError:  # a state this version cannot write down: no checkpoint, never a wrong one
        return None
    return StoredCheckpoint(patient_id, graded.key, at, chart_stamp(store, patient_id, at), body)
