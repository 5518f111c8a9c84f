"""The window opens a long chart without waiting for the damage check, but writes nothing
to the file until the check has passed; a damaged file is refused with a clear message."""

from __future__ import annotations

import hashlib
import time

import pytest

from crs_desktop.store import ChartStore, StoreError
from crs_desktop.store.records import Entry
from crs_desktop.ui.damage_check import DamageCheck

NOW = time.time()


def _chart_file(path):
    with ChartStore(path) as s:
        p = s.create_patient("M", "N", actor="A")
        for i in range(300):
            s.chart(
                p.id,
                [Entry("heart_rate", str(60 + i % 50), note="x" * 200)],
                observed_at=NOW - 9999 + i,
                actor="A",
            )
    return path


def _damage(path):
    data = bytearray(path.read_bytes())
    data[3 * 4096 : 4 * 4096] = b"\xa5" * 4096  # a b-tree page overwritten
    path.write_bytes(bytes(data))


def test_no_write_before_the_check_passes_then_writes_work(qtbot, tmp_path):
    store = ChartStore(_chart_file(tmp_path / "good.sqlite3"), verify=False)
    pid = store.patient("M").id
    with pytest.raises(StoreError, match="still being checked"):
        store.chart(pid, [Entry("temperature", "37.0")], observed_at=NOW, actor="RN")
    check = DamageCheck(store)
    with qtbot.waitSignal(check.passed, timeout=10_000):
        check.start()
    qtbot.waitUntil(lambda: store.verified, timeout=1000)
    check.wait()
    [row_id] = store.chart(pid, [Entry("temperature", "37.0")], observed_at=NOW, actor="RN")
    assert store.row(row_id).value == 37.0
    store.close()


def test_a_damaged_file_is_reported_and_never_written(qtbot, tmp_path):
    path = _chart_file(tmp_path / "damaged.sqlite3")
    _damage(path)
    before = hashlib.sha256(path.read_bytes()).hexdigest()
    store = ChartStore(path, verify=False)  # the quick header checks pass
    check = DamageCheck(store)
    with qtbot.waitSignal(check.failed, timeout=10_000) as failed:
        check.start()
    check.wait()
    message = failed.args[0]
    assert "damaged" in message and str(path) in message and "left unchanged" in message
    assert not store.verified
    with pytest.raises(StoreError):
        store.record_event(1, "handover_note", actor="RN", detail={"text": "x"})
    store.close()
    assert hashlib.sha256(path.read_bytes()).hexdigest() == before
