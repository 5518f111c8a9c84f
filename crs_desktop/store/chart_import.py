"""Adding a chart file's rows to the store: all of it, or nothing.

The patient (when its MRN is new) and every row go in one transaction, so a
crash, a kill or a refusal never leaves an empty patient or half a file behind.
Rows may come as a stream (a long file read a chunk at a time) and are inserted
as they come, inside that transaction: a bad line found later rolls it all back.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any

from crs_desktop.domain.chart_row import ChartRow
from crs_desktop.domain.errors import UserError
from crs_desktop.domain.validation import ObservedTimeError, check_observed_time
from crs_desktop.store.records import INSERT_ROW, Patient, final_row

if TYPE_CHECKING:
    from crs_desktop.store.patients import PatientRecords

_PROBLEMS_SHOWN = 10
NO_VALUES = "the file has no values (only its header); nothing was written"


def _refused_times(problems: list[str]) -> UserError:
    more = len(problems) - _PROBLEMS_SHOWN
    shown = "; ".join(problems[:_PROBLEMS_SHOWN]) + (f"; … and {more} more" if more > 0 else "")
    return UserError(f"{shown} — nothing was written")


def _time_problem(row: ChartRow, now: float) -> str | None:
    try:
        check_observed_time(row.time, now)
    except ObservedTimeError as exc:
        return f"line {row.line}: {row.item} time: {exc}"
    return None


def _insert_rows(
    store: PatientRecords,
    conn: sqlite3.Connection,
    patient_id: int,
    rows: Iterable[ChartRow],
    actor: str,
    source: str,
    now: float,
) -> int:
    """Insert rows as they come (a file read as a stream is never held whole); the count.

    Raises, leaving the caller to roll back, when the rows' source does (a bad line
    found further on) or when a row's time cannot be charted."""
    problems: list[str] = []
    count = 0

    def parameters() -> Iterator[tuple[Any, ...]]:
        nonlocal count
        good_time = None  # the rows of one assessment share a time: judged once
        for r in rows:
            if r.time != good_time:
                problem = _time_problem(r, now)
                if problem:
                    problems.append(problem)  # every one named; nothing more inserted
                else:
                    good_time = r.time
            if problems:
                continue
            count += 1
            yield final_row(
                patient_id,
                r.valid,
                r.note,
                observed_at=r.time,
                utc_offset_min=r.utc_offset_min,
                recorded_at=now,
                actor=actor,
                source=source,
            )

    first = conn.execute("SELECT coalesce(max(id), 0) FROM observations").fetchone()[0]
    conn.executemany(INSERT_ROW, parameters())
    if problems:
        raise _refused_times(problems)
    last = conn.execute("SELECT coalesce(max(id), 0) FROM observations").fetchone()[0]
    detail = {"first_row": first + 1, "last_row": last, "count": count}
    store._audit(conn, "import", actor, source, patient_id, detail)
    return count


def import_rows(
    store: PatientRecords,
    patient_id: int,
    rows: Iterable[ChartRow],
    *,
    actor: str,
    source: str = "import",
) -> int:
    """Add already-validated rows to an existing patient in one transaction; the count."""
    actor = store._require_actor(actor)
    now = store.clock()

    def work(conn: sqlite3.Connection) -> int:
        return _insert_rows(store, conn, patient_id, rows, actor, source, now)

    try:
        count: int = store._write(work)
    except sqlite3.IntegrityError:  # the foreign key: no such patient
        raise UserError(f"patient id {patient_id}: not found; nothing was written") from None
    return count


def import_chart(
    store: PatientRecords,
    mrn: str,
    rows: Iterable[ChartRow],
    *,
    name: str | None,
    actor: str,
    source: str = "import",
) -> tuple[Patient, bool]:
    """Add a file's rows to the patient with this MRN, creating the patient if new: both in
    one transaction. Returns (the patient, whether it was created). A file without rows
    is refused: it would create an empty patient and chart nothing.

    `rows` may be a stream (a file read a chunk at a time): they are inserted as they
    come, and if it raises (a bad line further on) the whole transaction is rolled back."""
    actor = store._require_actor(actor)
    mrn = mrn.strip()
    if not mrn:
        raise UserError("MRN: required")
    now = store.clock()

    def work(conn: sqlite3.Connection) -> tuple[int, bool]:
        # Looked up inside the transaction: another process may have added it meanwhile.
        found = conn.execute(
            "SELECT id FROM patients WHERE mrn = ? AND archived = 0", (mrn,)
        ).fetchone()
        if found is not None:
            patient_id, created = int(found[0]), False
        else:
            shown_name = (name or "").strip() or f"(name not given) {mrn}"
            patient_id, created = store._insert_patient(conn, mrn, shown_name, actor, source), True
        if not _insert_rows(store, conn, patient_id, rows, actor, source, now):
            raise UserError(NO_VALUES)  # rolled back: the patient is not created either
        return patient_id, created

    patient_id, created = store._write(work)
    patient = store.patient_by_id(patient_id)
    assert patient is not None
    return patient, created
