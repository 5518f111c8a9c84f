"""A fuzz of generated ORU messages (bad segments, encodings, codes, units, times) through
the listener's intake into a real chart file: no crash, every message answered with an
ACK naming it, and nothing stored unless the answer is AA (then exactly what it says)."""

from __future__ import annotations

import asyncio
import sqlite3
from collections import Counter
from datetime import datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crs_desktop.app.hl7_intake import Intake
from crs_desktop.interop.chart_csv import parse_time
from crs_desktop.interop.hl7_mapping import load_mapping
from crs_desktop.interop.mllp import FrameReader, FrameTooLarge
from crs_desktop.store import ChartStore

NOW = parse_time("2026-11-20T12:00:00+01:00")[0]
MRN = "FUZZ-1"
answers: Counter[str] = Counter()

codes = st.sampled_from(
    [
        "8310-5^Temp^LN", "8480-6^SBP^LN", "8462-4^DBP^LN", "8867-4^HR^LN", "9279-1^RR^LN",
        "59408-5^SpO2^LN", "3151-8^O2 flow^LN", "3150-0^FiO2^LN", "1988-5^CRP^LN",
        "2276-4^Ferritin^LN", "777-3^PLT^LN", "718-7^Hb^LN", "150456^MDC_PULS_OXIM_SAT_O2^MDC",
        "150364^MDC_TEMP_BODY^MDC", "150023^MDC_PRESS_BLD_NONINV_MEAN^MDC", "^MDC_ECG_HEART_RATE^MDC",
        "2345-7^Glucose^LN", "", "^^", "8310-5", "X\\S\\Y^odd^ZZ",
    ]
) | st.text(max_size=20)  # fmt: skip
units = st.sampled_from(
    [
        "", "Cel", "[degF]", "degF", "mm[Hg]", "mmHg", "/min", "{beats}/min", "{beats}", "%",
        "L/min", "mg/L", "mg/dL", "ng/mL", "10*9/L", "g/L", "g/dL", "mmol/L",
        "266560^MDC_DIM_FAHR^MDC", "262688^MDC_DIM_PERCENT^MDC", "^MDC_DIM_MMHG^MDC", "Cel^^UCUM",
    ]
) | st.text(max_size=12)  # fmt: skip
values = (
    st.floats(min_value=-10, max_value=2000, allow_nan=False).map(lambda x: f"{x:.1f}")
    | st.integers(min_value=0, max_value=300).map(str)
    | st.sampled_from(["", "<^5", "^38.5", ">=^10", "1^-^3", "0.4", "1e3", "NaN", "٣٨"])
    | st.text(max_size=12)
)
times = (
    st.datetimes(
        min_value=datetime(1965, 1, 1),
        max_value=datetime(2027, 12, 31),
    ).map(lambda d: d.strftime("%Y%m%d%H%M%S"))
    | st.sampled_from(
        [
            "",
            "20261120093000+0100",
            "202611200930",
            "20261120",
            "202610250230",
            "20261120093000.1234-0500",
            "20261120093000+9900",
            "19700101000000",
            "2026112009",
        ]
    )  # fmt: skip
    | st.text(alphabet="0123456789+-.", max_size=20)
)
value_types = st.sampled_from(["NM", "NM", "NM", "SN", "ST", "", "CWE", "TX"])
statuses = st.sampled_from(["F", "F", "R", "C", "P", "X", "D", "W", ""])


@st.composite
def obx(draw: st.DrawFn, n: int) -> str:
    fields = [
        "OBX", str(n), draw(value_types), draw(codes), "", draw(values), draw(units), "",
        draw(st.sampled_from(["", "H", "L", "HH", "N", "A~H"])), "", "", draw(statuses), "", "",
        draw(times),
    ]  # fmt: skip
    return "|".join(fields)


GOOD = [  # (code, unit, lowest, highest) that the chart takes
    ("8310-5^Temp^LN", "Cel", 35, 41),
    ("150364^MDC_TEMP_BODY^MDC", "266560^MDC_DIM_FAHR^MDC", 96, 104),
    ("8480-6^SBP^LN", "mm[Hg]", 70, 180),
    ("150022^MDC_PRESS_BLD_NONINV_DIA^MDC", "266016^MDC_DIM_MMHG^MDC", 40, 60),
    ("8867-4^HR^LN", "{beats}/min", 40, 180),
    ("59408-5^SpO2^LN", "%", 80, 100),
    ("1988-5^CRP^LN", "mg/dL", 0, 30),
    ("777-3^PLT^LN", "10*9/L", 5, 400),
]


@st.composite
def good_obx(draw: st.DrawFn, n: int) -> str:
    code, unit, low, high = draw(st.sampled_from(GOOD))
    value = draw(st.integers(min_value=low, max_value=high))
    minute = draw(st.integers(min_value=0, max_value=59))
    return f"OBX|{n}|NM|{code}||{value}|{unit}|||||F|||2026112009{minute:02d}00+0100"


@st.composite
def messages(draw: st.DrawFn) -> bytes:
    """Mostly messages a sender means (so that some are charted), with hostile ones."""
    hostile = draw(st.integers(min_value=0, max_value=2)) == 0
    control = f"C{draw(st.integers(min_value=0, max_value=10**9))}"
    kind, charset, mrn = "ORU^R01", draw(st.sampled_from(["", "UNICODE UTF-8"])), MRN
    version = "2.5.1"
    if hostile:
        kind = draw(st.sampled_from(["ORU^R01", "ORU^R01^ORU_R01", "ADT^A01", "", "ORU"]))
        control = draw(st.sampled_from(["", "C1", "C2", control]) | st.text(max_size=12))
        charset = draw(st.sampled_from(["", "UNICODE UTF-8", "8859/1", "ASCII", "EBCDIC"]))
        mrn = draw(st.sampled_from([MRN, f"  {MRN} ", "OTHER", "", None]))
        version = draw(st.sampled_from(["2.5.1", "2.3", ""]))
    msh = f"MSH|^~\\&|{draw(st.sampled_from(['LAB', 'MON', '']))}|H|CRS|W|20261120||{kind}|"
    msh += f"{control}|P|{version}|||||{charset}"
    segments = [msh]
    if mrn is not None:
        segments.append(f"PID|1||{mrn}^^^H^MR||Ünïcødé^Näme")
    if draw(st.booleans()):
        segments.append(f"OBR|1|||P^Panel^LN|||{draw(times)}")
    count = draw(st.integers(min_value=0, max_value=8))
    for i in range(count):
        random_one = hostile or draw(st.integers(min_value=0, max_value=9)) == 0
        segments.append(draw(obx(i + 1) if random_one else good_obx(i + 1)))
    if hostile and draw(st.booleans()):  # a broken or unknown segment
        bad = draw(st.sampled_from(["ZZZ|1|\\X0D\\|", "OBX", "|||", "PID|1||A~B~C", "\\E\\\\"]))
        segments.insert(draw(st.integers(0, len(segments))), bad)
    text = draw(st.sampled_from(["\r", "\r", "\n", "\r\n"])).join(segments)
    encoding = "latin-1" if charset == "8859/1" else "utf-8"
    if hostile:
        encoding = draw(st.sampled_from(["utf-8", "latin-1"]))
    data = text.encode(encoding, errors="replace")
    if hostile and draw(st.booleans()):
        cut = draw(st.integers(min_value=0, max_value=len(data)))
        data = data[:cut] + draw(st.binary(max_size=8)) + data[cut:]
    return data


@pytest.fixture(scope="module")
def intake(tmp_path_factory):
    db = tmp_path_factory.mktemp("fuzz") / "chart.sqlite3"
    store = ChartStore(db, clock=lambda: NOW)
    store.create_patient(MRN, "Fuzz Patient", actor="setup", infusion_time=NOW - 5 * 86400)
    yield Intake(store, load_mapping(), clock=lambda: NOW)
    store.close()


def count_rows(intake: Intake) -> int:
    return int(intake.store.conn.execute("SELECT count(*) FROM observations").fetchone()[0])


@settings(
    max_examples=1000,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    derandomize=True,
)
@given(data=messages())
def test_every_generated_message_is_answered_and_stored_only_on_aa(intake, data):
    before = count_rows(intake)
    outcome = intake.receive(data)  # no exception of any kind
    answers[outcome.answer] += 1
    assert outcome.answer in ("AA", "AE", "AR")
    segments = outcome.ack.split(b"\r")
    assert segments[0].startswith(b"MSH|^~\\&|CRS-DESKTOP|")
    assert segments[1].startswith(b"MSA|" + outcome.answer.encode() + b"|")
    assert b"\x0b" not in outcome.ack and b"\x1c" not in outcome.ack
    assert len(outcome.ack) < 4096  # one read of mllp_send
    added = count_rows(intake) - before
    assert added == (outcome.charted if outcome.answer == "AA" else 0)
    assert not intake.store.conn.in_transaction


def test_the_fuzz_reached_every_answer():
    """Run after the fuzz (file order): it produced charted, refused and rejected messages."""
    if not answers:
        pytest.skip("run with the fuzz")
    assert min(answers["AA"], answers["AE"], answers["AR"]) > 50, answers
    assert sum(answers.values()) >= 1000


def test_sqlite_file_is_consistent_after_the_fuzz(intake):
    conn: sqlite3.Connection = intake.store.conn
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


@st.composite
def byte_streams(draw: st.DrawFn) -> bytes:
    """Bytes as a line carries them: frames, noise, stray start and end bytes."""
    pieces = draw(
        st.lists(
            st.sampled_from([b"\x0b", b"\x1c", b"\r", b"\x1c\r", b"MSH|^~\\&|", b"\x00\xff"])
            | st.binary(max_size=40),
            max_size=30,
        )
    )
    return b"".join(pieces)


@settings(max_examples=500, deadline=None, derandomize=True)
@given(data=byte_streams(), chunk=st.integers(min_value=1, max_value=64))
def test_mllp_framing_of_any_bytes_ends_in_frames_or_a_named_fault(data, chunk):
    """Any bytes, in chunks of any size: frames come out (never holding <VT> or <FS>), or
    the line ends mid-frame, or the frame is over the limit; nothing else, no hang."""

    async def read() -> list[bytes]:
        reader = asyncio.StreamReader()
        for start in range(0, len(data), chunk):
            reader.feed_data(data[start : start + chunk])
        reader.feed_eof()
        frames = FrameReader(reader, timeout=1.0, max_bytes=200)
        found = []
        try:
            while (one := await frames.next_frame()) is not None:
                found.append(one)
        except (ConnectionResetError, FrameTooLarge):
            pass
        return found

    for frame in asyncio.run(read()):
        assert b"\x0b" not in frame and b"\x1c" not in frame
        assert len(frame) <= 200
