"""The listener's parts in-process: the mapping file, HL7 times, the ACK, MLLP framing and
the intake's matching of patients and resends, each against a real chart file."""

from __future__ import annotations

import asyncio

import pytest

from crs_desktop.app.hl7_intake import Intake
from crs_desktop.cli import main
from crs_desktop.interop.chart_csv import parse_time
from crs_desktop.interop.hl7_ack import Problem, build_ack
from crs_desktop.interop.hl7_mapping import MappingFileError, load_mapping, parse_mapping
from crs_desktop.interop.hl7_message import Header
from crs_desktop.interop.hl7_results import hl7_time
from crs_desktop.interop.mllp import FrameReader, FrameTimeout, FrameTooLarge
from crs_desktop.store import ChartStore
from crs_desktop.store.received import chart_message
from tests.support.hl7_listener import msa, oru

NOW = parse_time("2026-11-20T12:00:00+01:00")[0]


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("code,LN,8310-5\n", "line 1: expected four fields"),
        ("# fine\n\ncode,LN,8310-5,temperature\nvalue,LN,1,crp\n", "line 4: kind 'value'"),
        ("code,LN,1234-5,o2_device\n", "item 'o2_device' is not a numeric item"),
        ("unit,UCUM,furlong,mi\n", "unit 'mi' is not a unit of the chart"),
        ("code,,8310-5,temperature\n", "line 1: expected four fields"),
    ],
)
def test_a_bad_mapping_line_is_refused_naming_the_file_and_line(text, words):
    with pytest.raises(MappingFileError) as refused:
        parse_mapping(text, "ward.csv")
    assert str(refused.value).startswith("ward.csv, line ")
    assert words in str(refused.value)


def test_the_shipped_mapping_reads_and_a_ward_line_wins(tmp_path):
    shipped = load_mapping()
    assert shipped.item_for(["8310-5", "Body temperature", "LN"]) == "temperature"
    assert shipped.item_for(["", "MDC_PULS_OXIM_SAT_O2", "MDC"]) == "spo2"  # by its name
    assert shipped.item_for(["X1", "local", "L", "59408-5", "SpO2", "LN"]) == "spo2"  # alternate
    assert shipped.item_for(["150023", "MDC_PRESS_BLD_NONINV_MEAN", "MDC"]) is None
    assert shipped.unit_for("temperature", ["[degF]", "", "UCUM"]) == "[degF]"
    assert shipped.unit_for("heart_rate", ["{beats}/min"]) == "/min"
    assert shipped.unit_for("temperature", ["266560", "MDC_DIM_FAHR", "MDC"]) == "[degF]"
    assert shipped.unit_for("temperature", ["degF", "", ""]) == "[degF]"  # the old spelling
    ward = tmp_path / "ward.csv"
    ward.write_text("code,LN,8310-5,crp\n")  # silly, but the ward's line wins
    assert load_mapping(ward).item_for(["8310-5", "", "LN"]) == "crp"
    with pytest.raises(MappingFileError, match="cannot be read"):
        load_mapping(tmp_path / "missing.csv")


@pytest.mark.parametrize(
    ("text", "iso"),
    [
        ("202611200930", "2026-11-20T09:30:00"),
        ("20261120093015", "2026-11-20T09:30:15"),
        ("20261120093015.5-0500", "2026-11-20T09:30:15.500000-05:00"),
        ("20261120093015+0100", "2026-11-20T09:30:15+01:00"),
    ],
)
def test_hl7_times_with_or_without_seconds_and_offset(text, iso):
    assert hl7_time(text) == iso


@pytest.mark.parametrize(
    "text", ["20261120", "2026112009", "", "2026-11-20T09:30", "20261320093000"]
)
def test_a_time_without_its_minute_or_not_a_date_is_refused(text):
    with pytest.raises(ValueError):
        hl7_time(text)


def test_the_ack_escapes_what_it_echoes_and_speaks_the_message_s_character_set():
    header = Header("ID|1^x\x0b", "LAB", "H", "CRS", "W", "2.5.1", "8859/1", "ORU^R01")
    ack = build_ack(header, "AE", "temperature 50 °C: allowed 25–45 °C", [], NOW)
    text = ack.decode("latin-1")
    assert "MSA|AE|ID\\F\\1\\S\\x\\X0B\\|temperature 50 °C: allowed 25-45 °C" in text
    assert text.split("\r")[0].endswith("|8859/1")
    problems = [Problem("103", "W", f"OBX^{n}", "not in the mapping") for n in range(40)]
    long = build_ack(Header("C1"), "AA", "charted 0 values", problems, NOW)
    assert long.count(b"\rERR|") == 21 and b"20 more not listed" in long
    assert long.isascii()


def frames_of(data: bytes, max_bytes: int = 1000) -> tuple[list[bytes], FrameReader]:
    async def read() -> tuple[list[bytes], FrameReader]:
        reader = asyncio.StreamReader()
        reader.feed_data(data)
        reader.feed_eof()
        frames = FrameReader(reader, timeout=1.0, max_bytes=max_bytes)
        found = []
        while (one := await frames.next_frame()) is not None:
            found.append(one)
        return found, frames

    return asyncio.run(read())


def test_mllp_framing_skips_noise_and_restarts_on_a_new_start_byte():
    found, frames = frames_of(b"noise\r\n\x0bA\x1c\r\r\n\x0bcut off\x0bB\x1c\r\x0bC\x1c")
    assert found == [b"A", b"B", b"C"]
    assert frames.skipped == len(b"noise") and frames.restarted == 1
    with pytest.raises(FrameTooLarge):
        frames_of(b"\x0bMSH|" + b"x" * 2000 + b"\x1c\r")
    with pytest.raises(ConnectionResetError):
        frames_of(b"\x0bMSH|half")


def test_a_frame_that_stops_coming_times_out():
    async def read() -> None:
        reader = asyncio.StreamReader()
        reader.feed_data(b"\x0bMSH|begun")
        await FrameReader(reader, timeout=0.05, max_bytes=1000).next_frame()

    with pytest.raises(FrameTimeout):
        asyncio.run(read())


@pytest.fixture
def store(tmp_path):
    s = ChartStore(tmp_path / "chart.sqlite3", clock=lambda: NOW)
    s.create_patient("A-1", "First", actor="setup")
    s.create_patient("B-2", "Second", actor="setup")
    yield s
    s.close()


def test_a_pid3_naming_two_patients_on_the_ward_is_refused(store):
    intake = Intake(store, load_mapping(), clock=lambda: NOW)
    pid = "PID|1||A-1^^^H^MR~B-2^^^H^PI"
    outcome = intake.receive(
        oru("TWO-1", ["OBX|1|NM|8867-4^HR^LN||80|/min|||||F"], pid=pid).encode()
    )
    assert msa(outcome.ack)[1] == "AE" and "more than one patient" in outcome.log
    assert store.conn.execute("SELECT count(*) FROM observations").fetchone()[0] == 0


def test_a_message_for_an_archived_record_is_not_charted(store):
    intake = Intake(store, load_mapping(), clock=lambda: NOW)
    store.archive_patient(store.patient("A-1").id, actor="setup")
    pid = "PID|1||A-1"
    outcome = intake.receive(
        oru("ARCH-1", ["OBX|1|NM|8867-4^HR^LN||80|/min|||||F"], pid=pid).encode()
    )
    assert outcome.answer == "AE" and "patient not on this ward" in outcome.log


def test_the_received_record_and_the_values_are_one_transaction(store):
    patient = store.patient("A-1")
    assert (
        chart_message(store, patient.id, [], sender="S^F", control_id="X", actor="S", source="hl7")
        == 0
    )
    assert (
        chart_message(store, patient.id, [], sender="S^F", control_id="X", actor="S", source="hl7")
        is None
    )
    assert store.conn.execute("SELECT count(*) FROM received_messages").fetchone()[0] == 1


def test_listen_refuses_a_chart_file_that_does_not_exist(tmp_path, capsys):
    assert main(["listen", "--db", str(tmp_path / "none.sqlite3"), "--port", "0"]) == 2
    assert "no chart file there" in capsys.readouterr().err
    assert not (tmp_path / "none.sqlite3").exists()
