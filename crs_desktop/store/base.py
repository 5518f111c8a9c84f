"""The chart store open (a SQLite file, or the ward's PostgreSQL server: server.py), and
its writes: one immediate transaction each, with its audit row.

The store's other parts (reads, patients, charting) build on this class; ChartStore
(chart_store.py) is all of them in one."""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Self

from crs_desktop.domain.errors import UserError
from crs_desktop.store.database import StoreError, open_connection, write_failure
from crs_desktop.store.paths import is_server_target


class StoreBase:
    """The open chart file, its transactions and audit rows (see ChartStore)."""

    def __init__(
        self,
        path: str | Path,
        clock: Callable[[], float] = time.time,
        verify: bool = True,
        read_only: bool = False,
    ) -> None:
        """Open the chart file, or the ward server for a `postgresql://` address.
        `verify=False` defers the file's page-by-page damage check to the caller (the
        window runs it in the background before allowing writes). `read_only` never
        writes (export, handover: they work from read-only media)."""
        self.clock = clock
        self.read_only = read_only
        self.on_server = is_server_target(path)
        if self.on_server:
            from crs_desktop.store.server import open_server  # psycopg: only for a server

            # The address, as given: ChartStore(store.path) opens the same chart again.
            self.path: Path | str = str(path).strip()
            # The server's SQL is turned into PostgreSQL's by its connection (server.py).
            self.conn: sqlite3.Connection = open_server(self.path)  # type: ignore[assignment]
            self.verified = True  # the server keeps its own pages: no file to check
            return
        self.path = Path(path)
        self.conn = open_connection(self.path, verify, read_only)
        # No write reaches a file that has not passed the damage check.
        self.verified = verify

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> Self:
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
