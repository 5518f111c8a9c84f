"""Grading benchmark: prints one JSON line of measured figures.

    python tests/perf/bench_grading.py [--repeats 3]

A 30-day chart of one-minute vitals (6 series × 43,200 minutes = 259,200 values, in a
real store file) read and graded at every time point by all five systems, as the
window does on opening a patient; each step as a ratio to its floor, measured in the
same process and alternated with it --repeats times (medians):

- read: ChartStore.observations(lean=True) (what the window reads) against plain
  sqlite3 fetching the same columns of the same rows into tuples;
- grade: Grader.add of the whole chart (it pauses the cycle collector while it works)
  against a minimal grading loop (one pass in time order, the latest value of each
  item kept, one answer per time: fever or not);
- gc: the collection the Grader deferred, timed as gc.collect() straight after it
  (against gc.collect() after the floor loop, which ran with the collector on);
- total: read + grade + gc against the floors' total.

Then the cost of one incremental update at the end (a new set of vitals) and of one
back-dated value, as before.
"""

from __future__ import annotations

import argparse
import gc
import json
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_store import insert_vitals  # noqa: E402

from crs_desktop.domain import thresholds  # noqa: E402
from crs_desktop.domain.grading import Grader  # noqa: E402
from crs_desktop.domain.observation import Observation  # noqa: E402
from crs_desktop.store import ChartStore, Entry  # noqa: E402

MINUTES = 30 * 24 * 60
BASE = 1_790_000_000.0


def fill(path: Path) -> int:
    """The 30-day chart in a store file; returns the patient's id."""
    store = ChartStore(path, clock=lambda: BASE + (MINUTES + 1000) * 60)
    patient = store.create_patient("BENCH-GRADE", "Bench, Grading", actor="bench")
    store.chart(
        patient.id,
        [Entry("o2_device", "room_air"), Entry("acvpu", "A")],
        observed_at=BASE - 60,
        actor="bench",
    )
    conn = store.conn
    insert_vitals(conn, patient.id, BASE, MINUTES)
    store.close()
    return patient.id


def floor_read(path: Path, patient_id: int) -> list[tuple]:
    conn = sqlite3.connect(path)
    try:
        return conn.execute(
            "SELECT observed_at, item, value, text, coalesce(note, ''), id, "
            "coalesce(utc_offset_min, 0) FROM observations WHERE patient_id = ? "
            "AND status = 'final' ORDER BY observed_at, id",
            (patient_id,),
        ).fetchall()
    finally:
        conn.close()


def floor_grade(chart: list[tuple]) -> list[tuple[float, int, int]]:
    """The least a grading walk does: each value folded in, one answer per time."""
    latest: dict[str, float | None] = {}
    answers: list[tuple[float, int, int]] = []
    highest = 0
    now = None
    for when, item, value, *_ in chart:
        if when != now and now is not None:
            temperature = latest.get("temperature")
            grade = int(temperature is not None and temperature >= thresholds.FEVER_C)
            highest = max(highest, grade)
            answers.append((now, grade, highest))
        now = when
        latest[item] = value
    return answers


def timed(work):  # type: ignore[no-untyped-def]
    start = time.perf_counter()
    result = work()
    return result, time.perf_counter() - start


def vitals(minute: int, next_id: int) -> list[Observation]:
    wobble = (minute * 7919) % 100 / 100
    t = BASE + minute * 60
    values = {
        "temperature": 36.5 + 2.2 * wobble,
        "heart_rate": 70 + 40 * wobble,
        "systolic_bp": 84 + 40 * wobble,
        "diastolic_bp": 50 + 25 * wobble,
        "spo2": 91 + 8 * wobble,
        "resp_rate": 12 + 12 * wobble,
    }
    return [
        Observation(t, item, value, id=next_id + k)
        for k, (item, value) in enumerate(values.items())
    ]


def bench_updates(grader: Grader, next_id: int) -> dict[str, float]:
    appends = []
    for extra in range(200):
        new = vitals(MINUTES + extra, next_id)
        next_id += len(new)
        start = time.perf_counter()
        grader.add(new)
        grader.latest()
        appends.append((time.perf_counter() - start) * 1000)
    backdated = []
    for k in range(20):
        obs = Observation(BASE + (MINUTES - 500 - k * 7) * 60 + 30, "temperature", 38.4, id=next_id)
        next_id += 1
        start = time.perf_counter()
        grader.add([obs])
        backdated.append((time.perf_counter() - start) * 1000)
    return {
        "append_ms_median": round(statistics.median(appends), 3),
        "append_ms_p95": round(sorted(appends)[int(len(appends) * 0.95)], 3),
        "backdated_ms_median": round(statistics.median(backdated), 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    ours: dict[str, list[float]] = {"read": [], "grade": [], "gc": []}
    floor: dict[str, list[float]] = {"read": [], "grade": [], "gc": []}
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "grading.sqlite3"
        patient_id = fill(path)
        grader = None
        for _ in range(args.repeats):
            grader = None  # the last repeat's chart and grades gone: each starts alike
            gc.collect()
            rows, seconds = timed(lambda: floor_read(path, patient_id))
            floor["read"].append(seconds)
            _, seconds = timed(lambda r=rows: floor_grade(r))
            floor["grade"].append(seconds)
            _, seconds = timed(gc.collect)
            floor["gc"].append(seconds)
            del rows
            gc.collect()

            with ChartStore(path) as store:
                chart, seconds = timed(lambda s=store: s.observations(patient_id, lean=True))
            ours["read"].append(seconds)
            grader = Grader()
            _, seconds = timed(lambda g=grader, c=chart: g.add(c))
            ours["grade"].append(seconds)
            _, seconds = timed(gc.collect)  # what add() deferred
            ours["gc"].append(seconds)
            values = len(chart)
            del chart
        figures: dict[str, object] = {"values": values, "time_points": MINUTES + 1}
        for step in ("read", "grade", "gc"):
            mine, least = statistics.median(ours[step]), statistics.median(floor[step])
            figures[f"{step}_s"] = round(mine, 3)
            figures[f"{step}_floor_s"] = round(least, 3)
            figures[f"{step}_ratio"] = round(mine / least, 2)
            figures[f"{step}_s_each"] = [round(s, 3) for s in ours[step]]
        mine = statistics.median(sum(x) for x in zip(*ours.values(), strict=True))
        least = statistics.median(sum(x) for x in zip(*floor.values(), strict=True))
        figures.update(total_s=round(mine, 3), total_floor_s=round(least, 3))
        figures["total_ratio"] = round(mine / least, 2)
        assert grader is not None
        figures.update(bench_updates(grader, values + 10))
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
