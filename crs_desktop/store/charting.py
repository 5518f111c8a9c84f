"""Charting: values validated and written in one transaction with their audit row,
corrections (entered in error, never overwritten), imports and events."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from crs_desktop.domain.chart_row import ChartRow
from crs_desktop.domain.errors import UserError
from crs_desktop.domain.validation import (
    ChartValueError,
    ObservedTimeError,
    ValidValue,
    canonical_item_name,
    check_observed_time,
    validate,
)
from crs_desktop.store import chart_import
from crs_desktop.store.patients import PatientRecords
from crs_desktop.store.records import (
    INSERT_ROW,
    STATUS_ENTERED_IN_ERROR,
    STATUS_FINAL,
    Entry,
    final_row,
)


class EntriesRefused(UserError):
    """A set of entries refused whole; `errors` names each bad one."""

    def __init__(self, errors: list[ChartValueError]) -> None:
        self.errors = errors
        super().__init__("; ".join(str(e) for e in errors) + " — nothing was charted")


def local_offset_min(epoch: float) -> int:
    """This machine's UTC offset in minutes at a moment (daylight saving included)."""
    offset = datetime.fromtimestamp(epoch).astimezone().utcoffset()
    return int(offset.total_seconds() // 60) if offset else 0


def shown_time(epoch: float) -> str:
    """A time for a message, in this machine's zone; any float, even year 0 or 10000."""
    try:
        return datetime.fromtimestamp(epoch).astimezone().strftime("%Y-%m-%d %H:%M")
    except (ValueError, OverflowError, OSError):
        return "outside the calendar (year before 1 or after 9999)"


def _check_time(what: str, epoch: float, now: float) -> None:
    """The domain's rule for every way in (before 1900, in the future), worded for the store."""
    try:
        check_observed_time(epoch, now)
    except ObservedTimeError as exc:
        raise UserError(f"{what} {shown_time(epoch)}: {exc}") from None


def _require_current(conn: sqlite3.Connection, patient_id: int) -> None:
    """Refuse a write to a record that was replaced (archived, e.g. by the demo reset), in
    the writing transaction: a window still open on it charted onto 'DEMO-001~archived-2'."""
    row = conn.execute("SELECT archived FROM patients WHERE id = ?", (patient_id,)).fetchone()
    if row is not None and row[0]:
        raise UserError(
            "this patient's record was replaced by a new one (archived); nothing was "
            "charted: open the patient again"
        )


def _already_corrected(row_id: int, by: str | None, at: float | None) -> UserError:
    who = f" by {by}" + (f" at {shown_time(at)}" if at is not None else "") if by else ""
    return UserError(f"chart row {row_id}: already marked entered in error{who}")


def _refuse_if_marked_since(
    conn: sqlite3.Connection, patient_id: int, kind: str, key: str, seen_up_to: int
) -> None:
    """Two nurses marking the same item from two workstations: the second is told it was
    already marked, and by whom. Read inside the writing transaction, after every commit
    before it (on the server too: its writers take one lock, server.py)."""
    found = conn.execute(
        "SELECT status, charted_by, at, detail FROM events WHERE patient_id = ? AND kind = ? "
        "AND key = ? AND id > ? ORDER BY id DESC LIMIT 1",
        (patient_id, kind, key, seen_up_to),
    ).fetchone()
    if found is None:
        return
    status, who, at, detail = found
    title = json.loads(detail or "{}").get("title") or key
    done = (status or "marked").replace("_", " ")  # done, not done, not applicable
    raise UserError(
        f"{title}: already marked {done} by {who} at {shown_time(at)} on another workstation; "
        "nothing was charted"
    )


def _insert_entries(
    conn: sqlite3.Connection,
    patient_id: int,
    entries: Sequence[Entry],
    valid: Sequence[ValidValue],
    observed_at: float,
    utc_offset_min: int,
    now: float,
    actor: str,
    source: str,
) -> list[int]:
    """Write a validated set of entries (one time) inside the caller's transaction; the ids."""
    ids = []
    for entry, v in zip(entries, valid, strict=True):
        values = final_row(
            patient_id,
            v,
            entry.note,
            observed_at=observed_at,
            utc_offset_min=utc_offset_min,
            recorded_at=now,
            actor=actor,
            source=source,
        )
        ids.append(int(conn.execute(INSERT_ROW, values).lastrowid or 0))
    return ids


class Charting(PatientRecords):
    """The writes of values and events to a chart file (see ChartStore)."""

    def validate_entries(
        self, patient_id: int, entries: Sequence[Entry], observed_at: float
    ) -> list[ValidValue]:
        """Validate a set of entries as chart() would; raise EntriesRefused naming each bad one."""
        errors: list[ChartValueError] = []
        valid: list[ValidValue] = []
        weight = None
        for entry in entries:  # a weight charted in the same set counts for its rates
            if entry.item.strip().lower() == "weight":
                try:
                    weight = validate("weight", entry.value, entry.unit).value
                except ChartValueError:
                    pass
        if weight is None and any("/kg" in entry.unit for entry in entries):
            weight = self.weight_at(patient_id, observed_at)
        for entry in entries:
            try:
                valid.append(validate(entry.item, entry.value, entry.unit, weight_kg=weight))
            except ChartValueError as exc:
                errors.append(exc)
        if errors:
            raise EntriesRefused(errors)
        return valid

    def chart(
        self,
        patient_id: int,
        entries: Sequence[Entry],
        *,
        observed_at: float,
        actor: str,
        source: str = "manual",
        utc_offset_min: int | None = None,
    ) -> list[int]:
        """Chart a set of values observed at one time, in one transaction with its audit row.

        Any bad entry refuses the whole set (EntriesRefused); nothing is written.
        Returns the new row ids.
        """
        actor = self._require_actor(actor)
        if not entries:
            raise UserError("nothing to chart: no values were entered")
        now = self.clock()
        _check_time("observed time", observed_at, now)
        valid = self.validate_entries(patient_id, entries, observed_at)
        offset = local_offset_min(observed_at) if utc_offset_min is None else utc_offset_min

        def work(conn: sqlite3.Connection) -> list[int]:
            _require_current(conn, patient_id)
            ids = _insert_entries(
                conn, patient_id, entries, valid, observed_at, offset, now, actor, source
            )
            self._audit(conn, "chart", actor, source, patient_id, {"rows": ids})
            return ids

        try:
            ids: list[int] = self._write(work)
        except sqlite3.IntegrityError:  # the foreign key: no such patient
            raise UserError(f"patient id {patient_id}: not found; nothing was charted") from None
        return ids

    def import_rows(
        self, patient_id: int, rows: Sequence[ChartRow], *, actor: str, source: str = "import"
    ) -> int:
        """Add already-validated chart-file rows in one transaction with one audit row."""
        return chart_import.import_rows(self, patient_id, rows, actor=actor, source=source)

    def mark_entered_in_error(
        self,
        row_id: int,
        *,
        reason: str,
        actor: str,
        replacement: Entry | None = None,
        source: str = "manual",
    ) -> int | None:
        """Mark a row entered in error (it stays, with the reason and who), and chart its
        replacement at the same observed time, all in one transaction. Returns the new id."""
        actor = self._require_actor(actor)
        reason = reason.strip()
        if not reason:
            raise UserError("reason for the correction: required")
        old = self.row(row_id)
        if old is None:
            raise UserError(f"chart row {row_id}: not found")
        if old.entered_in_error:
            raise _already_corrected(row_id, old.error_by, old.error_at)
        valid = None
        if replacement is not None:
            if canonical_item_name(replacement.item) != old.item:
                raise UserError(
                    f"replacement item {replacement.item!r}: must be {old.item!r}, "
                    "the item being corrected"
                )
            valid = self.validate_entries(old.patient_id, [replacement], old.observed_at)[0]
        now = self.clock()

        def work(conn: sqlite3.Connection) -> int | None:
            _require_current(conn, old.patient_id)
            new_id = None
            if replacement is not None and valid is not None:
                values = final_row(
                    old.patient_id,
                    valid,  # valid.item is old.item (checked above)
                    replacement.note,
                    observed_at=old.observed_at,
                    utc_offset_min=old.utc_offset_min,
                    recorded_at=now,
                    actor=actor,
                    source=source,
                )
                new_id = int(conn.execute(INSERT_ROW, values).lastrowid or 0)
            updated = conn.execute(
                "UPDATE observations SET status = ?, error_reason = ?, error_by = ?, "
                "error_at = ?, replaced_by = ? WHERE id = ? AND status = ?",
                (STATUS_ENTERED_IN_ERROR, reason, actor, now, new_id, row_id, STATUS_FINAL),
            ).rowcount
            if updated != 1:  # another workstation corrected it first: who, and when
                by = conn.execute(
                    "SELECT error_by, error_at FROM observations WHERE id = ?", (row_id,)
                ).fetchone()
                raise _already_corrected(row_id, *(by or (None, None)))
            self._audit(
                conn,
                "correct",
                actor,
                source,
                old.patient_id,
                {
                    "entered_in_error": [row_id],
                    "rows": [new_id] if new_id else [],
                    "reason": reason,
                },
            )
            return new_id

        result: int | None = self._write(work)
        return result

    def record_event(
        self,
        patient_id: int,
        kind: str,
        *,
        actor: str,
        key: str = "",
        status: str = "",
        at: float | None = None,
        source: str = "manual",
        detail: dict[str, Any] | None = None,
        entries: Sequence[Entry] = (),
        seen_up_to: int | None = None,
    ) -> int:
        """Record an event (checklist mark, alert acknowledged, handover note, override reason).

        `entries` (e.g. the drug given when a checklist item is marked done) are
        charted in the same transaction, so the checklist and the chart never disagree.
        `seen_up_to`: the newest event id the nurse's window had shown; an event of the
        same kind and key recorded after it (another workstation) refuses this one.
        """
        actor = self._require_actor(actor)
        now = self.clock()
        at = now if at is None else at
        _check_time("time", at, now)
        valid = self.validate_entries(patient_id, entries, at) if entries else []
        offset = local_offset_min(at)

        def work(conn: sqlite3.Connection) -> int:
            _require_current(conn, patient_id)
            if seen_up_to is not None and key:
                _refuse_if_marked_since(conn, patient_id, kind, key, seen_up_to)
            row_ids = _insert_entries(
                conn, patient_id, entries, valid, at, offset, now, actor, source
            )
            full = dict(detail or {})
            if row_ids:
                full["rows"] = row_ids
            cursor = conn.execute(
                "INSERT INTO events (patient_id, kind, key, status, at, recorded_at, charted_by, "
                "source, detail) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (patient_id, kind, key, status, at, now, actor, source, json.dumps(full)),
            )
            event_id = int(cursor.lastrowid or 0)
            self._audit(
                conn, "event", actor, source, patient_id, {"event": event_id, "rows": row_ids}
            )
            return event_id

        event_id: int = self._write(work)
        return event_id
