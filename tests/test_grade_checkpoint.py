"""Grade checkpoints: the handover grades from the last one instead of the whole chart,
and prints exactly what grading the whole chart prints (app/grade_checkpoint.py)."""

from __future__ import annotations

import base64
import dataclasses
import json
import sqlite3
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest

from crs_desktop.app.demo_course import DEMO_MRN
from crs_desktop.app.grade_checkpoint import grade_chart, grading_key
from crs_desktop.app.protocol_file import load_protocol
from crs_desktop.cli import main
from crs_desktop.domain.grading import Grader, GradingSettings
from crs_desktop.domain.grading.grade_history import GradeHistory, runs_of
from crs_desktop.domain.grading.grader import HistoryBeforeCheckpoint
from crs_desktop.domain.observation import Observation
from crs_desktop.report.gather_grades import GRADED_SYSTEMS
from crs_desktop.report.gather_plots import MAX_PLOT_POINTS, peak_decimate
from crs_desktop.report.handover_data import build_handover
from crs_desktop.store import ChartStore, Entry
from crs_desktop.store.grade_checkpoints import save_checkpoint

HOUR = 3600.0
T0 = 1_780_000_000.0  # a fixed clock: no test reads the wall clock


@pytest.fixture(autouse=True)
def _qt(qapp):
    return qapp


def _vitals(minute: int) -> list[Entry]:
    """A course with two fever episodes, hypotension, oxygen and neuro findings."""
    hour = minute / 60
    fever = 10 <= hour < 20 or 40 <= hour < 52
    entries = [
        Entry("temperature", "39.1" if fever else "37.2"),
        Entry("heart_rate", "118" if fever else "84"),
        Entry("systolic_bp", "86" if 14 <= hour < 18 or 44 <= hour < 47 else "118"),
        Entry("diastolic_bp", "50" if 14 <= hour < 18 else "70"),
        Entry("resp_rate", "24" if fever else "16"),
        Entry("spo2", "91" if 45 <= hour < 50 else "97"),
    ]
    if minute % 240 == 0:
        entries.append(Entry("acvpu", "C" if 46 <= hour < 48 else "A"))
    if minute % 360 == 0:
        entries.append(Entry("ice_score", "6" if 46 <= hour < 56 else "10"))
    return entries


def make_chart(db: Path, hours: int = 72) -> tuple[int, float]:
    """A patient charted every 20 minutes for `hours`, with drugs and oxygen; returns
    (patient id, time of the last value)."""
    with ChartStore(db, clock=lambda: T0 + hours * HOUR + 60) as store:
        patient = store.create_patient(
            "CP-1", "Checkpoint, Test", actor="t", infusion_time=T0, weight_kg=70.0
        )
        for minute in range(0, hours * 60, 20):
            store.chart(patient.id, _vitals(minute), observed_at=T0 + minute * 60, actor="t")
        for hour, entries in (
            (12, [Entry("paracetamol", "1000")]),
            (16, [Entry("fluid_bolus", "500")]),
            (17, [Entry("tocilizumab", "560")]),
            (45, [Entry("o2_device", "nasal_cannula"), Entry("o2_flow", "3")]),
            (46, [Entry("dexamethasone", "10")]),
            (50, [Entry("o2_device", "room_air")]),
        ):
            if hour < hours:
                store.chart(patient.id, entries, observed_at=T0 + hour * HOUR + 30, actor="t")
    return patient.id, T0 + (hours * 60 - 20) * 60


def handover(db: Path, patient_id: int, start: float, end: float, kept: list | None = None):
    protocol, _ = load_protocol(None)
    with ChartStore(db, read_only=True) as store:
        return build_handover(
            store,
            patient_id,
            start,
            end,
            printed_by="t",
            now=end,
            protocol=protocol,
            checkpoints=kept,
        )


def printed(data) -> dict:
    """Everything the page prints but the plots (drawn from the store, not the grader)."""
    return {
        f.name: getattr(data, f.name)
        for f in dataclasses.fields(data)
        if f.name not in ("shift_plots", "lab_plots")
    }


def keep(db: Path, patient_id: int, start: float, end: float) -> None:
    """A handover of [start, end] that saves its checkpoint, as the command does."""
    kept: list = []
    handover(db, patient_id, start, end, kept)
    assert kept, "a checkpoint for the next handover"
    with ChartStore(db) as store:
        for checkpoint in kept:
            save_checkpoint(store, checkpoint)


def resumed(db: Path, patient_id: int, start: float, end: float) -> float | None:
    """The time of the checkpoint the handover of [start, end] grades from (None: none)."""
    protocol, _ = load_protocol(None)
    with ChartStore(db, read_only=True) as store:
        settings = dataclasses.replace(protocol.grading, news2_scale=1)
        with store.read_snapshot():
            graded = grade_chart(store, patient_id, end, settings, None, GRADED_SYSTEMS, start)
    return graded.grader.resumed_after


def whole(db: Path, patient_id: int, start: float, end: float):
    """The handover graded from the first value: no checkpoint in a copy of the file."""
    copy = db.with_name("whole.sqlite3")
    copy.unlink(missing_ok=True)
    source, target = sqlite3.connect(db), sqlite3.connect(copy)
    source.backup(target)
    target.execute("DELETE FROM grade_checkpoints")
    target.commit()
    source.close()
    target.close()
    return handover(copy, patient_id, start, end)


def test_every_shift_from_a_checkpoint_prints_what_the_whole_chart_prints(tmp_path):
    db = tmp_path / "chart.sqlite3"
    patient_id, last = make_chart(db)
    end = last + 60
    # Shift after shift, each handover keeping the checkpoint the next one starts from.
    for shift in range(1, 6):
        start = T0 + shift * 12 * HOUR
        stop = min(start + 12 * HOUR, end)
        if shift > 1:
            # Kept by the last handover an hour before its end (SETTLED_S): the last
            # value before that, 20 minutes earlier.
            assert resumed(db, patient_id, start, stop) == start - HOUR - 20 * 60
        assert printed(handover(db, patient_id, start, stop)) == printed(
            whole(db, patient_id, start, stop)
        )
        keep(db, patient_id, start, stop)


def test_the_demo_patient_from_a_checkpoint(tmp_path, chart_demo):
    db = tmp_path / "chart.sqlite3"
    chart_demo(db, 62)
    with ChartStore(db) as store:
        patient = store.patient(DEMO_MRN)
    end = patient.infusion_time + 62 * HOUR + 600
    for hours in (38, 26, 14):  # the checkpoints of earlier handovers
        keep(db, patient.id, end - hours * HOUR, end - (hours - 12) * HOUR)
    start = end - 12 * HOUR
    assert resumed(db, patient.id, start, end) is not None
    assert printed(handover(db, patient.id, start, end)) == printed(
        whole(db, patient.id, start, end)
    )


@pytest.mark.parametrize("change", ["correct", "back_date", "at_the_checkpoint"])
def test_a_change_to_the_chart_before_a_checkpoint_stops_its_use(tmp_path, change):
    db = tmp_path / "chart.sqlite3"
    patient_id, last = make_chart(db)
    start, end = T0 + 60 * HOUR, last + 60
    keep(db, patient_id, T0 + 36 * HOUR, T0 + 48 * HOUR)
    keep(db, patient_id, T0 + 48 * HOUR, start)
    newest = resumed(db, patient_id, start, end)
    assert newest == start - HOUR - 20 * 60
    with ChartStore(db, clock=lambda: end) as store:
        if change == "correct":  # a fever of the first episode was not one
            row = store.rows(patient_id, items=["temperature"], since=T0 + 11 * HOUR)[0]
            store.mark_entered_in_error(
                row.id, reason="wrong patient", actor="t", replacement=Entry("temperature", "37")
            )
        elif change == "back_date":  # another workstation charts a value late
            store.chart(
                patient_id, [Entry("systolic_bp", "70")], observed_at=T0 + 30 * HOUR, actor="t"
            )
        else:
            store.chart(patient_id, [Entry("temperature", "40.1")], observed_at=newest, actor="t")
    if change == "at_the_checkpoint":  # the one before it still holds
        assert resumed(db, patient_id, start, end) == T0 + 47 * HOUR - 20 * 60
    else:
        assert resumed(db, patient_id, start, end) is None
    assert printed(handover(db, patient_id, start, end)) == printed(
        whole(db, patient_id, start, end)
    )


def test_values_charted_after_the_checkpoint_are_graded_from_it(tmp_path):
    db = tmp_path / "chart.sqlite3"
    patient_id, last = make_chart(db, hours=60)
    keep(db, patient_id, T0 + 36 * HOUR, T0 + 48 * HOUR)
    with ChartStore(db, clock=lambda: T0 + 80 * HOUR) as store:  # another process charts on
        for minute in range(60 * 60, 72 * 60, 20):
            store.chart(patient_id, _vitals(minute), observed_at=T0 + minute * 60, actor="t")
    start, end = T0 + 60 * HOUR, T0 + 72 * HOUR
    assert resumed(db, patient_id, start, end) == T0 + 47 * HOUR - 20 * 60
    assert printed(handover(db, patient_id, start, end)) == printed(
        whole(db, patient_id, start, end)
    )


def test_a_shift_with_nothing_charted_after_the_checkpoint_is_graded_whole(tmp_path):
    """The grades at its end are the checkpoint's own moment, whose reasons it does not
    hold: the whole chart is graded, to the same page."""
    db = tmp_path / "chart.sqlite3"
    patient_id, last = make_chart(db)
    keep(db, patient_id, last - 10 * HOUR, last + 2 * HOUR)  # kept at the last value
    start, end = last + 2 * HOUR, last + 14 * HOUR
    assert resumed(db, patient_id, start, end) == last
    data = handover(db, patient_id, start, end)
    assert printed(data) == printed(whole(db, patient_id, start, end))
    assert data.grade("astct_crs").reasons  # worded, as ever


@pytest.mark.parametrize("body", ["{}", "not json", '{"patient": 1, "at": 1.0}', "runs"])
def test_a_checkpoint_that_cannot_be_read_is_not_used(tmp_path, body):
    db = tmp_path / "chart.sqlite3"
    patient_id, last = make_chart(db)
    start, end = T0 + 60 * HOUR, last + 60
    keep(db, patient_id, T0 + 48 * HOUR, start)
    with ChartStore(db) as store:
        if body == "runs":  # all there but one column of runs, not what was written
            data = json.loads(
                store.conn.execute("SELECT body FROM grade_checkpoints").fetchone()[0]
            )
            data["runs"]["news2"][0] = base64.b64encode(b"not compressed").decode()
            body = json.dumps(data)
        store.conn.execute("UPDATE grade_checkpoints SET body = ?", (body,))
    assert resumed(db, patient_id, start, end) is None
    assert printed(handover(db, patient_id, start, end)) == printed(
        whole(db, patient_id, start, end)
    )


def test_a_checkpoint_of_other_settings_or_another_patient_is_never_used(tmp_path):
    db = tmp_path / "chart.sqlite3"
    patient_id, last = make_chart(db)
    start, end = T0 + 60 * HOUR, last + 60
    keep(db, patient_id, T0 + 48 * HOUR, start)
    assert resumed(db, patient_id, start, end) is not None
    with ChartStore(db) as store:
        store.update_patient(patient_id, actor="t", news2_scale=2)  # another NEWS2 scale
        other = store.create_patient("CP-2", "Other, Test", actor="t", infusion_time=T0)
        store.conn.execute(
            "INSERT INTO grade_checkpoints (patient_id, grading_key, at, last_row_id, "
            "errors_up_to, error_ids_up_to, made_at, body) SELECT ?, grading_key, at, "
            "last_row_id, errors_up_to, error_ids_up_to, made_at, body FROM grade_checkpoints",
            (other.id,),
        )
    protocol, _ = load_protocol(None)
    scale_2 = dataclasses.replace(protocol.grading, news2_scale=2)
    assert grading_key(scale_2, None, GRADED_SYSTEMS) != grading_key(
        protocol.grading, None, GRADED_SYSTEMS
    )
    with ChartStore(db, read_only=True) as store, store.read_snapshot():
        graded = grade_chart(store, other.id, end, protocol.grading, None, GRADED_SYSTEMS, start)
    assert graded.grader.resumed_after is None  # its chart is not the one graded
    assert printed(handover(db, patient_id, start, end)) == printed(
        whole(db, patient_id, start, end)
    )


def utc(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).isoformat()


def test_the_command_keeps_a_checkpoint_and_prints_the_same_page_from_it(tmp_path):
    db = tmp_path / "chart.sqlite3"
    patient_id, last = make_chart(db)
    end = last + 60

    def command(start: float, stop: float, out: str) -> None:
        argv = ["handover", "--db", str(db), "--patient", "CP-1", "-o", str(tmp_path / out)]
        argv += ["--from", utc(start), "--to", utc(stop)]
        assert main(argv) == 0

    command(end - 24 * HOUR, end - 12 * HOUR, "night.pdf")
    with ChartStore(db, read_only=True) as store:
        (kept,) = store.conn.execute("SELECT count(*) FROM grade_checkpoints").fetchone()
    assert kept == 1
    assert resumed(db, patient_id, end - 12 * HOUR, end) is not None


def test_a_resumed_grader_walks_on_as_the_whole_chart_and_refuses_what_it_cannot_know():
    chart = []
    for minute in range(0, 60 * 60, 20):
        for entry in _vitals(minute):
            number = entry.value if entry.value[0].isdigit() else None
            chart.append(
                Observation(
                    T0 + minute * 60,
                    entry.item,
                    float(number) if number else None,
                    None if number else entry.value,
                )
            )
    full = Grader(GradingSettings(), None, systems=GRADED_SYSTEMS)
    full.add(chart)
    for cut in (T0 + 13 * HOUR + 60, T0 + 45.5 * HOUR, T0 + 47 * HOUR):
        at, state, grades = full.checkpoint(cut)
        runs = runs_of([g for g in full.timeline() if g.time <= at], full.systems, None)
        part = Grader(GradingSettings(), None, systems=GRADED_SYSTEMS)
        part.resume(at, state, grades, GradeHistory(runs))
        part.add(o for o in chart if o.time > at)
        after = [g for g in full.timeline() if g.time > at]
        assert [(g.time, g.systems) for g in part.walked()] == [(g.time, g.systems) for g in after]
        assert part.latest() == full.latest()
        for grade_set in full.timeline():  # the history answers every earlier moment
            if grade_set.time <= at:
                assert part.before(grade_set.time + 1, worded=False).systems == (
                    full.before(grade_set.time + 1, worded=False).systems
                )
        with pytest.raises(HistoryBeforeCheckpoint):
            part.at(at, worded=True)
        with pytest.raises(HistoryBeforeCheckpoint):
            part.timeline()


# -- what the command loads --------------------------------------------------------------


def test_the_handover_command_runs_without_numpy(tmp_path):
    """numpy is 0.1-0.2 s of start-up; the handover draws a few hundred points without it."""
    db = tmp_path / "chart.sqlite3"
    make_chart(db, hours=24)
    probe = f"""
import os, sys
os.environ["QT_QPA_PLATFORM"] = "offscreen"
class Block:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in ("numpy", "pyqtgraph"):
            raise ImportError(name + " is blocked")
sys.meta_path.insert(0, Block())
from crs_desktop.cli import main
sys.exit(main(["handover", "--db", {str(db)!r}, "--patient", "CP-1", "--from",
               {utc(T0 + 10 * HOUR)!r}, "--to", {utc(T0 + 22 * HOUR)!r},
               "-o", {str(tmp_path / "h.pdf")!r}]))
"""
    root = Path(__file__).resolve().parent.parent
    result = subprocess.run([sys.executable, "-c", probe], cwd=root, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "h.pdf").stat().st_size > 0


def _numpy_peak_decimate(t, v, buckets):
    """The decimation as it was written with numpy (b499260), the reference."""
    if len(t) <= 2 * buckets:
        return t, v
    edges = np.linspace(0, len(t), buckets + 1).astype(int)
    keep = []
    for lo, hi in zip(edges[:-1], edges[1:], strict=True):
        if hi <= lo:
            continue
        chunk = v[lo:hi]
        a, b = lo + int(np.argmin(chunk)), lo + int(np.argmax(chunk))
        keep.extend(sorted({a, b}))
    index = np.asarray(keep)
    return t[index], v[index]


@pytest.mark.parametrize("n", [0, 5, 1500, 1501, 1999, 2880, 43_199, 43_200])
def test_plot_thinning_keeps_the_points_numpy_kept(n):
    rng = np.random.default_rng(n)
    t = np.arange(n, dtype=float) * 60.0
    v = np.round(rng.normal(37.5, 0.8, n), 1)  # ties: the first lowest and highest win
    want_t, want_v = _numpy_peak_decimate(t, v, MAX_PLOT_POINTS // 2)
    got_t, got_v = peak_decimate(list(t), list(v), MAX_PLOT_POINTS // 2)
    assert list(got_t) == list(want_t) and list(got_v) == list(want_v)


@pytest.mark.parametrize("page", [3, -3])
def test_a_damaged_chart_prints_no_handover_and_is_named(tmp_path, capsys, page):
    """The damage check runs beside the reading now: still nothing is drawn or kept."""
    db = tmp_path / "chart.sqlite3"
    make_chart(db, hours=24)
    ChartStore(db).close()  # the journal folded into the file
    data = bytearray(db.read_bytes())
    at = page * 4096 if page > 0 else len(data) + page * 4096
    data[at : at + 4096] = b"\xa5" * 4096  # a b-tree page overwritten
    db.write_bytes(bytes(data))
    out = tmp_path / "h.pdf"
    argv = ["handover", "--db", str(db), "--patient", "CP-1", "-o", str(out)]
    assert main([*argv, "--from", utc(T0 + 10 * HOUR), "--to", utc(T0 + 22 * HOUR)]) == 2
    err = capsys.readouterr().err
    assert "damaged" in err and len(err.strip().splitlines()) == 1, err
    assert not out.exists() and db.read_bytes() == bytes(data)
