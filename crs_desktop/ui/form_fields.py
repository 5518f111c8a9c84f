"""One value on the observations form: its editor, its unit box and where its error shows."""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import QComboBox, QGridLayout, QLabel, QLineEdit

from crs_desktop.domain.vocabulary import ITEMS, unit_text, word_text

# From a value, the key to its unit box: the unit boxes are out of the Tab path (Tab goes
# value to value, issue 13), so the keyboard reaches them this way. Not Ctrl+U: a line edit
# takes that to clear the line.
UNIT_KEY = "F4"


@dataclass
class Field:
    """One value on the form: an editor, its unit choice, and where its error shows."""

    item: str
    editor: QLineEdit | QComboBox
    unit: QComboBox | None
    error: QLabel

    def text(self) -> str:
        if isinstance(self.editor, QComboBox):
            return self.editor.currentData() or ""
        return self.editor.text().strip()

    def unit_text(self) -> str:
        return self.unit.currentData() if self.unit is not None else ""

    def show_error(self, message: str) -> None:
        self.error.setText(message)
        self.error.setVisible(bool(message))


def make_editor(item: str) -> QLineEdit | QComboBox:
    """A box of the item's words (first: nothing chosen), or a line to type a number in."""
    spec = ITEMS[item]
    if spec.words:
        combo = QComboBox()
        combo.addItem("", "")
        for word in spec.words:
            combo.addItem(word_text(word), word)
        return combo
    line = QLineEdit()
    line.setMaximumWidth(110)
    return line


def fill_units(box: QComboBox, units: tuple[str, ...]) -> None:
    box.clear()
    for u in units:
        box.addItem(unit_text(u), u)


def _open_unit(unit: QComboBox) -> None:
    """The unit box takes the keys: Down/Up choose, Alt+Down opens its list."""
    unit.setFocus(Qt.FocusReason.ShortcutFocusReason)


def add_field(
    grid: QGridLayout,
    row: int,
    col: int,
    item: str,
    key: str | None = None,
    label: str | None = None,
) -> Field:
    """The field's label, editor, unit and error in `grid`, at (row, col) of fields."""
    spec = ITEMS[item]
    editor = make_editor(item)
    editor.setObjectName(f"field_{key or item}")
    unit: QComboBox | None = None
    if len(spec.units) > 1:
        unit = QComboBox()
        fill_units(unit, spec.units)
        unit.setObjectName(f"unit_{key or item}")
        # Out of the Tab path: Tab from a temperature goes to the next value, never to
        # its unit (typing "120" into a unit box, then the rest one box late, charted a
        # systolic of 80 and a diastolic of 88). A click or F4 reaches it.
        unit.setFocusPolicy(Qt.FocusPolicy.ClickFocus)
        unit.setToolTip(f"Unit ({UNIT_KEY} from the value)")
        shortcut = QShortcut(QKeySequence(UNIT_KEY), editor)
        shortcut.setContext(Qt.ShortcutContext.WidgetShortcut)
        shortcut.activated.connect(lambda box=unit: _open_unit(box))
    error = QLabel()
    error.setProperty("role", "error")
    error.setWordWrap(True)
    error.hide()
    name = QLabel(label or spec.label)
    name.setBuddy(editor)
    grid.addWidget(name, row * 2, col * 3)
    grid.addWidget(editor, row * 2, col * 3 + 1)
    if unit is not None:
        grid.addWidget(unit, row * 2, col * 3 + 2)
    elif spec.units:
        grid.addWidget(QLabel(unit_text(spec.units[0])), row * 2, col * 3 + 2)
    grid.addWidget(error, row * 2 + 1, col * 3, 1, 3)
    return Field(item, editor, unit, error)
