"""Moving a ward's chart from one store to another (a SQLite file to the ward server).

Every table the schema has (patients, values, corrections, events, the audit, and any
table a later migration adds) is copied row for row with its ids, in one transaction
on the target: a failure, a kill or a refusal leaves the target as it was. Both stores
are at the latest schema first (each is opened, so migrated, as usual). Afterwards every
row is read back from both and compared: the copy is said to be complete only if each
is identical.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from crs_desktop.domain.errors import UserError
from crs_desktop.store.chart_store import ChartStore

_BATCH = 5000


@dataclass(frozen=True, slots=True)
class Copied:
    counts: dict[str, int]  # table -> rows


def chart_tables(source: ChartStore) -> list[str]:
    """The source file's tables, each after the tables its foreign keys point to."""
    conn = source.conn
    names = [
        r[0]
        for r in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
            "ORDER BY name"
        )
    ]
    needs = {
        name: {r[2] for r in conn.execute(f'PRAGMA foreign_key_list("{name}")')} - {name}
        for name in names
    }
    ordered: list[str] = []
    while len(ordered) < len(names):
        ready = [n for n in names if n not in ordered and needs[n] <= set(ordered)]
        if not ready:  # a cycle: never in our schema
            raise UserError("the chart's tables refer to one another in a circle; not copied")
        ordered.extend(ready)
    return ordered


def _columns(source: ChartStore, table: str) -> list[str]:
    return [r[1] for r in source.conn.execute(f'PRAGMA table_info("{table}")')]


def _rows(store: ChartStore, table: str, columns: list[str]) -> Iterator[tuple[Any, ...]]:
    names = ", ".join(f'"{c}"' for c in columns)
    order = "id" if "id" in columns else names
    yield from store.conn.execute(f'SELECT {names} FROM "{table}" ORDER BY {order}')


def rows_held(store: ChartStore, tables: list[str]) -> int:
    return sum(int(store.conn.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0]) for t in tables)


def copy_chart(source: ChartStore, target: ChartStore, *, replace: bool) -> Copied:
    """Copy every row of `source` into `target` (see the module). A target that holds
    anything is refused unless `replace`, which empties it first, in the same transaction."""
    if source.on_server:
        raise UserError("--from: a chart file (the store to move from); a server was given")
    tables = chart_tables(source)
    held = rows_held(target, tables)
    if held and not replace:
        raise UserError(
            f"{target.path}: already holds a chart ({held} rows); nothing was copied. "
            "Give --replace to empty it and copy the file in its place"
        )
    counts: dict[str, int] = {}

    def work(conn: sqlite3.Connection) -> None:
        for table in reversed(tables):  # what refers to a table goes before it
            conn.execute(f'DELETE FROM "{table}"')
        for table in tables:
            columns = _columns(source, table)
            names = ", ".join(f'"{c}"' for c in columns)
            insert = f'INSERT INTO "{table}" ({names}) VALUES ({", ".join("?" for _ in columns)})'
            counts[table] = 0
            batch: list[tuple[Any, ...]] = []
            for row in _rows(source, table, columns):
                batch.append(row)
                if len(batch) >= _BATCH:
                    conn.executemany(insert, batch)
                    counts[table] += len(batch)
                    batch = []
            if batch:
                conn.executemany(insert, batch)
                counts[table] += len(batch)
            if target.on_server and "id" in columns:
                from crs_desktop.store.server import continue_ids

                continue_ids(conn, table)  # new rows go on after the copied ids

    with source.read_snapshot():  # one committed state of the file, whatever else writes
        target._write(work)
        _compare(source, target, tables)
    return Copied(counts)


def _compare(source: ChartStore, target: ChartStore, tables: list[str]) -> None:
    """Every row read back from both stores, compared: identical, or the move is refused."""
    with target.read_snapshot():
        for table in tables:
            columns = _columns(source, table)
            theirs = _rows(target, table, columns)
            for ours in _rows(source, table, columns):
                back = next(theirs, None)
                if back is None or tuple(back) != tuple(ours):
                    raise UserError(
                        f"{target.path}: the copy of {table} row {ours[0]} reads back "
                        "differently; check the server before using it"
                    )
            if next(theirs, None) is not None:
                raise UserError(f"{target.path}: {table} holds more rows than the file")
