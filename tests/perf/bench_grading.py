"""Grading benchmark: prints one JSON line of measured figures.

    python tests/perf/bench_grading.py

A 30-day chart of one-minute vitals (6 series × 43,200 minutes ≈ 259,200
values) graded at every time point by all five systems, then the cost of one
incremental update at the end (a new set of vitals) and of one back-dated value.
"""

from __future__ import annotations

import json
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from crs_desktop.domain.grading import Grader  # noqa: E402
from crs_desktop.domain.observation import Observation  # noqa: E402

MINUTES = 30 * 24 * 60
BASE = 1_790_000_000.0


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
        Observation(t, item, value, id=next_id + k) for k, (item, value) in enumerate(values.items())
    ]


def main() -> None:
    chart: list[Observation] = []
    for minute in range(MINUTES):
        chart += vitals(minute, len(chart))
    chart.append(Observation(BASE - 60, "o2_device", None, "room_air", id=len(chart)))
    chart.append(Observation(BASE - 60, "acvpu", None, "A", id=len(chart)))
    chart.sort(key=lambda o: o.time)

    grader = Grader()
    start = time.perf_counter()
    grader.add(chart)
    whole_s = time.perf_counter() - start

    appends = []
    next_id = len(chart)
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

    print(json.dumps({
        "values": len(chart),
        "time_points": MINUTES + 1,
        "whole_timeline_s": round(whole_s, 3),
        "append_ms_median": round(statistics.median(appends), 3),
        "append_ms_p95": round(sorted(appends)[int(len(appends) * 0.95)], 3),
        "backdated_ms_median": round(statistics.median(backdated), 2),
    }))


if __name__ == "__main__":
    main()
