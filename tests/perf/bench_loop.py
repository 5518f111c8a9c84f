"""Event-loop benchmark (issue 17 items 3 and 4): prints one JSON line of figures.

With a long chart of one-minute vitals (30 days, or --days N) in the store:
(a) pick-up: a value committed by another process -> the window's feed has applied it
    (ms, p50/p95/max over 40 values 0.2 s apart; aim: within 100 ms). The file watch
    wakes the feed within a few ms; a value that arrives while the window still repaints
    the previous one (item 1: a 30-day curve's paint) waits for that paint to end;
(b) idle cost: CPU time of the open, idle window over --idle-s seconds, per minute;
(c) exit: from the grades shown (`crs-desktop --report-start-up`, which quits then) to
    the process gone, against a bare PySide6 + pyqtgraph window's exit (aim: 0.3 s).

Run: python tests/perf/bench_loop.py [--days 30] [--idle-s 60]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_store import insert_vitals  # noqa: E402

from crs_desktop.store import ChartStore  # noqa: E402

WRITER = textwrap.dedent(
    """
    import sys, time
    from crs_desktop.store import ChartStore
    from crs_desktop.store.records import Entry
    store = ChartStore(sys.argv[1])
    pid = store.patient("BENCH-1").id
    time.sleep(1)
    for n in range(int(sys.argv[2])):
        time.sleep(0.2)
        store.chart(pid, [Entry("temperature", str(37.0 + (n % 20) / 10))],
                    observed_at=time.time(), actor="bench writer")
        print(time.time(), flush=True)
    """
)

BARE = textwrap.dedent(
    """
    import json, sys, time
    from PySide6.QtWidgets import QApplication
    import pyqtgraph as pg
    app = QApplication(sys.argv[:1])
    w = pg.GraphicsLayoutWidget()
    for row in range(6):
        w.addPlot(row=row, col=0, axisItems={"bottom": pg.DateAxisItem()})
    w.resize(1600, 1000)
    w.show()
    app.processEvents()
    print(json.dumps({"graded_at": time.time()}), flush=True)
    w.deleteLater(); app.processEvents()
    """
)


def fill(path: Path, days: int) -> None:
    store = ChartStore(path)
    now = time.time()
    start = now - days * 86400
    patient = store.create_patient(
        "BENCH-1", "Bench, Days", actor="bench", weight_kg=70.0, infusion_time=start
    )
    insert_vitals(store.conn, patient.id, start, days * 1440)
    store.close()


def pick_up_and_idle(db: Path, values: int, idle_s: float) -> dict[str, float]:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import QTimer

    from crs_desktop.ui.app import dispose, make_app
    from crs_desktop.ui.main_window import MainWindow

    app = make_app()
    store = ChartStore(db)
    window = MainWindow(store, "bench")
    window.open_patient_by_mrn("BENCH-1")
    window.resize(1600, 1000)
    window.show()
    session = window.session
    while not session.grades_ready or session.core.plot_data.history_before is not None:
        app.processEvents()
        time.sleep(0.005)
    settle = time.time() + 2
    while time.time() < settle:  # the history's redraw and first paints are done
        app.processEvents()
        time.sleep(0.01)
    applied: list[float] = []
    session.feed.changed.connect(lambda c: applied.extend([time.time()] * len(c.rows)))
    writer = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(db), str(values)],
        stdout=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )
    deadline = time.time() + values * 0.2 + 30
    while (len(applied) < values or writer.poll() is None) and time.time() < deadline:
        app.processEvents()
        time.sleep(0.001)
    committed = [float(x) for x in writer.stdout.read().split()]  # type: ignore[union-attr]
    settle = time.time() + 2
    while time.time() < settle:  # the last wake-up's look-agains are over
        app.processEvents()
        time.sleep(0.01)
    cpu0, wall0 = time.process_time(), time.time()
    QTimer.singleShot(int(idle_s * 1000), app.quit)
    app.exec()
    idle_cpu_ms_per_min = (time.process_time() - cpu0) * 1000 / ((time.time() - wall0) / 60)
    dispose(window)
    store.close()
    lat = sorted((a - c) * 1000 for a, c in zip(applied, committed, strict=False))
    return {
        "pick_up_values": len(lat),
        "pick_up_ms_p50": round(statistics.median(lat), 1),
        "pick_up_ms_p95": round(lat[int(0.95 * (len(lat) - 1))], 1),
        "pick_up_ms_max": round(lat[-1], 1),
        "pick_up_aim_ms": 100,
        "idle_s": idle_s,
        "idle_cpu_ms_per_min": round(idle_cpu_ms_per_min, 1),
    }


def timed_exit(command: list[str]) -> float:
    """Seconds from the grades shown (its JSON line) to the process gone."""
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    proc = subprocess.Popen(command, env=env, cwd=ROOT, stdout=subprocess.PIPE, text=True)
    graded = None
    for line in proc.stdout:  # type: ignore[union-attr]
        if line.startswith("{"):
            graded = json.loads(line).get("graded_at", graded)
    proc.wait()
    gone = time.time()
    assert graded is not None and proc.returncode == 0
    return gone - graded


def exits(db: Path, runs: int) -> dict[str, float]:
    ours_cmd = [sys.executable, "-m", "crs_desktop", "--db", str(db), "--patient", "BENCH-1"]
    ours_cmd += ["--nurse", "bench", "--quit-after-ms", "0", "--report-start-up"]
    ours, bare = [], []
    for _ in range(runs):  # alternate, so drift on the machine hits both
        bare.append(timed_exit([sys.executable, "-c", BARE]))
        ours.append(timed_exit(ours_cmd))
    return {
        "exit_s_median": round(statistics.median(ours), 3),
        "bare_exit_s_median": round(statistics.median(bare), 3),
        "exit_ratio": round(statistics.median(ours) / statistics.median(bare), 2),
        "exit_aim_s": 0.3,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--idle-s", type=float, default=60.0)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "bench.sqlite3"
        fill(db, args.days)
        figures: dict[str, float] = {"days": args.days, "rows": args.days * 1440 * 6}
        figures.update(exits(db, args.runs))
        figures.update(pick_up_and_idle(db, 40, args.idle_s))
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
