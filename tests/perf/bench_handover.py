"""Handover benchmark: prints one JSON line of measured figures.

    python tests/perf/bench_handover.py [--runs 5]

A patient infused 30 days ago with one-minute vitals ever since (6 series x 43,200
minutes = 259,200 rows, filled the way tests/perf/bench_store.py fills its load
test), ACVPU every 4 h (so NEWS2 is scored at every minute), a few drugs and
checklist marks in the last shift. The 12-hour shift ending at the last value is
printed. Medians of --runs, all in one run:

- command_ms: `crs-desktop handover` as its own process (start-up, imports, Qt, the
  damage check, gathering, drawing, saving its checkpoint), wall time, the way a
  nurse prints it: the previous shift's handover was printed before (so the grade
  checkpoint it kept is in the file; the file is put back as it was before each run);
- floor_ms: a Python process that imports the same Qt PDF writer, makes the same
  QGuiApplication and draws one page of the same size (60 lines of text) into a PDF,
  alternated with the command; ratio = command_ms / floor_ms; and the CPU time
  (user + system) of both children, steadier under load (command_cpu_ms, floor_cpu_ms);
- command_cold_ms: the command on the file with no checkpoint at all (the first
  handover ever printed from it: it grades the whole chart, and keeps a checkpoint);
- the split, each measured in this process the way the command does it:
  imports_ms (a process that imports what the command imports, less its own start:
  `python -c pass` is subtracted), open_ms (ChartStore read-only, as the command opens
  it), damage_check_ms (check_damage: the command runs it in a thread beside gathering,
  so it costs wall time only where no second core is free), gather_ms (build_handover from the checkpoint), gather_whole_ms (the same
  without one: reading and grading the whole chart), render_ms
  (write_handover_pdf), keep_ms (saving the next checkpoint).

Measured on whatever machine runs it: under load, report it as such.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_store import insert_vitals  # noqa: E402

from crs_desktop.store import ChartStore, Entry  # noqa: E402

MINUTES = 30 * 24 * 60
HOUR = 3600.0

FLOOR = """
import os, sys
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QFont, QGuiApplication, QPageSize, QPainter, QPdfWriter
app = QGuiApplication(["floor"])
writer = QPdfWriter(sys.argv[1])
writer.setPageSize(QPageSize(QPageSize.PageSizeId.A4))
painter = QPainter(writer)
painter.setFont(QFont("DejaVu Sans", 9))
for i in range(60):
    painter.drawText(QRectF(0, i * 150, 9000, 140), Qt.AlignmentFlag.AlignLeft,
                     f"line {i}: 38.9 °C, 86/50 mmHg, nasal cannula 3 L/min, NEWS2 7")
painter.end()
"""

IMPORTS = (
    "import os; os.environ.setdefault('QT_QPA_PLATFORM', 'offscreen'); "
    "import crs_desktop.cli, crs_desktop.commands.handover, crs_desktop.commands.common, "
    "crs_desktop.app.protocol_file, crs_desktop.report.handover_data, "
    "crs_desktop.report.render, crs_desktop.store.grade_checkpoints, PySide6.QtGui"
)


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
    insert_vitals(store.conn, patient.id, base, MINUTES)
    last = base + (MINUTES - 1) * 60
    store.chart(patient.id, [Entry("o2_device", "room_air")], observed_at=base - 60, actor="bench")
    # The monitor charts the vitals; a nurse charts ACVPU every 4 h, so NEWS2 is scored
    # (with its reasons) at every minute instead of left unscored.
    for at in range(int(base), int(last) + 1, 4 * 3600):
        store.chart(patient.id, [Entry("acvpu", "A")], observed_at=at, actor="bench")
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


CPU: dict[int, list[float]] = {}  # id of a list of wall times -> the children's CPU times


def wall(argv: list[str], into: list[float] | None = None) -> float:
    """Wall time of one child process; its own CPU time (user + system, from os.wait4:
    steadier than wall time on a machine others are using) is noted beside `into`."""
    t0 = time.perf_counter()
    child = subprocess.Popen(argv, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _pid, status, usage = os.wait4(child.pid, 0)
    took = time.perf_counter() - t0
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode:
        raise SystemExit(
            f"{argv[:4]} failed: {child.stderr.read().decode() if child.stderr else ''}"
        )
    if child.stderr:
        child.stderr.close()
    if into is not None:
        into.append(took)
        CPU.setdefault(id(into), []).append(usage.ru_utime + usage.ru_stime)
    return took


def command(db: Path, start: float, end: float, out: Path) -> list[str]:
    def iso(epoch: float) -> str:
        return time.strftime("%Y-%m-%dT%H:%M:%S", time.localtime(epoch))

    return [
        sys.executable,
        "-m",
        "crs_desktop",
        "handover",
        "--db",
        str(db),
        "--patient",
        "BENCH-30D",
        "--from",
        iso(start),
        "--to",
        iso(end),
        "-o",
        str(out),
        "--force",  # the same file each round: an output is never replaced without it
    ]


def copy_chart(source: Path, target: Path) -> None:
    """A consistent copy of the chart file (its WAL included), replacing `target`."""
    for suffix in ("", "-wal", "-shm"):
        Path(f"{target}{suffix}").unlink(missing_ok=True)
    with sqlite3.connect(source) as src, sqlite3.connect(target) as dst:
        src.backup(dst)
    # On disk before the run: else the command's first fsync (saving its checkpoint)
    # would write out the whole copy just made, which a real chart file never asks.
    os.sync()


def split(
    db: Path, plain: Path, patient_id: int, start: float, end: float, pdf: Path
) -> dict[str, float]:
    """The command's parts, in this process, the way it does them (median of 3)."""
    from PySide6.QtGui import QGuiApplication

    from crs_desktop.app.protocol_file import load_protocol
    from crs_desktop.report.handover_data import build_handover
    from crs_desktop.report.render import write_handover_pdf
    from crs_desktop.store.grade_checkpoints import save_checkpoint

    app = QGuiApplication.instance() or QGuiApplication([])  # noqa: F841  (kept alive)
    protocol, _ = load_protocol(None)
    from crs_desktop.store.database import check_damage

    parts: dict[str, list[float]] = {
        "open": [],
        "damage_check": [],
        "gather": [],
        "gather_whole": [],
        "render": [],
        "keep": [],
    }
    for _ in range(3):
        gc.collect()
        t0 = time.perf_counter()
        store = ChartStore(db, read_only=True, verify=False)  # as the command opens it
        parts["open"].append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        check_damage(db)  # the command runs it in a thread beside gathering
        parts["damage_check"].append(time.perf_counter() - t0)
        kept: list = []
        t0 = time.perf_counter()
        data = build_handover(
            store,
            patient_id,
            start,
            end,
            printed_by="b",
            now=end,
            protocol=protocol,
            checkpoints=kept,
        )
        parts["gather"].append(time.perf_counter() - t0)
        store.close()
        t0 = time.perf_counter()
        write_handover_pdf(data, pdf)
        parts["render"].append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        with ChartStore(db, verify=False) as writable:
            writable.verified = True  # as the command: checked by its read-only open
            for checkpoint in kept:
                save_checkpoint(writable, checkpoint)
        parts["keep"].append(time.perf_counter() - t0)
        with sqlite3.connect(db) as conn:  # back as it was: the previous shift's only
            conn.execute("DELETE FROM grade_checkpoints WHERE at >= ?", (start - 3600,))
        with ChartStore(plain, read_only=True) as store:  # no checkpoint: the whole chart
            gc.collect()
            t0 = time.perf_counter()
            build_handover(
                store, patient_id, start, end, printed_by="b", now=end, protocol=protocol
            )
            parts["gather_whole"].append(time.perf_counter() - t0)
    return {f"{name}_ms": median_ms(samples) for name, samples in parts.items()}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        plain = folder / "plain.sqlite3"  # no checkpoint
        patient_id, last = fill(plain)
        end = last + 60
        start = end - 12 * HOUR
        pdf = folder / "cmd.pdf"

        # The previous shift's handover keeps its checkpoint in `printed`.
        printed = folder / "printed.sqlite3"
        copy_chart(plain, printed)
        subprocess.run(command(printed, start - 12 * HOUR, start, pdf), check=True, cwd=ROOT)
        with sqlite3.connect(printed) as conn:
            (kept,) = conn.execute("SELECT count(*) FROM grade_checkpoints").fetchone()
        if kept != 1:
            raise SystemExit(f"the previous shift's handover kept {kept} checkpoints, not 1")

        db = folder / "bench.sqlite3"
        cold, warm, floor = [], [], []
        for _ in range(args.runs):
            copy_chart(plain, db)
            wall(command(db, start, end, pdf), cold)
            copy_chart(printed, db)
            wall(command(db, start, end, pdf), warm)
            wall([sys.executable, "-c", FLOOR, str(folder / "floor.pdf")], floor)
        imports = [wall([sys.executable, "-c", IMPORTS]) for _ in range(3)]
        bare = [wall([sys.executable, "-c", "pass"]) for _ in range(3)]

        copy_chart(printed, db)
        parts = split(db, plain, patient_id, start, end, pdf)
        with sqlite3.connect(plain) as conn:
            (rows,) = conn.execute("SELECT count(*) FROM observations").fetchone()
    print(
        json.dumps(
            {
                "rows": rows,
                "command_ms": median_ms(warm),
                "floor_ms": median_ms(floor),
                "ratio": round(statistics.median(warm) / statistics.median(floor), 2),
                "command_cpu_ms": median_ms(CPU[id(warm)]),
                "floor_cpu_ms": median_ms(CPU[id(floor)]),
                "cpu_ratio": round(
                    statistics.median(CPU[id(warm)]) / statistics.median(CPU[id(floor)]), 2
                ),
                "command_cold_ms": median_ms(cold),
                "python_start_ms": median_ms(bare),
                "imports_ms": round(median_ms(imports) - median_ms(bare), 1),
                **parts,
            }
        )
    )


if __name__ == "__main__":
    main()
