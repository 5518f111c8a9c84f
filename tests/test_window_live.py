"""The window keeps up with another process's commits: woken by the commit itself (not by
the poll), and what it shows equals the store and a fresh grading of the whole chart."""

from __future__ import annotations

import gc
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from crs_desktop.domain.grading import Grader
from crs_desktop.store import ChartStore
from crs_desktop.store.records import Entry
from crs_desktop.ui.app import dispose
from crs_desktop.ui.main_window import MainWindow

ROOT = Path(__file__).resolve().parent.parent
NURSE = "RN Live"
HOUR = 3600.0
NEVER_MS = 600_000  # the poll pushed out of reach: only a wake-up can pick a commit up


@pytest.fixture
def store(tmp_path: Path):
    s = ChartStore(tmp_path / "live.sqlite3")
    now = time.time()
    patient = s.create_patient(
        "MRN-W", "Writer, Test", actor="setup", weight_kg=70.0, infusion_time=now - 50 * HOUR
    )
    s.chart(
        patient.id,
        [Entry("temperature", "37.0"), Entry("systolic_bp", "120"), Entry("diastolic_bp", "70")],
        observed_at=now - 2 * HOUR,
        actor="setup",
    )
    yield s
    s.close()


@pytest.fixture
def window(qtbot, store):
    w = MainWindow(store, NURSE)
    qtbot.addWidget(w)
    w.open_patient_by_mrn("MRN-W")
    w.resize(1400, 900)
    w.show()
    feed = w.session.feed
    qtbot.waitUntil(lambda: feed._timer.isActive())
    feed._timer.setInterval(NEVER_MS)
    feed._timer.start()
    # The plots' older history joins after the first paint: the stream then only appends.
    qtbot.waitUntil(lambda: w.plots.data.history_before is None, timeout=10_000)
    yield w
    dispose(w)


def write_in_another_process(db: Path, count: int, pause: float = 0.0) -> list[str]:
    """tests/support/writer.py charts `count` temperatures (10 days ago, a second apart)."""
    env = dict(os.environ, PYTHONPATH=str(ROOT), WRITER_PAUSE_S=str(pause))
    done = subprocess.run(
        [sys.executable, "-m", "tests.support.writer", str(db), "MRN-W", str(count), "live"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return done.stdout.splitlines()


def temperatures(window: MainWindow) -> int:
    return len(window.plots.buffers["temperature"])


def test_a_commit_by_another_process_wakes_the_window_without_the_poll(qtbot, window, store):
    assert temperatures(window) == 1
    write_in_another_process(store.path, 1)
    # The poll is ten minutes away: a value on screen within seconds was woken by the
    # commit itself (the old 250 ms poll, pushed out the same way, never picks it up).
    qtbot.waitUntil(lambda: temperatures(window) == 2, timeout=5_000)
    pid = store.patient("MRN-W").id
    t, v = store.series(pid, "temperature")
    assert window.plots.buffers["temperature"].v.tolist() == v.tolist()


def test_after_a_stream_the_window_equals_the_store_and_a_fresh_grading(qtbot, window, store):
    lines = write_in_another_process(store.path, 60, pause=0.005)
    assert len(lines) == 60
    qtbot.waitUntil(lambda: temperatures(window) == 61, timeout=10_000)
    pid = store.patient("MRN-W").id
    for item in ("temperature", "systolic_bp", "diastolic_bp"):
        t, v = store.series(pid, item)
        buf = window.plots.buffers[item]
        assert np.array_equal(buf.t, t) and np.array_equal(buf.v, v), item
    core = window.session.core
    fresh = Grader(core.settings, core.local_tz)
    fresh.add(store.observations(pid, lean=True))
    assert window.session.grades == fresh.latest()
    for at in t.tolist():  # the whole time line, not only the last grades
        assert core.grader.at(at) == fresh.at(at)


def long_chart(tmp_path: Path) -> tuple[ChartStore, int]:
    """MRN-L with one-minute vitals long enough to be graded in the background."""
    from datetime import UTC, datetime

    from crs_desktop.cli import main
    from crs_desktop.ui.session import GRADE_AT_ONCE_UP_TO

    minutes = GRADE_AT_ONCE_UP_TO // 6 + 600  # past the threshold, two days and more
    start = time.time() // 60 * 60 - minutes * 60
    lines = ["time,item,value,unit,note"]
    vitals = (("temperature", "37.0"), ("heart_rate", "80"), ("systolic_bp", "120"))
    vitals += (("diastolic_bp", "70"), ("resp_rate", "16"), ("spo2", "97"))
    for m in range(minutes):
        at = datetime.fromtimestamp(start + m * 60, UTC).isoformat()
        lines += [f"{at},{item},{value},," for item, value in vitals]
    chart = tmp_path / "long.csv"
    chart.write_text("\n".join(lines) + "\n", encoding="utf-8")
    db = tmp_path / "long.sqlite3"
    assert main(["import", str(chart), "--patient", "MRN-L", "--db", str(db)]) == 0
    store = ChartStore(db)
    store.create_patient("MRN-S", "Short, Sam", actor="setup", weight_kg=70.0)
    return store, minutes


def test_a_long_chart_shows_grades_first_and_reads_its_history_off_the_gui_thread(
    qtbot, tmp_path, monkeypatch
):
    long_store, minutes = long_chart(tmp_path)
    history_readers: list[int] = []  # the threads that read a curve's older values
    series = ChartStore.series

    def watched_series(self, patient_id, item, *, since=None, until=None, **more):
        if since is None and until is not None:  # before the first read's span
            history_readers.append(threading.get_ident())
        return series(self, patient_id, item, since=since, until=until, **more)

    monkeypatch.setattr(ChartStore, "series", watched_series)
    w = MainWindow(long_store, NURSE)
    qtbot.addWidget(w)
    try:
        w.open_patient_by_mrn("MRN-L")
        assert not w.session.grades_ready  # graded in the background
        history_when_graded: list[float | None] = []
        w.session.grades_changed.connect(
            lambda _g: history_when_graded.append(w.plots.data.history_before)
        )
        w.show()
        qtbot.waitUntil(lambda: len(w.plots.buffers["temperature"]) == minutes, timeout=30_000)
        # The grades came first, with the plots' older history still to come...
        assert history_when_graded and history_when_graded[0] is not None
        assert w.grading.cards["astct_crs"].badge.text() == "grade 0 (none)"
        # ...and that history was read on another thread: the event loop never waited on it.
        assert history_readers and threading.get_ident() not in history_readers
        t, v = long_store.series(w.session.patient.id, "temperature")
        assert np.array_equal(w.plots.buffers["temperature"].t, t)
        # The graded chart is out of the cycle collector's walks (none at exit either)...
        assert gc.get_freeze_count() > 0
        # ...until the nurse switches away from it: then it may be collected again.
        w.open_patient_by_mrn("MRN-S")
        assert gc.get_freeze_count() == 0
    finally:
        dispose(w)
        long_store.close()
