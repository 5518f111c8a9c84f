"""Window benchmark: prints one JSON line of figures, each beside its floor and the ratio.

    python tests/perf/bench_window.py [--days 30 90] [--repeats 3] [--values 30]

Charts of one-minute vitals (6 series, 8,640 values a day) written into a real store file.

Start-up, each case its own child process (`crs-desktop --report-start-up`), alternated
--repeats times with its floor (medians):
- grades_painted_s: process start to the grade panel's first paint of the real grades
  (the next paint event of the panel after the background grading's grades arrive; not
  when they are set) at each of --days; floor: a bare PySide6 + pyqtgraph window that
  reads all the days into arrays, plots them, runs a minimal grading loop (each value
  folded in, one answer per time) and paints the answer;
- peak_mb: the child's peak resident memory over its whole life (VmHWM at exit), against
  the same bare window holding the same data;
- exit_s: from the grades painted (the window then quits) to the process gone, against
  the bare window's.

Live, in this process (the real window on the 30-day chart, CRS_DESKTOP_TRACE set,
another process committing one temperature a second, --values of them):
- after_pickup_ms: from the pick-up (`picked`) to the curves and the grades painted
  (the later of `plots_painted` and `grades_painted`, real paint events: ui/trace.py),
  p50 and p95, against the bare pyqtgraph repaint of the same curves (six plots, the same
  30 days, the 24 h view, one value appended) measured in this run: setData and a
  synchronous repaint of the viewport, its paint events counted; the writer's pauses
  vary from 0.5 to 1.5 s (a fixed seed) so that the values fall at every phase of the
  window's poll;
- commit_to_painted_ms: from the row's commit (`recorded_at`) to the same, p50 and p95.
The viewport's and the grade panel's paint events are counted over the run: a figure
with no paint event behind it is refused (the bench stops with an error).

The machine may be shared: every figure is measured beside its floor in the same run.
"""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
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

from bench_store import PEAK_HOOK, VITALS, insert_vitals  # noqa: E402

from crs_desktop.store import ChartStore  # noqa: E402

MRN = "BENCH-1"
DAY_MINUTES = 24 * 60

WINDOW = (
    PEAK_HOOK
    + """
import runpy, sys
sys.argv = ["crs-desktop", *sys.argv[1:]]
runpy.run_module("crs_desktop", run_name="__main__")
"""
)

# The floor: read everything, plot it, grade it minimally, paint the answer, quit.
BARE = PEAK_HOOK + textwrap.dedent(
    """
    import json, sqlite3, sys, time
    import numpy as np
    import pyqtgraph as pg
    from PySide6.QtCore import QEvent, QObject
    from PySide6.QtWidgets import QApplication, QHBoxLayout, QLabel, QWidget
    from crs_desktop.domain import thresholds

    app = QApplication(sys.argv[:1])
    conn = sqlite3.connect(sys.argv[1])
    items = sys.argv[2].split(",")
    window = QWidget()
    row = QHBoxLayout(window)
    view = pg.GraphicsLayoutWidget()
    row.addWidget(view, 3)
    label = QLabel("grading")
    row.addWidget(label, 2)
    end = 0.0
    for n, item in enumerate(items):
        t, v = (np.array(c, dtype=float) for c in zip(*conn.execute(
            "SELECT observed_at, value FROM observations WHERE item = ? AND status = 'final' "
            "ORDER BY observed_at, id", (item,))))
        end = max(end, t[-1])
        view.addPlot(row=n, col=0, axisItems={"bottom": pg.DateAxisItem()}).plot(t, v)
    for n in range(len(items)):
        view.getItem(n, 0).setXRange(end - 86400, end, padding=0)
    window.resize(1600, 1000)
    window.show()
    app.processEvents()
    print(json.dumps({"shown_at": time.time()}), flush=True)
    chart = conn.execute(
        "SELECT observed_at, item, value FROM observations WHERE status = 'final' "
        "ORDER BY observed_at, id").fetchall()
    latest, answers, highest, now = {}, [], 0, None
    for when, item, value in chart:
        if when != now and now is not None:
            temperature = latest.get("temperature")
            grade = int(temperature is not None and temperature >= thresholds.FEVER_C)
            highest = max(highest, grade)
            answers.append((now, grade, highest))
        now = when
        latest[item] = value

    class Painted(QObject):
        def eventFilter(self, watched, event):
            if event.type() == QEvent.Type.Paint:
                print(json.dumps({"graded_at": time.time()}), flush=True)
                app.quit()
            return False

    painted = Painted()
    label.installEventFilter(painted)
    label.setText(f"grade {answers[-1][1]}, highest {answers[-1][2]}, {len(answers)} times")
    app.exec()
    """
)

WRITER = textwrap.dedent(
    """
    import random, sys, time
    from crs_desktop.store import ChartStore, Entry
    store = ChartStore(sys.argv[1])
    pid = store.patient(sys.argv[2]).id
    count, every = int(sys.argv[3]), float(sys.argv[4])
    # 0.5 to 1.5 times `every` apart (a fixed seed): a writer in step with the window's
    # poll would measure one phase of it only (a steady 45 ms, or 200 ms, by chance).
    pauses = random.Random(17)
    due = time.time()
    for n in range(count):
        due += every * pauses.uniform(0.5, 1.5)
        time.sleep(max(0.0, due - time.time()))
        # A fever each time, a tenth of a degree apart: the CRS reason ("fever: temperature
        # 38.4 °C at …") changes with every value, so each change has a grade panel to paint.
        store.chart(pid, [Entry("temperature", f"{38.0 + (n % 10) / 10:.1f}")],
                    observed_at=time.time(), actor="bench writer")
    store.close()
    """
)


def on_screen_at(change: dict) -> float | None:
    """When the change was all on screen: the curves painted, and the grade panel too
    unless the new grades left every word of it as it was (ui/trace.py); None if not."""
    painted = [change["plots_painted"]]
    if change.get("grades_changed_on_screen", True):
        painted.append(change["grades_painted"])
    return None if None in painted else max(painted)


def make_chart(path: Path, days: int) -> None:
    now = time.time()
    with ChartStore(path) as store:
        patient = store.create_patient(
            MRN, "Bench, Days", actor="bench", weight_kg=70.0, infusion_time=now - days * 86400
        )
        # Up to a minute ago: the writer's values come after the chart's last.
        insert_vitals(store.conn, patient.id, now - days * 86400 - 60, days * DAY_MINUTES)


def run_child(code: str, args: list[str], peak_file: Path, env: dict[str, str]) -> dict:
    """The child's JSON lines, its peak memory (MiB) and its wall time from start."""
    env = {**env, "PYTHONPATH": str(ROOT), "BENCH_PEAK": str(peak_file)}
    started = time.time()
    process = subprocess.Popen(
        [sys.executable, "-c", code, *args],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    out, err = process.communicate(timeout=600)
    ended = time.time()
    if process.returncode != 0:
        raise SystemExit(f"{args[:2]} failed ({process.returncode}): {err[-2000:]}")
    report: dict[str, float] = {}
    for line in out.splitlines():
        if line.startswith("{"):
            report.update(json.loads(line))
    if "graded_at" not in report:
        raise SystemExit(f"no grades painted: {out[-500:]} {err[-500:]}")
    return {
        "graded_s": report["graded_at"] - started,
        "exit_s": ended - report["graded_at"],
        "peak_mb": int(peak_file.read_text()) / 1024,
    }


def start_up(db: Path, folder: Path, repeats: int) -> dict[str, float]:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    env.pop("CRS_DESKTOP_TRACE", None)
    ours_args = ["--db", str(db), "--patient", MRN, "--nurse", "bench"]
    ours_args += ["--quit-after-ms", "0", "--report-start-up"]
    runs: dict[str, list[dict]] = {"ours": [], "bare": []}
    for _ in range(repeats):  # alternate, so drift on the machine hits both
        runs["bare"].append(run_child(BARE, [str(db), ",".join(VITALS)], folder / "peak", env))
        runs["ours"].append(run_child(WINDOW, ours_args, folder / "peak", env))

    def med(case: str, key: str) -> float:
        return statistics.median(r[key] for r in runs[case])

    figures = {}
    for key in ("graded_s", "peak_mb", "exit_s"):
        ours, bare = med("ours", key), med("bare", key)
        figures[key] = {"ours": round(ours, 3), "floor": round(bare, 3)}
        figures[key]["ratio"] = round(ours / bare, 2) if bare else None
    # The peak over every run, not the median: the worst a ward machine must hold.
    figures["peak_mb"]["ours_max"] = round(max(r["peak_mb"] for r in runs["ours"]), 1)
    return figures


class PaintCount:
    """Counts the paint events of a widget and of the widgets in it."""

    def __init__(self, widget) -> None:  # type: ignore[no-untyped-def]
        from PySide6.QtCore import QEvent, QObject
        from PySide6.QtWidgets import QWidget

        count = self

        class Filter(QObject):
            def eventFilter(self, _watched, event) -> bool:  # type: ignore[no-untyped-def]  # noqa: N802
                if event.type() == QEvent.Type.Paint:
                    count.n += 1
                return False

        self.n = 0
        self.filter = Filter()
        for each in (widget, *widget.findChildren(QWidget)):
            each.installEventFilter(self.filter)


def bare_repaint_ms(db: Path, width: int, height: int, rounds: int = 20) -> dict[str, float]:
    """The floor of the live path: the same curves in bare pyqtgraph, one value appended
    (setData) and the viewport repainted at once; its paint events counted."""
    import numpy as np
    import pyqtgraph as pg

    conn = sqlite3.connect(db)
    view = pg.GraphicsLayoutWidget()
    curves, data = [], []
    end = 0.0
    for n, item in enumerate(VITALS):
        t, v = (
            np.array(c, dtype=float)
            for c in zip(
                *conn.execute(
                    "SELECT observed_at, value FROM observations WHERE item = ? "
                    "ORDER BY observed_at, id",
                    (item,),
                ),
                strict=True,
            )
        )
        end = max(end, t[-1])
        plot = view.addPlot(row=n, col=0, axisItems={"bottom": pg.DateAxisItem()})
        plot.setClipToView(True)
        plot.setDownsampling(auto=True, mode="peak")
        curves.append(plot.plot(t, v))
        data.append((t, v))
    conn.close()
    for n in range(len(VITALS)):
        view.getItem(n, 0).setXRange(end - 86400, end + 600, padding=0)
    view.resize(width, height)
    view.show()
    from PySide6.QtWidgets import QApplication

    QApplication.processEvents()
    paints = PaintCount(view.viewport())
    times = []
    t, v = data[0]
    for n in range(rounds):
        t, v = np.append(t, end + n + 1), np.append(v, 37.0)
        start = time.perf_counter()
        curves[0].setData(t, v)
        view.viewport().repaint()
        times.append((time.perf_counter() - start) * 1000)
    if paints.n < rounds:
        raise SystemExit(f"the bare floor painted {paints.n} times for {rounds} repaints")
    view.close()
    view.deleteLater()
    QApplication.processEvents()
    return {"median_ms": statistics.median(times), "paints": paints.n}


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def live(db: Path, folder: Path, values: int) -> dict[str, object]:
    trace_file = folder / "trace.jsonl"
    os.environ["CRS_DESKTOP_TRACE"] = str(trace_file)
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from crs_desktop.ui import trace
    from crs_desktop.ui.app import dispose, make_app
    from crs_desktop.ui.main_window import MainWindow

    app = make_app()
    store = ChartStore(db)
    window = MainWindow(store, "bench")
    window.open_patient_by_mrn(MRN)
    window.resize(1600, 1000)
    window.show()
    deadline = time.time() + 300
    while not window.session.grades_ready and time.time() < deadline:
        app.processEvents()
        time.sleep(0.005)
    settle = time.time() + 3  # the older history joins after the grades
    while time.time() < settle:
        app.processEvents()
        time.sleep(0.005)
    viewport = window.plots.view.viewport()
    floor = bare_repaint_ms(db, viewport.width(), viewport.height())
    plot_paints, grade_paints = PaintCount(viewport), PaintCount(window.grading)
    start_line = len(trace_file.read_text().splitlines()) if trace_file.exists() else 0
    writer = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(db), MRN, str(values), "1.0"],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    deadline = time.time() + values + 60
    while (writer.poll() is None or trace.waiting()) and time.time() < deadline:
        app.processEvents()
        time.sleep(0.001)
    end = time.time() + 1.5  # the last poll, its paints
    while time.time() < end or trace.waiting():
        app.processEvents()
        time.sleep(0.001)
    trace.stop()
    dispose(window)
    store.close()
    lines = trace_file.read_text().splitlines()[start_line:]
    changes = [c for c in map(json.loads, lines) if c["event"] == "change"]
    unpainted = [c for c in changes if on_screen_at(c) is None]
    if not changes or plot_paints.n == 0 or grade_paints.n == 0:
        raise SystemExit(
            f"no figure: {len(changes)} changes, {plot_paints.n} paints of the curves, "
            f"{grade_paints.n} of the grade panel"
        )
    painted = [c for c in changes if c not in unpainted]
    after = [(on_screen_at(c) - c["picked"]) * 1000 for c in painted]
    total = [(on_screen_at(c) - c["recorded_at"]) * 1000 for c in painted]
    p50 = statistics.median(after)
    return {
        "live_values": values,
        "changes_traced": len(changes),
        "changes_unpainted": len(unpainted),
        "grades_changed_on_screen": sum(bool(c["grades_changed_on_screen"]) for c in changes),
        "viewport_paints": plot_paints.n,
        "grade_panel_paints": grade_paints.n,
        "after_pickup_ms": {
            "p50": round(p50, 2),
            "p95": round(percentile(after, 0.95), 2),
            "floor": round(floor["median_ms"], 2),
            "ratio": round(p50 / floor["median_ms"], 2),
            "aim_ms": 16,
        },
        "commit_to_painted_ms": {
            "p50": round(statistics.median(total), 1),
            "p95": round(percentile(total, 0.95), 1),
            "aim_p95_ms": 150,
        },
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--days", type=int, nargs="+", default=[30, 90])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--values", type=int, default=30, help="live values, one a second")
    args = parser.parse_args()
    figures: dict[str, object] = {
        "note": "measured beside floors in one run; machine may be shared"
    }
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        for days in args.days:
            db = folder / f"chart-{days}d.sqlite3"
            make_chart(db, days)
            figures[f"start_{days}d"] = {"rows": days * DAY_MINUTES * len(VITALS)}
            figures[f"start_{days}d"].update(start_up(db, folder, args.repeats))  # type: ignore[union-attr]
        live_db = folder / "live-30d.sqlite3"
        make_chart(live_db, 30)
        figures["live_30d"] = live(live_db, folder, args.values)
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
