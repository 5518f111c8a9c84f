"""An HL7 v2 ORU^R01 read into plain records: its header, the patient's identifiers and
each result (OBX) as written. Parsed with the `hl7` package (python-hl7).

Nothing here judges a value: hl7_results does, through the domain's validation. What
cannot be read at all (not HL7, not an ORU^R01, undecodable text) is a Refusal with
the code of the answer it gets (AR) and the reason.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import hl7

# MSH-18 character sets (HL7 v2 table 0211) -> Python codecs. Empty is ASCII by the
# standard; senders that leave it empty often send UTF-8 or ISO 8859-1 anyway.
CHARSETS = {
    "ASCII": "ascii",
    "8859/1": "latin-1",
    "8859/15": "iso8859-15",
    "UNICODE UTF-8": "utf-8",
    "UTF-8": "utf-8",
    "UNICODE": "utf-8",
}
# Answer codes (MSA-1): accepted, error (application), rejected.
AA, AE, AR = "AA", "AE", "AR"


class Refusal(Exception):
    """A message answered AE or AR; `reason` is for the sender and the log (never a
    patient identifier), `code` an HL7 error code (table 0357)."""

    def __init__(
        self, answer: str, reason: str, code: str = "207", header: Header | None = None
    ) -> None:
        self.answer = answer
        self.reason = reason
        self.code = code
        self.header = header
        super().__init__(f"{answer}: {reason}")


@dataclass(frozen=True, slots=True)
class Header:
    """What the answer needs from MSH, read even from a message refused otherwise."""

    control_id: str = ""
    sending_app: str = ""
    sending_facility: str = ""
    receiving_app: str = ""
    receiving_facility: str = ""
    version: str = "2.5"
    charset: str = ""  # MSH-18 as written
    message_type: str = ""

    @property
    def sender(self) -> str:
        """Who sent it, as its control IDs are unique for: application and facility."""
        return f"{self.sending_app}^{self.sending_facility}"


@dataclass(frozen=True, slots=True)
class Result:
    """One OBX as written (components unescaped)."""

    number: int  # its place among the message's OBX segments, from 1
    value_type: str  # OBX-2
    code: list[str]  # OBX-3 components
    value: list[str]  # OBX-5 components (SN: comparator, number, ...)
    unit: list[str]  # OBX-6 components
    abnormal: str  # OBX-8, repetitions joined by ","
    status: str  # OBX-11
    time: str  # OBX-14, else the OBR-7 of its order, else ""


@dataclass(frozen=True, slots=True)
class Report:
    """An ORU^R01: its header, the patient's identifiers (PID-3), its results."""

    header: Header
    patient_ids: list[tuple[str, str]]  # (identifier, type code) per PID-3 repetition
    results: list[Result] = field(default_factory=list)


def decode(raw: bytes) -> tuple[str, Header]:
    """The text of a message in the character set MSH-18 names, and its header."""
    first = raw.split(b"\r", 1)[0].split(b"\n", 1)[0]
    if not first.startswith(b"MSH") or len(first) < 8:
        raise Refusal(AR, "not an HL7 v2 message (it must begin with an MSH segment)", "100")
    header = _header(first.decode("latin-1"))  # enough to answer, whatever the text is
    charset = header.charset.split(first[4:5].decode("latin-1"))[0].strip()
    codec = CHARSETS.get(charset.upper()) if charset else "utf-8"
    if codec is None:
        raise Refusal(
            AR,
            f"character set {charset!r} (MSH-18) is not supported; send UTF-8 or 8859/1",
            "203",
            header,
        )
    try:
        text = raw.decode(codec)
    except UnicodeDecodeError:
        if charset:  # declared, and not what came: the values cannot be trusted either
            raise Refusal(AR, f"the text is not {charset} as MSH-18 says", "102", header) from None
        text = raw.decode("latin-1")  # undeclared and not UTF-8: the older default
    text = text.replace("\r\n", "\r").replace("\n", "\r")
    return text, _header(text.split("\r", 1)[0])


def header_of(raw: bytes) -> Header:
    """The header of a message's first bytes, however broken the rest is (to answer it)."""
    return _header(raw.split(b"\r", 1)[0].split(b"\n", 1)[0].decode("latin-1"))


def _header(msh: str) -> Header:
    """The header of an MSH segment, read by hand: it must work where parsing fails."""
    if len(msh) < 8 or not msh.startswith("MSH"):
        return Header()
    sep, comp = msh[3], msh[4]
    parts = msh.split(sep)

    def get(n: int) -> str:
        return parts[n - 1].strip() if n - 1 < len(parts) else ""

    def first(n: int) -> str:
        return get(n).split(comp)[0].strip()

    version = first(12) or "2.5"
    return Header(
        control_id=get(10)[:199],
        sending_app=first(3)[:100],
        sending_facility=first(4)[:100],
        receiving_app=first(5)[:100],
        receiving_facility=first(6)[:100],
        version=version[:20],
        charset=get(18)[:40],
        message_type=get(9)[:40],
    )


def read_report(text: str, header: Header) -> Report:
    """The ORU^R01 in a message's text; Refusal (AR) for anything else."""
    kind = header.message_type.split("^")
    if len(kind) < 2 or kind[0] != "ORU" or kind[1] != "R01":
        raise Refusal(
            AR, f"message type {header.message_type[:20]!r} is not accepted; only ORU^R01", "200"
        )
    if not header.control_id:
        raise Refusal(AR, "MSH-10 (message control ID) is empty", "101")
    try:
        message = hl7.parse(text)
        segments = [(str(s[0]).upper(), s) for s in message]
    except Exception:  # the package raises many kinds on broken input: all are "unreadable"
        raise Refusal(AR, "the message cannot be parsed as HL7 v2", "100") from None
    # python-hl7's separators: segment, field, repetition, component, subcomponent.
    seps = str(message.separators)
    repetition = seps[2] if len(seps) > 2 else "~"
    component = seps[3] if len(seps) > 3 else "^"

    def raw(segment: object, number: int) -> str:
        try:
            return str(segment[number]) if number < len(segment) else ""  # type: ignore[index, arg-type]
        except Exception:
            return ""

    def parts(text: str) -> list[str]:
        return [_unescape(message, p) for p in text.split(component)]

    pids = [s for name, s in segments if name == "PID"]
    if len(pids) > 1:
        raise Refusal(AE, "more than one patient (PID) in one message", "100")
    patient_ids: list[tuple[str, str]] = []
    if pids:
        for rep in raw(pids[0], 3).split(repetition):
            comps = parts(rep)
            ident = comps[0].strip() if comps else ""
            if ident:
                patient_ids.append((ident, comps[4].strip().upper() if len(comps) > 4 else ""))
    results: list[Result] = []
    order_time = ""
    for name, seg in segments:
        if name == "OBR":
            order_time = parts(raw(seg, 7))[0].strip()
        elif name == "OBX":
            results.append(
                Result(
                    number=len(results) + 1,
                    value_type=raw(seg, 2).strip().upper(),
                    code=parts(raw(seg, 3).split(repetition)[0]),
                    value=parts(raw(seg, 5)),
                    unit=parts(raw(seg, 6)),
                    abnormal=",".join(
                        a
                        for a in (
                            _unescape(message, r).strip() for r in raw(seg, 8).split(repetition)
                        )
                        if a
                    ),
                    status=raw(seg, 11).strip().upper(),
                    time=parts(raw(seg, 14))[0].strip() or order_time,
                )
            )
    return Report(header, patient_ids, results)


def _unescape(message: hl7.Message, text: str) -> str:
    if "\\" not in text:
        return text
    try:
        return str(message.unescape(text))
    except Exception:  # a broken escape: kept as written (a value then fails validation)
        return text
