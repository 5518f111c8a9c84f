"""Store benchmark: prints one JSON line of measured figures.

    python tests/perf/bench_store.py [--rows 1000000] [--writes 2000]

- single committed writes per second through ChartStore.chart (validation,
  the row, its audit row, one transaction) against raw sqlite3 inserting and
  committing one row at a time with the same pragmas (WAL, synchronous=FULL);
- a 1,000,000-row import: ChartStore.import_rows of validated rows against raw
  sqlite3 executemany of the same tuples; and the whole CSV path (read,
  validate, insert) against raw csv-module parsing plus executemany;
- loading 30 days of one-minute vitals (6 series, 259,200 rows) into numpy
  arrays with ChartStore.series.
"""

from __future__ import annotations

import argparse
import csv
import json
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from crs_desktop.interop.chart_csv import ExportRow, read_chart_csv, write_chart_csv  # noqa: E402
from crs_desktop.store import ChartStore, Entry  # noqa: E402

VITALS = ("temperature", "heart_rate", "systolic_bp", "diastolic_bp", "spo2", "resp_rate")
BASE = time.time() - 40 * 24 * 3600

RAW_SCHEMA = (
    "CREATE TABLE observations (id INTEGER PRIMARY KEY, patient_id INTEGER, item TEXT, "
    "observed_at REAL, utc_offset_min INTEGER, recorded_at REAL, value REAL, text TEXT, "
    "unit TEXT, written_value TEXT, written_unit TEXT, note TEXT, extreme INTEGER, "
    "charted_by TEXT, source TEXT, status TEXT)"
)
RAW_INSERT = (
    "INSERT INTO observations (patient_id, item, observed_at, utc_offset_min, recorded_at, value, "
    "text, unit, written_value, written_unit, note, extreme, charted_by, source, status) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'final')"
)


def raw_connection(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = FULL")
    conn.execute(RAW_SCHEMA)
    conn.execute("CREATE INDEX ix ON observations (patient_id, item, observed_at)")
    conn.execute("CREATE INDEX ix2 ON observations (patient_id, observed_at)")
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
                patient.id, [Entry("heart_rate", str(60 + i % 60))], observed_at=BASE + i,
                actor="bench",
            )
        ours_s += time.perf_counter() - start
        start = time.perf_counter()
        for i in numbers:
            conn.execute("BEGIN IMMEDIATE")
            conn.execute(
                RAW_INSERT,
                (1, "heart_rate", BASE + i, 0, time.time(), 60.0 + i % 60, None, "/min",
                 str(60 + i % 60), "", "", 0, "bench", "manual"),
            )
            conn.execute("COMMIT")
        raw_s += time.perf_counter() - start
    store.close()
    conn.close()
    ours, raw = count / ours_s, count / raw_s
    return {"single_writes_per_s": round(ours), "raw_single_writes_per_s": round(raw),
            "single_write_ratio": round(ours / raw, 3)}


def make_csv(path: Path, rows: int) -> None:
    def export_rows():
        for i in range(rows):
            item = VITALS[i % len(VITALS)]
            yield ExportRow(BASE + (i // len(VITALS)) * 60, 0, item, vital_value(item, i), "", "")

    with path.open("w", encoding="utf-8", newline="") as handle:
        write_chart_csv(export_rows(), handle)


def bench_import(folder: Path, rows: int) -> dict[str, float]:
    csv_path = folder / "import.csv"
    make_csv(csv_path, rows)

    start = time.perf_counter()
    parsed = read_chart_csv(csv_path)
    read_s = time.perf_counter() - start
    store = ChartStore(folder / "import.sqlite3")
    patient = store.create_patient("B-2", "Bench", actor="bench")
    start = time.perf_counter()
    store.import_rows(patient.id, parsed, actor="bench")
    insert_s = time.perf_counter() - start
    store.close()

    tuples = [
        (
            1,
            r.item,
            r.time,
            r.utc_offset_min,
            0.0,
            r.valid.value,
            r.valid.text,
            r.valid.unit,
            r.valid.written_value,
            r.valid.written_unit,
            r.note,
            0,
            "bench",
            "import",
        )
        for r in parsed
    ]
    conn = raw_connection(folder / "import-raw.sqlite3")
    start = time.perf_counter()
    conn.execute("BEGIN")
    conn.executemany(RAW_INSERT, tuples)
    conn.execute("COMMIT")
    raw_insert_s = time.perf_counter() - start
    conn.close()

    # The whole path: raw csv parsing (no validation) plus executemany.
    conn = raw_connection(folder / "import-raw2.sqlite3")
    start = time.perf_counter()
    with csv_path.open(encoding="utf-8", newline="") as handle:
        reader = csv.reader(handle)
        next(reader)
        conn.execute("BEGIN")
        conn.executemany(
            RAW_INSERT,
            (
                (1, item, t, 0, 0.0, float(v), None, "", v, u, n, 0, "bench", "import")
                for t, item, v, u, n in reader
            ),
        )
        conn.execute("COMMIT")
    raw_full_s = time.perf_counter() - start
    conn.close()
    return {
        "import_rows": rows,
        "import_insert_s": round(insert_s, 3),
        "raw_executemany_s": round(raw_insert_s, 3),
        "import_insert_ratio": round(raw_insert_s / insert_s, 3),
        "import_csv_read_validate_s": round(read_s, 3),
        "import_full_csv_s": round(read_s + insert_s, 3),
        "raw_full_csv_s": round(raw_full_s, 3),
        "import_full_csv_ratio": round(raw_full_s / (read_s + insert_s), 3),
    }


def bench_load(folder: Path) -> dict[str, float]:
    minutes = 30 * 24 * 60
    store = ChartStore(folder / "load.sqlite3")
    patient = store.create_patient("B-3", "Bench", actor="bench")
    conn = store.conn
    conn.execute("BEGIN")
    conn.executemany(
        RAW_INSERT.replace("'final')", "'final')"),
        (
            (
                patient.id,
                item,
                BASE + m * 60,
                0,
                BASE,
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
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--writes", type=int, default=4000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        figures: dict[str, float] = {}
        figures.update(bench_single_writes(folder, args.writes))
        figures.update(bench_import(folder, args.rows))
        figures.update(bench_load(folder))
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
