"""Long generated charts and the demo, graded, as plain JSON: the grade timelines the
grader gave before it was made cheaper (tests/golden/grade_timelines.json.gz), so that a
change to how it holds values can be checked to grade exactly as before.

    python -m tests.support.grade_golden   # rewrite the fixture (only from unchanged rules)

Every chart is made from a seeded random.Random: the same values on every run.
"""

from __future__ import annotations

import gzip
import json
import random
import tempfile
from datetime import UTC
from pathlib import Path
from typing import Any

from crs_desktop.domain.grading import Grader, GradingSettings
from crs_desktop.domain.observation import Observation

FIXTURE = Path(__file__).resolve().parents[1] / "golden" / "grade_timelines.json.gz"
SETTINGS = GradingSettings(alt_uln=40.0, creatinine_uln=100.0)
T0 = 1_790_000_000.0
MINUTE = 60.0
PRESSORS = ("norepinephrine", "epinephrine", "phenylephrine", "dopamine", "vasopressin")
DEVICES = (
    "room_air",
    "blow_by",
    "nasal_cannula",
    "high_flow_nasal_cannula",
    "simple_mask",
    "venturi_mask",
    "non_rebreather",
    "cpap",
    "bipap",
    "mechanical_ventilation",
)
PRESSOR_RATES = {
    "norepinephrine": (0, 5, 20, 30),
    "epinephrine": (0, 5, 10),
    "phenylephrine": (0, 100, 200),
    "dopamine": (0, 350, 700),
    "vasopressin": (0, 0.03),
}


class _Chart:
    """Values with row ids in charting order, the way a store hands them out."""

    def __init__(self) -> None:
        self.values: list[Observation] = []
        self.next_id = 1

    def add(
        self,
        at: float,
        item: str,
        value: float | None = None,
        text: str | None = None,
        note: str = "",
        offset: int = 60,
    ) -> int:
        row_id = self.next_id
        self.next_id += 1
        self.values.append(Observation(at, item, value, text, note, row_id, offset))
        return row_id


def _note(rng: random.Random) -> str:
    return "other_cause: line infection" if rng.random() < 0.08 else ""


def long_chart(seed: int, days: float, step_min: float) -> tuple[list, list, list, list]:
    """(in order, back-dated, ids entered in error, a tail): a course of vitals every
    `step_min` minutes with fever episodes, hypotension, oxygen, vasopressors, drugs,
    neurology, labs, corrections of a value at its own time and back-dated values."""
    rng = random.Random(seed)
    chart = _Chart()
    steps = int(days * 24 * 60 / step_min)
    fever_until = hypo_until = -1
    chart.add(T0 - 3600, "weight", 72.0)
    chart.add(T0 - 3600, "o2_device", text="room_air")
    for k in range(steps):
        at = T0 + k * step_min * MINUTE
        if k > fever_until and rng.random() < 0.01:
            fever_until = k + rng.randint(5, 120)
        if k > hypo_until and rng.random() < 0.006:
            hypo_until = k + rng.randint(3, 60)
        fever = k <= fever_until
        temp = round(rng.uniform(38.0, 40.3) if fever else rng.uniform(36.0, 37.95), 1)
        chart.add(at, "temperature", temp, note=_note(rng) if fever else "")
        chart.add(at, "heart_rate", float(rng.choice((40, 75, 95, 118, 135))))
        low = k <= hypo_until
        sbp = float(rng.choice((80, 86, 89, 95) if low else (90, 104, 120, 135, 225)))
        dbp = float(rng.choice((40, 44, 47, 55) if low else (60, 70, 80)))
        chart.add(at, "systolic_bp", sbp, note=_note(rng) if low else "")
        if rng.random() < 0.9:  # now and then a systolic alone
            chart.add(at, "diastolic_bp", dbp, note=_note(rng) if low else "")
        chart.add(at, "resp_rate", float(rng.choice((8, 12, 16, 22, 26))))
        chart.add(at, "spo2", float(rng.choice((85, 90, 92, 94, 97, 99))))
        if rng.random() < 0.03:
            device = rng.choice(DEVICES)
            chart.add(at, "o2_device", text=device, note=_note(rng))
            if device in ("nasal_cannula", "high_flow_nasal_cannula") and rng.random() < 0.7:
                chart.add(at, "o2_flow", float(rng.choice((0, 2, 5, 6, 7, 15))))
        elif rng.random() < 0.02:
            chart.add(at, "o2_flow", float(rng.choice((0, 2, 5, 6, 7, 15))))
        if rng.random() < 0.02:
            chart.add(at, "fio2", float(rng.choice((21, 30, 39, 40, 60))))
        if rng.random() < 0.02:
            name = rng.choice(PRESSORS)
            chart.add(at, name, float(rng.choice(PRESSOR_RATES[name])), note=_note(rng))
        if rng.random() < 0.008:
            drug, dose = rng.choice(
                (
                    ("paracetamol", 1000.0),
                    ("ibuprofen", 400.0),
                    ("tocilizumab", 560.0),
                    ("dexamethasone", 10.0),
                    ("methylprednisolone", 1000.0),
                    ("anakinra", 100.0),
                )
            )
            chart.add(at, drug, dose)
        if rng.random() < 0.02:
            chart.add(at, "acvpu", text=rng.choice("AAAACVPU"))
        if rng.random() < 0.02:
            chart.add(at, "ice_score", float(rng.choice((0, 2, 3, 6, 7, 9, 10, 10, 10))))
        if rng.random() < 0.01:
            chart.add(
                at,
                "consciousness",
                text=rng.choice(
                    (
                        "alert",
                        "awakens_spontaneously",
                        "awakens_to_voice",
                        "awakens_to_touch",
                        "unarousable",
                    )
                ),
            )
        if rng.random() < 0.004:
            chart.add(
                at,
                rng.choice(("seizure", "motor_weakness", "cerebral_edema")),
                text=rng.choice(
                    ("none", "focal_resolved", "prolonged", "hemiparesis", "focal", "diffuse")
                ),
            )
        if rng.random() < 0.01:
            chart.add(at, "alt", float(rng.choice((30, 130, 250, 900))))
            chart.add(at, "creatinine", float(rng.choice((90, 160, 350, 700))))
        if rng.random() < 0.01:  # a correction at the same time: the later row wins
            chart.add(at, "temperature", round(rng.uniform(36.5, 39.5), 1))
    _keep_valid_words(chart)
    in_order = list(chart.values)
    end = T0 + steps * step_min * MINUTE
    back: list[Observation] = []
    for _ in range(max(3, steps // 150)):  # back-dated: charted late, at an earlier time
        at = T0 + rng.randrange(steps) * step_min * MINUTE + rng.choice((0.0, 30.0))
        item, value = rng.choice(
            (
                ("temperature", 39.4),
                ("systolic_bp", 84.0),
                ("norepinephrine", 8.0),
                ("norepinephrine", 0.0),
                ("tocilizumab", 560.0),
                ("spo2", 88.0),
            )
        )
        before = len(chart.values)
        chart.add(at, item, value, note=_note(rng))
        back.append(chart.values[before])
    removed = [rng.choice(chart.values).id for _ in range(max(3, steps // 300))]
    before = len(chart.values)
    chart.add(end, "temperature", 38.7)
    chart.add(end, "systolic_bp", 88.0)
    chart.add(end, "diastolic_bp", 50.0)
    chart.add(end + MINUTE, "o2_device", text="nasal_cannula")
    if seed % 2:
        chart.add(end + 2 * MINUTE, "death", text="crs")
    tail = chart.values[before:]
    return in_order, back, removed, tail


def _keep_valid_words(chart: _Chart) -> None:
    """A word charted only for the item that allows it (seizure: none/focal_resolved/
    prolonged, ...): the generator picks among all of them, the chart keeps the valid."""
    allowed = {
        "seizure": {"none", "focal_resolved", "prolonged"},
        "motor_weakness": {"none", "hemiparesis"},
        "cerebral_edema": {"none", "focal", "diffuse"},
    }
    chart.values = [
        o._replace(text="none") if o.item in allowed and o.text not in allowed[o.item] else o
        for o in chart.values
    ]


def changes(grader: Grader) -> dict[str, list]:
    """Each system's (time, grade, max, since) wherever one of them changes; and the
    offset of every time, as runs."""
    out: dict[str, list] = {name: [] for name in grader.systems}
    offsets: list = []
    for grade_set in grader.walked():
        if not offsets or offsets[-1][1] != grade_set.utc_offset_min:
            offsets.append([grade_set.time, grade_set.utc_offset_min])
        for name, g in grade_set.systems.items():
            row = [g.grade, g.max, g.since]
            if not out[name] or out[name][-1][1:] != row:
                out[name].append([grade_set.time, *row])
    out["offsets"] = offsets
    out["times"] = [len(grader)]
    return out


def worded(grade_set: Any) -> dict[str, Any]:
    return {
        "time": grade_set.time,
        **{
            name: [g.grade, g.max, g.since, list(g.reasons), list(g.flags), list(g.red_parameters)]
            for name, g in grade_set.systems.items()
        },
    }


def dump_walk(grader: Grader, every: int) -> dict[str, Any]:
    """The changes, and every `every`-th time and the latest in words (at())."""
    times = [g.time for g in grader.walked()]
    asked = sorted({*times[::every], times[-1]})
    latest = grader.latest()
    return {
        "changes": changes(grader),
        "worded": [worded(grader.at(t)) for t in asked],
        "latest": worded(latest) if latest else None,
    }


def dump_every_word(grader: Grader) -> list:
    """With word_every_time: every time whose words or grades changed, in words."""
    out: list = []
    last = None
    for grade_set in grader.walked():
        entry = worded(grade_set)
        body = {k: v for k, v in entry.items() if k != "time"}
        if body != last:
            out.append(entry)
            last = body
    return out


def grade_long(seed: int, days: float, step_min: float, every: int) -> dict[str, Any]:
    """A long chart graded as the window grades it: in one go, then back-dated values,
    rows entered in error, and the tail value by value; dumped after each."""
    in_order, back, removed, tail = long_chart(seed, days, step_min)
    grader = Grader(SETTINGS, local_tz=UTC)
    steps: dict[str, Any] = {}
    grader.add(in_order)
    steps["read"] = dump_walk(grader, every)
    for obs in back:
        grader.add([obs])
    steps["back_dated"] = dump_walk(grader, every)
    grader.remove(removed)
    for obs in tail:
        grader.add([obs])
    steps["end"] = dump_walk(grader, every)
    return steps


def grade_shuffled(seed: int, days: float, step_min: float, every: int) -> dict[str, Any]:
    """The chart as it ends in grade_long, added in one go in a shuffled order: rows of
    one time fold in row-id order however they arrive, so it must grade as the end."""
    in_order, back, removed, tail = long_chart(seed, days, step_min)
    gone = set(removed)
    values = [o for o in in_order + back + tail if o.id not in gone]
    random.Random(seed).shuffle(values)
    grader = Grader(SETTINGS, local_tz=UTC)
    grader.add(values)
    return dump_walk(grader, every)


def grade_every_word(seed: int) -> list:
    """A shorter chart worded at every time (`crs-desktop grade`)."""
    in_order, back, removed, tail = long_chart(seed, 1.0, 10.0)
    grader = Grader(SETTINGS, local_tz=UTC, word_every_time=True)
    grader.add(in_order + back)
    grader.remove(removed)
    grader.add(tail)
    return dump_every_word(grader)


def grade_demo(directory: Path) -> dict[str, Any]:
    """The demo course charted into a real store, read and graded as the window does
    (app.session.grade_chart)."""
    from crs_desktop.app.session import grade_chart
    from crs_desktop.store import ChartStore

    from .demo_chart import NOW, chart_demo

    path = directory / "demo.sqlite3"
    store = ChartStore(path, clock=lambda: NOW)
    try:
        patient = chart_demo(store, NOW, until_hour=150.0)
    finally:
        store.close()
    grader, _ = grade_chart(str(path), patient.id, SETTINGS, UTC)
    out = dump_walk(grader, 7)
    out["changes"].pop("offsets")  # the store's offset is the local zone's
    return out


def all_timelines(directory: Path) -> dict[str, Any]:
    return {
        "long_a": grade_long(1, days=3.0, step_min=2.0, every=97),
        "long_b": grade_long(2, days=2.0, step_min=1.0, every=211),
        "every_word": grade_every_word(3),
        "demo": grade_demo(directory),
    }


def expected() -> Any:
    return json.loads(gzip.decompress(FIXTURE.read_bytes()))


def normalised(data: Any) -> Any:
    """Through JSON and back: tuples as lists, as in the fixture."""
    return json.loads(json.dumps(data))


if __name__ == "__main__":
    with tempfile.TemporaryDirectory() as tmp:
        data = all_timelines(Path(tmp))
    FIXTURE.parent.mkdir(exist_ok=True)
    text = json.dumps(data, separators=(",", ":"), ensure_ascii=False) + "\n"
    FIXTURE.write_bytes(gzip.compress(text.encode(), mtime=0))
    print(FIXTURE, FIXTURE.stat().st_size)
