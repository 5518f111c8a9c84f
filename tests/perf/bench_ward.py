"""Ward-server benchmark: prints one JSON line of figures.

On a throwaway PostgreSQL cluster (Debian's binaries, fsync on, as a ward server runs):
(a) a value committed by another workstation process -> this window's plots and grade
    panel repainted (through the window: LISTEN/NOTIFY wakes its feed), p50 and p95 over
    VALUES values; aim p95 <= 100 ms;
(b) single commits per second through the store (ChartStore.chart: one value, its audit
    row, the write lock, NOTIFY) against the floor, plain psycopg on the same server in
    the same run doing the same two inserts in one transaction; aim ratio >= 0.7.

Run: python tests/perf/bench_ward.py
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import textwrap
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from crs_desktop.store import ChartStore, Entry  # noqa: E402
from tests.support.pg_cluster import Cluster  # noqa: E402

VALUES = 120
COMMITS = 400
VITALS = ("temperature", "heart_rate", "systolic_bp", "diastolic_bp", "spo2", "resp_rate")
DAY_MINUTES = 24 * 60

WRITER = textwrap.dedent(
    """
    import sys, time
    from crs_desktop.store import ChartStore, Entry
    store = ChartStore(sys.argv[1])
    pid = store.patient("BENCH-1").id
    for n in range(int(sys.argv[2])):
        time.sleep(0.15)
        store.chart(pid, [Entry("temperature", str(37.0 + (n % 20) / 10))],
                    observed_at=time.time() - 1, actor="bench writer")
        print(time.time(), flush=True)
    """
)


def p95(xs: list[float]) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(0.95 * (len(xs) - 1))))]


def fill(url: str) -> None:
    """A day of hourly vital signs for one patient."""
    with ChartStore(url) as store:
        now = time.time()
        start = now - DAY_MINUTES * 60
        patient = store.create_patient(
            "BENCH-1", "Bench, One Day", actor="bench", weight_kg=70.0, infusion_time=start
        )
        for m in range(0, DAY_MINUTES, 60):  # an hour a set: 24 sets, one write each
            entries = [
                Entry(item, str(v))
                for item, v in zip(VITALS, (37.0, 80, 120, 70, 97, 16), strict=True)
            ]
            store.chart(patient.id, entries, observed_at=start + m * 60, actor="bench")


def live_latency(url: str) -> dict[str, float]:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from crs_desktop.ui.app import dispose, make_app
    from crs_desktop.ui.main_window import MainWindow

    app = make_app()
    store = ChartStore(url)
    window = MainWindow(store, "bench")
    window.open_patient_by_mrn("BENCH-1")
    window.resize(1600, 1000)
    window.show()
    session = window.session
    while not session.grades_ready or session.watch is None or session.watch._conn is None:
        app.processEvents()
        time.sleep(0.005)
    painted: list[float] = []

    def on_grades(_grades: object) -> None:
        window.plots.view.repaint()  # now, not at the next idle moment: drawing included
        window.grading.repaint()
        painted.append(time.time())

    session.grades_changed.connect(on_grades)
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    writer = subprocess.Popen(
        [sys.executable, "-c", WRITER, url, str(VALUES)],
        stdout=subprocess.PIPE,
        text=True,
        env=env,
    )
    deadline = time.time() + VALUES * 0.15 + 60
    while (len(painted) < VALUES or writer.poll() is None) and time.time() < deadline:
        app.processEvents()
        time.sleep(0.0005)
    committed = [float(x) for x in writer.stdout.read().split()]  # type: ignore[union-attr]
    polling = session.feed._timer.isActive()
    dispose(window)
    store.close()
    n = min(len(committed), len(painted))
    total = [(painted[i] - committed[i]) * 1000 for i in range(n)]
    return {
        "live_values": n,
        "commit_to_repaint_ms_p50": round(statistics.median(total), 1),
        "commit_to_repaint_ms_p95": round(p95(total), 1),
        "live_aim_p95_ms": 100,
        "window_polls": polling,
    }


def commit_rates(url: str) -> dict[str, float]:
    import psycopg

    with ChartStore(url) as store:
        pid = store.patient("BENCH-1").id
        base = time.time() - 3600
        t0 = time.perf_counter()
        for i in range(COMMITS):
            store.chart(pid, [Entry("heart_rate", "88")], observed_at=base + i, actor="bench")
        ours = COMMITS / (time.perf_counter() - t0)
    # The floor: the same two rows in one transaction, plain psycopg, no store.
    with psycopg.connect(url) as conn:
        t0 = time.perf_counter()
        for i in range(COMMITS):
            with conn.transaction():
                conn.execute(
                    "INSERT INTO observations (patient_id, item, observed_at, utc_offset_min, "
                    "recorded_at, value, unit, written_value, written_unit, note, extreme, "
                    "charted_by, source, status) VALUES (%s, 'heart_rate', %s, 0, %s, 88.0, "
                    "'/min', '88', '', '', 0, 'bench', 'manual', 'final') RETURNING id",
                    (pid, base + i, time.time()),
                )
                conn.execute(
                    "INSERT INTO audit (at, actor, source, action, patient_id, detail) "
                    "VALUES (%s, 'bench', 'manual', 'chart', %s, '{}')",
                    (time.time(), pid),
                )
        floor = COMMITS / (time.perf_counter() - t0)
    return {
        "commits_per_s": round(ours, 1),
        "floor_plain_psycopg_commits_per_s": round(floor, 1),
        "commit_ratio": round(ours / floor, 2),
        "commit_aim_ratio": 0.7,
    }


def main() -> None:
    cluster = Cluster(fsync=True)
    try:
        url = cluster.new_database("bench")
        fill(url)
        figures: dict[str, object] = {"server": "PostgreSQL (throwaway cluster, unix socket)"}
        figures.update(live_latency(url))
        figures.update(commit_rates(url))
    finally:
        cluster.close()
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
