"""Grade checkpoints in the chart file (table grade_checkpoints, schema v4), no Qt.

A checkpoint is derived data: what the grader knew at one charted time (its body is
app/grade_checkpoint.py's JSON). It is used only while the chart up to that time is
exactly as it was when the checkpoint was made. Rows are never deleted or changed but
for their status, which only ever goes from final to entered in error
(store/charting.py), so "as it was" is two checks:

- no row observed at or before the time has an id above the last id of the chart
  that was graded. SQLite hands out row ids in commit order (one writer at a time;
  a new rowid is the largest plus one, and rows are never deleted), so every row
  committed later has a larger id: the check walks only those, not the chart. On the
  ward server a sequence hands out the ids, but writers hold one lock from their first
  statement to their commit (store/server.py), so there too ids follow commit order;
- the entered-in-error rows observed at or before the time: their count and the sum
  of their ids (a correction changes both), found on the partial index of flagged rows.
"""

from __future__ import annotations

import itertools
import sqlite3
from dataclasses import dataclass
from typing import Any

from crs_desktop.domain.observation import Observation
from crs_desktop.store.base import StoreBase
from crs_desktop.store.reads import _within

# Checkpoints kept per patient and grading key; older ones are deleted when one is saved.
KEEP = 4


@dataclass(frozen=True)
class ChartStamp:
    """What the chart up to a time was: its last row id, and its entered-in-error rows."""

    last_row_id: int
    errors: int
    error_ids: int


@dataclass(frozen=True)
class StoredCheckpoint:
    """One row of grade_checkpoints."""

    patient_id: int
    grading_key: str
    at: float
    stamp: ChartStamp
    body: str


def _errors(store: StoreBase, patient_id: int, at: float) -> tuple[int, int]:
    # The condition of idx_observations_flagged word for word (schema v2), so the few
    # flagged rows are found on that index.
    errors, error_ids = store.conn.execute(
        "SELECT count(*), coalesce(sum(id), 0) FROM observations "
        "WHERE patient_id = ? AND observed_at <= ? "
        "AND (extreme = 1 OR status != 'final') AND status != 'final'",
        (patient_id, at),
    ).fetchone()
    return int(errors), int(error_ids)


def chart_stamp(store: StoreBase, patient_id: int, at: float) -> ChartStamp:
    """The stamp of the chart up to `at` (inclusive), as the store holds it now (call it
    in the read snapshot of what was graded)."""
    (last_row_id,) = store.conn.execute("SELECT coalesce(max(id), 0) FROM observations").fetchone()
    return ChartStamp(int(last_row_id), *_errors(store, patient_id, at))


def _still_true(store: StoreBase, patient_id: int, at: float, stamp: ChartStamp) -> bool:
    """Whether the chart up to `at` is as it was when `stamp` was made."""
    # Only the rows added since ("+": the planner walks the id range, not the patient's
    # index, as ChartReads.rows(after_id=...) does).
    added = store.conn.execute(
        "SELECT 1 FROM observations WHERE id > ? AND +patient_id = ? AND +observed_at <= ? LIMIT 1",
        (stamp.last_row_id, patient_id, at),
    ).fetchone()
    return added is None and _errors(store, patient_id, at) == (stamp.errors, stamp.error_ids)


def current_checkpoint(
    store: StoreBase, patient_id: int, grading_key: str, before: float
) -> StoredCheckpoint | None:
    """The latest checkpoint at a time before `before` still true to the chart as it is
    now (None if there is none)."""
    try:
        rows = store.conn.execute(
            "SELECT at, last_row_id, errors_up_to, error_ids_up_to, body FROM grade_checkpoints "
            "WHERE patient_id = ? AND grading_key = ? AND at < ? ORDER BY at DESC, id DESC",
            (patient_id, grading_key, before),
        ).fetchall()
    except sqlite3.OperationalError:  # derived data never stops a handover: graded whole
        return None
    for at, last_row_id, errors, error_ids, body in rows:
        stamp = ChartStamp(int(last_row_id), int(errors), int(error_ids))
        if _still_true(store, patient_id, float(at), stamp):
            return StoredCheckpoint(patient_id, grading_key, float(at), stamp, str(body))
    return None


def findings_after(
    store: StoreBase, patient_id: int, after: float, until: float
) -> list[Observation]:
    """As ChartReads.findings_to_grade_once, of the times in (after, until] only."""
    params: list[Any] = [patient_id, after]
    sql = (
        "SELECT observed_at, item, value, text, coalesce(note, '') FROM observations "
        "WHERE patient_id = ? AND status = 'final' AND observed_at > ?"
    )
    sql = _within(sql, params, None, until) + " ORDER BY observed_at, id"
    return list(itertools.starmap(Observation, store.conn.execute(sql, params)))


def save_checkpoint(store: StoreBase, checkpoint: StoredCheckpoint) -> None:
    """Keep `checkpoint` (and the KEEP latest of its patient and key). Not audited: it
    is no charted value, and any of it may be deleted without loss."""
    made_at = store.clock()

    def work(conn: Any) -> None:
        conn.execute(
            "INSERT INTO grade_checkpoints (patient_id, grading_key, at, last_row_id, "
            "errors_up_to, error_ids_up_to, made_at, body) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                checkpoint.patient_id,
                checkpoint.grading_key,
                checkpoint.at,
                checkpoint.stamp.last_row_id,
                checkpoint.stamp.errors,
                checkpoint.stamp.error_ids,
                made_at,
                checkpoint.body,
            ),
        )
        conn.execute(
            "DELETE FROM grade_checkpoints WHERE patient_id = ? AND grading_key = ? "
            "AND id NOT IN (SELECT id FROM grade_checkpoints WHERE patient_id = ? "
            "AND grading_key = ? ORDER BY at DESC, id DESC LIMIT ?)",
            (
                checkpoint.patient_id,
                checkpoint.grading_key,
                checkpoint.patient_id,
                checkpoint.grading_key,
                KEEP,
            ),
        )

    store._write(work)
