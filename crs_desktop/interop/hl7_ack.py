"""The answer to an HL7 v2 message: an ACK with MSA (AA, AE or AR) and ERR segments.

Built here, not with the package's create_ack() (it warns on Python 3.12 and later).
Kept small: `mllp_send` and many engines read an answer with one 4 KiB read.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from crs_desktop.interop.hl7_message import CHARSETS, Header

APPLICATION = "CRS-DESKTOP"
MAX_ERR_SEGMENTS = 20
MAX_TEXT = 80  # MSA-3 is an ST of 80 characters (HL7 v2.5)
MAX_USER_MESSAGE = 250  # ERR-8 (TX)
_ESCAPES = str.maketrans(
    {"\\": "\\E\\", "|": "\\F\\", "^": "\\S\\", "&": "\\T\\", "~": "\\R\\"}
    # Control characters echoed from a message (a control ID holding <VT> or <FS>) would
    # break the MLLP frame of the answer: written as HL7 hexadecimal escapes.
    | {chr(c): f"\\X{c:02X}\\" for c in (*range(32), 127)}
)
# For an answer in ASCII (or a character set without them): the words stay readable.
_PLAIN = str.maketrans({"–": "-", "…": "...", "×": "x", "µ": "u", "°": "deg", "⁹": "9"})
_counter = itertools.count(1)


@dataclass(frozen=True, slots=True)
class Problem:
    """One ERR segment: HL7 error code (table 0357), severity (E or W), where, what."""

    code: str
    severity: str
    location: str  # e.g. "OBX^3" ("" when the whole message)
    message: str


_CODE_TEXT = {
    "100": "Segment sequence error",
    "101": "Required field missing",
    "102": "Data type error",
    "103": "Table value not found",
    "200": "Unsupported message type",
    "203": "Unsupported version id",
    "204": "Unknown key identifier",
    "207": "Application internal error",
    "0": "Message accepted",
}


def _escape(text: str, limit: int) -> str:
    text = text if len(text) <= limit else text[: limit - 1] + "…"
    return text.translate(_ESCAPES)


def _hl7_now(now: float) -> str:
    return datetime.fromtimestamp(now).astimezone().strftime("%Y%m%d%H%M%S%z")


def build_ack(
    header: Header,
    answer: str,
    text: str,
    problems: Sequence[Problem] = (),
    now: float | None = None,
) -> bytes:
    """The ACK for a message (its header as far as it could be read), encoded as it was."""
    now = time.time() if now is None else now
    declared = header.charset.split("^")[0].strip().upper()
    # Answered in the message's own character set; undeclared (or unknown) is ASCII.
    codec = CHARSETS.get(declared, "ascii")
    charset = declared if declared in CHARSETS else ""
    ack_id = f"CRS{int(now * 1000)}-{next(_counter)}"
    msh = [
        "MSH",
        "^~\\&",
        APPLICATION,
        _escape(header.receiving_facility, 100),
        _escape(header.sending_app, 100),
        _escape(header.sending_facility, 100),
        _hl7_now(now),
        "",
        "ACK^R01^ACK",
        ack_id,
        "P",
        _escape(header.version or "2.5", 20),
    ]
    if charset:
        msh += ["", "", "", "", "", _escape(charset, 40)]
    segments = [
        "|".join(msh),
        "|".join(["MSA", answer, _escape(header.control_id, 199), _escape(text, MAX_TEXT)]),
    ]
    shown = problems[:MAX_ERR_SEGMENTS]
    for problem in shown:
        code_text = _CODE_TEXT.get(problem.code, "")
        segments.append(
            "|".join(
                [
                    "ERR",
                    "",
                    _escape(problem.location, 40).replace("\\S\\", "^"),
                    f"{problem.code}^{code_text}^HL70357",
                    problem.severity,
                    "",
                    "",
                    "",
                    _escape(problem.message, MAX_USER_MESSAGE),
                ]
            )
        )
    more = len(problems) - len(shown)
    if more > 0:
        segments.append(f"ERR||||W||||{more} more not listed")
    return _encoded("\r".join(segments) + "\r", codec)


def _encoded(message: str, codec: str) -> bytes:
    """The answer in the message's character set; a character it lacks in plain letters."""
    try:
        return message.encode(codec)
    except UnicodeEncodeError:
        pass
    out = []
    for char in message:
        try:
            out.append(char.encode(codec))
        except UnicodeEncodeError:
            out.append(char.translate(_PLAIN).encode(codec, errors="replace"))
    return b"".join(out)
