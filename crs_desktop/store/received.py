"""Values that arrived in a message (HL7 v2): charted with the record of the message in
one transaction, so a resend is recognised and never charted twice."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from typing import TYPE_CHECKING

from crs_desktop.domain.chart_row import ChartRow
from crs_desktop.domain.errors import UserError
from crs_desktop.store.chart_import import _insert_rows

if TYPE_CHECKING:
    from crs_desktop.store.patients import PatientRecords


def already_received(store: PatientRecords, sender: str, control_id: str) -> bool:
    """Whether this sender's message with this control ID was charted already."""
    row = store.conn.execute(
        "SELECT 1 FROM received_messages WHERE sender = ? AND control_id = ?",
        (sender, control_id),
    ).fetchone()
    return row is not None


def chart_message(
    store: PatientRecords,
    patient_id: int,
    rows: Sequence[ChartRow],
    *,
    sender: str,
    control_id: str,
    actor: str,
    source: str,
) -> int | None:
    """Chart a message's rows (already validated) and record the message, in one
    transaction with its audit row. Returns the number charted; None when the message
    was charted before (a resend: nothing is written)."""
    actor = store._require_actor(actor)
    now = store.clock()

    def work(conn: sqlite3.Connection) -> int | None:
        # Looked up inside the transaction: another connection may have charted it.
        if conn.execute(
            "SELECT 1 FROM received_messages WHERE sender = ? AND control_id = ?",
            (sender, control_id),
        ).fetchone():
            return None
        archived = conn.execute(
            "SELECT archived FROM patients WHERE id = ?", (patient_id,)
        ).fetchone()
        if archived is None or archived[0]:
            raise UserError("the patient's record was replaced or removed; nothing was charted")
        count = _insert_rows(store, conn, patient_id, rows, actor, source, now) if rows else 0
        conn.execute(
            "INSERT INTO received_messages (sender, control_id, received_at, patient_id, "
            "row_count) VALUES (?, ?, ?, ?, ?)",
            (sender, control_id, now, patient_id, count),
        )
        return count

    result: int | None = store._write(work)
    return result
