"""The grades, large: ASTCT CRS first, then ICANS and NEWS2; Lee 2014 and CTCAE on demand."""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Sequence
from datetime import datetime

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QFrame,
    QHBoxLayout,
    QLabel,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from crs_desktop.domain.grading import SYSTEM_TITLES, GradeSet, GradingSettings, SystemGrade
from crs_desktop.ui import theme, trace

PARAMETER_SCORE = re.compile(r" scores \d+$")  # NEWS2's words for one parameter's score
ALWAYS_SHOWN = ("astct_crs", "astct_icans", "news2")
ON_DEMAND = ("lee2014_crs", "ctcae_crs")


def _clock(epoch: float) -> str:
    return datetime.fromtimestamp(epoch).astimezone().strftime("%d %b %H:%M")


def age_words(seconds: float) -> str:
    """'40 min', '5 h', '1 day 6 h': how long ago, in words."""
    minutes = int(max(0.0, seconds) // 60)
    if minutes < 60:
        return f"{minutes} min"
    hours = minutes // 60
    if hours < 24:
        return f"{hours} h"
    days, hours = divmod(hours, 24)
    return f"{days} day{'s' if days > 1 else ''}" + (f" {hours} h" if hours else "")


def grade_text(system: str, grade: int | None) -> str:
    """The grade in words as well as colour: 'GRADE 2', 'grade 0 (none)', 'score 5' (NEWS2)."""
    if grade is None:
        return "not graded"
    if system == "news2":
        return f"score {grade}"
    if grade == 0:
        return "grade 0 (none)"
    return f"GRADE {grade}"


def reasons_text(system: str, reasons: Sequence[str]) -> str:
    """One bullet per reason; NEWS2's trigger first ("7 or more: emergency response
    threshold"), then its parameters' scores run together: seven bullets pushed the
    trigger below the fold of a 768-pixel screen."""
    if not reasons:
        return "• no findings"
    if system != "news2":
        return "\n".join(f"• {r}" for r in reasons)
    scores = [r for r in reasons if PARAMETER_SCORE.search(r)]
    others = [r for r in reasons if not PARAMETER_SCORE.search(r)]
    lines = [f"• {r}" for r in others]
    if scores:
        lines.append("• " + " · ".join(scores))
    return "\n".join(lines)


class GradeCard(QFrame):
    """One system: the grade as a badge, since when, the maximum, reasons and flags."""

    def __init__(self, system: str, large: bool, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.system = system
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setObjectName(f"card_{system}")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 4, 8, 4)
        layout.setSpacing(2)
        self.title = QLabel(SYSTEM_TITLES[system])
        self.title.setProperty("role", "section")
        self.badge = QLabel()
        self.badge.setObjectName(f"badge_{system}")
        self.badge.setAlignment(Qt.AlignmentFlag.AlignCenter)
        size = 26 if large else 18
        self.badge.setStyleSheet(f"font-size: {size}pt; font-weight: bold; padding: 2px 12px;")
        # The badge under its title, with the card's whole width: "grade 0 (none)" at the
        # large size beside the title did not fit a narrow column, and was cut. Since when
        # and the maximum beside the badge, not under it: on a 768-pixel screen the lines
        # saved let every card show what set its grade without scrolling.
        self.title.setWordWrap(True)
        layout.addWidget(self.title)
        self.since = QLabel()
        self.since.setWordWrap(True)
        self.since_beside = not large  # the large badge needs the card's whole width
        if self.since_beside:
            row = QHBoxLayout()
            row.setSpacing(8)
            row.addWidget(self.badge, 0, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
            row.addWidget(self.since, 1)
            layout.addLayout(row)
        else:
            layout.addWidget(self.badge, 0, Qt.AlignmentFlag.AlignLeft)
            layout.addWidget(self.since)
        self.reasons = QLabel()
        self.reasons.setWordWrap(True)
        self.flags = QLabel()
        self.flags.setWordWrap(True)
        self.flags.setProperty("role", "flag")
        for label in (self.since, self.reasons, self.flags):
            label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.reasons)
        layout.addWidget(self.flags)

    def show_grade(self, grade: SystemGrade | None) -> None:
        value = grade.grade if grade else None
        shown = grade_text(self.system, value)
        if self.system == "news2":
            back, fore = theme.grade_colours(None if value is None else min(3, (value + 1) // 2))
        else:
            back, fore = theme.grade_colours(value)
        self.badge.setText(shown)
        style = (
            self.badge.styleSheet().split("background")[0]
            + f"background: {back}; color: {fore}; border: 2px solid #202020;"
        )
        if style != self.badge.styleSheet():  # re-styling re-polishes: only on a change
            self.badge.setStyleSheet(style)
        if grade is None:
            self.since.setText("nothing charted yet")
            self.reasons.setText("")
            self.flags.setText("")
            return
        maximum = "–" if grade.max is None else str(grade.max)
        since = f"since {_clock(grade.since)}" if grade.since is not None else ""
        label = "highest" if self.system == "news2" else "maximum"
        between = "\n" if self.since_beside else "   ·   "
        self.since.setText(f"{since}{between}{label} so far: {maximum}")
        self.reasons.setText(reasons_text(self.system, grade.reasons))
        self.flags.setText("\n".join(f"⚠ Review: {f}" for f in grade.flags))
        self.flags.setVisible(bool(grade.flags))


class GradingPanel(QWidget):
    """All the grades at the latest charted time, updated as values arrive."""

    def __init__(
        self,
        clock: Callable[[], float] = time.time,
        stale_after_h: float = GradingSettings().vitals_window_h,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.clock = clock
        # Findings older than the vitals interval are not "now" (REFERENCE.md §6.1: vital
        # signs at least every 4 h; the same window NEWS2 uses, GradingSettings).
        self.stale_after_s = stale_after_h * 3600
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        self.as_of = QLabel()
        self.as_of.setObjectName("grades_as_of")
        self.as_of.setWordWrap(True)
        outer.addWidget(self.as_of)
        inner = QWidget()
        column = QVBoxLayout(inner)
        column.setContentsMargins(0, 0, 0, 0)
        self.cards: dict[str, GradeCard] = {}
        for system in ALWAYS_SHOWN + ON_DEMAND:
            card = GradeCard(system, large=system == "astct_crs")
            self.cards[system] = card
            column.addWidget(card)
        self.more = QCheckBox("Show Lee 2014 and CTCAE v5.0")
        self.more.toggled.connect(self._show_more)
        column.insertWidget(len(ALWAYS_SHOWN), self.more)
        column.addStretch(1)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setWidget(inner)
        outer.addWidget(scroll)
        self._show_more(False)
        self.grades: GradeSet | None = None
        self.changed_on_screen = True  # the last show_grades changed what is shown

    def _show_more(self, shown: bool) -> None:
        for system in ON_DEMAND:
            self.cards[system].setVisible(shown)

    def show_grading_in_progress(self) -> None:
        """A long chart is being graded in the background (seconds at most)."""
        self.as_of.setText("Grading the whole chart… the plots are already current.")
        for card in self.cards.values():
            card.badge.setText("grading…")
            card.since.setText("")
            card.reasons.setText("")
            card.flags.setText("")

    def show_grades(self, grades: GradeSet | None) -> None:
        # Whether the nurse sees anything new, for the trace only (ui/trace.py: a value that
        # leaves every word and colour as it was gives the panel nothing to paint).
        before = self._on_screen() if trace.active() else None
        self.grades = grades
        for system, card in self.cards.items():
            card.show_grade(grades.systems[system] if grades else None)
        self.show_age()
        if before is not None:
            self.changed_on_screen = self._on_screen() != before

    def _on_screen(self) -> tuple[tuple[str, object], ...]:
        """Every word of the panel and its role (the colour): what a repaint would show."""
        return tuple((w.text(), w.property("role")) for w in self.findChildren(QLabel))

    def stale_words(self) -> str | None:
        """'findings of 30 Nov 02:00 (1 day 6 h ago)' when they are too old to be now."""
        if self.grades is None:
            return None
        age = self.clock() - self.grades.time
        if age <= self.stale_after_s:
            return None
        return f"findings of {_clock(self.grades.time)} ({age_words(age)} ago)"

    def show_age(self) -> None:
        """How old the findings are; old ones in red words (called as the clock moves)."""
        grades = self.grades
        if grades is None:
            self.as_of.setText("No values charted yet")
            self.as_of.setProperty("role", "")
        elif (stale := self.stale_words()) is not None:
            self.as_of.setText(f"⚠ NOT CURRENT: grades from the {stale}")
            self.as_of.setProperty("role", "error")
        else:
            age = age_words(self.clock() - grades.time)
            when = f"{_clock(grades.time)} ({age} ago)"
            self.as_of.setText(f"Grades from values of {when}")
            self.as_of.setProperty("role", "")
        self.as_of.style().unpolish(self.as_of)
        self.as_of.style().polish(self.as_of)
