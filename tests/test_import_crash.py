"""`crs-desktop import` of a 200,000-row file into a new MRN, SIGKILLed again and again:
afterwards the whole file and its patient are in the chart, or neither is."""

from __future__ import annotations

import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from crs_desktop.store import ChartStore

ROOT = Path(__file__).resolve().parent.parent
ROWS = 200_000
ITEMS = ("temperature", "heart_rate", "spo2", "systolic_bp", "resp_rate")
VALUES = ("37.{}", "8{}", "9{}", "11{}", "1{}")
KILLS = 20


def write_big_chart(path: Path) -> None:
    start = datetime(2026, 6, 1, tzinfo=UTC).timestamp()
    lines = ["time,item,value,unit,note"]
    for i in range(ROWS):
        moment = datetime.fromtimestamp(start + (i // 5) * 60, UTC)
        lines.append(
            f"{moment:%Y-%m-%dT%H:%M:%SZ},{ITEMS[i % 5]},{VALUES[i % 5].format(i % 10)},,r{i}"
        )
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def start_import(db: Path, chart: Path, mrn: str) -> subprocess.Popen[bytes]:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.Popen(
        [sys.executable, "-m", "crs_desktop", "import", str(chart), "--patient", mrn],
        cwd=ROOT,
        env={**env, "CRS_DESKTOP_DB": str(db)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def wait_for(process: subprocess.Popen[bytes], ready, timeout: float = 120.0) -> None:
    """Until `ready()` or the process ends (then there is nothing left to kill)."""
    deadline = time.monotonic() + timeout
    while process.poll() is None and not ready():
        assert time.monotonic() < deadline, "the import neither progressed nor ended"
        time.sleep(0.002)


def wal_size(db: Path) -> int:
    try:
        return os.path.getsize(f"{db}-wal")
    except OSError:
        return 0


def chart_of(db: Path, mrn: str) -> tuple[bool, list[str]]:
    """(whether the patient exists, the notes of its rows)."""
    conn = sqlite3.connect(db)
    try:
        found = conn.execute("SELECT id FROM patients WHERE mrn = ?", (mrn,)).fetchone()
        if found is None:
            return False, []
        notes = [
            n for (n,) in conn.execute("SELECT note FROM observations WHERE patient_id = ?", found)
        ]
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        return True, notes
    finally:
        conn.close()


@pytest.mark.slow
def test_a_killed_import_leaves_the_whole_file_and_patient_or_neither(tmp_path):
    chart = tmp_path / "big.csv"
    write_big_chart(chart)
    expected = [f"r{i}" for i in range(ROWS)]
    base = tmp_path / "base.sqlite3"
    with ChartStore(base) as store:
        store.create_patient("OTHER", "Other, Pat", actor="setup")
    base_size = base.stat().st_size

    # One import left to finish: the whole file, and how far the chart file grows.
    full = tmp_path / "full.sqlite3"
    shutil.copy(base, full)
    done = start_import(full, chart, "NEW-0")
    _, err = done.communicate(timeout=300)
    assert done.returncode == 0, err
    assert chart_of(full, "NEW-0") == (True, expected)
    growth = full.stat().st_size - base_size

    rng = random.Random(20261201)
    outcomes = {"neither": 0, "whole": 0}
    killed_writing = 0
    for round_number in range(KILLS):
        db = tmp_path / f"round{round_number}.sqlite3"
        shutil.copy(base, db)
        mrn = f"NEW-{round_number + 1}"
        process = start_import(db, chart, mrn)
        if round_number % 4 == 0:
            # While the file is read and checked (before any write).
            started, after = time.monotonic(), rng.uniform(0.05, 1.5)
            wait_for(process, lambda s=started, a=after: time.monotonic() - s >= a)
        else:
            # While the rows are written: the write-ahead log is filling.
            threshold = rng.uniform(0.02, 0.95) * growth
            wait_for(process, lambda d=db, t=threshold: wal_size(d) >= t)
            killed_writing += process.poll() is None
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=60)
        process.stderr.close()
        exists, notes = chart_of(db, mrn)
        if exists:
            assert notes == expected, f"round {round_number}: {len(notes)} of {ROWS} rows"
            outcomes["whole"] += 1
        else:
            assert notes == []
            outcomes["neither"] += 1
        # The other patient is untouched, and the store opens and reads as before.
        with ChartStore(db) as store:
            assert store.patient("OTHER") is not None
        db.unlink()
        for extra in ("-wal", "-shm"):
            Path(f"{db}{extra}").unlink(missing_ok=True)
    # Most kills landed inside the one write transaction, where a patient created on
    # its own (the old way) would have been left empty.
    assert killed_writing >= KILLS // 2, (killed_writing, outcomes)
