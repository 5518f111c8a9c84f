"""Window benchmark: prints one JSON line of figures.

With 30 days of one-minute vitals (6 series, 259,200 rows) in the store:
(a) cold start, process start to the window shown with the data, against a
    bare PySide6 + pyqtgraph window (six empty plots) started the same way;
(b) from a value committed by another process to the plots and grade panel
    repainted: median and p95 in total, and after the poll picked it up;
(c) peak memory of the window process.
A chart this long is graded in the background after the window shows; the
time until the grades are on screen is reported too (grades_shown_s).

Run: python tests/perf/bench_window.py
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from crs_desktop.store import ChartStore  # noqa: E402

VITALS = ("temperature", "heart_rate", "systolic_bp", "diastolic_bp", "spo2", "resp_rate")
MINUTES = 30 * 24 * 60
INSERT = (
    "INSERT INTO observations (patient_id, item, observed_at, utc_offset_min, recorded_at, "
    "value, text, unit, written_value, written_unit, note, extreme, charted_by, source, status) "
    "VALUES (?, ?, ?, 0, ?, ?, NULL, '', ?, '', '', 0, 'bench', 'bench', 'final')"
)

BARE = textwrap.dedent(
    """
    import json, resource, sys, time
    from PySide6.QtWidgets import QApplication
    import pyqtgraph as pg
    app = QApplication(sys.argv[:1])
    w = pg.GraphicsLayoutWidget()
    for row in range(6):
        w.addPlot(row=row, col=0, axisItems={"bottom": pg.DateAxisItem()})
    w.resize(1600, 1000)
    w.show()
    app.processEvents()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"shown_at": time.time(), "peak_mb": peak}), flush=True)
    w.deleteLater(); app.processEvents()
    """
)


def vital(item: str, minute: int) -> float:
    wobble = (minute * 7919) % 100 / 100
    base = {
        "temperature": (36.5, 1.4),
        "heart_rate": (70, 30),
        "systolic_bp": (100, 30),
        "diastolic_bp": (60, 20),
        "spo2": (93, 6),
        "resp_rate": (12, 8),
    }[item]
    return round(base[0] + base[1] * wobble, 1)


def fill(path: Path) -> None:
    store = ChartStore(path)
    now = time.time()
    start = now - MINUTES * 60
    patient = store.create_patient(
        "BENCH-1", "Bench, Thirty Days", actor="bench", weight_kg=70.0, infusion_time=start
    )
    conn = store.conn
    conn.execute("BEGIN")
    conn.executemany(
        INSERT,
        (
            (patient.id, item, start + m * 60, now, vital(item, m), str(vital(item, m)))
            for m in range(MINUTES)
            for item in VITALS
        ),
    )
    conn.execute("COMMIT")
    store.close()


def timed_start(command: list[str], env: dict[str, str]) -> tuple[float, float, float]:
    """(seconds to the window shown with its plots, to the grades shown, peak MB)."""
    started = time.time()
    out = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300, check=True)
    report: dict[str, float] = {}
    for line in out.stdout.splitlines():
        if line.startswith("{"):
            report.update(json.loads(line))
    graded = report.get("graded_at", report["shown_at"])
    return report["shown_at"] - started, graded - started, report["peak_mb"]


def cold_start(db: Path, runs: int) -> dict[str, float]:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    ours_cmd = [
        sys.executable,
        "-m",
        "crs_desktop",
        "--db",
        str(db),
        "--patient",
        "BENCH-1",
        "--nurse",
        "bench",
        "--quit-after-ms",
        "0",
        "--report-start-up",
    ]
    bare_cmd = [sys.executable, "-c", BARE]
    ours, graded, bare, peaks = [], [], [], []
    for _ in range(runs):  # alternate, so drift on the machine hits both
        seconds, _same, _peak = timed_start(bare_cmd, env)
        bare.append(seconds)
        seconds, graded_s, peak = timed_start(ours_cmd, env)
        ours.append(seconds)
        graded.append(graded_s)
        peaks.append(peak)
    return {
        "cold_start_s_median": round(statistics.median(ours), 3),
        "bare_start_s_median": round(statistics.median(bare), 3),
        "cold_start_ratio": round(statistics.median(ours) / statistics.median(bare), 2),
        "grades_shown_s_median": round(statistics.median(graded), 3),
        "peak_mb": round(max(peaks), 1),
    }


WRITER = textwrap.dedent(
    """
    import sys, time
    from crs_desktop.store import ChartStore
    from crs_desktop.store.records import Entry
    store = ChartStore(sys.argv[1])
    pid = store.patient("BENCH-1").id
    for n in range(int(sys.argv[2])):
        time.sleep(0.3)
        t = time.time()
        store.chart(pid, [Entry("temperature", str(37.0 + (n % 20) / 10))],
                    observed_at=t, actor="bench writer")
        print(time.time(), flush=True)
    """
)


def live_latency(db: Path, values: int) -> dict[str, float]:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from crs_desktop.ui.app import dispose, make_app
    from crs_desktop.ui.main_window import MainWindow

    app = make_app()
    store = ChartStore(db)
    window = MainWindow(store, "bench")
    window.open_patient_by_mrn("BENCH-1")
    window.resize(1600, 1000)
    window.show()
    while not window.session.grades_ready:  # measure the live path, not the start-up grading
        app.processEvents()
        time.sleep(0.005)
    app.processEvents()
    picked: list[float] = []
    painted: list[float] = []

    session = window.session
    read_changes = session.store.changes_since

    def picked_up(*args: object) -> object:  # the poll saw data_version move: reading starts
        picked.append(time.time())
        return read_changes(*args)  # type: ignore[arg-type]

    def on_grades(_grades: object) -> None:
        # Repaint now (not at the next idle moment), so the time includes the drawing.
        window.plots.view.repaint()
        window.grading.repaint()
        painted.append(time.time())

    session.store.changes_since = picked_up  # type: ignore[method-assign]
    session.grades_changed.connect(on_grades)
    writer = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(db), str(values)], stdout=subprocess.PIPE, text=True
    )
    committed: list[float] = []
    deadline = time.time() + values * 0.3 + 30
    while (len(painted) < values or writer.poll() is None) and time.time() < deadline:
        app.processEvents()
        time.sleep(0.001)
    committed = [float(x) for x in writer.stdout.read().split()]  # type: ignore[union-attr]
    dispose(window)
    n = min(len(committed), len(painted), len(picked))
    total = sorted((painted[i] - committed[i]) * 1000 for i in range(n))
    after_poll = sorted((painted[i] - picked[i]) * 1000 for i in range(n))

    def p95(xs: list[float]) -> float:
        return xs[min(len(xs) - 1, int(round(0.95 * (len(xs) - 1))))]

    return {
        "live_values": n,
        "commit_to_repaint_ms_median": round(statistics.median(total), 1),
        "commit_to_repaint_ms_p95": round(p95(total), 1),
        "poll_to_repaint_ms_median": round(statistics.median(after_poll), 2),
        "poll_to_repaint_ms_p95": round(p95(after_poll), 2),
    }


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "bench.sqlite3"
        fill(db)
        figures = {"rows": MINUTES * len(VITALS)}
        figures.update(cold_start(db, runs=5))
        figures.update(live_latency(db, values=40))
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
