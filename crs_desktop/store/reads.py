"""Reading the chart: rows, Observations for grading, numpy series for the plots,
events, the audit, and what other writers added since a look."""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any

from crs_desktop.domain.observation import Observation
from crs_desktop.domain.validation import EARLIEST_OBSERVED, LATEST_READABLE
from crs_desktop.store.base import StoreBase
from crs_desktop.store.records import (
    EVENT_COLUMNS,
    ROW_COLUMNS,
    Changes,
    ChartedRow,
    Event,
    event_from_tuple,
    row_from_tuple,
)

if TYPE_CHECKING:
    import numpy as np


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
        sql += READABLE
    if since is not None:
        sql += f" AND {column} >= ?"
        params.append(since)
    if until is not None:
        sql += f" AND {column} {until_op} ?"
        params.append(until)
    return sql


# A filter only ("+": no index is chosen for it), so every read keeps its query plan.
READABLE = f" AND +observed_at >= {EARLIEST_OBSERVED!r} AND +observed_at < {LATEST_READABLE!r}"


class ChartReads(StoreBase):
    """The reads of a chart file (see ChartStore)."""

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
        return list(
            self.each_row(
                patient_id,
                include_errors=include_errors,
                since=since,
                until=until,
                items=items,
                after_id=after_id,
                readable_only=readable_only,
            )
        )

    def each_row(
        self,
        patient_id: int,
        *,
        include_errors: bool = True,
        since: float | None = None,
        until: float | None = None,
        items: Iterable[str] | None = None,
        after_id: int = 0,
        readable_only: bool = True,
    ) -> Iterator[ChartedRow]:
        """rows() one at a time, never all held: for an export of a long chart (FHIR)."""
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
        for t in self.conn.execute(sql, params):
            yield row_from_tuple(t)

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
            sql = f"SELECT count(*) FROM ({sql}) AS found"
            return int(self.conn.execute(sql, (patient_id,)).fetchone()[0])
        sql = f"SELECT count(*) FROM ({sql} LIMIT ?) AS found"  # PostgreSQL names it
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
        return _held_close(rows) if lean else list(map(Observation._make, rows))

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
            "SELECT observed_at, item, value, text, coalesce(note, ''), NULL, 0 "
            "FROM observations WHERE patient_id = ? AND status = 'final'"
        )
        params: list[Any] = [patient_id]
        sql = _within(sql, params, None, until) + " ORDER BY observed_at, id"
        return _held_close(self.conn.execute(sql, params))

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
        up_to_id: int | None = None,
    ) -> tuple[np.ndarray, np.ndarray]:
        """(times, values) of one numeric item as float64 arrays, entered-in-error rows left out.

        `up_to_id`: only rows written up to that row id (a later one comes through a feed).
        """
        sql = (
            "SELECT observed_at, value FROM observations "
            "WHERE patient_id = ? AND item = ? AND status = 'final' AND value IS NOT NULL"
        )
        params: list[Any] = [patient_id, item]
        if up_to_id is not None:
            sql += " AND +id <= ?"  # a filter only ("+"): the covering index still serves
            params.append(up_to_id)
        sql = _within(sql, params, since, until)
        # Ordered by time alone, so the covering index serves it without a sort.
        sql += " ORDER BY observed_at"
        # numpy is imported here, not with the module: a command that never plots (import,
        # export, grade) starts without it (a tenth of a second and 13 MiB).
        import numpy as np

        time_value = np.dtype([("t", np.float64), ("v", np.float64)])
        both = np.fromiter(self.conn.execute(sql, params), dtype=time_value)
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

    def interrupt(self) -> None:
        """End a read running on this connection now (called from another thread): it
        raises sqlite3.OperationalError ("interrupted"), on either back end."""
        self.conn.interrupt()

    def commit_files(self) -> list[str]:
        """The files another process's commit writes (the -wal file, else the chart file):
        a file watch on them wakes a watcher at once. None for a store that is no file."""
        if not isinstance(self.conn, sqlite3.Connection):
            return []
        wal = f"{self.path}-wal"  # WAL mode: each commit appends its pages here
        return [wal if os.path.exists(wal) else str(self.path)]

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


def _held_close(rows: Iterable[tuple[Any, ...]]) -> list[Observation]:
    """Observations of (time, item, value, text, note, id, offset) rows, in the order
    read, as lean as they can be held: the driver makes a new string for every item
    name and word and a new float for every time and value, hundreds of thousands of
    them on a long chart, though a chart has a few dozen names and a vitals set shares
    one time. Each is kept once here (30 days of one-minute vitals: 69 -> 43 MB held,
    for about 5 % more time reading)."""
    new = tuple.__new__
    strings: dict[str, str] = {}
    numbers: dict[float, float] = {}
    once, number = strings.setdefault, numbers.setdefault  # one copy of each
    out: list[Observation] = []
    append = out.append
    moment = None
    for at, item, value, text, note, row_id, offset in rows:
        if at != moment:
            moment = at  # the values of one time share its float
        if text is not None:
            text = once(text, text)
        if note:
            note = once(note, note)
        # Only floats and never a zero: 0.0 and -0.0 are equal keys, and a number of
        # another type (an int, a server's Decimal) must stay as it was read.
        if value and type(value) is float:
            value = number(value, value)
        item = once(item, item)
        append(new(Observation, (moment, item, value, text, note, row_id, offset, "", False)))
    return out
