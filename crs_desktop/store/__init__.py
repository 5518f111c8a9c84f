"""The SQLite chart store (no Qt): schema, migrations, audited writes, reads as numpy arrays."""

from crs_desktop.store.chart_store import ChartStore, EntriesRefused, local_offset_min
from crs_desktop.store.database import StoreError
from crs_desktop.store.paths import resolve_store_path
from crs_desktop.store.records import Changes, ChartedRow, Entry, Event, Patient

__all__ = [
    "ChartStore",
    "Changes",
    "ChartedRow",
    "EntriesRefused",
    "Entry",
    "Event",
    "Patient",
    "StoreError",
    "local_offset_min",
    "resolve_store_path",
]
