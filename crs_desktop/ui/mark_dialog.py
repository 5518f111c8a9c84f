"""Answering a checklist action: done (a drug's dose and time are charted with it), not done
or not applicable (a reason is required). Tocilizumab shows its dose from the charted weight
and warns before a dose that breaks the protocol's limits; the nurse may go on with a reason."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from crs_desktop.app.records import Entry
from crs_desktop.app.treatment import TreatmentState
from crs_desktop.domain.checklist import DONE, STATUS_WORDS
from crs_desktop.domain.drug_doses import tocilizumab_dose_mg, tocilizumab_mg_per_kg
from crs_desktop.domain.errors import UserError
from crs_desktop.domain.protocol import Action
from crs_desktop.domain.vocabulary import ITEMS, unit_text
from crs_desktop.ui.clock_time import ClockTimeEdit
from crs_desktop.ui.discard_guard import confirm_discard
from crs_desktop.ui.session import PatientSession


def _clock(epoch: float) -> str:
    return datetime.fromtimestamp(epoch).astimezone().strftime("%d %b %H:%M")


def _wrapped(text: str) -> QLabel:
    label = QLabel(text)
    label.setWordWrap(True)
    return label


def dose_explained(action: Action, treatment: TreatmentState, now: float) -> tuple[str, str]:
    """(dose in mg as text, how it was found) for a drug action; ('', why not) if unknown."""
    weight = treatment.weight_kg(now)
    if action.drug == "tocilizumab":
        rules = treatment.protocol.tocilizumab
        if not weight:
            return "", "No weight charted: chart the weight to compute the dose."
        dose = tocilizumab_dose_mg(weight, rules)
        per_kg = tocilizumab_mg_per_kg(weight, rules)
        capped = " (capped)" if per_kg * weight > rules.max_dose_mg else ""
        return (
            f"{dose:g}",
            f"{per_kg:g} mg/kg × {weight:g} kg, at most {rules.max_dose_mg:g} mg{capped} "
            "(ward protocol, from the tocilizumab label and guidelines)",
        )
    if action.dose_mg is not None:
        return f"{action.dose_mg:g}", "the protocol's dose; give what was prescribed"
    if action.dose_mg_per_kg is not None:
        if not weight:
            return "", "No weight charted: chart the weight to compute the dose."
        dose = round(action.dose_mg_per_kg * weight, 1)
        return f"{dose:g}", f"{action.dose_mg_per_kg:g} mg/kg × {weight:g} kg"
    if action.drug and ITEMS[action.drug].canonical_unit == "mL":
        return "", "enter the volume given, as prescribed"
    return "", "enter the dose given, as prescribed"


class MarkDialog(QDialog):
    """One checklist action marked done, not done or not applicable, charted with who and when."""

    def __init__(
        self,
        session: PatientSession,
        treatment: TreatmentState,
        action: Action,
        status: str,
        clock: Callable[[], float],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.session, self.treatment, self.action, self.status = session, treatment, action, status
        self.clock = clock
        self.event_id: int | None = None
        # What the window showed as the dialog opened: a mark made meanwhile on another
        # workstation refuses this one, naming who (store: record_event's seen_up_to).
        self.seen_up_to = session.core.reader.last_event_id
        now = clock()
        self.setWindowTitle(f"{STATUS_WORDS[status]}: {action.title}")
        self.setMinimumWidth(780)
        layout = QVBoxLayout(self)
        heading = QLabel(f"<b>{STATUS_WORDS[status]}</b>: {action.title}")
        heading.setWordWrap(True)
        heading.setStyleSheet("font-size: 14pt;")
        layout.addWidget(heading)
        if action.detail:
            detail = QLabel(action.detail)
            detail.setWordWrap(True)
            layout.addWidget(detail)
        form = QFormLayout()
        # Now, following the clock, until the nurse sets another time: a dialog opened
        # before drawing up a dose and saved after giving it charts when it was given.
        self.when_row = ClockTimeEdit(clock, "mark_time")
        self.when = self.when_row.edit
        self.dose = QLineEdit()
        self.dose.setObjectName("mark_dose")
        self.reason = QLineEdit()
        self.reason.setObjectName("mark_reason")
        self.warnings = QLabel()
        self.warnings.setObjectName("mark_warnings")
        self.warnings.setWordWrap(True)
        self.warnings.setProperty("role", "error")
        self.warnings.hide()
        gives_drug = status == DONE and action.drug is not None
        if gives_drug and action.drug:
            dose, how = dose_explained(action, treatment, now)
            self.dose.setText(dose)
            item = ITEMS[action.drug]
            unit = item.canonical_unit
            given = "volume given" if unit == "mL" else "dose given"
            form.addRow(f"{item.label} {given} ({unit_text(unit)})", self.dose)
            form.addRow("", _wrapped(how))
            form.addRow("Given at", self.when_row)
            if action.drug == "tocilizumab":
                form.addRow("So far", _wrapped(self._tocilizumab_so_far(now)))
        elif status == DONE:
            form.addRow("Done at", self.when_row)
        self.needs_reason = status != DONE
        if gives_drug and action.drug == "tocilizumab":
            self.when.dateTimeChanged.connect(self._check_limits)
            self.dose.textChanged.connect(self._check_limits)
            self._check_limits()
        if status == DONE and action.done_asks:  # e.g. who was informed (§7.2), charted
            self.needs_reason = True
            self.reason.setPlaceholderText("required: it is charted with the mark")
            form.addRow(f"{action.done_asks} (required)", self.reason)
        elif status == DONE:
            self.reason.setPlaceholderText("needed only to go on past a warning")
            form.addRow("Reason to go on", self.reason)
        else:
            self.reason.setPlaceholderText("why (required)")
            form.addRow("Reason (required)", self.reason)
        layout.addLayout(form)
        layout.addWidget(self.warnings)
        self.error = QLabel()
        self.error.setObjectName("mark_error")
        self.error.setProperty("role", "error")
        self.error.setWordWrap(True)
        self.error.hide()
        layout.addWidget(self.error)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.save)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self._dose_offered = self.dose.text()  # the computed dose is not typed by the nurse
        (self.dose if gives_drug else self.reason).setFocus()

    def typed_count(self) -> int:
        """The values the nurse typed: a reason, a dose other than the one offered."""
        typed = [self.reason.text().strip(), self.dose.text() != self._dose_offered]
        return sum(1 for value in typed if value)

    def reject(self) -> None:
        """Esc or Cancel: a typed reason or dose is discarded only when the nurse says so."""
        if self.event_id is None and not confirm_discard(self, self.typed_count()):
            return
        super().reject()

    def _tocilizumab_so_far(self, now: float) -> str:
        status = self.treatment.tocilizumab(now)
        text = (
            f"last 24 h: {status.doses_24h} dose(s) ({status.mg_24h:g} mg); "
            f"in total: {status.doses_total} ({status.mg_total:g} mg)"
        )
        if status.next_allowed_at is not None:
            text += f"; next not before {_clock(status.next_allowed_at)}"
        return text

    def _check_limits(self) -> None:
        """The protocol's tocilizumab limits for a dose at the time given (REFERENCE.md §5.1)."""
        at = self.when_row.shown()  # the limits for the time on screen
        try:
            dose: float | None = float(self.dose.text().strip())
        except ValueError:
            dose = None  # not a number yet: refused on saving, with what is allowed
        status = self.treatment.tocilizumab(at, dose)
        self.needs_reason = status.needs_reason
        if status.warnings:
            self.warnings.setText(
                "⚠ Check before giving: "
                + "; ".join(status.warnings)
                + ". You may go on: give the reason (it is charted)."
            )
            self.warnings.show()
        else:
            self.warnings.hide()

    def save(self) -> None:
        at = self.when_row.epoch()
        reason = self.reason.text().strip()
        if self.needs_reason and not reason:
            field = "reason to go on" if self.status == DONE else "reason"
            if self.status == DONE and self.action.done_asks:
                field = self.action.done_asks.lower()
            self._refuse(f"{field}: required (empty); say why, it is charted")
            self.reason.setFocus()
            return
        entries: list[Entry] = []
        detail: dict[str, object] = {
            "title": self.action.title,
            "system": self.action.system,
            "source": self.action.source,
        }
        if reason:
            detail["reason"] = reason
        if self.status == DONE and self.action.drug:
            dose = self.dose.text().strip()
            note = f"checklist: {self.action.key}" + (
                f"; reason to go on: {reason}" if reason else ""
            )
            entries.append(
                Entry(self.action.drug, dose, ITEMS[self.action.drug].canonical_unit, note)
            )
            if self.warnings.isVisible():
                detail["warnings"] = self.warnings.text()
        try:
            self.event_id = self.session.record_event(
                "checklist",
                key=self.action.key,
                status=self.status,
                at=at,
                detail=detail,
                entries=entries,
                seen_up_to=self.seen_up_to,
            )
        except UserError as exc:  # a bad dose, a time in the future: nothing was written
            self._refuse(str(exc))
            return
        self.accept()

    def _refuse(self, message: str) -> None:
        self.error.setText(message)
        self.error.show()
