"""The listener stopped mid-stream (SIGKILL, SIGTERM): every value that got AA is in the
store, no message is there in part, and a resend after a restart charts each once."""

from __future__ import annotations

import signal
import socket
import sqlite3
import threading
from collections import Counter
from datetime import datetime, timedelta

import pytest

from tests.support.hl7_listener import framed, msa, oru, read_ack, start_listener
from tests.test_listen import make_chart

MESSAGES = 200
KILL_AFTER = 30


def message(i: int) -> tuple[str, str, float]:
    """Message i: three vitals at its own minute (control ID, text, observed time)."""
    at = datetime.fromisoformat("2026-11-19T00:00:00+01:00") + timedelta(minutes=i)
    stamp = at.strftime("%Y%m%d%H%M%S%z")
    obx = [
        f"OBX|1|NM|8867-4^HR^LN||{60 + i % 100}|/min|||||F|||{stamp}",
        f"OBX|2|NM|9279-1^RR^LN||{12 + i % 20}|/min|||||F|||{stamp}",
        f"OBX|3|NM|59408-5^SpO2^LN||{90 + i % 10}|%|||||F|||{stamp}",
    ]
    return f"STREAM-{i}", oru(f"STREAM-{i}", obx, sender="MONITOR"), at.timestamp()


def stored_times(db) -> Counter[float]:
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        return Counter(
            t for (t,) in conn.execute("SELECT observed_at FROM observations WHERE source = 'hl7'")
        )
    finally:
        conn.close()


def stream(port: int, acked: list[int], enough: threading.Event) -> None:
    """Send the messages one after another until the line breaks; note each AA."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
            for i in range(MESSAGES):
                sock.sendall(framed(message(i)[1]))
                ack = read_ack(sock)
                if not ack:
                    return
                assert msa(ack)[1:3] == ["AA", f"STREAM-{i}"]
                acked.append(i)
                if len(acked) == KILL_AFTER:
                    enough.set()
    except OSError:
        return
    finally:
        enough.set()


@pytest.mark.slow
@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGTERM])
def test_stopped_mid_stream_every_acknowledged_value_is_stored_and_nothing_half(tmp_path, sig):
    db = tmp_path / "chart.sqlite3"
    make_chart(db)
    listener = start_listener(db)
    acked: list[int] = []
    enough = threading.Event()
    sender = threading.Thread(target=stream, args=(listener.port, acked, enough))
    sender.start()
    assert enough.wait(60)
    status, _log = listener.stop(sig)
    sender.join(60)
    assert 0 < len(acked) < MESSAGES, "the listener must stop mid-stream"
    assert status == (0 if sig == signal.SIGTERM else -signal.SIGKILL)

    times = stored_times(db)
    assert set(times.values()) == {3}, "a message is in the store whole or not at all"
    acked_times = {message(i)[2] for i in acked}
    assert acked_times <= set(times), "a value that got AA is missing"
    # At most the one message being charted when it stopped: committed, its answer lost.
    assert len(set(times) - acked_times) <= 1

    # The sender resends what it has no AA for: each message is then charted once.
    again = start_listener(db)
    with socket.create_connection(("127.0.0.1", again.port), timeout=30) as sock:
        for i in range(MESSAGES):
            if i not in acked:
                sock.sendall(framed(message(i)[1]))
                assert msa(read_ack(sock))[1] == "AA"
    assert again.stop()[0] == 0
    times = stored_times(db)
    assert set(times.values()) == {3}
    assert set(times) == {message(i)[2] for i in range(MESSAGES)}
