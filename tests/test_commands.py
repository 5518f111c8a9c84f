"""The command line: demo (and --live from its own process), mistakes as one line with exit 2."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from crs_desktop.app.demo_course import DEMO_MRN, course
from crs_desktop.cli import main
from crs_desktop.store import ChartStore

ROOT = Path(__file__).resolve().parent.parent


def test_demo_charts_the_course_up_to_now_and_resets(tmp_path):
    db = tmp_path / "demo.sqlite3"
    assert main(["demo", "--db", str(db), "--until-hour", "62"]) == 0
    with ChartStore(db) as store:
        patient = store.patient(DEMO_MRN)
        rows = store.rows(patient.id)
        assert len(rows) == sum(1 for v in course() if v.hour <= 62)
        assert max(r.observed_at for r in rows) <= time.time()
        assert patient.infusion_time == pytest.approx(
            max(r.observed_at for r in rows) - 62 * 3600, abs=1
        )
        items = {r.item for r in rows}
        assert {"temperature", "fluid_bolus", "tocilizumab", "o2_flow", "crp", "ferritin"} <= items
    # Resetting archives the old demo patient (kept, never deleted) and starts a new one.
    assert main(["demo", "--db", str(db), "--until-hour", "10"]) == 0
    with ChartStore(db) as store:
        assert len(store.patients()) == 1
        new = store.patient(DEMO_MRN)
        assert new.id != patient.id
        assert len(store.rows(patient.id)) == len(rows)


def test_demo_now_places_the_last_value_at_a_given_time(tmp_path, chart_demo, demo_now):
    # The same chart on every run, whatever the time of day (the tests' own demo).
    db = tmp_path / "demo.sqlite3"
    chart_demo(db, 62)
    with ChartStore(db) as store:
        patient = store.patient(DEMO_MRN)
        assert max(r.observed_at for r in store.rows(patient.id)) == demo_now
        assert patient.infusion_time == demo_now - 62 * 3600


def test_demo_now_in_the_future_is_refused_and_nothing_is_charted(tmp_path, capsys):
    db = tmp_path / "demo.sqlite3"
    assert main(["demo", "--db", str(db), "--now", "2999-01-01T08:00"]) == 2
    err = capsys.readouterr().err
    assert "--now '2999-01-01T08:00': is in the future" in err and len(err.splitlines()) == 1
    assert not db.exists()


def test_demo_live_streams_from_its_own_process(tmp_path):
    db = tmp_path / "live.sqlite3"
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "crs_desktop",
            "demo",
            "--live",
            "--speed",
            "400",
            "--until-hour",
            "30",
            "--db",
            str(db),
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert "demo course complete" in proc.stdout
    with ChartStore(db) as store:
        rows = store.rows(store.patient(DEMO_MRN).id)
    assert len(rows) == sum(1 for v in course() if v.hour <= 30)
    # Written as a stream: one transaction per assessment time, not one bulk import.
    assert len({r.recorded_at for r in rows}) > 5


@pytest.mark.parametrize(
    ("argv", "fragment"),
    [
        (["demo", "--speed", "0"], "--speed 0: must be more than 0"),
        (["demo", "--until-hour", "500"], "--until-hour 500: allowed"),
        (["export", "--patient", "NOBODY", "-o", "x.csv"], "--patient 'NOBODY': no patient"),
        (["import", "missing.csv", "--patient", "P"], "cannot read the file"),
    ],
)
def test_mistakes_are_one_line_and_exit_2(tmp_path, capsys, argv, fragment, chart_demo):
    db = tmp_path / "s.sqlite3"
    chart_demo(db, 5)
    capsys.readouterr()
    status = main([*argv, "--db", str(db)])
    err = capsys.readouterr().err
    assert status == 2
    assert fragment in err and "Traceback" not in err
