"""The store's record types, for the layers above the core (the widgets are handed these
rows; they never hold a store)."""

from crs_desktop.store import (
    Changes,
    ChartedRow,
    ChartStore,
    EntriesRefused,
    Entry,
    Event,
    Patient,
    StoreError,
)
from crs_desktop.store.database import check_damage  # the file check run as the window starts

__all__ = [
    "Changes",
    "ChartStore",
    "ChartedRow",
    "EntriesRefused",
    "Entry",
    "Event",
    "Patient",
    "StoreError",
    "check_damage",
]
