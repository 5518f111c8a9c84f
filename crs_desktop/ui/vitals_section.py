"""The vital signs of the observations form, in the order a nurse reads them off the monitor.

Temperature, blood pressure, heart rate, respiratory rate, SpO2, then ACVPU and the oxygen:
with ACVPU the seven NEWS2 parameters are together (REFERENCE.md §7.1). Tab goes through
them in that order. A set of vital signs saved without a NEWS2 parameter is asked about
here; the nurse may go on with a reason, which is charted (REFERENCE.md §1.3a item 6).
"""

from __future__ import annotations

from PySide6.QtWidgets import (
    QCompleter,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from crs_desktop.domain.validation import ValidValue
from crs_desktop.domain.vitals import NEWS2_SET, blood_pressure_problem
from crs_desktop.ui.form_fields import Field, add_field

# The monitor's order, then the consciousness level: the Tab path of the form.
VITALS = (
    "temperature",
    "systolic_bp",
    "diastolic_bp",
    "heart_rate",
    "resp_rate",
    "spo2",
    "acvpu",
)
OXYGEN = ("o2_device", "o2_flow", "fio2")
# Why a NEWS2 parameter is not charted: the two the clinical owner named, and free text.
REASONS_NOT_CHARTED = ("asleep", "refused")


class VitalsSection(QGroupBox):
    """Vital signs, ACVPU and oxygen; the question when NEWS2 is incomplete."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Vital signs and NEWS2", parent)
        self.fields: dict[str, Field] = {}
        layout = QVBoxLayout(self)
        grid = QGridLayout()
        for n, item in enumerate(VITALS + OXYGEN):
            self.fields[item] = add_field(grid, n, 0, item)
        layout.addLayout(grid)

        # Shown only when a set of vitals lacks a NEWS2 parameter.
        self.gap = QWidget()
        gap = QVBoxLayout(self.gap)
        gap.setContentsMargins(0, 0, 0, 0)
        self.gap_message = QLabel()
        self.gap_message.setObjectName("news2_missing")
        self.gap_message.setProperty("role", "error")
        self.gap_message.setWordWrap(True)
        gap.addWidget(self.gap_message)
        row = QHBoxLayout()
        self.reason = QLineEdit()
        self.reason.setObjectName("news2_reason")
        self.reason.setPlaceholderText("e.g. " + ", ".join(REASONS_NOT_CHARTED))
        # Completed in the line, never in a popup: a popup would take the Enter that saves.
        completer = QCompleter(list(REASONS_NOT_CHARTED), self.reason)
        completer.setCompletionMode(QCompleter.CompletionMode.InlineCompletion)
        self.reason.setCompleter(completer)
        label = QLabel("&Reason not charted")
        label.setBuddy(self.reason)  # Alt+R
        row.addWidget(label)
        row.addWidget(self.reason, 1)
        gap.addLayout(row)
        self.gap.hide()
        layout.addWidget(self.gap)

        # Said at the field as soon as the pair is typed, and refused on saving.
        for item in ("systolic_bp", "diastolic_bp"):
            editor = self.fields[item].editor
            assert isinstance(editor, QLineEdit)
            editor.editingFinished.connect(self._check_pair_as_typed)

    def tab_path(self) -> list[QWidget]:
        """The values in the order Tab goes through them (unit boxes are not in it)."""
        path: list[QWidget] = [self.fields[item].editor for item in VITALS + OXYGEN]
        return [*path, self.reason]

    # -- blood pressure ---------------------------------------------------------------

    def _check_pair_as_typed(self) -> None:
        """The diastolic's error as soon as both are typed (a number each), or cleared."""
        numbers = []
        for item in ("systolic_bp", "diastolic_bp"):
            try:
                numbers.append(float(self.fields[item].text()))
            except ValueError:
                return  # not both numbers yet: the validation says what is wrong on saving
        problem = blood_pressure_problem(numbers[0], numbers[1])
        self.fields["diastolic_bp"].show_error(problem or "")

    def pair_problem(self, valid: list[ValidValue]) -> str | None:
        """Why the systolic and diastolic charted together cannot be one reading, or None."""
        by_item = {v.item: v.value for v in valid}
        systolic, diastolic = by_item.get("systolic_bp"), by_item.get("diastolic_bp")
        if systolic is None or diastolic is None:
            return None
        return blood_pressure_problem(systolic, diastolic)

    # -- NEWS2 incomplete -------------------------------------------------------------

    def reason_text(self) -> str:
        return "" if self.gap.isHidden() else self.reason.text().strip()

    def ask_for(self, missing: list[str]) -> None:
        """Say what NEWS2 lacks, and put the cursor in the first missing value."""
        self.gap_message.setText(
            f"NEWS2 needs all seven: not charted: {', '.join(missing)}. Type them, or say "
            "why they are not charted (e.g. asleep, refused) and press Enter: the reason "
            "is charted with the set."
        )
        self.gap.show()
        first = dict(NEWS2_SET)[missing[0]][0]
        self.fields[first].editor.setFocus()
