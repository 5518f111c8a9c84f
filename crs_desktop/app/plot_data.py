"""The data half of the live plots (no Qt): rows -> numpy series, MAP pairs, the step rows
(oxygen, vasopressors, drug markers) and the flagged points.

The core keeps one current as values arrive (add_rows, rows_entered_in_error) and
says which curves changed (PlotChange); the plot widgets redraw only those. Only
the last day or so is read when the window opens; the older history joins later
(load_history), so a month of monitor data does not hold up start-up.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import numpy as np

from crs_desktop.app.series_buffer import SeriesBuffer
from crs_desktop.domain.vitals import mean_arterial_pressure
from crs_desktop.domain.vocabulary import DOSE_ITEMS, ITEMS, RATE_ITEMS, Category
from crs_desktop.store import ChartStore
from crs_desktop.store.records import ChartedRow

HOUR = 3600.0
# Read before the window shows: the default 24 h view and a margin; the rest follows.
FIRST_READ_H = 26.0
MARKER_DRUGS = frozenset(
    name
    for name in DOSE_ITEMS
    if ITEMS[name].category
    in (Category.ANTICYTOKINE, Category.CORTICOSTEROID, Category.ANTIPYRETIC)
)


@dataclass(frozen=True)
class PlotSpec:
    key: str
    title: str
    items: tuple[str, ...]
    shown_by_default: bool = True


PLOTS = (
    # The fever line is named in the title: a label on the line sat where the latest
    # drug markers' labels are, and one hid the other.
    # Titles short enough for the plot column of a 1280-pixel screen: a longer one was cut
    # ("(shaded: vas").
    # "{fever}": the fever line of domain/thresholds.py, filled in when the plot is made.
    PlotSpec("temperature", "Temperature °C  ╍ fever {fever}", ("temperature",)),
    PlotSpec(
        "bp",
        "BP mmHg ━ systolic ╍ diastolic ┈ MAP ▒ pressor",
        ("systolic_bp", "diastolic_bp"),
    ),
    PlotSpec("oxygen", "Oxygen need", ()),
    PlotSpec("spo2", "SpO2 %", ("spo2",)),
    PlotSpec("crp", "CRP mg/L", ("crp",)),
    PlotSpec("ferritin", "Ferritin ng/mL", ("ferritin",)),
    PlotSpec("heart_rate", "Heart rate /min", ("heart_rate",), shown_by_default=False),
    PlotSpec("resp_rate", "Resp. rate /min", ("resp_rate",), shown_by_default=False),
)
CURVE_ITEMS = tuple(item for spec in PLOTS for item in spec.items)
STEP_ITEMS = ("o2_device", "o2_flow", "fio2")
# What a round of observations charts: the oxygen step and a running vasopressor are
# known to hold until the latest of these (not until now).
PLOTTED_ITEMS = (*CURVE_ITEMS, *STEP_ITEMS, *sorted(RATE_ITEMS))
BP_ITEMS = frozenset({"systolic_bp", "diastolic_bp"})


@dataclass
class PlotChange:
    """What the plots must redraw: these curves, MAP, the steps, the flagged points."""

    curves: set[str] = field(default_factory=set)
    map: bool = False
    steps: bool = False
    flagged: bool = False

    def __bool__(self) -> bool:
        return bool(self.curves or self.map or self.steps or self.flagged)


class PlotData:
    """One patient's plotted series and step rows, kept current from the rows it is given."""

    def __init__(
        self,
        store: ChartStore,
        patient_id: int,
        clock: Callable[[], float] = time.time,
        first_read_h: float = FIRST_READ_H,
    ) -> None:
        self.store, self.patient_id, self.clock = store, patient_id, clock
        self.buffers: dict[str, SeriesBuffer] = {}
        self.map = SeriesBuffer()
        self._pending_bp: dict[float, dict[str, float]] = {}
        self.device_rows: list[ChartedRow] = []
        self.flow_rows: list[ChartedRow] = []
        self.pressor_rows: list[ChartedRow] = []
        self.drug_rows: list[ChartedRow] = []
        self.flagged: dict[str, list[ChartedRow]] = {}
        # The latest time each plotted item was charted (the whole chart, not only what
        # is read yet): the empty plots say when, and the steps end there.
        self.last_charted: dict[str, float] = {}
        self.history_before: float | None = clock() - first_read_h * HOUR
        self._load()

    def _load(self) -> None:
        """A few indexed reads, no per-row work in Python."""
        store, pid = self.store, self.patient_id
        self.last_charted = store.latest_times(pid, PLOTTED_ITEMS)
        for item in CURVE_ITEMS:
            t, v = store.series(pid, item, since=self.history_before)
            self.buffers[item] = SeriesBuffer(t, v)
        self._rebuild_map()
        step_rows = store.rows(
            pid, include_errors=False, items=(*STEP_ITEMS, *RATE_ITEMS, *MARKER_DRUGS)
        )
        for row in step_rows:
            self._file_step_row(row)
        for row in store.flagged_rows(pid, since=self.history_before):
            self.flagged.setdefault(row.item, []).append(row)

    def load_history(self) -> bool:
        """Put the curves' older values (before the first read) in front; False when
        there was nothing left to read."""
        before, self.history_before = self.history_before, None
        if before is None:
            return False
        store, pid = self.store, self.patient_id
        for item in CURVE_ITEMS:
            t, v = store.series(pid, item, until=before)
            keep = t < before  # the first read has `before` itself
            if not keep.any():
                continue
            buf = self.buffers[item]
            self.buffers[item] = SeriesBuffer(
                np.concatenate((t[keep], buf.t)), np.concatenate((v[keep], buf.v))
            )
        for row in store.flagged_rows(pid, until=before):
            self.flagged.setdefault(row.item, []).append(row)
        self._rebuild_map()
        return True

    def known_until(self) -> float | None:
        """The latest time anything plotted was charted (a round of observations)."""
        return max(self.last_charted.values(), default=None)

    def steps_drawn(self) -> bool:
        return bool(self.device_rows or self.flow_rows or self.pressor_rows)

    def rows_at(self, item: str, at: float) -> list[ChartedRow]:
        """The rows of one item charted at one time (a point under the pointer)."""
        rows: list[ChartedRow] = self.store.rows(self.patient_id, items=[item], since=at, until=at)
        return rows

    # -- the path of a value -------------------------------------------------------

    def add_rows(self, rows: Iterable[ChartedRow]) -> PlotChange:
        """New committed rows: append to the buffers; say what they touch."""
        change = PlotChange()
        known = self.known_until()
        for row in rows:
            if row.item in PLOTTED_ITEMS and row.observed_at > self.last_charted.get(
                row.item, -np.inf
            ):
                self.last_charted[row.item] = row.observed_at
            if row.item in self.buffers and row.value is not None:
                self.buffers[row.item].add(row.observed_at, row.value)
                change.curves.add(row.item)
                if row.item in BP_ITEMS:
                    change.map |= self._pair_bp(row)
            elif row.item in STEP_ITEMS or row.item in RATE_ITEMS or row.item in MARKER_DRUGS:
                self._file_step_row(row)
                change.steps = True
            if row.extreme:
                self.flagged.setdefault(row.item, []).append(row)
                change.flagged = True
        # The oxygen step and a running vasopressor reach the latest charting.
        if self.known_until() != known and self.steps_drawn():
            change.steps = True
        return change

    def rows_entered_in_error(self, rows: Iterable[ChartedRow]) -> PlotChange:
        """A correction took rows out (given as stored now, marked in error): re-read just
        those items, and keep the old points to show as x."""
        change = PlotChange(flagged=True)
        items: set[str] = set()
        gone: set[int] = set()
        for row in rows:
            if row.patient_id != self.patient_id:
                continue
            items.add(row.item)
            gone.add(row.id)
            self.flagged.setdefault(row.item, []).append(row)
        for item in items & set(self.buffers):
            since = self.history_before  # still deferred: keep to the first read's span
            self.buffers[item].replace(*self.store.series(self.patient_id, item, since=since))
            change.curves.add(item)
        if items & BP_ITEMS:
            self._rebuild_map()
            change.map = True
        self.last_charted = self.store.latest_times(self.patient_id, PLOTTED_ITEMS)
        if items & {*STEP_ITEMS, *RATE_ITEMS, *MARKER_DRUGS, *PLOTTED_ITEMS}:
            for kept in (self.device_rows, self.flow_rows, self.pressor_rows, self.drug_rows):
                kept[:] = [r for r in kept if r.id not in gone]
            change.steps = True
        return change

    def _file_step_row(self, row: ChartedRow) -> None:
        if row.item == "o2_device" or row.item == "fio2":
            self.device_rows.append(row)
        elif row.item == "o2_flow":
            self.flow_rows.append(row)
        elif row.item in RATE_ITEMS:
            self.pressor_rows.append(row)
        elif row.item in MARKER_DRUGS:
            self.drug_rows.append(row)

    def _pair_bp(self, row: ChartedRow) -> bool:
        """MAP is drawn where a systolic and a diastolic were charted at the same time;
        True when this row completed a pair."""
        pending = self._pending_bp.setdefault(row.observed_at, {})
        pending[row.item] = float(row.value or 0)
        if len(pending) < 2:
            return False
        self.map.add(
            row.observed_at,
            mean_arterial_pressure(pending["systolic_bp"], pending["diastolic_bp"]),
        )
        del self._pending_bp[row.observed_at]
        return True

    def _rebuild_map(self) -> None:
        s, d = self.buffers["systolic_bp"], self.buffers["diastolic_bp"]
        both, i, j = np.intersect1d(s.t, d.t, assume_unique=False, return_indices=True)
        mean = mean_arterial_pressure(s.v[i], d.v[j])  # type: ignore[arg-type]  # element-wise
        self.map = SeriesBuffer(both, mean)  # type: ignore[arg-type]
        # A half pair still waits for its other half, which may come live after a rebuild
        # (the history joining, a correction): clearing them lost that MAP point.
        self._pending_bp = {}
        for item, half, other in (("systolic_bp", s, d), ("diastolic_bp", d, s)):
            alone = ~np.isin(half.t, other.t)
            for at, value in zip(half.t[alone].tolist(), half.v[alone].tolist(), strict=True):
                self._pending_bp.setdefault(at, {})[item] = value
