"""The ward server: the chart store on PostgreSQL (psycopg 3), behind the same store API.

The store's modules write their SQL once, for SQLite (`?` marks, `BEGIN IMMEDIATE`,
`PRAGMA data_version`). ServerConnection looks like the sqlite3 connection they use and
turns that SQL into PostgreSQL's here, in this one place (see _translate):

- `BEGIN IMMEDIATE` (a write) also takes one advisory lock for the whole chart, so
  writers follow one another as on SQLite: row ids are then handed out in commit order,
  which the change feed relies on (it reads "rows after the last id seen"), and a
  check made inside the write (already corrected? already marked?) sees every commit
  before it.
- A write's COMMIT is preceded by NOTIFY, in the same transaction: the other
  workstations hear of it only once it is committed (ui/server_watch.py listens).
- `BEGIN` (a read snapshot) is REPEATABLE READ: one committed state for all its reads.

A lost connection (the server restarted, the network down) is said in one line
(ServerUnreachable); the next statement outside a transaction reconnects by itself.
Never a password on the command line or in our files: libpq's ~/.pgpass (PGPASSFILE)
or service file holds it.
"""

from __future__ import annotations

import re
import sqlite3
import time
from collections.abc import Iterable, Iterator, Sequence
from functools import lru_cache
from typing import Any

import psycopg
from psycopg import conninfo as pg_conninfo

from crs_desktop.store.database import BUSY_TIMEOUT_MS, StoreError
from crs_desktop.store.schema import LATEST_VERSION, MIGRATIONS
from crs_desktop.store.server_schema import APPLICATION, META_TABLE, ServerSchema

# The channel every write notifies, in its transaction (ui/server_watch.py listens).
CHANNEL = "crs_desktop_chart"
# pg_advisory_xact_lock keys: one writer at a time (as SQLite's write lock), and one
# workstation migrating the schema at a time.
WRITE_LOCK_KEY = 0x43525344
MIGRATE_LOCK_KEY = 0x43525345
UNREACHABLE = "chart server unreachable — values are not being saved"
CONNECT_TIMEOUT_S = 3
KEEPALIVE_GIVE_UP_MS = 10_000
# After a reconnect that waited for an answer in vain (a server behind a pulled cable),
# statements fail at once for a while instead of each waiting out the connect timeout:
# the window stays responsive. A server that refuses at once (restarting) is retried.
SLOW_FAILURE_S = 1.0
RETRY_AFTER_S = 5.0


class ServerUnreachable(StoreError):
    """The connection to the ward server was lost or cannot be made."""


def check_no_password(target: str) -> None:
    """A password in the URL would sit in shell histories and process lists: refused."""
    try:
        params = pg_conninfo.conninfo_to_dict(target)
    except psycopg.ProgrammingError as exc:
        raise StoreError(f"--db {target!r}: not a PostgreSQL address ({exc})") from None
    if params.get("password"):
        raise StoreError(
            "--db: a password in the server address is refused (it would show in the process "
            "list and the shell history); put it in ~/.pgpass (or PGPASSFILE), see the README"
        )


def shown_target(target: str) -> str:
    """The server and database, for messages (never a password: refused anyway)."""
    params = pg_conninfo.conninfo_to_dict(target)
    host = params.get("host") or params.get("service") or "the local server"
    return f"chart server {host}/{params.get('dbname') or '(default database)'}"


# -- SQLite's SQL as PostgreSQL's ---------------------------------------------------

_STATEMENTS = {
    "BEGIN": "BEGIN ISOLATION LEVEL REPEATABLE READ",
    # Every write has its audit row, after the write lock: its newest id moves on each
    # commit, as SQLite's data_version does (our own commits too: the feed reads only
    # what is new, so a look too many costs one cheap read).
    "PRAGMA data_version": "SELECT coalesce(max(id), 0) FROM audit",
}
_FRAGMENTS = (
    # "has this JSON path" (patients.last_change): SQLite's json_type is NULL when absent.
    ("json_type(detail, ?)", "jsonb_path_query_first(detail::jsonb, ?::jsonpath)"),
)
_QUOTED = re.compile(r"('[^']*')")
# The table an INSERT writes (its new id is handed back as sqlite3's lastrowid).
_INSERT_INTO = re.compile(r'^\s*INSERT\s+(?:OR\s+\w+\s+)?INTO\s+"?(\w+)"?', re.IGNORECASE)


@lru_cache(maxsize=512)
def _translate(sql: str) -> str:
    sql = _STATEMENTS.get(sql, sql)
    for sqlite_form, pg_form in _FRAGMENTS:
        sql = sql.replace(sqlite_form, pg_form)
    # `?` -> `%s` outside quoted literals; a literal `%` doubled for psycopg.
    parts = _QUOTED.split(sql)
    for i in range(0, len(parts), 2):
        parts[i] = parts[i].replace("%", "%%").replace("?", "%s")
    for i in range(1, len(parts), 2):
        parts[i] = parts[i].replace("%", "%%")
    return "".join(parts)


class ServerCursor:
    """The part of sqlite3.Cursor the store uses."""

    def __init__(self, cursor: psycopg.Cursor[Any] | None, lastrowid: int | None = None) -> None:
        self._cursor, self.lastrowid = cursor, lastrowid  # None: a statement without rows

    @property
    def rowcount(self) -> int:
        return self._cursor.rowcount if self._cursor is not None else -1

    def fetchone(self) -> Any:
        return self._cursor.fetchone() if self._cursor is not None else None

    def fetchall(self) -> list[Any]:
        return self._cursor.fetchall() if self._cursor is not None else []

    def __iter__(self) -> Iterator[Any]:
        return iter(self._cursor if self._cursor is not None else ())


class ServerConnection:
    """A psycopg connection that the store uses as it uses a sqlite3 one (see above).

    A write costs as many round trips to the server as the same work done by hand: its
    BEGIN and write lock travel with its first statement (one pipeline), its NOTIFY
    with its COMMIT."""

    def __init__(self, target: str) -> None:
        self.target = target
        self.raw = connect(target)
        self._writing = False  # inside a BEGIN IMMEDIATE: notify on COMMIT
        self._begin_pending = False  # BEGIN IMMEDIATE said, not yet sent
        self._in_transaction = False  # ours, as we opened it: never retried elsewhere
        self._retry_after = 0.0  # monotonic time before which no reconnect is tried
        self._id_tables: dict[str, bool] = {}  # table -> has an id column (_has_id)

    @property
    def in_transaction(self) -> bool:
        if self._begin_pending:
            return True
        if self.raw.broken or self.raw.closed:
            return False
        return self.raw.info.transaction_status != psycopg.pq.TransactionStatus.IDLE

    def close(self) -> None:
        self.raw.close()

    def fileno(self) -> int:
        return self.raw.fileno()

    def _has_id(self, table: str) -> bool:
        """Whether `table` has an id column to hand back (a table keyed otherwise, such as
        received_messages by sender and control ID, has none): asked once per table."""
        known = self._id_tables.get(table)
        if known is None:
            row = self._run(
                "SELECT 1 FROM information_schema.columns WHERE table_schema = current_schema() "
                "AND table_name = %s AND column_name = 'id'",
                (table,),
            ).fetchone()
            known = self._id_tables[table] = row is not None
        return known

    def interrupt(self) -> None:
        """End the statement running on this connection now (called from another thread),
        as sqlite3's interrupt(): the read raises sqlite3.OperationalError (see _failure)."""
        try:
            self.raw.cancel_safe()
        except psycopg.Error:
            pass  # nothing running, or the server gone: nothing to end

    def execute(self, sql: str, params: Sequence[Any] = ()) -> ServerCursor:
        if sql == "BEGIN IMMEDIATE":
            self._writing = self._begin_pending = self._in_transaction = True
            return ServerCursor(None)
        if sql in ("COMMIT", "ROLLBACK"):
            # Run while still marked in a transaction: an end cut off with the connection
            # is never sent again on a new one (a COMMIT there would "succeed" with
            # nothing to commit, and a write never committed would be said done).
            try:
                if self._begin_pending:  # nothing was sent: nothing to end
                    return ServerCursor(None)
                if sql == "COMMIT" and self._writing:  # heard by the others once committed
                    return ServerCursor(self._run(f"NOTIFY {CHANNEL}; COMMIT", None))
                return ServerCursor(self._run(sql, None))
            finally:
                self._writing = self._begin_pending = self._in_transaction = False
        if sql == "BEGIN":
            cursor = self._run(_translate(sql), None)
            self._in_transaction = True
            return ServerCursor(cursor)
        pg_sql = _translate(sql)
        inserted = _INSERT_INTO.match(pg_sql)
        returning = inserted is not None and self._has_id(inserted.group(1))
        if returning:
            pg_sql += " RETURNING id"
        if self._begin_pending:
            cursor = self._begin_with(pg_sql, params or None)
        else:
            cursor = self._run(pg_sql, params or None)
        if returning:
            row = cursor.fetchone()
            return ServerCursor(cursor, int(row[0]) if row else None)
        return ServerCursor(cursor)

    def executemany(self, sql: str, seq: Iterable[Sequence[Any]]) -> ServerCursor:
        if self._begin_pending:
            self._begin_with(f"SELECT pg_advisory_xact_lock({WRITE_LOCK_KEY})", None)
        cursor = self.raw.cursor()
        try:
            cursor.executemany(_translate(sql), seq)
        except psycopg.Error as exc:
            raise self._failure(exc) from None
        return ServerCursor(cursor)

    def _begin_with(self, sql: str, params: Sequence[Any] | None) -> psycopg.Cursor[Any]:
        """BEGIN, the write lock and the write's first statement, in one round trip. On a
        connection found broken (the server restarted since the last write) it is all
        sent again on a new one: nothing of it can have been committed."""
        self._begin_pending = False
        for attempt in (1, 2):
            if self.raw.broken or self.raw.closed:
                self._reconnect()
            try:
                with self.raw.pipeline():
                    self.raw.execute("BEGIN")
                    self.raw.execute(f"SELECT pg_advisory_xact_lock({WRITE_LOCK_KEY})")
                    cursor = self.raw.execute(sql, params, prepare=None)
                return cursor
            except psycopg.Error as exc:
                if attempt == 2 or not self.raw.broken:
                    raise self._failure(exc) from None
        raise AssertionError("unreachable")  # pragma: no cover

    def _run(self, sql: str, params: Sequence[Any] | None) -> psycopg.Cursor[Any]:
        """Run one statement (several, without parameters), reconnecting when safe: only
        outside a transaction of ours, where nothing of ours can be lost."""
        safe = not self._in_transaction
        if safe and (self.raw.broken or self.raw.closed):
            self._reconnect()
        try:
            return self.raw.execute(sql, params, prepare=None)
        except psycopg.OperationalError as exc:
            if not safe or not self.raw.broken:
                raise self._failure(exc) from None
        # The connection broke since the last statement (the server restarted): once
        # more on a new connection.
        self._reconnect()
        try:
            return self.raw.execute(sql, params, prepare=None)
        except psycopg.Error as exc:
            raise self._failure(exc) from None

    def _reconnect(self) -> None:
        try:
            self.raw.close()
        except psycopg.Error:
            pass
        started = time.monotonic()
        if started < self._retry_after:
            raise ServerUnreachable(UNREACHABLE)
        try:
            self.raw = connect(self.target)
        except ServerUnreachable:
            if time.monotonic() - started > SLOW_FAILURE_S:  # no answer: not again at once
                self._retry_after = time.monotonic() + RETRY_AFTER_S
            raise

    def _failure(self, exc: psycopg.Error) -> Exception:
        """A psycopg error as the store's callers expect it: a constraint as sqlite3's
        IntegrityError (the store catches that one), a lost server in one line."""
        if isinstance(exc, psycopg.IntegrityError):
            return sqlite3.IntegrityError(str(exc))
        if isinstance(exc, psycopg.errors.QueryCanceled) and not self.raw.broken:
            return sqlite3.OperationalError("interrupted")  # by interrupt(), as on SQLite
        if self.raw.broken or isinstance(exc, psycopg.OperationalError):
            if isinstance(exc, psycopg.errors.LockNotAvailable):
                return StoreError(f"{shown_target(self.target)}: the chart is busy, try again")
            if self.raw.broken:  # its transaction went with it: the next statement reconnects
                self._writing = self._in_transaction = False
            return ServerUnreachable(UNREACHABLE)
        return exc


def connect(target: str) -> psycopg.Connection[Any]:
    """A connection in autocommit (the store says BEGIN itself, as on SQLite)."""
    try:
        conn = psycopg.connect(
            target,
            autocommit=True,
            connect_timeout=CONNECT_TIMEOUT_S,
            application_name="crs-desktop",
            # A server that vanished without a word (a cable pulled) is noticed in seconds.
            keepalives=1,
            keepalives_idle=5,
            keepalives_interval=2,
            keepalives_count=3,
            tcp_user_timeout=KEEPALIVE_GIVE_UP_MS,  # data sent and never acknowledged
        )
    except psycopg.OperationalError as exc:
        reason = str(exc).strip().splitlines()[-1] if str(exc).strip() else "no answer"
        raise ServerUnreachable(f"{UNREACHABLE} ({shown_target(target)}: {reason})") from None
    # Waiting for another workstation's write as long as SQLite's busy timeout.
    conn.execute(f"SET lock_timeout = {BUSY_TIMEOUT_MS}")
    return conn


def continue_ids(conn: Any, table: str) -> None:
    """After rows were copied in with their ids: the next id follows the highest (SQLite's
    rule), inside the caller's transaction (`conn`: the store's connection)."""
    conn.execute(
        f"SELECT setval(pg_get_serial_sequence('\"{table}\"', 'id'), "
        f'coalesce(max(id), 0) + 1, false) FROM "{table}"'
    )


# -- opening: ours, current, migrated ---------------------------------------------


def _schema_version(conn: psycopg.Connection[Any], where: str) -> int:
    """The schema version; 0 for an empty database. Another program's database, or a
    newer schema, is refused with one line and left unchanged."""
    found = conn.execute("SELECT to_regclass(%s)", (META_TABLE,)).fetchone()
    if found is None or found[0] is None:
        (tables,) = conn.execute(
            "SELECT count(*) FROM pg_tables WHERE schemaname = current_schema()"
        ).fetchone() or (0,)
        if tables:
            raise StoreError(
                f"{where}: a database of another program, not a crs_desktop chart store "
                "(check the database name); left unchanged"
            )
        return 0
    meta = dict(conn.execute(f"SELECT key, value FROM {META_TABLE}").fetchall())
    if meta.get("application") != APPLICATION:
        raise StoreError(f"{where}: not a crs_desktop chart store; left unchanged")
    version = int(meta.get("schema_version", 0))
    if version > LATEST_VERSION:
        raise StoreError(
            f"{where}: written by a newer crs_desktop (schema {version}; this version reads "
            f"up to {LATEST_VERSION}); update crs_desktop. The database was left unchanged"
        )
    return version


def _migrate(conn: psycopg.Connection[Any], where: str) -> None:
    """Each migration in its own transaction (PostgreSQL's DDL is transactional: one
    that fails leaves nothing behind), one workstation at a time."""
    conn.execute("SELECT pg_advisory_lock(%s)", (MIGRATE_LOCK_KEY,))
    try:
        version = _schema_version(conn, where)  # another may have migrated meanwhile
        schema = ServerSchema(conn)
        for step in range(version + 1, LATEST_VERSION + 1):
            with conn.transaction():
                if step == 1:
                    schema.create_meta()
                MIGRATIONS[step - 1](schema)  # type: ignore[arg-type]
                schema.set_version(step)
    finally:
        conn.execute("SELECT pg_advisory_unlock(%s)", (MIGRATE_LOCK_KEY,))


def open_server(target: str) -> ServerConnection:
    """Connect to the ward server's database, migrated to the latest schema."""
    check_no_password(target)
    conn = ServerConnection(target)
    where = shown_target(target)
    try:
        if _schema_version(conn.raw, where) < LATEST_VERSION:
            _migrate(conn.raw, where)
    except psycopg.Error as exc:
        conn.close()
        raise StoreError(f"{where}: cannot be used ({str(exc).strip()})") from None
    except BaseException:
        conn.close()
        raise
    return conn
