"""Real processes writing into one chart store: killed mid-stream, and several at once;
on a SQLite file and on the ward server (PostgreSQL), the same tests."""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from crs_desktop.store import ChartStore

ROOT = Path(__file__).resolve().parent.parent


def start_writer(db, mrn, count, tag, go_file=None, pause=0.0, seconds=0.0):
    env = dict(os.environ, PYTHONPATH=str(ROOT), WRITER_PAUSE_S=str(pause))
    env["WRITER_SECONDS"] = str(seconds)
    extra = [str(go_file)] if go_file else []
    return subprocess.Popen(
        [sys.executable, "-m", "tests.support.writer", str(db), mrn, str(count), tag, *extra],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


@pytest.fixture
def chart_file(store_target):
    """The shared store: a SQLite file, then a database on the server (conftest.py)."""
    with ChartStore(store_target) as store:
        store.create_patient("MRN-W", "Writer, Test", actor="setup")
    return store_target


def on_server(db) -> bool:
    return isinstance(db, str)


def notes_in(db):
    with ChartStore(db) as store:
        return {row[0]: row[1] for row in store.conn.execute("SELECT id, note FROM observations")}


def check_intact(db):
    if on_server(db):  # the server keeps its own pages: every row reads back, in order
        with ChartStore(db) as store:
            assert store.conn.execute("SELECT count(*) FROM observations").fetchone()[0] >= 0
        return
    conn = sqlite3.connect(db)
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    conn.close()


def test_every_reported_value_survives_sigkill(chart_file):
    rng = random.Random(20261124)
    reported: dict[int, str] = {}
    rounds = 50 if on_server(chart_file) else 6  # the server: a writer killed 50 times
    for round_number in range(rounds):
        writer = start_writer(chart_file, "MRN-W", 1_000_000, f"k{round_number}")
        stop_after = rng.randint(5, 120)
        seen = 0
        for line in writer.stdout:
            _, row_id, note = line.split()
            reported[int(row_id)] = note
            seen += 1
            if seen >= stop_after:
                break
        writer.send_signal(signal.SIGKILL)  # mid-stream: it is writing the next value
        writer.wait(timeout=30)
        # Anything it printed before it died was committed, and so must be there.
        for line in writer.stdout.read().splitlines():
            _, row_id, note = line.split()
            reported[int(row_id)] = note
        writer.stdout.close()
        writer.stderr.close()
        stored = notes_in(chart_file)
        missing = {i: n for i, n in reported.items() if stored.get(i) != n}
        assert not missing, f"round {round_number}: committed values lost: {missing}"
        check_intact(chart_file)
    assert len(reported) >= rounds * 5
    with ChartStore(chart_file) as store:  # a killed write left no half of itself
        audited = {
            i for a in store.audit_rows() if a["action"] == "chart" for i in a["detail"]["rows"]
        }
        assert audited == set(notes_in(chart_file))


def test_two_writers_at_once_lose_nothing(chart_file, tmp_path):
    count = 400
    go = tmp_path / "go"
    writers = [
        start_writer(chart_file, "MRN-W", count, tag, go, pause=0.002) for tag in ("left", "right")
    ]
    for writer in writers:
        assert writer.stdout.readline().strip() == "ready"
    go.touch()  # both start writing at the same moment
    outputs = [w.communicate(timeout=300) for w in writers]
    for writer, (out, err) in zip(writers, outputs, strict=True):
        assert writer.returncode == 0, err
        assert "locked" not in err.lower() and "busy" not in err.lower()
        assert len(out.splitlines()) == count
    by_id = notes_in(chart_file)
    # They really did write at the same time: the two streams interleave.
    order = [by_id[i].split("-")[0] for i in sorted(by_id)]
    switches = sum(1 for a, b in zip(order, order[1:], strict=False) if a != b)
    assert switches >= 10, f"writers did not overlap ({switches} switches)"
    stored = set(by_id.values())
    expected = {f"{tag}-{i}" for tag in ("left", "right") for i in range(count)}
    assert expected <= stored
    with ChartStore(chart_file) as store:
        audit = [a for a in store.audit_rows() if a["action"] == "chart"]
        assert len(audit) == 2 * count  # every write has its audit row


@pytest.fixture
def server_chart(pg_cluster):
    """A database on the server with the writers' patient (the SQLite file's writers are
    test_two_writers_at_once_lose_nothing: one machine's processes, not workstations)."""
    target = pg_cluster.new_database()
    with ChartStore(target) as store:
        store.create_patient("MRN-W", "Writer, Test", actor="setup")
    return target


@pytest.mark.slow
def test_four_writers_for_a_minute_lose_and_duplicate_nothing(server_chart, tmp_path):
    """Four workstations charting for a minute on the server: 0 lost, 0 duplicated."""
    chart_file = server_chart
    seconds = float(os.environ.get("CRS_DESKTOP_SOAK_S", "60"))
    go = tmp_path / "go"
    tags = ("a", "b", "c", "d")
    writers = [
        start_writer(chart_file, "MRN-W", 10**7, tag, go, pause=0.002, seconds=seconds)
        for tag in tags
    ]
    for writer in writers:
        assert writer.stdout.readline().strip() == "ready"
    go.touch()
    outputs = [w.communicate(timeout=seconds + 120) for w in writers]
    reported: dict[int, str] = {}
    for writer, (out, err) in zip(writers, outputs, strict=True):
        assert writer.returncode == 0, err
        for line in out.splitlines():
            _, row_id, note = line.split()
            assert int(row_id) not in reported  # an id handed out twice
            reported[int(row_id)] = note
    with ChartStore(chart_file) as store:
        rows = store.conn.execute("SELECT id, note FROM observations").fetchall()
        audit = [a for a in store.audit_rows() if a["action"] == "chart"]
    notes = [note for _, note in rows]
    assert len(notes) == len(set(notes)), "a value charted twice"
    assert dict(rows) == reported, "committed values lost, or values nobody reported"
    assert len(audit) == len(rows)  # every write has its audit row
    assert {n.split("-")[0] for n in notes} == set(tags)
    assert len(rows) >= 4 * 50
