"""The listener as its own process, and HL7 test messages written from the standard.

Messages follow HL7 v2.5.1 ORU^R01 (MSH, PID, OBR, OBX; the lab shape of the NIST / HL7
Lab Results Interface test messages) and IHE PCD-01 (a monitor's MDS / VMD / channel /
metric OBX hierarchy, MDC codes and units). Written here by hand, no patient's data.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import IO

# The listener judges "in the future" against this time (its --now), in this zone.
ZONE = "Europe/Berlin"
LISTEN_NOW = "2026-11-20T12:00:00+01:00"
MRN = "MRN-4711"
NAME = "Jane Testpatient"
MLLP_SEND = str(Path(sys.executable).parent / "mllp_send")


def oru(
    control_id: str,
    obx: list[str],
    *,
    mrn: str | None = MRN,
    sender: str = "LAB",
    facility: str = "CITYHOSP",
    charset: str = "UNICODE UTF-8",
    order_time: str = "20261120093000+0100",
    message_type: str = "ORU^R01^ORU_R01",
    pid: str | None = None,
) -> str:
    """An ORU^R01 (segments joined by <CR>); `obx` are the OBX segments' text."""
    msh = (
        f"MSH|^~\\&|{sender}|{facility}|CRS|WARD|20261120100000+0100||{message_type}|"
        f"{control_id}|P|2.5.1|||AL|NE||{charset}"
    )
    if pid is None:
        pid = f"PID|1||{mrn}^^^CITYHOSP^MR||Testpatient^Jane" if mrn is not None else "PID|1"
    obr = f"OBR|1|ORD1|FIL1|24323-8^Panel^LN|||{order_time}"
    return "\r".join([msh, pid, obr, *obx]) + "\r"


def lab_obx() -> list[str]:
    """Labs as a laboratory sends them (LOINC, UCUM, reference range and flags)."""
    return [
        "OBX|1|NM|1988-5^C reactive protein^LN||85.2|mg/L^^UCUM|<5|H|||F|||20261120093000+0100",
        "OBX|2|NM|2276-4^Ferritin^LN||1250|ng/mL^^UCUM|20-300|H|||F|||20261120093000+0100",
        "OBX|3|NM|777-3^Platelets^LN||45|10*9/L^^UCUM|150-400|L|||F|||20261120093000+0100",
        "OBX|4|NM|718-7^Hemoglobin^LN||98|g/L^^UCUM|120-160|L|||F|||20261120093000+0100",
        "OBX|5|NM|2345-7^Glucose^LN||5.4|mmol/L^^UCUM|3.9-5.8|N|||F|||20261120093000+0100",
    ]


def vitals_obx() -> list[str]:
    """Vital signs coded in LOINC, one with its time without seconds or offset."""
    return [
        "OBX|1|NM|8310-5^Body temperature^LN||38.6|Cel^^UCUM|||||F|||20261120094500+0100",
        "OBX|2|NM|8480-6^Systolic blood pressure^LN||92|mm[Hg]^^UCUM|||||F|||202611200945",
        "OBX|3|NM|8462-4^Diastolic blood pressure^LN||55|mm[Hg]^^UCUM|||||F|||202611200945",
        "OBX|4|NM|8867-4^Heart rate^LN||118|{beats}/min^^UCUM|||||F|||20261120094500+0100",
    ]


def pcd01_obx() -> list[str]:
    """A monitor's observations in the IHE PCD-01 shape: the device hierarchy (no value),
    NIBP systolic / diastolic / mean, SpO2 with its perfusion index, pulse rate, °F."""
    t = "20261120095000+0100"
    return [
        f"OBX|1||69965^MDC_DEV_MON_PHYSIO_MULTI_PARAM_MDS^MDC|1.0.0.0|||||||X|||{t}",
        f"OBX|2||69798^MDC_DEV_SYS_VS_CONFIG_MDS^MDC|1.1.0.0|||||||X|||{t}",
        f"OBX|3|NM|150021^MDC_PRESS_BLD_NONINV_SYS^MDC|1.1.1.1|88|266016^MDC_DIM_MMHG^MDC|||||R|||{t}",
        f"OBX|4|NM|150022^MDC_PRESS_BLD_NONINV_DIA^MDC|1.1.1.2|50|266016^MDC_DIM_MMHG^MDC|||||R|||{t}",
        f"OBX|5|NM|150023^MDC_PRESS_BLD_NONINV_MEAN^MDC|1.1.1.3|63|266016^MDC_DIM_MMHG^MDC|||||R|||{t}",
        f"OBX|6|NM|150456^MDC_PULS_OXIM_SAT_O2^MDC|1.1.2.1|93|262688^MDC_DIM_PERCENT^MDC|||||R|||{t}",
        f"OBX|7|NM|150488^MDC_PULS_OXIM_PERF_REL^MDC|1.1.2.2|2.1|262688^MDC_DIM_PERCENT^MDC|||||R|||{t}",
        f"OBX|8|NM|149530^MDC_PULS_OXIM_PULS_RATE^MDC|1.1.2.3|121|264864^MDC_DIM_BEAT_PER_MIN^MDC|||||R|||{t}",
        f"OBX|9|NM|150364^MDC_TEMP_BODY^MDC|1.1.3.1|101.5|266560^MDC_DIM_FAHR^MDC|||||R|||{t}",
    ]


def framed(message: str | bytes, encoding: str = "utf-8") -> bytes:
    data = message.encode(encoding) if isinstance(message, str) else message
    return b"\x0b" + data + b"\x1c\r"


def read_ack(sock: socket.socket) -> bytes:
    """One MLLP answer (without framing); b"" if the line closed first."""
    data = b""
    while not data.endswith(b"\x1c\r"):
        chunk = sock.recv(65536)
        if not chunk:
            return b""
        data += chunk
    return data[data.index(b"\x0b") + 1 : -2]


def msa(ack: bytes) -> list[str]:
    """The MSA fields of an answer: [MSA, code, control ID, text]."""
    for segment in ack.decode("latin-1").split("\r"):
        if segment.startswith("MSA|"):
            return segment.split("|")
    raise AssertionError(f"no MSA in {ack!r}")


def send(port: int, message: str | bytes, encoding: str = "utf-8") -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        sock.sendall(framed(message, encoding))
        return read_ack(sock)


@dataclass
class Listener:
    """`crs-desktop listen` running as its own process; its log goes to a file (a pipe
    nobody reads would fill and stop it)."""

    process: subprocess.Popen[str]
    port: int
    log_file: IO[str]

    def stop(self, sig: int = signal.SIGTERM) -> tuple[int, str]:
        """Stop it with `sig`; its exit status and its log (stderr)."""
        if self.process.poll() is None:
            self.process.send_signal(sig)
        try:
            self.process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        if self.process.stdout is not None:
            self.process.stdout.close()
        self.log_file.seek(0)
        log = self.log_file.read()
        self.log_file.close()
        return self.process.returncode, log


def env() -> dict[str, str]:
    return {**os.environ, "TZ": ZONE, "CRS_DESKTOP_DEBUG": "1"}


def start_listener(db: Path, *extra: str, now: str = LISTEN_NOW) -> Listener:
    command = [sys.executable, "-m", "crs_desktop", "listen", "--db", str(db), "--port", "0"]
    if now:
        command += ["--now", now]
    log_file = tempfile.TemporaryFile("w+", encoding="utf-8")
    process = subprocess.Popen(
        [*command, *extra],
        env=env(),
        stdout=subprocess.PIPE,
        stderr=log_file,
        text=True,
        cwd=Path(__file__).resolve().parents[2],
    )
    assert process.stdout is not None
    line = process.stdout.readline()  # "listening on 127.0.0.1:PORT, ..." once ready
    if "listening on" not in line:
        process.kill()
        process.wait()
        log_file.seek(0)
        raise AssertionError(f"the listener did not start: {line!r} {log_file.read()}")
    port = int(line.split("listening on ", 1)[1].split(",", 1)[0].rsplit(":", 1)[1])
    return Listener(process, port, log_file)


def mllp_send(port: int, path: Path) -> list[bytes]:
    """The package's own sender (`mllp_send --loose`): the answers it printed."""
    done = subprocess.run(
        [MLLP_SEND, "--loose", "--file", str(path), "--port", str(port), "127.0.0.1"],
        capture_output=True,
        timeout=60,
        check=True,
    )
    return [a for a in done.stdout.split(b"\x1c\r\n") if a.strip()]
