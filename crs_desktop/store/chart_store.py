"""The chart store: every write validated, committed with its audit row, never overwritten."""

from __future__ import annotations

import itertools
import json
import sqlite3
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np

from crs_desktop.domain.chart_row import ChartRow
from crs_desktop.domain.errors import UserError
from crs_desktop.domain.observation import Observation
from crs_desktop.domain.validation import (
    EARLIEST_OBSERVED,
    LATEST_READABLE,
    ChartValueError,
    ObservedTimeError,
    ValidValue,
    canonical_item_name,
    check_observed_time,
    validate,
)
from crs_desktop.store import chart_import
from crs_desktop.store.database import StoreError, open_connection, write_failure
from crs_desktop.store.records import (
    EVENT_COLUMNS,
    INSERT_ROW,
    ROW_COLUMNS,
    STATUS_ENTERED_IN_ERROR,
    STATUS_FINAL,
    Changes,
    ChartedRow,
    Entry,
    Event,
    Patient,
    event_from_tuple,
    row_from_tuple,
)

_TIME_VALUE = np.dtype([("t", np.float64), ("v", np.float64)])
_PATIENT_COLUMNS = (
    "id, mrn, name, birth_date, weight_kg, car_t_product, infusion_time, news2_scale, is_demo"
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


def _within(
    sql: str,
    params: list[Any],
    since: float | None,
    until: float | None,
    column: str = "observed_at",
    until_op: str = "<=",
    readable_only: bool = True,
) -> str:
    """`sql` narrowed to the period on `column` (an end left open when None); the bounds
    go into `params`.

    Rows observed at a time no reader can show (year 1 or 9999, let in by an older
    import) are left out of every read but export's: one such row must never stop
    a chart from opening. unreadable_rows() lists them, to be flagged and corrected.
    """
    if column == "observed_at" and readable_only:
        sql += _READABLE
    if since is not None:
        sql += f" AND {column} >= ?"
        params.append(since)
    if until is not None:
        sql += f" AND {column} {until_op} ?"
        params.append(until)
    return sql


# A filter only ("+": no index is chosen for it), so every read keeps its query plan.
_READABLE = f" AND +observed_at >= {EARLIEST_OBSERVED!r} AND +observed_at < {LATEST_READABLE!r}"


def _require_current(conn: sqlite3.Connection, patient_id: int) -> None:
    """Refuse a write to a record that was replaced (archived, e.g. by the demo reset), in
    the writing transaction: a window still open on it charted onto 'DEMO-001~archived-2'."""
    row = conn.execute("SELECT archived FROM patients WHERE id = ?", (patient_id,)).fetchone()
    if row is not None and row[0]:
        raise UserError(
            "this patient's record was replaced by a new one (archived); nothing was "
            "charted: open the patient again"
        )


def _patient(t: tuple[Any, ...]) -> Patient:
    return Patient(
        id=t[0],
        mrn=t[1],
        name=t[2],
        birth_date=t[3],
        weight_kg=t[4],
        car_t_product=t[5],
        infusion_time=t[6],
        news2_scale=t[7] or 1,
        is_demo=bool(t[8]),
    )


class ChartStore:
    """One SQLite chart file. Not thread-safe: use it from the thread that opened it."""

    def __init__(
        self,
        path: str | Path,
        clock: Callable[[], float] = time.time,
        verify: bool = True,
        read_only: bool = False,
    ) -> None:
        """Open the chart file. `verify=False` defers the page-by-page damage check to
        the caller (the window runs it in the background before allowing writes).
        `read_only` never writes (export, handover: they work from read-only media)."""
        self.path = Path(path)
        self.clock = clock
        self.conn: sqlite3.Connection = open_connection(self.path, verify, read_only)
        self.read_only = read_only
        # No write reaches a file that has not passed the damage check.
        self.verified = verify

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> ChartStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- transactions ---------------------------------------------------------

    @contextmanager
    def read_snapshot(self) -> Iterator[None]:
        """Reads inside see one committed state of the file, whatever other writers do."""
        if self.conn.in_transaction:  # already inside one: nest without a new BEGIN
            yield
            return
        self.conn.execute("BEGIN")
        try:
            yield
        finally:
            self.conn.execute("COMMIT")

    def _write(self, work: Callable[[sqlite3.Connection], Any]) -> Any:
        """Run `work` in one immediate transaction: all of it is committed, or none."""
        if self.read_only:
            raise StoreError(f"{self.path}: opened for reading only; nothing was written")
        if not self.verified:
            raise StoreError(
                f"{self.path}: still being checked for damage; nothing was written, "
                "try again in a moment"
            )
        conn = self.conn
        try:
            conn.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:
            failure = write_failure(self.path, exc)  # a read-only or full disk, said so
            raise failure or StoreError(
                f"{self.path}: the chart is busy, try again ({exc})"
            ) from None
        try:
            result = work(conn)
            conn.execute("COMMIT")
        except BaseException as exc:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            failure = write_failure(self.path, exc)
            if failure:
                raise failure from None
            raise
        return result

    def _audit(
        self,
        conn: sqlite3.Connection,
        action: str,
        actor: str,
        source: str,
        patient_id: int | None,
        detail: dict[str, Any],
    ) -> int:
        cursor = conn.execute(
            "INSERT INTO audit (at, actor, source, action, patient_id, detail) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            (self.clock(), actor, source, action, patient_id, json.dumps(detail)),
        )
        return int(cursor.lastrowid or 0)

    @staticmethod
    def _require_actor(actor: str) -> str:
        actor = actor.strip()
        if not actor:
            raise UserError("who is charting: a name or initials is required")
        return actor

    # -- patients -------------------------------------------------------------

    def create_patient(
        self,
        mrn: str,
        name: str,
        *,
        actor: str,
        source: str = "manual",
        birth_date: str | None = None,
        weight_kg: float | None = None,
        car_t_product: str | None = None,
        infusion_time: float | None = None,
        news2_scale: int = 1,
        is_demo: bool = False,
    ) -> Patient:
        actor = self._require_actor(actor)
        mrn = mrn.strip()
        if not mrn:
            raise UserError("MRN: required")
        if not name.strip():
            raise UserError("patient name: required")
        if news2_scale not in (1, 2):
            raise UserError(f"NEWS2 scale {news2_scale!r}: allowed 1 or 2")
        if weight_kg is not None:
            weight_kg = validate("weight", str(weight_kg)).value
        if self.patient(mrn) is not None:
            raise UserError(f"MRN {mrn!r}: a patient with this MRN already exists")

        facts = {
            "birth_date": birth_date,
            "weight_kg": weight_kg,
            "car_t_product": car_t_product,
            "infusion_time": infusion_time,
            "news2_scale": news2_scale,
            "is_demo": int(is_demo),
        }

        def work(conn: sqlite3.Connection) -> int:
            return self._insert_patient(conn, mrn, name.strip(), actor, source, **facts)

        patient_id = self._write(work)
        found = self.patient_by_id(patient_id)
        assert found is not None
        return found

    def _insert_patient(
        self, conn: sqlite3.Connection, mrn: str, name: str, actor: str, source: str, **facts: Any
    ) -> int:
        """Add a patient (`facts`: its other columns) and its audit row inside the caller's
        transaction; returns its id."""
        row = {"mrn": mrn, "name": name, **facts, "archived": 0, "created_at": self.clock()}
        columns, marks = ", ".join(row), ", ".join("?" for _ in row)
        cursor = conn.execute(
            f"INSERT INTO patients ({columns}) VALUES ({marks})", tuple(row.values())
        )
        patient_id = int(cursor.lastrowid or 0)
        self._audit(conn, "create_patient", actor, source, patient_id, {})
        return patient_id

    def update_patient(self, patient_id: int, *, actor: str, **fields: Any) -> Patient:
        """Change header facts (weight, product, infusion time, NEWS2 scale); audited."""
        allowed = {
            "name",
            "birth_date",
            "weight_kg",
            "car_t_product",
            "infusion_time",
            "news2_scale",
        }
        unknown = set(fields) - allowed
        if unknown:
            raise UserError(f"patient fields {sorted(unknown)}: allowed {sorted(allowed)}")
        actor = self._require_actor(actor)
        if "news2_scale" in fields and fields["news2_scale"] not in (1, 2):
            raise UserError(f"NEWS2 scale {fields['news2_scale']!r}: allowed 1 or 2")
        before = self.patient_by_id(patient_id)
        if before is None:
            raise UserError(f"patient id {patient_id}: not found")

        def work(conn: sqlite3.Connection) -> None:
            sets = ", ".join(f"{name} = ?" for name in fields)
            conn.execute(f"UPDATE patients SET {sets} WHERE id = ?", (*fields.values(), patient_id))
            old = {name: getattr(before, name) for name in fields}
            self._audit(conn, "update_patient", actor, "manual", patient_id, {"old": old})

        self._write(work)
        after = self.patient_by_id(patient_id)
        assert after is not None
        return after

    def last_change(self, patient_id: int, field: str) -> tuple[str, float] | None:
        """Who changed a header fact (e.g. the NEWS2 scale) last, and when: from the audit,
        which keeps the value before each change. None if it was never changed."""
        row = self.conn.execute(
            "SELECT actor, at FROM audit WHERE patient_id = ? AND action = 'update_patient' "
            "AND json_type(detail, ?) IS NOT NULL ORDER BY id DESC LIMIT 1",
            (patient_id, f"$.old.{field}"),
        ).fetchone()
        return (str(row[0]), float(row[1])) if row else None

    def archive_patient(self, patient_id: int, *, actor: str) -> None:
        """Hide a patient from the list (the demo reset); the chart itself is kept."""
        actor = self._require_actor(actor)

        def work(conn: sqlite3.Connection) -> None:
            conn.execute(
                "UPDATE patients SET archived = 1, mrn = mrn || '~archived-' || id WHERE id = ?",
                (patient_id,),
            )
            self._audit(conn, "archive_patient", actor, "manual", patient_id, {})

        self._write(work)

    def patient(self, mrn: str) -> Patient | None:
        row = self.conn.execute(
            f"SELECT {_PATIENT_COLUMNS} FROM patients WHERE mrn = ? AND archived = 0",
            (mrn.strip(),),
        ).fetchone()
        return _patient(row) if row else None

    def patient_by_id(self, patient_id: int) -> Patient | None:
        row = self.conn.execute(
            f"SELECT {_PATIENT_COLUMNS} FROM patients WHERE id = ?", (patient_id,)
        ).fetchone()
        return _patient(row) if row else None

    def patients(self) -> list[Patient]:
        rows = self.conn.execute(
            f"SELECT {_PATIENT_COLUMNS} FROM patients WHERE archived = 0 ORDER BY name, mrn"
        ).fetchall()
        return [_patient(r) for r in rows]

    # -- charting -------------------------------------------------------------

    def weight_at(self, patient_id: int, at: float) -> float | None:
        """The weight in force at a time: the latest charted at or before it, else the first
        charted after it, else the weight on the patient record."""
        row = self.conn.execute(
            "SELECT value FROM observations WHERE patient_id = ? AND item = 'weight' "
            f"AND status = 'final' AND observed_at <= ?{_READABLE} "
            "ORDER BY observed_at DESC LIMIT 1",
            (patient_id, at),
        ).fetchone()
        if row is None:
            row = self.conn.execute(
                "SELECT value FROM observations WHERE patient_id = ? AND item = 'weight' "
                f"AND status = 'final'{_READABLE} ORDER BY observed_at LIMIT 1",
                (patient_id,),
            ).fetchone()
        if row is not None:
            return float(row[0])
        patient = self.patient_by_id(patient_id)
        return patient.weight_kg if patient else None

    def patient_facts(self, patient: Patient, at: float) -> Patient:
        """The patient with the facts the chart holds as of `at`, as the dose helper reads
        them: the weight in force (weight_at) and the CAR-T infusion charted (its time,
        day 0, and its product), each falling back to the patient record. The header, the
        plots and the handover read these, so none says "not recorded" beside a dose
        computed from a charted weight."""
        row = None
        for sql in (
            "AND observed_at <= ? ORDER BY observed_at DESC LIMIT 1",
            "ORDER BY observed_at LIMIT 1",
        ):
            params = (patient.id, at) if "?" in sql else (patient.id,)
            row = self.conn.execute(
                "SELECT observed_at, text FROM observations WHERE patient_id = ? "
                "AND item = 'car_t_infusion' AND status = 'final' " + sql,
                params,
            ).fetchone()
            if row is not None:
                break
        infusion, product = (float(row[0]), row[1] or None) if row else (None, None)
        return replace(
            patient,
            weight_kg=self.weight_at(patient.id, at),
            infusion_time=infusion if infusion is not None else patient.infusion_time,
            car_t_product=product or patient.car_t_product,
        )

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
            ids = []
            for entry, v in zip(entries, valid, strict=True):
                cursor = conn.execute(
                    INSERT_ROW,
                    (
                        patient_id,
                        v.item,
                        observed_at,
                        offset,
                        now,
                        v.value,
                        v.text,
                        v.unit,
                        v.written_value,
                        v.written_unit,
                        entry.note,
                        int(v.extreme),
                        actor,
                        source,
                    ),
                )
                ids.append(int(cursor.lastrowid or 0))
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
            raise UserError(f"chart row {row_id}: already marked entered in error")
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
                cursor = conn.execute(
                    INSERT_ROW,
                    (
                        old.patient_id,
                        old.item,
                        old.observed_at,
                        old.utc_offset_min,
                        now,
                        valid.value,
                        valid.text,
                        valid.unit,
                        valid.written_value,
                        valid.written_unit,
                        replacement.note,
                        int(valid.extreme),
                        actor,
                        source,
                    ),
                )
                new_id = int(cursor.lastrowid or 0)
            updated = conn.execute(
                "UPDATE observations SET status = ?, error_reason = ?, error_by = ?, "
                "error_at = ?, replaced_by = ? WHERE id = ? AND status = ?",
                (STATUS_ENTERED_IN_ERROR, reason, actor, now, new_id, row_id, STATUS_FINAL),
            ).rowcount
            if updated != 1:  # another workstation corrected it first
                raise UserError(f"chart row {row_id}: already marked entered in error")
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
    ) -> int:
        """Record an event (checklist mark, alert acknowledged, handover note, override reason).

        `entries` (e.g. the drug given when a checklist item is marked done) are
        charted in the same transaction, so the checklist and the chart never disagree.
        """
        actor = self._require_actor(actor)
        now = self.clock()
        at = now if at is None else at
        _check_time("time", at, now)
        valid = self.validate_entries(patient_id, entries, at) if entries else []
        offset = local_offset_min(at)

        def work(conn: sqlite3.Connection) -> int:
            _require_current(conn, patient_id)
            row_ids = []
            for entry, v in zip(entries, valid, strict=True):
                cursor = conn.execute(
                    INSERT_ROW,
                    (
                        patient_id,
                        v.item,
                        at,
                        offset,
                        now,
                        v.value,
                        v.text,
                        v.unit,
                        v.written_value,
                        v.written_unit,
                        entry.note,
                        int(v.extreme),
                        actor,
                        source,
                    ),
                )
                row_ids.append(int(cursor.lastrowid or 0))
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

    # -- reading --------------------------------------------------------------

    def row(self, row_id: int) -> ChartedRow | None:
        found = self.conn.execute(
            f"SELECT {ROW_COLUMNS} FROM observations WHERE id = ?", (row_id,)
        ).fetchone()
        return row_from_tuple(found) if found else None

    def rows(
        self,
        patient_id: int,
        *,
        include_errors: bool = True,
        since: float | None = None,
        until: float | None = None,
        items: Iterable[str] | None = None,
        after_id: int = 0,
        readable_only: bool = True,
    ) -> list[ChartedRow]:
        """Chart rows in observed-time order (then id), corrections included unless asked not.

        `readable_only=False`: rows at unreadable times too (see _within), for export,
        which writes each back exactly as it was read."""
        if after_id:
            # Only the newest rows: walk the id range, not the patient's whole index
            # ("+" keeps the planner off the patient index). The change feed's path.
            sql = f"SELECT {ROW_COLUMNS} FROM observations WHERE +patient_id = ? AND id > ?"
        else:
            sql = f"SELECT {ROW_COLUMNS} FROM observations WHERE patient_id = ? AND id > ?"
        params: list[Any] = [patient_id, after_id]
        if not include_errors:
            sql += " AND status = 'final'"
        sql = _within(sql, params, since, until, readable_only=readable_only)
        if items is not None:
            names = list(items)
            sql += f" AND item IN ({', '.join('?' for _ in names)})"
            params.extend(names)
            # "+" keeps the planner from walking the whole chart in time order to skip a
            # sort: a few items are found through the item index and sorted (drug rows of a
            # 30-day monitor chart: 50 ms -> 0.2 ms).
            sql += " ORDER BY +observed_at, id"
        else:
            sql += " ORDER BY observed_at, id"
        return [row_from_tuple(t) for t in self.conn.execute(sql, params)]

    def unreadable_rows(self, patient_id: int) -> list[ChartedRow]:
        """Current rows observed at a time no reader can show (see _within): left out of
        the window, grading and the handover, to be flagged and corrected."""
        sql = (
            f"SELECT {ROW_COLUMNS} FROM observations WHERE patient_id = ? AND status = 'final' "
            f"AND NOT (+observed_at >= {EARLIEST_OBSERVED!r} "
            f"AND +observed_at < {LATEST_READABLE!r}) ORDER BY id"
        )
        return [row_from_tuple(t) for t in self.conn.execute(sql, (patient_id,))]

    def count_observations(self, patient_id: int, up_to: int | None = None) -> int:
        """How many current values the patient's chart holds (from the index, no table read);
        with `up_to`, counting stops there (enough to tell a long chart from a short one)."""
        sql = "SELECT 1 FROM observations WHERE patient_id = ? AND status = 'final'"
        if up_to is None:
            sql = f"SELECT count(*) FROM ({sql})"
            return int(self.conn.execute(sql, (patient_id,)).fetchone()[0])
        sql = f"SELECT count(*) FROM ({sql} LIMIT ?)"
        return int(self.conn.execute(sql, (patient_id, up_to)).fetchone()[0])

    def flagged_rows(
        self, patient_id: int, *, since: float | None = None, until: float | None = None
    ) -> list[ChartedRow]:
        """Rows charted as extreme or marked entered in error: drawn differently on the plots.

        Found through a partial index of just these rows (schema v2), whatever the
        length of the chart.
        """
        sql = (
            f"SELECT {ROW_COLUMNS} FROM observations "
            "WHERE (extreme = 1 OR status != 'final') AND patient_id = ?"
        )
        params: list[Any] = [patient_id]
        sql = _within(sql, params, since, until, until_op="<")
        sql += " ORDER BY observed_at, id"
        return [row_from_tuple(t) for t in self.conn.execute(sql, params)]

    def observations(
        self,
        patient_id: int,
        *,
        since: float | None = None,
        until: float | None = None,
        lean: bool = False,
    ) -> list[Observation]:
        """The current chart (entered-in-error rows left out) as Observations, in time order.

        `lean`: without who charted each value and its extreme flag (left at their
        defaults), which grading never reads: a long chart reads a sixth faster.
        """
        sql = (
            "SELECT observed_at, item, value, text, coalesce(note, ''), id, "
            "coalesce(utc_offset_min, 0)"
            + ("" if lean else ", charted_by, extreme != 0")
            + " FROM observations WHERE patient_id = ? AND status = 'final'"
        )
        params: list[Any] = [patient_id]
        sql = _within(sql, params, since, until) + " ORDER BY observed_at, id"
        rows = self.conn.execute(sql, params)
        return list(itertools.starmap(Observation, rows) if lean else map(Observation._make, rows))

    def findings_to_grade_once(
        self, patient_id: int, *, until: float | None = None
    ) -> list[Observation]:
        """The current chart for a grading that reads it once (the handover's): time, item,
        value, word and note only, in charting order (time, then row id).

        Without row ids a Grader keeps the values of one time in the order given, which
        is their charting order, so it grades them as it grades observations(); it cannot
        remove() them, which a one-off grading never does. Read a sixth faster than lean
        observations() (30 days of one-minute vitals: 0.33 -> 0.28 s).
        """
        sql = (
            "SELECT observed_at, item, value, text, coalesce(note, '') FROM observations "
            "WHERE patient_id = ? AND status = 'final'"
        )
        params: list[Any] = [patient_id]
        sql = _within(sql, params, None, until) + " ORDER BY observed_at, id"
        return list(itertools.starmap(Observation, self.conn.execute(sql, params)))

    def latest_times(
        self, patient_id: int, items: Iterable[str], *, until: float | None = None
    ) -> dict[str, float]:
        """The latest observed time of each item (current values only), up to `until`.

        One index lookup per item, never a walk over the chart: what the
        reassessment timers need.
        """
        # Bounded on the index, unreadable times left out (see _within).
        sql = (
            "SELECT max(observed_at) FROM observations "
            "WHERE patient_id = ? AND item = ? AND status = 'final' "
            f"AND observed_at >= {EARLIEST_OBSERVED!r} AND observed_at < {LATEST_READABLE!r}"
        )
        if until is not None:
            sql += " AND observed_at <= ?"
        found = {}
        for item in items:
            params: tuple[Any, ...] = (
                (patient_id, item) if until is None else (patient_id, item, until)
            )
            (latest,) = self.conn.execute(sql, params).fetchone()
            if latest is not None:
                found[item] = float(latest)
        return found

    def series(
        self,
        patient_id: int,
        item: str,
        *,
        since: float | None = None,
        until: float | None = None,
    ) -> tuple[np.ndarray, np.ndarray]:
        """(times, values) of one numeric item as float64 arrays, entered-in-error rows left out."""
        sql = (
            "SELECT observed_at, value FROM observations "
            "WHERE patient_id = ? AND item = ? AND status = 'final' AND value IS NOT NULL"
        )
        params: list[Any] = [patient_id, item]
        sql = _within(sql, params, since, until)
        # Ordered by time alone, so the covering index serves it without a sort.
        sql += " ORDER BY observed_at"
        both = np.fromiter(self.conn.execute(sql, params), dtype=_TIME_VALUE)
        return both["t"].copy(), both["v"].copy()

    def events(
        self,
        patient_id: int,
        *,
        kind: str | None = None,
        since: float | None = None,
        until: float | None = None,
        after_id: int = 0,
    ) -> list[Event]:
        sql = f"SELECT {EVENT_COLUMNS} FROM events WHERE patient_id = ? AND id > ?"
        params: list[Any] = [patient_id, after_id]
        if kind is not None:
            sql += " AND kind = ?"
            params.append(kind)
        sql = _within(sql, params, since, until, column="at") + " ORDER BY at, id"
        return [event_from_tuple(t) for t in self.conn.execute(sql, params)]

    def audit_rows(self, patient_id: int | None = None) -> list[dict[str, Any]]:
        sql = "SELECT id, at, actor, source, action, patient_id, detail FROM audit"
        params: list[Any] = []
        if patient_id is not None:
            sql += " WHERE patient_id = ?"
            params.append(patient_id)
        sql += " ORDER BY id"
        keys = ("id", "at", "actor", "source", "action", "patient_id", "detail")
        result = []
        for t in self.conn.execute(sql, params):
            record = dict(zip(keys, t, strict=True))
            record["detail"] = json.loads(record["detail"] or "{}")
            result.append(record)
        return result

    # -- watching for other writers ---------------------------------------------

    def data_version(self) -> int:
        """Changes when another connection commits (PRAGMA data_version): cheap to poll."""
        return int(self.conn.execute("PRAGMA data_version").fetchone()[0])

    def high_water(self) -> tuple[int, int, int]:
        """The newest (row id, audit id, event id): where a watcher starts."""
        row = self.conn.execute(
            "SELECT (SELECT coalesce(max(id), 0) FROM observations), "
            "(SELECT coalesce(max(id), 0) FROM audit), (SELECT coalesce(max(id), 0) FROM events)"
        ).fetchone()
        return int(row[0]), int(row[1]), int(row[2])

    def changes_since(
        self, patient_id: int, last_row_id: int, last_audit_id: int, last_event_id: int
    ) -> Changes:
        """Rows, corrections and events added after the given ids: only the new ones are read.

        All of it is read in one snapshot, so nothing committed meanwhile is skipped.
        """
        with self.read_snapshot():
            row_id, audit_id, event_id = self.high_water()
            new_rows = self.rows(patient_id, include_errors=False, after_id=last_row_id)
            errored: list[int] = []
            for (detail,) in self.conn.execute(
                "SELECT detail FROM audit WHERE id > ? AND +patient_id = ? AND action = 'correct' "
                "ORDER BY id",
                (last_audit_id, patient_id),
            ):
                errored.extend(json.loads(detail).get("entered_in_error", []))
            new_events = self.events(patient_id, after_id=last_event_id)
        return Changes(
            rows=new_rows,
            entered_in_error=errored,
            events=new_events,
            last_row_id=max(row_id, last_row_id),
            last_audit_id=max(audit_id, last_audit_id),
            last_event_id=max(event_id, last_event_id),
        )
