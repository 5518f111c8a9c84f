"""The window's trace: with CRS_DESKTOP_TRACE=FILE set, JSON lines appended to FILE saying
how long each change took to reach the screen and how late the event loop runs.

    {"event": "change", "recorded_at": ..., "picked": ..., "applied": ...,
     "plots_painted": ..., "grades_painted": ...}
    {"event": "probe", "late_ms": ...}

A "change" line for each change the window applied with new rows: `recorded_at` the newest
row's commit time as stored, `picked` when the window began reading it, `applied` when the
widgets had been given it, `plots_painted` the end of the next real paint of the curves
(the plot view's viewport, not its frame) and `grades_painted` the next real paint of the
grade panel after `applied` (epoch seconds). It is written once both have painted, or
after GIVE_UP_S with null for one that did not (nothing on it changed).
`grades_changed_on_screen` is false when the new grades left every word and colour of the
panel as it was (the same grades, the same minute): there is nothing to paint, so
`grades_painted` is null and the line is written once the curves have painted.

A "probe" line once a second: how late a 20 ms timer fired, the worst in that second.

Unset, nothing runs: no timer, no event filter; change() returns at once.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from typing import Any, TextIO

from PySide6.QtCore import QEvent, QObject, Qt, QTimer
from PySide6.QtWidgets import QWidget

ENV = "CRS_DESKTOP_TRACE"
PROBE_MS = 20
REPORT_EVERY_S = 1.0
GIVE_UP_S = 5.0  # a change still waiting for a paint after this is written with null

_tracer: Tracer | None = None


def active() -> bool:
    """Whether the trace is on (callers skip the work of its arguments when it is off)."""
    return _tracer is not None


def change(recorded_at: float, picked: float, applied: float) -> None:
    """A change applied to the widgets (epoch seconds); nothing when the trace is off."""
    if _tracer is not None:
        _tracer.change(recorded_at, picked, applied)


def waiting() -> int:
    """How many changes still wait for a paint (0 when the trace is off)."""
    return len(_tracer.waiting) if _tracer is not None else 0


def watch(plots_view: Any, grade_panel: QWidget) -> None:
    """Start the trace if CRS_DESKTOP_TRACE asks for it, and watch these widgets' paints:
    `plots_view` is the plot stack's view (its `on_paint` is called after each paint of
    its viewport), `grade_panel` the grade panel (its widgets' paint events)."""
    global _tracer
    path = os.environ.get(ENV)
    if not path:
        return
    if _tracer is None:
        _tracer = Tracer(open(path, "a", encoding="utf-8", buffering=1))  # noqa: SIM115
    _tracer.watch(plots_view, grade_panel)


def on_next_paint(widget: QWidget, then: Callable[[], None]) -> None:
    """Call `then` once, at the next paint event of `widget` or of a widget in it (for the
    benches: the grades are on screen, not only set)."""
    watcher = _NextPaint(then, widget)
    for each in (widget, *widget.findChildren(QWidget)):
        each.installEventFilter(watcher)


class _NextPaint(QObject):
    def __init__(self, then: Callable[[], None], parent: QObject) -> None:
        super().__init__(parent)
        self.then: Callable[[], None] | None = then

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802
        if event.type() == QEvent.Type.Paint and self.then is not None:
            then, self.then = self.then, None
            then()
            self.deleteLater()
        return False


def stop() -> None:
    """Write what is still waiting and close the file (the window is closing)."""
    global _tracer
    if _tracer is not None:
        _tracer.close()
        _tracer = None


class Tracer(QObject):
    """Writes the trace's lines: the changes as their paints arrive, the probe each second."""

    def __init__(self, out: TextIO) -> None:
        super().__init__()
        self.out = out
        self.waiting: list[dict[str, Any]] = []
        self.grade_panel: QWidget | None = None
        self._probe = QTimer(self)
        self._probe.setTimerType(Qt.TimerType.PreciseTimer)
        self._probe.setInterval(PROBE_MS)
        self._probe.timeout.connect(self._tick)
        self._last = self._second = time.perf_counter()
        self._worst_ms = 0.0
        self._probe.start()

    def watch(self, plots_view: Any, grade_panel: QWidget) -> None:
        self.grade_panel = grade_panel
        plots_view.on_paint = self.plots_painted
        # The panel's labels paint themselves (a new grade repaints the badge, not the
        # panel): every widget in it is watched.
        for widget in (grade_panel, *grade_panel.findChildren(QWidget)):
            widget.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802
        if event.type() == QEvent.Type.Paint:
            self._painted("grades_painted")
        return False

    def change(self, recorded_at: float, picked: float, applied: float) -> None:
        # The panel was given the new grades before this (the session's signals are direct):
        # did they change anything it shows?
        shown = getattr(self.grade_panel, "changed_on_screen", True)
        self.waiting.append(
            {
                "event": "change",
                "recorded_at": recorded_at,
                "picked": picked,
                "applied": applied,
                "plots_painted": None,
                "grades_painted": None,
                "grades_changed_on_screen": shown,
            }
        )

    def plots_painted(self) -> None:
        self._painted("plots_painted")

    def _painted(self, key: str) -> None:
        if not self.waiting:
            return
        now = time.time()
        for record in self.waiting:
            if record[key] is None:
                record[key] = now
        done = [r for r in self.waiting if _complete(r)]
        if done:
            self.waiting = [r for r in self.waiting if not _complete(r)]
            self._write(*done)

    def _tick(self) -> None:
        now = time.perf_counter()
        # A periodic timer fires PROBE_MS after its last firing: anything more is how long
        # the event loop was busy elsewhere.
        self._worst_ms = max(self._worst_ms, (now - self._last) * 1000 - PROBE_MS)
        self._last = now
        if now - self._second >= REPORT_EVERY_S:
            self._write({"event": "probe", "late_ms": round(max(0.0, self._worst_ms), 2)})
            self._second, self._worst_ms = now, 0.0
            stale = time.time() - GIVE_UP_S
            given_up = [r for r in self.waiting if r["applied"] < stale]
            if given_up:
                self.waiting = [r for r in self.waiting if r["applied"] >= stale]
                self._write(*given_up)

    def _write(self, *records: dict[str, Any]) -> None:
        self.out.write("".join(json.dumps(r) + "\n" for r in records))

    def close(self) -> None:
        self._probe.stop()
        if self.waiting:
            self._write(*self.waiting)
            self.waiting = []
        self.out.close()


def _complete(record: dict[str, Any]) -> bool:
    """The change's paints are all in: the curves, and the grades unless nothing of them
    changed on screen."""
    grades_done = record["grades_painted"] or not record["grades_changed_on_screen"]
    return bool(record["plots_painted"] and grades_done)
