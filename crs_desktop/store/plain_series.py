"""One numeric item's (times, values) as plain lists, for a reader that only draws a few
hundred points (the handover's plots), no Qt.

ChartReads.series returns numpy arrays for the window's plots; the handover command
starts without numpy (0.1-0.2 s of its start-up), so it reads the same rows here.
"""

from __future__ import annotations

from typing import Any

from crs_desktop.store.base import StoreBase
from crs_desktop.store.reads import _within


def series_lists(
    store: StoreBase,
    patient_id: int,
    item: str,
    *,
    since: float | None = None,
    until: float | None = None,
) -> tuple[list[float], list[float]]:
    """As ChartReads.series (the same rows, in the same order), as two lists."""
    sql = (
        "SELECT observed_at, value FROM observations "
        "WHERE patient_id = ? AND item = ? AND status = 'final' AND value IS NOT NULL"
    )
    params: list[Any] = [patient_id, item]
    sql = _within(sql, params, since, until) + " ORDER BY observed_at"
    rows = store.conn.execute(sql, params).fetchall()
    return [float(t) for t, _ in rows], [float(v) for _, v in rows]
