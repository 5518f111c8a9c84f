"""Store benchmark: prints one JSON line of measured figures.

    python tests/perf/bench_store.py [--rows 259200] [--writes 4000] [--repeats 3]

Every floor uses the app's own schema (the same tables, columns and indexes, made
by the store's migrations) and the store's pragmas (WAL, synchronous=FULL, foreign
keys on), and runs in the same run as what it is compared with:

- single committed writes per second through ChartStore.chart (validation,
  the row, its audit row, one transaction) against raw sqlite3 inserting and
  committing one row at a time;
- `crs-desktop import` of a 30-day CSV of one-minute vitals (259,200 rows) as its
  own process (start-up, reading, checking and inserting: the whole command)
  against a floor process doing csv.reader + executemany into the same schema
  (each time parsed once with datetime.fromisoformat, each value with float(),
  so the floor writes the same columns with the same types). Wall time of each
  whole process, and its peak memory: the child's own maximum resident set size
  over its whole life (os.wait4's rusage ru_maxrss, one child per case). Floor and
  command alternate --repeats times; medians, and the ratio of the medians. Also
  each child's own CPU time (user + system, from os.wait4), steadier than wall
  time on a machine others are using;
- loading 30 days of one-minute vitals (6 series, 259,200 rows) into numpy
  arrays with ChartStore.series.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from crs_desktop.interop.chart_csv import ExportRow, write_chart_csv  # noqa: E402
from crs_desktop.store import ChartStore, Entry  # noqa: E402

VITALS = ("temperature", "heart_rate", "systolic_bp", "diastolic_bp", "spo2", "resp_rate")
BASE = time.time() - 40 * 24 * 3600

RAW_INSERT = (
    "INSERT INTO observations (patient_id, item, observed_at, utc_offset_min, recorded_at, value, "
    "text, unit, written_value, written_unit, note, extreme, charted_by, source, status) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'final')"
)


def insert_vitals(conn: sqlite3.Connection, patient_id: int, base: float, minutes: int) -> None:
    """One set of the six vitals a minute from `base`, straight into the observations
    table in one transaction (the benches' long chart, written the fast way)."""
    conn.execute("BEGIN")
    conn.executemany(
        RAW_INSERT,
        (
            (
                patient_id,
                item,
                base + m * 60,
                0,
                base,
                float(vital_value(item, m)),
                None,
                "",
                vital_value(item, m),
                "",
                "",
                0,
                "bench",
                "bench",
            )
            for m in range(minutes)
            for item in VITALS
        ),
    )
    conn.execute("COMMIT")


def app_schema(path: Path) -> None:
    """An empty store file with the app's schema (its migrations), and one patient (id 1)."""
    with ChartStore(path) as store:
        store.create_patient("B-1", "Bench", actor="bench")


def raw_connection(path: Path) -> sqlite3.Connection:
    """Plain sqlite3 on a file with the app's schema, with the store's pragmas."""
    app_schema(path)
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = FULL")
    conn.execute("PRAGMA foreign_keys = ON")
    return conn


def vital_value(item: str, i: int) -> str:
    wobble = (i * 7919) % 100 / 100
    return {
        "temperature": f"{36.5 + 2 * wobble:.1f}",
        "heart_rate": str(70 + int(40 * wobble)),
        "systolic_bp": str(95 + int(40 * wobble)),
        "diastolic_bp": str(55 + int(25 * wobble)),
        "spo2": str(92 + int(7 * wobble)),
        "resp_rate": str(12 + int(10 * wobble)),
    }[item]


def bench_single_writes(folder: Path, count: int) -> dict[str, float]:
    """Alternate blocks of ours and raw, so drift in the disk's fsync time hits both alike."""
    store = ChartStore(folder / "single.sqlite3")
    patient = store.create_patient("B-1", "Bench", actor="bench")
    conn = raw_connection(folder / "single-raw.sqlite3")
    ours_s = raw_s = 0.0
    block = 250
    for first in range(0, count, block):
        numbers = range(first, min(first + block, count))
        start = time.perf_counter()
        for i in numbers:
            store.chart(
                patient.id,
                [Entry("heart_rate", str(60 + i % 60))],
                observed_at=BASE + i,
                actor="bench",
            )
        ours_s += time.perf_counter() - start
        start = time.perf_counter()
        for i in numbers:
            conn.execute("BEGIN IMMEDIATE")
            conn.execute(
                RAW_INSERT,
                (
                    1,
                    "heart_rate",
                    BASE + i,
                    0,
                    time.time(),
                    60.0 + i % 60,
                    None,
                    "/min",
                    str(60 + i % 60),
                    "",
                    "",
                    0,
                    "bench",
                    "manual",
                ),
            )
            conn.execute("COMMIT")
        raw_s += time.perf_counter() - start
    store.close()
    conn.close()
    ours, raw = count / ours_s, count / raw_s
    return {
        "single_writes_per_s": round(ours),
        "raw_single_writes_per_s": round(raw),
        "single_write_ratio": round(ours / raw, 3),
    }


def make_csv(path: Path, rows: int) -> None:
    def export_rows():
        for i in range(rows):
            item = VITALS[i % len(VITALS)]
            yield ExportRow(BASE + (i // len(VITALS)) * 60, 0, item, vital_value(item, i), "", "")

    with path.open("w", encoding="utf-8", newline="") as handle:
        write_chart_csv(export_rows(), handle)


# The floor: csv.reader + executemany into the same schema with the same pragmas,
# each time parsed once and each value read as a number.
FLOOR_IMPORT = """
import csv, sqlite3, sys, time
from datetime import datetime
db, path, insert = sys.argv[1:4]
conn = sqlite3.connect(db, isolation_level=None)
conn.execute("PRAGMA journal_mode = WAL")
conn.execute("PRAGMA synchronous = FULL")
conn.execute("PRAGMA foreign_keys = ON")
now = time.time()
times = {}
def epoch(text):
    found = times.get(text)
    if found is None:
        found = times[text] = datetime.fromisoformat(text).timestamp()
    return found
with open(path, encoding="utf-8", newline="") as handle:
    reader = csv.reader(handle)
    next(reader)
    conn.execute("BEGIN IMMEDIATE")
    conn.executemany(insert, (
        (1, item, epoch(t), 0, now, float(v), None, u, v, u, n, 0, "bench", "import")
        for t, item, v, u, n in reader
    ))
    conn.execute("COMMIT")
conn.close()
"""


# Put before each child's program: at exit it writes its peak resident memory (VmHWM,
# the high-water mark of this program since exec) to the file named by BENCH_PEAK.
# Not ru_maxrss: Linux counts in it the bench's own memory, inherited across the
# fork before exec.
PEAK_HOOK = """
import atexit, os
def _peak():
    with open("/proc/self/status") as status, open(os.environ["BENCH_PEAK"], "w") as out:
        out.write(next(l for l in status if l.startswith("VmHWM:")).split()[1])
atexit.register(_peak)
"""
COMMAND = (
    PEAK_HOOK
    + """
import runpy, sys
sys.argv = ["crs-desktop", *sys.argv[1:]]
runpy.run_module("crs_desktop", run_name="__main__")
"""
)


def run_child(code: str, args: list[str], peak_file: Path) -> tuple[float, float, float]:
    """(wall s, CPU s, peak resident MiB) of one child process over its whole life."""
    # From the repository root, so crs_desktop is this checkout's code.
    env = {**os.environ, "PYTHONPATH": str(ROOT), "BENCH_PEAK": str(peak_file)}
    errors = peak_file.with_suffix(".err")
    with errors.open("wb") as stderr:
        start = time.perf_counter()
        process = subprocess.Popen(
            [sys.executable, "-c", code, *args],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=stderr,
        )
        # wait4: this child's own CPU time (user + system), whatever else the machine runs.
        _, status, usage = os.wait4(process.pid, 0)
        wall = time.perf_counter() - start
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise SystemExit(f"{args[:2]} failed ({process.returncode}): {errors.read_text()}")
    cpu = usage.ru_utime + usage.ru_stime
    return wall, cpu, int(peak_file.read_text()) / 1024  # kB


def count_rows(db: Path) -> int:
    conn = sqlite3.connect(db)
    try:
        return int(conn.execute("SELECT count(*) FROM observations").fetchone()[0])
    finally:
        conn.close()


def bench_import(folder: Path, rows: int, repeats: int) -> dict[str, float]:
    csv_path = folder / "import.csv"
    make_csv(csv_path, rows)
    base = folder / "import-base.sqlite3"
    app_schema(base)
    ours: list[tuple[float, float]] = []
    floor: list[tuple[float, float]] = []
    for k in range(repeats):
        floor_db, ours_db = folder / f"floor{k}.sqlite3", folder / f"ours{k}.sqlite3"
        shutil.copy(base, floor_db)
        shutil.copy(base, ours_db)
        peak = folder / "peak"
        floor.append(
            run_child(PEAK_HOOK + FLOOR_IMPORT, [str(floor_db), str(csv_path), RAW_INSERT], peak)
        )
        ours.append(
            run_child(
                COMMAND,
                [
                    "import",
                    str(csv_path),
                    "--patient",
                    "B-1",
                    "--db",
                    str(ours_db),
                    "--by",
                    "bench",
                ],
                peak,
            )
        )
        # Both did the whole work.
        assert count_rows(floor_db) == count_rows(ours_db) == rows, (floor_db, ours_db)
    ours_s, ours_cpu, ours_mib = (statistics.median(x) for x in zip(*ours, strict=True))
    floor_s, floor_cpu, floor_mib = (statistics.median(x) for x in zip(*floor, strict=True))
    return {
        "import_rows": rows,
        "import_command_s": round(ours_s, 3),
        "import_floor_s": round(floor_s, 3),
        "import_wall_ratio": round(ours_s / floor_s, 3),
        "import_command_s_each": [round(w, 3) for w, _, _ in ours],
        "import_floor_s_each": [round(w, 3) for w, _, _ in floor],
        "import_command_cpu_s": round(ours_cpu, 3),
        "import_floor_cpu_s": round(floor_cpu, 3),
        "import_cpu_ratio": round(ours_cpu / floor_cpu, 3),
        "import_peak_mib": round(ours_mib, 1),
        "import_floor_peak_mib": round(floor_mib, 1),
        "import_peak_ratio": round(ours_mib / floor_mib, 3),
    }


def bench_load(folder: Path) -> dict[str, float]:
    minutes = 30 * 24 * 60
    store = ChartStore(folder / "load.sqlite3")
    patient = store.create_patient("B-3", "Bench", actor="bench")
    conn = store.conn
    insert_vitals(conn, patient.id, BASE, minutes)
    store.close()

    timings = []
    for _ in range(5):
        store = ChartStore(folder / "load.sqlite3")
        start = time.perf_counter()
        arrays = {item: store.series(patient.id, item) for item in VITALS}
        timings.append((time.perf_counter() - start) * 1000)
        store.close()
    total = sum(len(t) for t, _ in arrays.values())
    return {
        "load_30d_rows": total,
        "load_30d_ms_median": round(sorted(timings)[2], 1),
        "load_30d_ms_first": round(timings[0], 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=30 * 24 * 60 * len(VITALS))
    parser.add_argument("--writes", type=int, default=4000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        figures: dict[str, float] = {}
        figures.update(bench_single_writes(folder, args.writes))
        figures.update(bench_import(folder, args.rows, args.repeats))
        figures.update(bench_load(folder))
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
