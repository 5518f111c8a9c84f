"""One HL7 v2 message in, one answer out: read, matched to a patient, judged as every
value is, charted with the record of the message (so a resend is never charted twice),
and only then acknowledged.

AA: charted (or charted before: a resend), with a warning per result not charted.
AE: a mapped value the chart refuses, or the patient not on this ward: nothing charted.
AR: not an ORU^R01, or not readable: nothing charted.
The log line names the control ID and the reason, never a patient identifier.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from crs_desktop.app.row_source import HL7_SOURCE
from crs_desktop.domain.errors import UserError
from crs_desktop.interop.hl7_ack import Problem, build_ack
from crs_desktop.interop.hl7_mapping import Mapping
from crs_desktop.interop.hl7_message import AA, AE, AR, Header, Refusal, decode, read_report
from crs_desktop.interop.hl7_results import judge
from crs_desktop.store import ChartStore, Patient
from crs_desktop.store.received import already_received, chart_message

SOURCE = HL7_SOURCE  # the observations' source column: shown as "via HL7"
MAX_LOGGED_CODES = 10


def _plain(text: str, limit: int = 60) -> str:
    """Text from the wire as it may go in a log line: printable, short."""
    shown = "".join(c if c.isprintable() else "?" for c in text)
    return shown if len(shown) <= limit else shown[: limit - 1] + "…"


def sender_name(header: Header) -> str:
    """Who charted it: the sending application (MSH-3) and facility (MSH-4)."""
    app, facility = _plain(header.sending_app, 40), _plain(header.sending_facility, 40)
    if app and facility:
        return f"{app} ({facility})"
    return app or facility or "HL7 sender"


@dataclass
class Outcome:
    """The answer to one message and the line the listener logs for it."""

    answer: str
    ack: bytes
    log: str
    charted: int = 0
    problems: list[Problem] = field(default_factory=list)


def _year_start(epoch: float) -> float:
    """The start of the local calendar year of a time."""
    moment = datetime.fromtimestamp(epoch).astimezone()
    return moment.replace(month=1, day=1, hour=0, minute=0, second=0, microsecond=0).timestamp()


class Intake:
    """Messages charted into one store (used from one thread: the store's)."""

    def __init__(
        self, store: ChartStore, mapping: Mapping, clock: Callable[[], float] = time.time
    ) -> None:
        self.store = store
        self.mapping = mapping
        self.clock = clock

    def receive(self, raw: bytes) -> Outcome:
        header = Header()
        try:
            text, header = decode(raw)
            return self._charted(text, header)
        except Refusal as refusal:
            header = refusal.header or header
            # One ERR a problem (the reason names each refused value, "; " between).
            problems = [Problem(refusal.code, "E", "", p) for p in refusal.reason.split("; ")]
            return self._answer(header, refusal.answer, refusal.reason, problems, 0, [])
        except UserError as exc:  # the store could not write (busy, disk full): try again
            reason = f"not charted: {exc}"
            return self._answer(header, AE, reason, [Problem("207", "E", "", reason)], 0, [])

    def _charted(self, text: str, header: Header) -> Outcome:
        report = read_report(text, header)
        sender = header.sender
        if already_received(self.store, sender, header.control_id):
            return self._answer(header, AA, "already received; not charted again", [], 0, [])
        patient = self._patient(report.patient_ids)
        now = self.clock()
        facts = self.store.patient_facts(patient, now)
        not_before = _year_start(facts.infusion_time) if facts.infusion_time else None
        judged = judge(report, self.mapping, now, not_before)
        count = chart_message(
            self.store,
            patient.id,
            judged.rows,
            sender=sender,
            control_id=header.control_id,
            actor=sender_name(header),
            source=SOURCE,
        )
        if count is None:  # charted meanwhile through another connection
            return self._answer(header, AA, "already received; not charted again", [], 0, [])
        warnings = [
            Problem("103", "W", f"OBX^{s.result.number}", f"{s.code_text}: {s.reason}; not charted")
            for s in judged.skipped
        ]
        words = f"charted {count} value{'s' if count != 1 else ''}"
        if warnings:
            words += f"; {len(warnings)} not charted (see ERR)"
        codes = [s.code_text for s in judged.skipped]
        return self._answer(header, AA, words, warnings, count, codes)

    def _patient(self, ids: list[tuple[str, str]]) -> Patient:
        if not ids:
            raise Refusal(AE, "no patient identifier (PID-3); patient not on this ward", "101")
        found: dict[int, Patient] = {}
        for ident, _kind in ids:
            patient = self.store.patient(ident)
            if patient is not None:
                found[patient.id] = patient
        if not found:
            raise Refusal(AE, "patient not on this ward (PID-3 matches no patient)", "204")
        if len(found) > 1:
            raise Refusal(AE, "PID-3 names more than one patient on this ward", "204")
        return next(iter(found.values()))

    def _answer(
        self,
        header: Header,
        answer: str,
        text: str,
        problems: list[Problem],
        charted: int,
        skipped_codes: list[str],
    ) -> Outcome:
        ack = build_ack(header, answer, text, problems, self.clock())
        who = _plain(header.sender.strip("^"), 60) or "unknown sender"
        control = _plain(header.control_id, 40) or "(none)"
        line = f"message {control} from {who}: {answer}, {text}"
        if skipped_codes:
            shown = ", ".join(skipped_codes[:MAX_LOGGED_CODES])
            more = len(skipped_codes) - MAX_LOGGED_CODES
            line += f" [not charted: {shown}{f' and {more} more' if more > 0 else ''}]"
        return Outcome(answer, ack, line, charted, problems)


__all__ = ["AA", "AE", "AR", "Intake", "Outcome", "sender_name"]
