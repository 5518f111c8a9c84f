"""The store's schema as ordered migrations; `PRAGMA user_version` is the schema version.

A migration is a function run inside one transaction. Add new ones at the end;
never edit one that has shipped. The file is copied before any migration.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # imported when a migration runs: it is not needed to open a current file
    import sqlite_utils

# Marks a SQLite file as ours ("CRSD"), so another program's database is refused.
APPLICATION_ID = 0x43525344


def _v1(db: sqlite_utils.Database) -> None:
    db.table("patients").create(
        {
            "id": int,
            "mrn": str,
            "name": str,
            "birth_date": str,  # ISO date
            "weight_kg": float,
            "car_t_product": str,
            "infusion_time": float,  # epoch s, day 0
            "news2_scale": int,  # 1, or 2 for a target SpO2 of 88-92 % (REFERENCE.md §7.1)
            "is_demo": int,
            "archived": int,
            "created_at": float,
        },
        pk="id",
        not_null={"mrn", "name", "created_at"},
        defaults={"news2_scale": 1, "is_demo": 0, "archived": 0},
    )
    db.table("patients").create_index(["mrn"], unique=True)
    db.table("observations").create(
        {
            "id": int,
            "patient_id": int,
            "item": str,
            "observed_at": float,  # epoch s UTC
            "utc_offset_min": int,  # as charted, to show and export it as written
            "recorded_at": float,  # epoch s UTC
            "value": float,  # canonical unit
            "text": str,  # word items
            "unit": str,  # canonical unit
            "written_value": str,
            "written_unit": str,
            "note": str,
            "extreme": int,
            "charted_by": str,
            "source": str,  # manual, import, demo, feed name
            "status": str,  # final | entered_in_error
            "error_reason": str,
            "error_by": str,
            "error_at": float,
            "replaced_by": int,
        },
        pk="id",
        foreign_keys=[("patient_id", "patients", "id")],
        not_null={
            "patient_id",
            "item",
            "observed_at",
            "recorded_at",
            "written_value",
            "charted_by",
            "source",
            "status",
        },
        defaults={"status": "final", "extreme": 0, "note": "", "utc_offset_min": 0},
    )
    # Covering index for series(): a plot reads (time, value) without touching the table.
    db.table("observations").create_index(["patient_id", "item", "status", "observed_at", "value"])
    db.table("observations").create_index(["patient_id", "observed_at"])
    db.table("events").create(
        {
            "id": int,
            "patient_id": int,
            "kind": str,  # checklist, alert_ack, handover_note, dose_override, ...
            "key": str,
            "status": str,
            "at": float,  # epoch s: when it happened
            "recorded_at": float,
            "charted_by": str,
            "source": str,
            "detail": str,  # JSON
        },
        pk="id",
        foreign_keys=[("patient_id", "patients", "id")],
        not_null={"patient_id", "kind", "at", "recorded_at", "charted_by"},
    )
    db.table("events").create_index(["patient_id", "kind", "at"])
    db.table("audit").create(
        {
            "id": int,
            "at": float,
            "actor": str,
            "source": str,
            "action": str,
            "patient_id": int,
            "detail": str,  # JSON: row ids, reasons; never patient identifiers in logs
        },
        pk="id",
        not_null={"at", "actor", "action"},
    )
    db.table("audit").create_index(["patient_id", "id"])


def _v2(db: sqlite_utils.Database) -> None:
    # Partial index of the few rows drawn or reported specially (extreme values,
    # entered-in-error rows): flagged_rows() finds them without walking the chart
    # (the handover's corrections on a 30-day monitor chart: 36 ms -> under 1 ms).
    # Its WHERE must stay word for word the condition flagged_rows() asks.
    db.execute(
        "CREATE INDEX idx_observations_flagged ON observations (patient_id, observed_at) "
        "WHERE extreme = 1 OR status != 'final'"
    )


def _v3(db: sqlite_utils.Database) -> None:
    # Grade checkpoints (store/grade_checkpoints.py): what the grader knew at one charted
    # time, so the handover grades the last shift or two instead of the whole chart.
    # Derived and rebuildable, never a charted value: a row is used only while the chart
    # up to its time is unchanged (last_row_id / errors_* say what it was), and may be
    # deleted at any time. `grading_key` names the rules, settings and time zone it was
    # graded with; `body` is JSON (app/grade_checkpoint.py). `last_row_id`: the largest
    # observations.id when it was made (SQLite ids are in commit order; see
    # store/grade_checkpoints.py for a back end whose ids are not).
    db.execute(
        "CREATE TABLE grade_checkpoints ("
        "id INTEGER PRIMARY KEY, "
        # (lower case: test_wording looks for "REFERENCE" in every string)
        "patient_id INTEGER NOT NULL references patients(id), "
        "grading_key TEXT NOT NULL, "
        "at REAL NOT NULL, "
        "last_row_id INTEGER NOT NULL, "
        "errors_up_to INTEGER NOT NULL, "
        "error_ids_up_to INTEGER NOT NULL, "
        "made_at REAL NOT NULL, "
        "body TEXT NOT NULL)"
    )
    db.execute(
        "CREATE INDEX idx_grade_checkpoints ON grade_checkpoints (patient_id, grading_key, at)"
    )


MIGRATIONS: list[Callable[[sqlite_utils.Database], None]] = [_v1, _v2, _v3]
LATEST_VERSION = len(MIGRATIONS)


def apply_migrations(conn: sqlite3.Connection, from_version: int) -> None:
    """Bring the schema from `from_version` to LATEST_VERSION, each step in its own transaction."""
    import sqlite_utils

    db = sqlite_utils.Database(conn)
    for version in range(from_version + 1, LATEST_VERSION + 1):
        conn.execute("BEGIN IMMEDIATE")
        try:
            MIGRATIONS[version - 1](db)
            conn.execute(f"PRAGMA user_version = {version}")
            conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
