"""`crs-desktop listen` as the ward runs it: its own process on a free loopback port,
sent real MLLP traffic with the `hl7` package's `mllp_send` and with raw sockets."""

from __future__ import annotations

import signal
import socket
import sqlite3
import subprocess
import sys
import threading

import pytest

from crs_desktop.interop.chart_csv import parse_time
from crs_desktop.store import ChartStore
from tests.support.hl7_listener import (
    LISTEN_NOW,
    MRN,
    NAME,
    env,
    framed,
    lab_obx,
    mllp_send,
    msa,
    oru,
    pcd01_obx,
    read_ack,
    send,
    start_listener,
    vitals_obx,
)

INFUSION = "2026-11-15T10:00:00+01:00"


def make_chart(db) -> None:
    fixed = parse_time(LISTEN_NOW)[0]
    with ChartStore(db, clock=lambda: fixed) as store:
        store.create_patient(
            MRN, NAME, actor="setup", weight_kg=70, infusion_time=parse_time(INFUSION)[0]
        )


def rows(db, where: str = "1") -> list[tuple]:
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        return conn.execute(
            "SELECT item, value, unit, written_value, written_unit, charted_by, source, note, "
            f"observed_at, utc_offset_min FROM observations WHERE {where} ORDER BY id"
        ).fetchall()
    finally:
        conn.close()


@pytest.fixture(scope="module")
def chart(tmp_path_factory):
    db = tmp_path_factory.mktemp("listen") / "chart.sqlite3"
    make_chart(db)
    listener = start_listener(db, "--read-timeout", "0.5", "--max-bytes", "8192")
    yield db, listener
    listener.stop()


def test_labs_and_vitals_sent_with_mllp_send_are_charted_with_units_and_source(chart, tmp_path):
    db, listener = chart
    path = tmp_path / "messages.hl7"
    # --loose: one message a paragraph, segments on lines, as an engine's export reads.
    text = oru("LAB-0001", lab_obx()) + "\n" + oru("LAB-0002", vitals_obx())
    path.write_text(text.replace("\r", "\n"))
    answers = mllp_send(listener.port, path)
    assert [msa(a)[1:3] for a in answers] == [["AA", "LAB-0001"], ["AA", "LAB-0002"]]
    assert "ERR||OBX^5|" in answers[0].decode()  # glucose: not in the mapping, a warning
    charted = rows(db, "source = 'hl7'")
    by_item = {r[0]: r for r in charted}
    assert set(by_item) == {
        "crp", "ferritin", "platelets", "hemoglobin",
        "temperature", "systolic_bp", "diastolic_bp", "heart_rate",
    }  # fmt: skip
    assert by_item["crp"][1:5] == (85.2, "mg/L", "85.2", "mg/L")
    assert by_item["crp"][7] == "flag: high (H)"
    assert by_item["hemoglobin"][1:5] == (9.8, "g/dL", "98", "g/L")
    assert by_item["heart_rate"][1:5] == (118.0, "/min", "118", "/min")  # {beats} ignored
    assert {r[5] for r in charted} == {"LAB (CITYHOSP)"}
    # 202611200945 (no seconds, no offset) read in the listener's zone: 09:45 CET.
    assert by_item["systolic_bp"][8] == parse_time("2026-11-20T09:45:00+01:00")[0]
    assert by_item["systolic_bp"][9] == 60


def test_a_monitor_message_in_the_ihe_pcd01_shape(chart):
    db, listener = chart
    before = len(rows(db))
    ack = send(listener.port, oru("MON-0001", pcd01_obx(), sender="MONITOR", facility="BED7"))
    assert msa(ack)[1] == "AA"
    text = ack.decode()
    for number in (1, 2, 5, 7, 8):  # hierarchy, mean pressure, perfusion index, pulse rate
        assert f"ERR||OBX^{number}|" in text
    new = rows(db)[before:]
    assert [(r[0], round(r[1], 2), r[2], r[4]) for r in new] == [
        ("systolic_bp", 88.0, "mm[Hg]", "mm[Hg]"),
        ("diastolic_bp", 50.0, "mm[Hg]", "mm[Hg]"),
        ("spo2", 93.0, "%", "%"),
        ("temperature", 38.61, "Cel", "[degF]"),
    ]
    assert {r[5] for r in new} == {"MONITOR (BED7)"}


@pytest.mark.parametrize(
    ("obx", "words"),
    [
        # a unit CRP does not list (the molar assay): refused, and so is the good value
        (
            [
                "OBX|1|NM|1988-5^CRP^LN||85|mmol/L|||||F",
                "OBX|2|NM|2276-4^Ferritin^LN||900|ng/mL|||||F",
            ],
            "unit 'mmol/L' is not allowed",
        ),
        (["OBX|1|NM|8310-5^Temp^LN||52|Cel|||||F"], "out of the possible range"),
        (["OBX|1|NM|1988-5^CRP^LN||85||||||F"], "needs its unit"),
        (["OBX|1|SN|1988-5^CRP^LN||<^5|mg/L|||||F"], "a limit or a range"),
        (["OBX|1|ST|8867-4^HR^LN||fast|/min|||||F"], "must be a number"),
        (["OBX|1|NM|8867-4^HR^LN||80|/min|||||F|||20991120094500+0100"], "in the future"),
        # a device clock never set (1970): before the year of the CAR-T infusion
        (["OBX|1|NM|8867-4^HR^LN||80|/min|||||F|||19700101000500"], "year of the CAR-T"),
        # 02:30 on the night clocks go back (Europe/Berlin) happens twice; on the night they
        # go forward, never: without an offset both are refused, as the chart CSV does
        (["OBX|1|NM|8867-4^HR^LN||80|/min|||||F|||202610250230"], "ambiguous"),
        (["OBX|1|NM|8867-4^HR^LN||80|/min|||||F|||202603290230"], "does not exist"),
        (["OBX|1|NM|8867-4^HR^LN||80|/min|||||F|||20261120"], "expected an HL7 time"),
        (["OBX|1|NM|8867-4^HR^LN||80|/min|||||F|||20261131094500"], "not a date and time"),
    ],
)
def test_a_mapped_value_the_chart_refuses_is_AE_and_nothing_of_the_message_is_stored(
    chart, obx, words
):
    db, listener = chart
    before = len(rows(db))
    control = f"BAD-{abs(hash(tuple(obx)))}"
    ack = send(listener.port, oru(control, obx))
    fields = msa(ack)
    assert fields[1:3] == ["AE", control]
    assert words in ack.decode()
    assert len(rows(db)) == before


@pytest.mark.parametrize(
    "message",
    [
        oru("ADT-1", [], message_type="ADT^A01^ADT_A01"),
        "MSH|^~\\&|LAB|H|CRS|W|20261120||ORU^R01|||P|2.5\r",  # no control ID
        "PID|1||X\rOBX|1|NM|8310-5^T^LN||38|Cel\r",  # no MSH
        "this is not HL7 at all",
        oru("CS-1", vitals_obx(), charset="EBCDIC"),
    ],
)
def test_what_is_not_an_ORU_R01_or_cannot_be_read_is_AR(chart, message):
    db, listener = chart
    before = len(rows(db))
    ack = send(listener.port, message)
    assert msa(ack)[1] == "AR"
    assert len(rows(db)) == before


@pytest.mark.parametrize(
    "pid",
    [
        "PID|1||UNKNOWN-99^^^CITYHOSP^MR||Other^Person",
        "PID|1||^^^CITYHOSP^MR||Nobody^Known",  # PID-3 without an identifier
        "PID|1",
        None,  # no PID segment at all
    ],
)
def test_an_unknown_or_missing_MRN_is_AE_and_no_patient_is_created(chart, pid):
    db, listener = chart
    message = oru("PAT-" + str(abs(hash(pid))), vitals_obx(), pid=pid or "")
    if pid is None:
        message = message.replace("\r\r", "\r")
    before = len(rows(db))
    ack = send(listener.port, message)
    assert msa(ack)[1] == "AE"
    assert "patient not on this ward" in ack.decode()
    assert len(rows(db)) == before
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    assert conn.execute("SELECT mrn FROM patients").fetchall() == [(MRN,)]
    conn.close()


def test_the_MRN_is_matched_with_its_surrounding_spaces_trimmed(chart):
    db, listener = chart
    pid = f"PID|1||  {MRN}  ^^^CITYHOSP^MR~OTHER-ID^^^X^PI||Testpatient^Jane"
    ack = send(listener.port, oru("TRIM-1", ["OBX|1|NM|8867-4^HR^LN||77|/min|||||F"], pid=pid))
    assert msa(ack)[1] == "AA"
    assert rows(db, "value = 77 AND item = 'heart_rate'")


def test_a_resend_is_acknowledged_again_but_charted_once(chart):
    db, listener = chart
    message = oru("RESEND-1", ["OBX|1|NM|9279-1^RR^LN||23|/min|||||F"])
    first = send(listener.port, message)
    again = send(listener.port, message)
    assert msa(first)[1] == msa(again)[1] == "AA"
    assert "already received" in msa(again)[3]
    assert len(rows(db, "item = 'resp_rate' AND value = 23")) == 1
    # The same control ID from another sender is another message.
    other = send(
        listener.port, oru("RESEND-1", ["OBX|1|NM|9279-1^RR^LN||23|/min|||||F"], sender="LAB2")
    )
    assert msa(other)[1] == "AA"
    assert len(rows(db, "item = 'resp_rate' AND value = 23")) == 2


def test_iso_8859_1_text_is_read_as_msh18_says(chart):
    db, listener = chart
    pid = f"PID|1||{MRN}^^^CITYHOSP^MR||Müller^Zoë"
    obx = ["OBX|1|NM|1988-5^C-reaktives Protein (µ-Test)^LN||12|mg/L|||||F"]
    message = oru("LATIN-1", obx, charset="8859/1", pid=pid, sender="LABOR", facility="KLINIKUM")
    ack = send(listener.port, message, encoding="latin-1")
    assert msa(ack)[1] == "AA"
    assert "8859/1" in ack.decode("latin-1").split("\r")[0]  # answered in its character set
    assert rows(db, "item = 'crp' AND value = 12")
    # Declared UTF-8 but not: refused (its values cannot be trusted either).
    bad = oru("LATIN-2", obx, charset="UNICODE UTF-8", pid=pid)
    assert msa(send(listener.port, bad, encoding="latin-1"))[1] == "AR"


def test_a_half_frame_times_out_and_garbage_between_frames_is_skipped(chart):
    db, listener = chart
    with socket.create_connection(("127.0.0.1", listener.port), timeout=30) as sock:
        sock.sendall(b"\x0b" + oru("HALF-1", vitals_obx()).encode()[:80])
        assert sock.recv(100) == b""  # closed by the listener after its read timeout
    with socket.create_connection(("127.0.0.1", listener.port), timeout=30) as sock:
        one = oru("NOISE-1", ["OBX|1|NM|8867-4^HR^LN||101|/min|||||F"]).encode()
        two = oru("NOISE-2", ["OBX|1|NM|8867-4^HR^LN||102|/min|||||F"]).encode()
        sock.sendall(b"junk\r\n\x00\xff" + framed(one) + b"\x1c\x1c more junk" + framed(two))
        assert msa(read_ack(sock))[1:3] == ["AA", "NOISE-1"]
        assert msa(read_ack(sock))[1:3] == ["AA", "NOISE-2"]
    with socket.create_connection(("127.0.0.1", listener.port), timeout=30) as sock:
        sock.sendall(b"\x0b" + oru("CUT-1", vitals_obx()).encode()[:100])
    assert not rows(db, "note LIKE '%HALF%'")
    assert (
        msa(send(listener.port, oru("AFTER-1", ["OBX|1|NM|8867-4^HR^LN||103|/min|||||F"])))[1]
        == "AA"
    )
    assert len(rows(db, "item = 'heart_rate' AND value IN (101, 102, 103)")) == 3


def test_a_message_over_the_size_limit_is_AR_and_the_listener_goes_on(chart):
    db, listener = chart
    before = len(rows(db))
    huge = oru("HUGE-1", [f"OBX|{i}|NM|8867-4^HR^LN||80|/min|||||F" for i in range(1, 400)])
    assert len(huge) > 8192
    assert msa(send(listener.port, huge))[1:3] == ["AR", "HUGE-1"]
    assert len(rows(db)) == before
    assert (
        msa(send(listener.port, oru("SMALL-1", ["OBX|1|NM|8867-4^HR^LN||81|/min|||||F"])))[1]
        == "AA"
    )


def test_many_senders_at_once(chart):
    db, listener = chart
    answers: list[str] = []

    def sender(n: int) -> None:
        with socket.create_connection(("127.0.0.1", listener.port), timeout=60) as sock:
            for k in range(5):
                obx = [
                    f"OBX|1|NM|8867-4^HR^LN||{150 + k}|/min|||||F|||20261120{k:02d}{n:02d}00+0100"
                ]
                sock.sendall(framed(oru(f"MANY-{n}-{k}", obx, sender=f"BED{n}")))
                answers.append(msa(read_ack(sock))[1])

    threads = [threading.Thread(target=sender, args=(n,)) for n in range(12)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert answers == ["AA"] * 60
    assert len(rows(db, "charted_by LIKE 'BED%'")) == 60


def test_the_log_names_control_ids_and_reasons_never_the_patient(tmp_path):
    db = tmp_path / "chart.sqlite3"
    make_chart(db)
    listener = start_listener(db)
    send(listener.port, oru("LOG-1", lab_obx()))
    send(listener.port, oru("LOG-2", ["OBX|1|NM|8310-5^T^LN||52|Cel|||||F"]))
    send(listener.port, oru("LOG-3", vitals_obx(), mrn="SOMEONE-ELSE"))
    status, log = listener.stop()
    assert status == 0
    assert "LOG-1" in log and "LN 2345-7 Glucose" in log
    assert "LOG-2" in log and "AE" in log and "out of the possible range" in log
    assert "LOG-3" in log and "patient not on this ward" in log
    for identifier in (MRN, "SOMEONE-ELSE", "Testpatient", "Jane"):
        assert identifier not in log
    assert "stopped" in log


def test_sigint_stops_it_cleanly_too(tmp_path):
    db = tmp_path / "chart.sqlite3"
    make_chart(db)
    listener = start_listener(db)
    assert msa(send(listener.port, oru("INT-1", vitals_obx())))[1] == "AA"
    status, log = listener.stop(signal.SIGINT)
    assert status == 0 and "stopped" in log
    assert "Traceback" not in log


def test_a_ward_mapping_adds_its_codes_and_a_bad_one_is_refused_with_its_line(tmp_path):
    db = tmp_path / "chart.sqlite3"
    make_chart(db)
    good = tmp_path / "ward.csv"
    good.write_text("# our lab's own code\ncode,L,CRPX,crp\n")
    listener = start_listener(db, "--mapping", str(good))
    ack = send(listener.port, oru("WARD-1", ["OBX|1|NM|CRPX^CRP (local)^L||33|mg/L|||||F"]))
    listener.stop()
    assert msa(ack)[1] == "AA"
    assert rows(db, "item = 'crp' AND value = 33")
    bad = tmp_path / "bad.csv"
    bad.write_text("code,LN,8310-5,temperature\ncode,LN,1234-5,not_an_item\n")
    done = subprocess.run(
        [sys.executable, "-m", "crs_desktop", "listen", "--db", str(db), "--mapping", str(bad)],
        env=env(),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert "bad.csv, line 2" in done.stderr and "not_an_item" in done.stderr
    assert "Traceback" not in done.stderr


def test_the_listener_charts_into_the_ward_server_and_a_resend_is_known_there(pg_cluster):
    """The same listener on the ward server (`--db postgresql://…`): charted with source,
    unit and sender, AA after the commit, and a resend recognised by the server's
    received_messages (the listener refused every server address before)."""
    target = pg_cluster.new_database()
    make_chart(target)
    listener = start_listener(target)
    try:
        first = send(listener.port, oru("PG-0001", lab_obx()))
        again = send(listener.port, oru("PG-0001", lab_obx()))
    finally:
        status, log = listener.stop()
    assert msa(first)[1:3] == ["AA", "PG-0001"], first.decode() + log
    assert msa(again)[1] == "AA" and "already received" in again.decode()
    assert status == 0 and "Traceback" not in log
    with ChartStore(target) as store:
        charted = [r for r in store.rows(store.patient(MRN).id) if r.source == "hl7"]
    assert {r.item for r in charted} >= {"crp", "ferritin"}
    crp = next(r for r in charted if r.item == "crp")
    assert (crp.value, crp.unit, crp.charted_by) == (85.2, "mg/L", "LAB (CITYHOSP)")
    assert len(charted) == len({r.item for r in charted})  # the resend charted nothing
