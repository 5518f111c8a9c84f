"""domain/escalation.pending_alerts kept current as values arrive (REFERENCE.md §1.3a items
7, 8): what it finds with its memo (the window's way: one scan kept between values) is what
a fresh scan of the whole timeline finds, whatever the values do (rise, fall, back-dated,
acknowledged), and a back-dated value costs only the moments from its time on."""

from __future__ import annotations

import random

from crs_desktop.domain.escalation import (
    Acknowledgement,
    pending_alerts,
)
from tests.support.grading import HOUR, T0, chart, graded

MINUTE = HOUR / 60


def vitals(hour: float, temp=37.0, sbp=120, hr=80, rr=16, spo2=97) -> list[tuple]:
    """A whole NEWS2 set (§7.1) at an hour after T0, room air and alert unless changed."""
    return [
        (hour, "temperature", temp),
        (hour, "systolic_bp", sbp),
        (hour, "diastolic_bp", 70),
        (hour, "heart_rate", hr),
        (hour, "resp_rate", rr),
        (hour, "spo2", spo2),
        (hour, "o2_device", "room_air"),
        (hour, "acvpu", "A"),
    ]


def quiet_hours(first: float, last: float, step_h: float = 0.25) -> list[tuple]:
    rows: list[tuple] = []
    hour = first
    while hour <= last:
        rows += vitals(hour)
        hour += step_h
    return rows


def summary(alerts) -> list[tuple]:
    return [(a.system, a.before, a.rose_at, a.peak, a.peak_at, a.now, a.score) for a in alerts]


def both(grader, acked, memo) -> list[tuple]:
    """The memo'd scan, checked against a fresh one of the whole timeline."""
    kept = summary(pending_alerts(grader, acked, memo=memo))
    assert kept == summary(pending_alerts(grader, acked)), "the memo'd scan differs"
    return kept


def test_rise_fall_back_dated_and_acknowledged_are_what_a_fresh_scan_finds():
    grader = graded(quiet_hours(0, 30))  # 121 quiet sets: nothing to alert
    memo: dict = {}
    acked: dict[str, Acknowledgement] = {}
    assert both(grader, acked, memo) == []
    next_id = 10_000

    def add(rows):
        nonlocal next_id
        grader.add(chart(rows, first_id=next_id))
        next_id += len(rows)

    # A fever at 31 h: CRS grade 1 (§1.1), NEWS2 temperature 39.1 scores 2 (no trigger).
    add(vitals(31, temp=39.1))
    assert both(grader, acked, memo) == [
        ("astct_crs", 0, T0 + 31 * HOUR, 1, T0 + 31 * HOUR, 1, None)
    ]
    # Back-dated (charted now, observed at 10 h): a fever with hypotension, then normal at
    # 10.1 h — the rise at 10 h is the first unacknowledged one; its peak is grade 2.
    add(vitals(10, temp=38.6, sbp=84))
    add(vitals(10.1))
    found = both(grader, acked, memo)
    crs = next(a for a in found if a[0] == "astct_crs")
    assert crs[1:5] == (0, T0 + 10 * HOUR, 2, T0 + 10 * HOUR)
    assert crs[5] == 1  # now grade 1: the fever of 31 h (the rise is never lost, item 8)
    # A NEWS2 single parameter scoring 3 (respiratory rate 25, §7.1), back-dated at 20 h.
    add(vitals(20, rr=25))
    assert "news2" in {a[0] for a in both(grader, acked, memo)}
    # Acknowledged at 32.5 h, seeing the set of 32 h: nothing pending until a new rise.
    add(vitals(32))
    acked = {
        "astct_crs": Acknowledgement("astct_crs", 2, 1, T0 + 32.5 * HOUR),
        "news2": Acknowledgement("news2", 1, 0, T0 + 32.5 * HOUR),
    }
    assert both(grader, acked, memo) == []
    # A rise charted late (observed before the acknowledgement, charted after): found.
    add(vitals(32.4, temp=39.0, sbp=82))
    late = both(grader, acked, memo)
    assert [a[0] for a in late] == ["astct_crs", "news2"]  # systolic 82 scores 3 (§7.1)
    # A fall alone raises nothing; values after it keep the memo'd scan right.
    add(vitals(33))
    add(vitals(5, temp=38.2))  # back-dated before the acknowledgement: nothing new
    assert [a[0] for a in both(grader, acked, memo)] == ["astct_crs", "news2"]


def test_random_back_dated_values_match_a_fresh_scan():
    """A seeded walk of values at random times (many back-dated), with acknowledgements now
    and then: after each, the memo'd answer is the fresh one."""
    rng = random.Random(17)
    grader = graded(quiet_hours(0, 60))  # 241 sets: a few of the memo's intervals
    memo: dict = {}
    acked: dict[str, Acknowledgement] = {}
    next_id = 10_000
    for step in range(60):
        hour = round(rng.uniform(0, 62), 2)
        rows = vitals(
            hour,
            temp=rng.choice([37.0, 37.0, 38.3, 39.2]),
            sbp=rng.choice([120, 120, 88, 84]),
            rr=rng.choice([16, 16, 22, 25]),
            spo2=rng.choice([97, 97, 93, 91]),
        )
        grader.add(chart(rows, first_id=next_id))
        next_id += len(rows)
        found = pending_alerts(grader, acked, memo=memo)
        assert summary(found) == summary(pending_alerts(grader, acked)), f"step {step}"
        if step % 7 == 6 and found:  # a nurse acknowledges what the banner shows
            at = grader.latest().time
            acked = {a.system: Acknowledgement(a.system, a.peak, a.now, at) for a in found}


class CountingTimeline(list):
    """The grader's timeline, counting the moments read from it."""

    reads = 0

    def __getitem__(self, index):
        CountingTimeline.reads += 1
        return super().__getitem__(index)


def test_a_back_dated_value_walks_only_the_moments_from_its_time_on():
    """Three days of five-minute sets (864 moments): a value back-dated to the last hours
    is scanned from near its time, not from the start of the chart."""
    grader = graded(quiet_hours(0, 72, step_h=5 / 60))
    timeline = grader.timeline

    def counted():
        return CountingTimeline(timeline())

    grader.timeline = counted  # the real timeline, its reads counted
    memo: dict = {}
    assert pending_alerts(grader, {}, memo=memo) == []
    grader.add(chart(vitals(71, temp=38.4), first_id=10_000))  # back-dated an hour
    CountingTimeline.reads = 0
    found = pending_alerts(grader, {}, memo=memo)
    assert [a.system for a in found] == ["astct_crs"]
    moments = len(timeline())
    # Each of the 3 systems reads the moments since the value (12), the stretch the grader
    # re-graded before it (from its snapshot, at most 128) and up to a memo interval (32):
    # under half the chart for all three, where a scan from the start reads it 3 times.
    assert CountingTimeline.reads < moments / 2, (CountingTimeline.reads, moments)
    # From the memo's mark at 736, before the grader's snapshot at 768 (the value: 852).
    assert {scan.visited for scan in memo.values()} == {moments - 1 - 736}
    assert summary(found) == summary(pending_alerts(grader, {}))
