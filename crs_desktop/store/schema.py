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
    # HL7 messages charted (issue 18): a resend (the same MSH-10 from the same sender) is
    # acknowledged again but never charted twice. Written in the transaction that charts
    # the message's values, so a kill between them cannot chart twice or lose one.
    # patient_id says whose chart it went to (no foreign key: a record, not a link).
    # Type names both back ends read alike: on the ward server REAL would be 4 bytes and
    # round the epoch seconds; DOUBLE PRECISION/BIGINT have REAL/INTEGER affinity in SQLite.
    db.execute(
        "CREATE TABLE received_messages ("
        "sender TEXT NOT NULL, control_id TEXT NOT NULL, received_at DOUBLE PRECISION NOT NULL, "
        "patient_id BIGINT, row_count BIGINT NOT NULL, "
        "PRIMARY KEY (sender, control_id))"
    )


def _v4(db: sqlite_utils.Database) -> None:
    # Grade checkpoints (store/grade_checkpoints.py): what the grader knew at one charted
    # time, so the handover grades the last shift or two instead of the whole chart.
    # Derived and rebuildable, never a charted value: a row is used only while the chart
    # up to its time is unchanged (last_row_id / errors_* say what it was), and may be
    # deleted at any time. `grading_key` names the rules, settings and time zone it was
    # graded with; `body` is JSON (app/grade_checkpoint.py). `last_row_id`: the largest
    # observations.id when it was made (ids are in commit order on both back ends: the
    # ward server's writers take one lock, store/server.py).
    # Made through the table API, which both back ends take (store/server_schema.py):
    # the id numbered by the store, epoch seconds as 8-byte floats.
    db.table("grade_checkpoints").create(
        {
            "id": int,
            "patient_id": int,
            "grading_key": str,
            "at": float,
            "last_row_id": int,
            "errors_up_to": int,
            "error_ids_up_to": int,
            "made_at": float,
            "body": str,
        },
        pk="id",
        foreign_keys=[("patient_id", "patients", "id")],
        not_null={
            "patient_id",
            "grading_key",
            "at",
            "last_row_id",
            "errors_up_to",
            "error_ids_up_to",
            "made_at",
            "body",
        },
    )
    db.table("grade_checkpoints").create_index(
        ["patient_id", "grading_key", "at"], index_name="idx_grade_checkpoints"
    )


MIGRATIONS: list[Callable[[sqlite_utils.Database], None]] = [_v1, _v2, _v3, _v4]
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
