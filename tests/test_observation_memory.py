"""A long chart read for grading is held close to its data: the names, words and
numbers it repeats are kept once, not once a value (issue 17: memory per value)."""

from __future__ import annotations

import gc
import tracemalloc

import pytest

from crs_desktop.store import ChartStore, Entry

T0 = 1_790_000_000.0
SETS = 240  # four hours of one-minute vitals
VITALS = (
    ("temperature", ("36.8", "38.4")),
    ("heart_rate", ("80", "112")),
    ("systolic_bp", ("120", "88")),
    ("diastolic_bp", ("70", "50")),
    ("resp_rate", ("16", "22")),
    ("spo2", ("97", "93")),
)


@pytest.fixture(scope="module")
def chart(tmp_path_factory):
    path = tmp_path_factory.mktemp("memory") / "chart.sqlite3"
    store = ChartStore(path, clock=lambda: T0 + SETS * 60 + 60)
    patient = store.create_patient("MEM-1", "Memory, Test", actor="test")
    for minute in range(SETS):
        entries = [Entry(item, values[minute % 2]) for item, values in VITALS]
        entries.append(Entry("o2_device", "nasal_cannula" if minute % 2 else "room_air"))
        store.chart(patient.id, entries, observed_at=T0 + minute * 60, actor="test")
    yield store, patient.id
    store.close()


def test_values_read_for_grading_share_their_names_times_and_numbers(chart):
    store, patient_id = chart
    observations = store.observations(patient_id, lean=True)
    assert len(observations) == SETS * 7
    assert len({id(o.item) for o in observations}) == 7  # one string per item name
    assert len({id(o.text) for o in observations if o.text}) == 2  # one per word
    assert len({id(o.time) for o in observations}) == SETS  # one float per time
    temperatures = {id(o.value) for o in observations if o.item == "temperature"}
    assert len(temperatures) == 2  # one float per number charted
    once = store.findings_to_grade_once(patient_id)
    assert len({id(o.item) for o in once}) == 7
    assert [o[:5] for o in once] == [o[:5] for o in observations]


def test_a_value_read_for_grading_holds_under_180_bytes(chart):
    store, patient_id = chart
    gc.collect()
    tracemalloc.start()
    try:
        observations = store.observations(patient_id, lean=True)
        held = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    # The tuple (120 B), its list slot and its row id: the rest is shared. Unshared,
    # each value also held its own name, time and number (about 270 B).
    assert held / len(observations) < 180, held / len(observations)


def test_a_streamed_value_grows_the_grader_by_under_300_bytes():
    """Values streamed one at a time, each at a time of its own, as the live window adds
    them: the grader keeps the value, where it is and the grades at its time, not a
    fresh dict of grades where none changed, nor a dict entry for its row id."""
    from datetime import UTC

    from crs_desktop.domain.grading import Grader
    from crs_desktop.domain.observation import Observation

    grader = Grader(None, UTC)
    chart = [
        Observation(T0 + minute * 60, item, float(values[0]), None, "", 1 + minute * 6 + k)
        for minute in range(1000)
        for k, (item, values) in enumerate(VITALS)
    ]
    grader.add(chart)
    streamed = [
        Observation(
            T0 + 60_000 + k * 0.01, chart[k % 6].item, chart[k % 6].value, None, "", 10**6 + k
        )
        for k in range(20_000)
    ]
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        for observation in streamed:
            grader.add([observation])
        grown = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    # Made before the count: the values themselves are not in it. 460 -> 235 bytes.
    assert grown / len(streamed) < 300, grown / len(streamed)


def test_rows_streamed_in_share_their_names_words_and_nurse(chart):
    """A live stream's rows become Observations one by one (ChartedRow.to_observation):
    each repeated string is kept once, not once a value."""
    from crs_desktop.store.records import ROW_COLUMNS, row_from_tuple

    store, patient_id = chart
    rows = store.conn.execute(
        f"SELECT {ROW_COLUMNS} FROM observations WHERE patient_id = ? AND item = 'o2_device'",
        [patient_id],
    )
    observations = [row_from_tuple(row).to_observation() for row in rows]
    assert len(observations) == SETS
    assert len({id(o.item) for o in observations}) == 1
    assert len({id(o.text) for o in observations}) == 2
    assert len({id(o.charted_by) for o in observations}) == 1
