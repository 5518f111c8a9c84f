"""Charting a set of observations at one time, keyboard first: Tab goes value to value,
Enter saves, Escape cancels (asking first when values were typed).

Every value is validated by the domain (the same rules as the importer); a
bad value is shown beside its field and nothing at all is saved. Values that
are possible but extreme are charted only after the nurse confirms them.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import replace

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from crs_desktop.app.records import EntriesRefused, Entry
from crs_desktop.domain.errors import UserError
from crs_desktop.domain.grading import ice_score
from crs_desktop.domain.grading.astct_icans import ICE_PARTS as ICANS_ICE_PARTS
from crs_desktop.domain.observation import OTHER_CAUSE
from crs_desktop.domain.validation import ChartValueError, ValidValue
from crs_desktop.domain.vitals import VITAL_SIGN_ITEMS, news2_missing
from crs_desktop.domain.vocabulary import ITEMS, RATE_ITEMS, Category, unit_text
from crs_desktop.ui.clock_time import ClockTimeEdit
from crs_desktop.ui.discard_guard import confirm_discard
from crs_desktop.ui.form_fields import Field, add_field, fill_units
from crs_desktop.ui.form_questions import (
    ask_tocilizumab_reason,
    confirm_extreme,
    confirm_other_cause,
)
from crs_desktop.ui.session import PatientSession
from crs_desktop.ui.vitals_section import OXYGEN, VitalsSection

# The values of a set that carry the reason NEWS2 is incomplete.
NEWS2_ITEMS = VITAL_SIGN_ITEMS | set(OXYGEN)
# ACVPU is with the vital signs (vitals_section.py); the level of consciousness stays here.
NEURO_WORDS = ("consciousness", "seizure", "motor_weakness", "cerebral_edema", "sedation")
LABS = tuple(name for name, item in ITEMS.items() if item.category is Category.LAB)
GIVEN = tuple(
    name
    for name, item in ITEMS.items()
    if item.category
    in (Category.ANTIPYRETIC, Category.ANTICYTOKINE, Category.CORTICOSTEROID, Category.FLUID)
)
# REFERENCE.md §4.1: the ICE score's five parts and their points, from domain (one home).
ICE_PARTS = tuple(ICANS_ICE_PARTS.items())


def _as_written(value: ValidValue) -> str:
    """'Temperature 101.3 °F': the value as the nurse typed it, with the unit it was in."""
    unit = unit_text(value.written_unit or value.unit)
    return f"{ITEMS[value.item].label} {value.written_value} {unit}".strip()


def _said(error: ChartValueError) -> str:
    """'Heart rate 'fast': must be a number…': the field's own name, not the item's code."""
    item = ITEMS.get(error.item)
    if item is None:
        return str(error)
    shown = f"{error.value!r}" if error.value != "" else "(empty)"
    return f"{item.label} {shown}: {error.problem}"


class EntryForm(QDialog):
    """One assessment: vitals, oxygen, neuro and ICE, infusions, drugs given, labs."""

    def __init__(
        self,
        session: PatientSession,
        clock: Callable[[], float] = time.time,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.session = session
        self.clock = clock
        self.setWindowTitle(f"Chart observations: {session.patient.name}")
        self.fields: dict[str, Field] = {}
        self.saved_ids: list[int] = []

        outer = QVBoxLayout(self)
        when = QHBoxLayout()
        when.addWidget(QLabel("Observed at"))
        # Now, following the clock, until the nurse sets another time (clock_time.py).
        self.time_row = ClockTimeEdit(clock, "observed_at")
        self.time_edit = self.time_row.edit
        when.addWidget(self.time_row)
        self.time_error = QLabel()
        self.time_error.setProperty("role", "error")
        self.time_error.hide()
        when.addWidget(self.time_error, 1)
        outer.addLayout(when)
        self.form_error = QLabel()
        self.form_error.setProperty("role", "error")
        self.form_error.setWordWrap(True)
        self.form_error.hide()
        outer.addWidget(self.form_error)

        body = QWidget()
        columns = QHBoxLayout(body)
        left, right = QVBoxLayout(), QVBoxLayout()
        columns.addLayout(left)
        columns.addLayout(right)
        self.vitals = VitalsSection()
        self.fields.update(self.vitals.fields)
        left.addWidget(self.vitals)
        left.addWidget(self._infusion_group())
        left.addStretch(1)
        right.addWidget(self._neuro_group())
        right.addWidget(self._given_group())
        right.addWidget(self._group("Laboratory results", LABS, columns=2))
        right.addStretch(1)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(body)
        outer.addWidget(scroll, 1)

        note_row = QHBoxLayout()
        note_row.addWidget(QLabel("Note (all values)"))
        self.note = QLineEdit()
        self.note.setPlaceholderText(
            "free text; the word other_cause leaves a finding out of grading"
        )
        note_row.addWidget(self.note, 1)
        outer.addLayout(note_row)

        buttons = QDialogButtonBox()
        self.save_button = buttons.addButton("Save (Enter)", QDialogButtonBox.ButtonRole.AcceptRole)
        self.save_button.setDefault(True)
        cancel = buttons.addButton("Cancel (Esc)", QDialogButtonBox.ButtonRole.RejectRole)
        cancel.setAutoDefault(False)
        buttons.accepted.connect(self.save)
        buttons.rejected.connect(self.reject)
        outer.addWidget(buttons)
        # Roomy where the screen allows, never larger than it: on a small ward screen the
        # buttons stay on it and the fields scroll.
        room = self.screen().availableGeometry()
        self.resize(min(1100, room.width()), min(820, room.height()))
        self._set_tab_order(cancel)
        self.fields["temperature"].editor.setFocus()

    def _set_tab_order(self, last: QWidget) -> None:
        """Tab goes value to value: the vitals as read off the monitor, then the rest of the
        form top to bottom, the note, the buttons, and the time (unit boxes are left out)."""
        path: list[QWidget] = self.vitals.tab_path()
        path += [self.pressor_choice, self._pressor_field.editor]
        path += list(self.ice_edits.values())
        path += [self.fields[item].editor for item in NEURO_WORDS + GIVEN + LABS]
        path += [self.note, self.save_button, last, self.time_edit]
        for before, after in zip(path, path[1:], strict=False):
            QWidget.setTabOrder(before, after)

    # -- building -------------------------------------------------------------------

    def _add_field(
        self,
        grid: QGridLayout,
        row: int,
        col: int,
        item: str,
        key: str | None = None,
        label: str | None = None,
    ) -> Field:
        field = add_field(grid, row, col, item, key, label)
        self.fields[key or item] = field
        return field

    def _group(self, title: str, items: tuple[str, ...], columns: int = 1) -> QGroupBox:
        box = QGroupBox(title)
        grid = QGridLayout(box)
        for n, item in enumerate(items):
            self._add_field(grid, n // columns, n % columns, item)
        return box

    def _infusion_group(self) -> QGroupBox:
        box = QGroupBox("Vasopressor infusion (rate from now on; 0 = stopped)")
        grid = QGridLayout(box)
        # No drug until the nurse chooses one: a default drug in the box would chart the
        # rate as whatever the box happened to show.
        self.pressor_choice = QComboBox()
        self.pressor_choice.setObjectName("pressor_choice")
        self.pressor_choice.addItem("choose the drug…", "")
        for name in sorted(RATE_ITEMS):
            self.pressor_choice.addItem(ITEMS[name].label, name)
        grid.addWidget(QLabel("Drug"), 0, 0)
        grid.addWidget(self.pressor_choice, 0, 1, 1, 2)
        field = self._add_field(grid, 1, 0, "norepinephrine", key="pressor_rate", label="Rate")
        self._pressor_field = field
        self.pressor_choice.currentIndexChanged.connect(self._pressor_units)
        self._pressor_units()
        return box

    def _pressor_units(self) -> None:
        """The rate field charts the drug shown, in that drug's units."""
        item = self.pressor_choice.currentData() or ""
        self._pressor_field.item = item
        unit = self._pressor_field.unit
        if unit is not None:
            fill_units(unit, ITEMS[item].units if item else ())

    def _given_group(self) -> QGroupBox:
        box = QGroupBox("Given now (doses and boluses)")
        grid = QGridLayout(box)
        for n, item in enumerate(GIVEN):
            self._add_field(grid, n // 2, n % 2, item)
        return box

    def _neuro_group(self) -> QGroupBox:
        box = QGroupBox("Neurological: ICE assessment and findings")
        grid = QGridLayout(box)
        self.ice_edits: dict[str, QLineEdit] = {}
        for n, (part, points) in enumerate(ICE_PARTS):
            edit = QLineEdit()
            edit.setObjectName(f"ice_{part}")
            edit.setMaximumWidth(60)
            edit.setPlaceholderText(f"0-{points}")
            edit.textChanged.connect(self._update_ice)
            label = QLabel(f"ICE {part} (of {points})")
            label.setBuddy(edit)
            grid.addWidget(label, n, 0)
            grid.addWidget(edit, n, 1)
            self.ice_edits[part] = edit
        self.ice_total = QLabel("ICE score: not assessed")
        self.ice_total.setObjectName("ice_total")
        self.ice_total.setStyleSheet("font-weight: bold; font-size: 13pt;")
        grid.addWidget(self.ice_total, len(ICE_PARTS), 0, 1, 3)
        self.ice_error = QLabel()
        self.ice_error.setProperty("role", "error")
        self.ice_error.hide()
        grid.addWidget(self.ice_error, len(ICE_PARTS) + 1, 0, 1, 3)
        words = QGridLayout()
        for n, item in enumerate(NEURO_WORDS):
            self._add_field(words, n, 0, item)
        grid.addLayout(words, len(ICE_PARTS) + 2, 0, 1, 3)
        return box

    # -- ICE --------------------------------------------------------------------------

    def _ice_parts(self) -> dict[str, int] | None:
        """The five parts as numbers, None if none entered; ValueError naming a bad part."""
        texts = {part: edit.text().strip() for part, edit in self.ice_edits.items()}
        if not any(texts.values()):
            return None
        parts: dict[str, int] = {}
        for part, points in ICE_PARTS:
            text = texts[part]
            if not text:
                raise ValueError(f"ICE {part}: not entered; all five parts are needed")
            if not text.isdigit():
                raise ValueError(f"ICE {part} {text!r}: must be a whole number from 0 to {points}")
            parts[part] = int(text)
        return parts

    def _update_ice(self) -> None:
        try:
            parts = self._ice_parts()
            if parts is None:
                self.ice_total.setText("ICE score: not assessed")
            else:
                most = sum(ICANS_ICE_PARTS.values())
                self.ice_total.setText(f"ICE score: {ice_score(**parts)} / {most}")
        except ValueError:
            self.ice_total.setText("ICE score: incomplete")

    # -- saving -------------------------------------------------------------------------

    def observed_at(self) -> float:
        """The time shown, brought up to now first if the nurse has not set one."""
        return self.time_row.epoch()

    def entries(self) -> tuple[list[Entry], dict[str, Field]]:
        """What was entered, and the field each item came from (for placing errors)."""
        note = self.note.text().strip()
        entries: list[Entry] = []
        by_item: dict[str, Field] = {}
        for field in self.fields.values():
            text = field.text()
            if text:
                entries.append(Entry(field.item, text, field.unit_text(), note))
                by_item[field.item] = field
        parts = self._ice_parts()
        if parts is not None:
            described = ", ".join(f"{p} {parts[p]}/{pts}" for p, pts in ICE_PARTS)
            score = ice_score(**parts)
            entries.append(Entry("ice_score", str(score), "", f"{described}. {note}".strip(". ")))
        return entries, by_item

    def _clear_errors(self) -> None:
        for field in self.fields.values():
            field.show_error("")
        for label in (self.time_error, self.form_error, self.ice_error):
            label.hide()

    def save(self) -> None:
        """Validate everything; chart all of it, or nothing."""
        self._clear_errors()
        rate = self._pressor_field.text()
        if rate and not self._pressor_field.item:
            self._pressor_field.show_error(f"vasopressor rate {rate!r}: choose the drug first")
            self.form_error.setText("Not saved: 1 value to correct (shown in red).")
            self.form_error.show()
            self.pressor_choice.setFocus()
            return
        try:
            entries, by_item = self.entries()
        except ValueError as exc:  # an ICE part
            self.ice_error.setText(str(exc))
            self.ice_error.show()
            return
        if not entries:
            self.form_error.setText("Nothing entered: type at least one value, or Esc to cancel.")
            self.form_error.show()
            return
        at = self.observed_at()
        try:  # checked by the core, as the store will check it: nothing written yet
            valid = self.session.core.review_set(entries, at, self.note.text()).valid
        except EntriesRefused as refused:
            self._show_refusal(refused.errors, by_item)
            return
        problem = self.vitals.pair_problem(valid)
        if problem:  # never a systolic and a diastolic typed into each other's box
            field = self.fields["diastolic_bp"]
            field.show_error(problem)
            field.editor.setFocus()
            self.form_error.setText("Not saved: 1 value to correct (shown in red).")
            self.form_error.show()
            return
        with_news2 = self._with_news2_reason(entries, valid)
        if with_news2 is None:
            return
        entries = with_news2
        extreme = [v for v in valid if v.extreme]
        if extreme and not confirm_extreme(
            self, "\n".join(f"{_as_written(v)}: {v.flag}" for v in extreme)
        ):
            return
        # Every value whose note says other_cause is left out of grading (the set's note, or
        # a reason typed with it): asked when that is more than one value.
        left_out = [v for v, e in zip(valid, entries, strict=True) if OTHER_CAUSE in e.note.lower()]
        if len(left_out) > 1 and not confirm_other_cause(
            self, "\n".join(_as_written(v) for v in left_out)
        ):
            return
        with_reason = self._with_tocilizumab_reason(entries, valid, at)
        if with_reason is None:
            return
        entries = with_reason
        try:
            self.saved_ids = self.session.chart(entries, at)
        except EntriesRefused as refused:
            self._show_refusal(refused.errors, by_item)
            return
        except UserError as exc:  # a time in the future, the store busy: nothing was written
            self.time_error.setText(str(exc))
            self.time_error.show()
            return
        self.accept()

    def _with_news2_reason(
        self, entries: list[Entry], valid: list[ValidValue]
    ) -> list[Entry] | None:
        """A set of vital signs is a whole NEWS2 set, or says why not (REFERENCE.md §1.3a
        item 6, §7.1): asked at the vitals; the reason is charted in the note of the set's
        vital signs. None: asked, nothing is saved."""
        missing = news2_missing({v.item for v in valid})
        if not missing:
            return entries
        reason = self.vitals.reason_text()
        if not reason:
            self.vitals.ask_for(missing)
            self.form_error.setText(
                "Not saved: NEWS2 is incomplete. Type the missing values, or the reason "
                "they are not charted (under Vital signs and NEWS2)."
            )
            self.form_error.show()
            return None
        said = f"NEWS2 incomplete, not charted: {', '.join(missing)}; reason: {reason}"
        return [
            replace(e, note=f"{e.note}; {said}" if e.note else said) if e.item in NEWS2_ITEMS else e
            for e in entries
        ]

    def _with_tocilizumab_reason(
        self, entries: list[Entry], valid: list[ValidValue], at: float
    ) -> list[Entry] | None:
        """The protocol's tocilizumab limits (REFERENCE.md §5.1), checked as the checklist's
        Give tocilizumab… checks them: past a warning the nurse may go on with a reason,
        charted in the dose's note. None: stopped, nothing is saved."""
        treatment = self.session.treatment
        dose = next((v for v in valid if v.item == "tocilizumab"), None)
        if treatment is None or dose is None:
            return entries
        warnings = treatment.tocilizumab(at, dose.value).warnings
        if not warnings:
            return entries
        reason = ask_tocilizumab_reason(
            self, "⚠ Check before giving tocilizumab:\n" + "\n".join(f"• {w}" for w in warnings)
        )
        if reason is None:
            return None
        if not reason:
            self.form_error.setText(
                "Not saved: tocilizumab reason to go on: required (empty); say why, it is charted."
            )
            self.form_error.show()
            return None
        said = f"tocilizumab limits: {'; '.join(warnings)}; reason to go on: {reason}"
        return [
            replace(e, note=f"{e.note}; {said}" if e.note else said)
            if e.item == "tocilizumab"
            else e
            for e in entries
        ]

    def _show_refusal(self, errors: list[ChartValueError], by_item: dict[str, Field]) -> None:
        first = True
        for error in errors:
            field = by_item.get(error.item)
            if field is not None:
                field.show_error(_said(error))
                if first:  # the cursor to the first value to correct
                    field.editor.setFocus()
                    first = False
            else:
                self.ice_error.setText(str(error))
                self.ice_error.show()
        self.form_error.setText(f"Not saved: {len(errors)} value(s) to correct (shown in red).")
        self.form_error.show()

    def focusNextPrevChild(self, next: bool) -> bool:  # noqa: A002, N802 (Qt's names)
        """From a unit box (reached by click or F4, out of the Tab path), Tab goes on
        from its value, and Shift+Tab back to the value."""
        focus = self.focusWidget()
        for field in self.fields.values():
            if field.unit is not None and field.unit is focus:
                field.editor.setFocus(Qt.FocusReason.BacktabFocusReason)
                return True if not next else super().focusNextPrevChild(True)
        return super().focusNextPrevChild(next)

    def typed_count(self) -> int:
        """How many values (and the note, the reason) the nurse has typed or chosen."""
        values = [field.text() for field in self.fields.values()]
        values += [edit.text().strip() for edit in self.ice_edits.values()]
        values += [self.note.text().strip(), self.vitals.reason.text().strip()]
        return sum(1 for value in values if value)

    def reject(self) -> None:
        """Esc, Cancel or closing: typed values are discarded only when the nurse says so."""
        if not self.saved_ids and not confirm_discard(self, self.typed_count()):
            return
        super().reject()

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 (Qt's name)
        # Enter saves from any field, including the combo boxes and the time.
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            self.save()
            return
        super().keyPressEvent(event)
