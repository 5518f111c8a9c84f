"""The treatment checklist: what the protocol says to do at the current grades, what was done,
tocilizumab so far and the day's steroids. New items (since the last acknowledged alert) are
highlighted and say NEW in words; nothing here blocks a nurse."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from html import escape

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from crs_desktop.domain.checklist import (
    DONE,
    NOT_APPLICABLE,
    NOT_DONE,
    STATUS_WORDS,
    ChecklistItem,
)
from crs_desktop.domain.drug_doses import SteroidDay, TocilizumabStatus
from crs_desktop.domain.grading.wording import clock
from crs_desktop.domain.protocol import EVIDENCE

NEW_STYLE = "#checklist_row[new='true'] { background: #fff2a8; border: 2px solid #3d3300; }"
MARK_SYMBOL = {DONE: "✔", NOT_DONE: "✘", NOT_APPLICABLE: "–"}


def _clock(epoch: float) -> str:
    return datetime.fromtimestamp(epoch).astimezone().strftime("%d %b %H:%M")


def _hm(epoch: float) -> str:
    return datetime.fromtimestamp(epoch).astimezone().strftime("%H:%M")


class ChecklistRow(QFrame):
    """One action: its state in words, its title, and the three answers."""

    def __init__(self, item: ChecklistItem, now: float, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.item, self.now = item, now
        action = item.action
        self.setObjectName("checklist_row")
        self.setProperty("new", "true" if item.new else "false")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        # Title on its own line, the state and the answers under it: fits a narrow column.
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 3, 6, 3)
        layout.setSpacing(2)
        self.title = QLabel(("NEW · " if item.new else "") + action.title)
        self.title.setObjectName(f"title_{action.key}")
        self.title.setWordWrap(True)
        if item.new or item.outstanding:
            self.title.setStyleSheet("font-weight: bold;")
        layout.addWidget(self.title)
        below = QHBoxLayout()
        self.state = QLabel(self._state_words())
        self.state.setObjectName(f"state_{action.key}")
        self.state.setWordWrap(True)
        below.addWidget(self.state, 1)
        tip = [action.detail] if action.detail else []
        tip.append(f"Source: {action.source_shown} ({EVIDENCE[action.evidence]})")
        self.setToolTip("\n".join(tip))
        self.buttons: dict[str, QPushButton] = {}
        for status, label in ((DONE, "Done…"), (NOT_DONE, "Not done…"), (NOT_APPLICABLE, "N/A…")):
            button = QPushButton(label)
            button.setObjectName(f"{status}_{action.key}")
            button.setAccessibleName(f"{STATUS_WORDS[status]}: {action.title}")
            button.setStyleSheet("padding: 3px 5px;")
            below.addWidget(button, 0, Qt.AlignmentFlag.AlignTop)
            self.buttons[status] = button
        layout.addLayout(below)

    def _state_words(self) -> str:
        mark = self.item.mark
        # Where the clinical reference has no source for a rule, the nurse is told so.
        unverified = " · rule not verified" if self.item.action.unverified else ""
        if mark is None:
            # When it began and how long it has waited ("TO DO for 16 h" read as a deadline).
            waiting = self.item.waiting_since
            since = clock(waiting, None, self.now)
            hours = int((self.now - waiting) // 3600)
            waited = f" ({hours} h)" if hours >= 1 else ""
            return f"☐ outstanding since {since}{waited}{unverified}"
        words = f"{MARK_SYMBOL[mark.status]} {STATUS_WORDS[mark.status].upper()} "
        words += f"{clock(mark.at, None, self.now)} by {mark.by}"
        if mark.reason:
            words += f": {mark.reason}"
        if mark.until is not None:  # a dose counts for its repeat interval (§1.3a item 9)
            words += f" · counts until {clock(mark.until, None, self.now)}"
        return words


class ChecklistPanel(QWidget):
    """The checklist at the current grades; `mark_requested(key, status)` when a nurse answers."""

    mark_requested = Signal(str, str)
    tocilizumab_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("checklist_panel")
        self.setStyleSheet(NEW_STYLE)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        self.heading = QLabel("Treatment checklist")
        self.heading.setObjectName("checklist_heading")
        self.heading.setProperty("role", "section")
        self.heading.setWordWrap(True)
        outer.addWidget(self.heading)
        self.drugs = QLabel()
        self.drugs.setObjectName("checklist_drugs")
        self.drugs.setWordWrap(True)
        self.drugs.setTextFormat(Qt.TextFormat.RichText)
        drug_row = QHBoxLayout()
        drug_row.addWidget(self.drugs, 1)
        self.give_tocilizumab = QPushButton("Give tocilizumab…")
        self.give_tocilizumab.setObjectName("give_tocilizumab")
        self.give_tocilizumab.clicked.connect(self.tocilizumab_requested)
        drug_row.addWidget(self.give_tocilizumab, 0, Qt.AlignmentFlag.AlignTop)
        outer.addLayout(drug_row)
        self.inner = QWidget()
        self.rows_layout = QVBoxLayout(self.inner)
        self.rows_layout.setContentsMargins(0, 0, 0, 0)
        self.rows_layout.setSpacing(3)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setWidget(self.inner)
        outer.addWidget(scroll, 1)
        self.rows: dict[str, ChecklistRow] = {}
        self._shown: object = None
        self._layout: object = None  # the rows' order and group headings, as painted
        self._painted: dict[str, tuple[ChecklistItem, int]] = {}  # each row as painted

    def show_checklist(
        self,
        items: Sequence[ChecklistItem],
        grades: dict[str, int | None],
        tocilizumab: TocilizumabStatus,
        dose_text: str,
        steroids: Sequence[SteroidDay],
        now: float,
    ) -> None:
        """Show the items; rebuilt only when something shown has changed (the hours an item
        has waited count, the seconds do not)."""
        waited = tuple(int((now - i.waiting_since) // 3600) for i in items)
        day = int(now // 86400)
        shown = (
            tuple(items),
            tuple(grades.items()),
            tocilizumab,
            dose_text,
            tuple(steroids),
            waited,
            day,
        )
        if shown == self._shown:
            return
        self._shown = shown
        # Only what changed is repainted: the heading and the drug lines are words; the
        # rows are rebuilt only when the list or its grouping changed, else the changed
        # rows alone are replaced (a new value mostly changes nothing here).
        crs, icans = grades.get("astct_crs"), grades.get("astct_icans")
        outstanding = sum(1 for i in items if i.outstanding)
        new = sum(1 for i in items if i.new)
        words = f"What to do now: CRS grade {_g(crs)}, ICANS grade {_g(icans)}"
        if items:
            words += f" · {outstanding} to do" + (f", {new} NEW" if new else "")
        self.heading.setText(words)
        self.drugs.setText(_drug_lines(tocilizumab, dose_text, steroids, now))
        painted = {i.action.key: (i, h) for i, h in zip(items, waited, strict=True)}
        layout = (_layout(items), day)
        if layout != self._layout:
            same_day = self._layout is not None and self._layout[1] == day  # type: ignore[index]
            self._layout = layout
            # Rows whose words did not change are kept (moved, not built again): a NEWS2
            # trigger coming and going under a stream adds or drops one row, not all.
            kept = {
                key: self.rows[key]
                for key, shown_row in painted.items()
                if same_day and key in self.rows and self._painted.get(key) == shown_row
            }
            self._rebuild(items, now, kept)
        else:
            for key, shown_row in painted.items():
                if self._painted.get(key) != shown_row:
                    self._replace_row(shown_row[0], now)
        self._painted = painted

    def _replace_row(self, item: ChecklistItem, now: float) -> None:
        """One row's words changed (answered, waited another hour): that row alone anew."""
        old = self.rows[item.action.key]
        row = self._new_row(item, now)
        self.rows_layout.insertWidget(self.rows_layout.indexOf(old), row)
        self.rows_layout.removeWidget(old)
        old.hide()  # hidden now, so it never shows under its replacement
        old.deleteLater()

    def _new_row(self, item: ChecklistItem, now: float) -> ChecklistRow:
        row = ChecklistRow(item, now)
        for status, button in row.buttons.items():
            button.clicked.connect(
                lambda _checked=False, k=item.action.key, s=status: self.mark_requested.emit(k, s)
            )
        self.rows[item.action.key] = row
        return row

    def _rebuild(
        self, items: Sequence[ChecklistItem], now: float, kept: dict[str, ChecklistRow]
    ) -> None:
        for row in kept.values():  # out of the layout first: the rest is deleted
            self.rows_layout.removeWidget(row)
        while self.rows_layout.count():
            child = self.rows_layout.takeAt(0)
            widget = child.widget() if child is not None else None
            if widget is not None:
                widget.hide()  # hidden now, so it never shows under its replacement
                widget.deleteLater()
        self.rows = {}
        if not items:
            empty = QLabel("Nothing due: no CRS or ICANS grade calls for an action now.")
            empty.setWordWrap(True)
            self.rows_layout.addWidget(empty)
        group = None
        for heading, item in _ordered(items):
            if heading != group:
                group = heading
                label = QLabel(heading)
                label.setProperty("role", "section")
                self.rows_layout.addWidget(label)
            key = item.action.key
            if key in kept:
                self.rows[key] = kept[key]
            self.rows_layout.addWidget(kept[key] if key in kept else self._new_row(item, now))
        self.rows_layout.addStretch(1)


def _ordered(items: Sequence[ChecklistItem]) -> list[tuple[str, ChecklistItem]]:
    """(group heading, item): new first, then what is still to do, then what was answered;
    the protocol's order within."""
    ordered = sorted(items, key=lambda i: (not i.new, not i.outstanding))
    shown = []
    for item in ordered:
        heading = "New since the grade rose" if item.new else item.action.group
        if not item.outstanding:
            heading = "Answered"
        shown.append((heading, item))
    return shown


def _layout(items: Sequence[ChecklistItem]) -> tuple[tuple[str, str], ...]:
    """The rows' order and headings: while it stays, changed rows are replaced in place."""
    return tuple((heading, item.action.key) for heading, item in _ordered(items))


def _g(grade: int | None) -> str:
    return "–" if grade is None else str(grade)


def _drug_lines(
    toci: TocilizumabStatus, dose_text: str, steroids: Sequence[SteroidDay], now: float
) -> str:
    """Rich text: the dose and the next allowed time in bold, the rest plain."""
    given = (
        f"given {toci.doses_24h} in the last 24 h ({toci.mg_24h:g} mg), "
        f"{toci.doses_total} in total ({toci.mg_total:g} mg)"
    )
    if toci.last_at is not None:
        given += f"; last {_clock(toci.last_at)}"
    lines = [f"<b>Tocilizumab dose {escape(dose_text)}</b>; {escape(given)}."]
    if toci.next_allowed_at is not None:  # only a limit still ahead (drug_doses)
        lines.append(f"<b>Next tocilizumab not before {_clock(toci.next_allowed_at)}.</b>")
    if steroids:
        parts = [
            f"{day.drug} {day.total_mg:g} mg ("
            + ", ".join(f"{d.mg:g} mg at {_hm(d.at)}" for d in day.doses)
            + ")"
            for day in steroids
        ]
        lines.append("Steroids today: " + escape("; ".join(parts)) + ".")
    else:
        lines.append("Steroids today: none.")
    return "<br>".join(lines)
