"""The chart store: every write validated, committed with its audit row, never overwritten.

ChartStore is one class made of four parts, each a module of its own:
base.py (the file, transactions, the audit), reads.py (rows, series, events, the
change feed), patients.py (patient records and facts) and charting.py (values,
corrections, imports, events written)."""

from __future__ import annotations

from crs_desktop.store.charting import (
    Charting,
    EntriesRefused,
    local_offset_min,
    shown_time,
)

__all__ = ["ChartStore", "EntriesRefused", "local_offset_min", "shown_time"]


class ChartStore(Charting):
    """One SQLite chart file. Not thread-safe: use it from the thread that opened it."""
