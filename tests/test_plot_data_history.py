"""The plots' data (app/plot_data.py, no Qt): the older history read apart and joined
without doubling or losing a value, and buffers that hold a month close to its size."""

from __future__ import annotations

import numpy as np
import pytest

from crs_desktop.app.plot_data import FIRST_READ_H, HOUR, PlotData, read_history
from crs_desktop.app.series_buffer import SeriesBuffer
from crs_desktop.store import ChartStore, Entry

NOW = 1_790_000_000.0  # a fixed clock


@pytest.fixture
def store(tmp_path):
    s = ChartStore(tmp_path / "chart.sqlite3", clock=lambda: NOW)
    patient = s.create_patient("MRN-H", "History, Hal", actor="setup", weight_kg=70.0)
    for hours_ago in (50, 40, 30, 10, 2):  # three before the first read's span, two in it
        s.chart(
            patient.id,
            [Entry("temperature", f"{37 + hours_ago / 100:.1f}")],
            observed_at=NOW - hours_ago * HOUR,
            actor="setup",
        )
    yield s
    s.close()


def temperatures(store: ChartStore) -> tuple[list[float], list[float]]:
    t, v = store.series(store.patient("MRN-H").id, "temperature")
    return t.tolist(), v.tolist()


def test_a_back_dated_value_that_came_live_before_the_history_joins_is_shown_once(store):
    pid = store.patient("MRN-H").id
    data = PlotData(store, pid, clock=lambda: NOW)
    assert len(data.buffers["temperature"]) == 2  # the first read: the last 26 h
    # Another writer charts a value from before the first read's span; the feed brings it.
    (row_id,) = store.chart(
        pid, [Entry("temperature", "38.6")], observed_at=NOW - 35 * HOUR, actor="late"
    )
    data.add_rows([store.row(row_id)])
    assert data.load_history()
    buf = data.buffers["temperature"]
    assert (buf.t.tolist(), buf.v.tolist()) == temperatures(store)  # once, in time order


def test_a_history_read_before_a_correction_is_read_again(store):
    pid = store.patient("MRN-H").id
    data = PlotData(store, pid, clock=lambda: NOW)
    request = data.history_request()
    assert request is not None and request.before == NOW - FIRST_READ_H * HOUR
    history = read_history(store, request)  # as a thread would, before the correction
    wrong = store.rows(pid, items=["temperature"])[1]  # 40 h ago: in that history
    store.mark_entered_in_error(wrong.id, reason="wrong patient", actor="RN")
    data.rows_entered_in_error([store.row(wrong.id)])
    data.history_read(history)
    assert data.load_history()
    buf = data.buffers["temperature"]
    assert wrong.observed_at not in buf.t.tolist()
    assert (buf.t.tolist(), buf.v.tolist()) == temperatures(store)


def test_a_month_read_at_once_is_held_close_to_its_size():
    minutes = 30 * 24 * 60
    times = np.arange(minutes, dtype=np.float64) * 60
    buf = SeriesBuffer(times, times / 100)
    spare = buf._t.nbytes + buf._v.nbytes - 2 * 8 * minutes
    assert spare <= 2 * 8 * 24 * 60  # at most a day of one-minute values to spare
    for m in range(minutes, minutes + 2 * 24 * 60):  # the stream still appends past it
        buf.add(m * 60.0, m / 100)
    assert len(buf) == minutes + 2 * 24 * 60
    assert np.all(np.diff(buf.t) > 0) and buf.v[-1] == (minutes + 2 * 24 * 60 - 1) / 100
