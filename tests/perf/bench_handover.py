"""Handover benchmark: prints one JSON line of measured figures.

    python tests/perf/bench_handover.py [--runs 5]

A patient infused 30 days ago with one-minute vitals ever since (6 series x
43,200 minutes = 259,200 rows, filled the way tests/perf/bench_store.py fills
its load test), a few drugs and checklist marks in the last shift. Measured,
median of --runs:

- handover_pdf_ms: the 12-hour shift handover PDF as the command makes it:
  build_handover (which reads and grades the whole chart up to the end of the
  shift, as the maximum grade since the infusion needs) plus write_handover_pdf;
- of which read_chart_ms (store.findings_to_grade_once) and grade_chart_ms (Grader.add
  of the systems the page prints: ASTCT CRS, ICANS, NEWS2), measured on their own
  the way build_handover does them (cycle collector paused);
- grade_all_systems_ms: the same chart graded by all five systems, as the window
  and `crs-desktop grade` do (for comparison);
- handover_pdf_news2_scored_ms: handover_pdf_ms once ACVPU is charted every 4 h as
  well, so NEWS2 is scored, reasons and all, at every minute (above, ACVPU is
  charted once, so NEWS2 is unscored most of the time);
- handover_pdf_with_grader_ms: the same PDF when a Grader already holding the
  chart is passed in (the window keeps one current), so nothing is re-graded;
- render_pdf_ms: write_handover_pdf alone;
- command_ms: `crs-desktop handover` as its own process (start-up, imports and
  Qt included), median of 3, on the chart with ACVPU every 4 h.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_store import insert_vitals  # noqa: E402
from PySide6.QtGui import QGuiApplication  # noqa: E402

from crs_desktop.domain.grading import Grader  # noqa: E402
from crs_desktop.report.handover_data import GRADED_SYSTEMS, build_handover  # noqa: E402
from crs_desktop.report.render import write_handover_pdf  # noqa: E402
from crs_desktop.store import ChartStore, Entry  # noqa: E402

MINUTES = 30 * 24 * 60
HOUR = 3600.0


def fill(path: Path) -> tuple[int, float]:
    """The 30-day patient; returns (patient id, the time of the last vitals)."""
    now = time.time() // 60 * 60
    base = now - MINUTES * 60
    store = ChartStore(path)
    patient = store.create_patient(
        "BENCH-30D",
        "Bench, Thirty Days",
        actor="bench",
        birth_date="1970-01-01",
        weight_kg=70.0,
        car_t_product="tisagenlecleucel",
        infusion_time=base,
    )
    conn = store.conn
    insert_vitals(conn, patient.id, base, MINUTES)
    last = base + (MINUTES - 1) * 60
    store.chart(
        patient.id,
        [Entry("o2_device", "room_air"), Entry("acvpu", "A")],
        observed_at=base - 60,
        actor="bench",
    )
    for hours_ago, item, value in (
        (9, "paracetamol", "1000"),
        (6, "tocilizumab", "560"),
        (5, "fluid_bolus", "500"),
        (3, "dexamethasone", "10"),
    ):
        store.chart(
            patient.id, [Entry(item, value)], observed_at=last - hours_ago * HOUR, actor="bench"
        )
    for n in range(6):
        store.record_event(
            patient.id,
            "checklist",
            actor="bench",
            key=f"action_{n}",
            status="done" if n % 2 else "not_done",
            at=last - n * HOUR,
            detail={"title": f"Action {n}", "reason": "bench"},
        )
    store.close()
    return patient.id, last


def median_ms(samples: list[float]) -> float:
    return round(statistics.median(samples) * 1000, 1)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    app = QGuiApplication.instance() or QGuiApplication([])  # noqa: F841  (kept alive)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        db = folder / "bench.sqlite3"
        patient_id, last = fill(db)
        end = last + 60
        start = end - 12 * HOUR
        pdf = folder / "handover.pdf"
        cold, read, grade, grade_all, warm, render = [], [], [], [], [], []
        pages = 0
        for _ in range(args.runs):
            gc.collect()
            with ChartStore(db) as store:
                t0 = time.perf_counter()
                data = build_handover(store, patient_id, start, end, printed_by="bench", now=end)
                pages = write_handover_pdf(data, pdf)
                cold.append(time.perf_counter() - t0)

                gc.disable()
                t0 = time.perf_counter()
                chart = store.findings_to_grade_once(patient_id, until=end)
                read.append(time.perf_counter() - t0)
                grader = Grader(systems=GRADED_SYSTEMS)
                t0 = time.perf_counter()
                grader.add(chart)
                grade.append(time.perf_counter() - t0)
                grader = Grader()
                t0 = time.perf_counter()
                grader.add(chart)
                grade_all.append(time.perf_counter() - t0)
                gc.enable()

                # A collection owed by the grading above is not the handover's cost.
                gc.collect()
                t0 = time.perf_counter()
                data = build_handover(
                    store, patient_id, start, end, printed_by="bench", now=end, grader=grader
                )
                write_handover_pdf(data, pdf)
                warm.append(time.perf_counter() - t0)

                t0 = time.perf_counter()
                write_handover_pdf(data, pdf)
                render.append(time.perf_counter() - t0)

        # The monitor charts the vitals; a nurse charts ACVPU. Charted every 4 h, NEWS2
        # is scored (with its reasons) at every minute instead of left unscored.
        with ChartStore(db) as store:
            first = last - (MINUTES - 1) * 60
            for at in range(int(first), int(last) + 1, 4 * 3600):
                store.chart(patient_id, [Entry("acvpu", "A")], observed_at=at, actor="bench")
        scored = []
        for _ in range(args.runs):
            gc.collect()
            with ChartStore(db) as store:
                t0 = time.perf_counter()
                data = build_handover(store, patient_id, start, end, printed_by="bench", now=end)
                write_handover_pdf(data, pdf)
                scored.append(time.perf_counter() - t0)

        command = []
        iso = time.strftime("%Y-%m-%dT%H:%M:%S", time.localtime(start))
        iso_end = time.strftime("%Y-%m-%dT%H:%M:%S", time.localtime(end))
        for _ in range(3):
            t0 = time.perf_counter()
            subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "crs_desktop",
                    "handover",
                    "--db",
                    str(db),
                    "--patient",
                    "BENCH-30D",
                    "--from",
                    iso,
                    "--to",
                    iso_end,
                    "-o",
                    str(folder / "cmd.pdf"),
                    "--force",  # the same file each round: an output is never replaced without it
                ],
                check=True,
                capture_output=True,
            )
            command.append(time.perf_counter() - t0)
        with ChartStore(db) as store:
            rows = store.count_observations(patient_id)
    print(
        json.dumps(
            {
                "rows": rows,
                "pages": pages,
                "handover_pdf_ms": median_ms(cold),
                "read_chart_ms": median_ms(read),
                "grade_chart_ms": median_ms(grade),
                "grade_all_systems_ms": median_ms(grade_all),
                "handover_pdf_news2_scored_ms": median_ms(scored),
                "handover_pdf_with_grader_ms": median_ms(warm),
                "render_pdf_ms": median_ms(render),
                "command_ms": median_ms(command),
            }
        )
    )


if __name__ == "__main__":
    main()
