"""Every charted value in a sortable, filterable table; corrections struck through."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Qt,
    Signal,
)
from PySide6.QtGui import QColor, QFont
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from crs_desktop.app.records import ChartedRow
from crs_desktop.app.row_source import source_words
from crs_desktop.domain.vocabulary import ITEMS, number_shown, unit_text, word_text
from crs_desktop.ui.session import PatientSession

COLUMNS = (
    "Observed",
    "Item",
    "Value",
    "Unit",
    "As written",
    "Charted by",
    "Source",
    "Note",
    "Status",
)
SPANS = (("Last 24 h", 24.0), ("Last 72 h", 72.0), ("All", None))
Index = QModelIndex | QPersistentModelIndex


def _clock(epoch: float) -> str:
    return datetime.fromtimestamp(epoch).astimezone().strftime("%Y-%m-%d %H:%M")


class ChartRowsModel(QAbstractTableModel):
    """Rows are given to the model (set_rows / add_rows); it never queries the store."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[ChartedRow] = []
        self._index_of: dict[int, int] = {}

    def set_rows(self, rows: list[ChartedRow]) -> None:
        self.beginResetModel()
        self.rows = list(rows)
        self._index_of = {row.id: n for n, row in enumerate(self.rows)}
        self.endResetModel()

    def add_rows(self, rows: Iterable[ChartedRow]) -> None:
        new = [r for r in rows if r.id not in self._index_of]
        if not new:
            return
        first = len(self.rows)
        self.beginInsertRows(QModelIndex(), first, first + len(new) - 1)
        for row in new:
            self._index_of[row.id] = len(self.rows)
            self.rows.append(row)
        self.endInsertRows()

    def replace_row(self, row: ChartedRow) -> None:
        n = self._index_of.get(row.id)
        if n is not None:
            self.rows[n] = row
            self.dataChanged.emit(self.index(n, 0), self.index(n, len(COLUMNS) - 1))

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: N802, B008
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: N802, B008
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = 0) -> Any:  # noqa: N802
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return COLUMNS[section]
        return None

    def row_at(self, n: int) -> ChartedRow:
        return self.rows[n]

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        row = self.rows[index.row()]
        col = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return self._text(row, col)
        if role == Qt.ItemDataRole.UserRole:  # sort key
            return row.observed_at if col == 0 else self._text(row, col)
        if role == Qt.ItemDataRole.FontRole and row.entered_in_error:
            font = QFont()
            font.setStrikeOut(True)
            return font
        if role == Qt.ItemDataRole.ForegroundRole and row.entered_in_error:
            return QColor("#707070")
        if role == Qt.ItemDataRole.ToolTipRole:  # where it came from (issue 18), any error
            words = source_words(row)
            if row.entered_in_error:
                words += f"\nEntered in error by {row.error_by}: {row.error_reason}"
            return words
        return None

    def _text(self, row: ChartedRow, col: int) -> str:
        if col == 0:
            return _clock(row.observed_at)
        if col == 1:
            return ITEMS[row.item].label
        if col == 2:
            value = (
                number_shown(row.item, row.value, row.written_value, row.written_unit)
                if row.value is not None
                else word_text(row.text or "")
            )
            return value + ("  ★ extreme" if row.extreme else "")
        if col == 3:
            return unit_text(row.unit)
        if col == 4:
            return f"{row.written_value} {unit_text(row.written_unit)}".strip()
        if col == 5:
            return row.charted_by
        if col == 6:
            return row.source
        if col == 7:
            return row.note
        if row.entered_in_error:
            return f"ENTERED IN ERROR: {row.error_reason} ({row.error_by})"
        return "current"


class ChartTable(QWidget):
    """The chart as a table; double-click (or Correct…) to correct a value."""

    correct_requested = Signal(int)  # row id

    def __init__(
        self,
        session: PatientSession,
        clock: Callable[[], float] = time.time,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.session = session
        self.clock = clock
        self.model = ChartRowsModel()
        self.proxy = QSortFilterProxyModel(self)
        self.proxy.setSourceModel(self.model)
        self.proxy.setSortRole(Qt.ItemDataRole.UserRole)
        self.proxy.setFilterCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.proxy.setFilterKeyColumn(-1)
        layout = QVBoxLayout(self)
        controls = QHBoxLayout()
        self.filter = QLineEdit()
        self.filter.setObjectName("table_filter")
        self.filter.setPlaceholderText("Filter: item, value, nurse, note…")
        self.filter.textChanged.connect(self.proxy.setFilterFixedString)
        self.span = QComboBox()
        for label, hours in SPANS:
            self.span.addItem(label, hours)
        self.span.setCurrentIndex(1)
        self.span.currentIndexChanged.connect(self.reload)
        correct = QPushButton("Correct selected…")
        correct.clicked.connect(self._correct_selected)
        controls.addWidget(QLabel("Show"))
        controls.addWidget(self.span)
        controls.addWidget(self.filter, 1)
        controls.addWidget(correct)
        layout.addLayout(controls)
        self.view = QTableView()
        self.view.setModel(self.proxy)
        self.view.setSortingEnabled(True)
        self.view.sortByColumn(0, Qt.SortOrder.DescendingOrder)
        self.view.setSelectionBehavior(QTableView.SelectionBehavior.SelectRows)
        self.view.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.view.horizontalHeader().setStretchLastSection(True)
        self.view.doubleClicked.connect(lambda _index: self._correct_selected())
        layout.addWidget(self.view)
        self.loaded = False
        session.rows_added.connect(self._rows_added)
        session.rows_entered_in_error.connect(self._rows_errored)

    def showEvent(self, event: Any) -> None:  # noqa: N802
        if not self.loaded:  # read the table only when a nurse looks at it
            self.reload()
        super().showEvent(event)

    def reload(self) -> None:
        hours = self.span.currentData()
        since = None if hours is None else self.clock() - hours * 3600
        self.model.set_rows(self.session.core.rows(since=since))
        self.loaded = True

    def _rows_added(self, rows: list[ChartedRow]) -> None:
        if self.loaded:
            self.model.add_rows(rows)

    def _rows_errored(self, rows: list[ChartedRow]) -> None:
        """Rows now entered in error, as the session read them once for every widget."""
        if self.loaded:
            for row in rows:
                self.model.replace_row(row)

    def selected_row(self) -> ChartedRow | None:
        indexes = self.view.selectionModel().selectedRows()
        if not indexes:
            return None
        return self.model.row_at(self.proxy.mapToSource(indexes[0]).row())

    def _correct_selected(self) -> None:
        row = self.selected_row()
        if row is not None:
            self.correct_requested.emit(row.id)
