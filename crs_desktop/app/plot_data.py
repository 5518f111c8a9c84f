"""The data half of the live plots (no Qt): rows -> numpy series, MAP pairs, the step rows
(oxygen, vasopressors, drug markers) and the flagged points.

The core keeps one current as values arrive (add_rows, rows_entered_in_error) and
says which curves changed (PlotChange); the plot widgets redraw only those. Only
the last day or so is read when the window opens; the older history joins later
(load_history), so a month of monitor data does not hold up start-up.
"""

from __future__ import annotations

import sqlite3
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


@dataclass(frozen=True)
class HistoryRequest:
    """The curves' older values still to read: before a time, up to the first read's row."""

    patient_id: int
    before: float
    up_to_id: int  # rows written later come through the feed, never twice
    corrections: int  # PlotData.corrections when asked: a later correction voids the read


@dataclass
class History:
    """The curves' older values as read (read_history), to join in PlotData.load_history."""

    request: HistoryRequest
    series: dict[str, tuple[np.ndarray, np.ndarray]]
    flagged: list[ChartedRow]


def read_history(
    store: ChartStore, request: HistoryRequest, stopped: Callable[[], bool] = lambda: False
) -> History | None:
    """The older values of every curve and the flagged rows among them: a few indexed
    reads into numpy, no Qt, so it can run on a thread with a store of its own (None
    when `stopped` said so between two reads)."""
    pid, before = request.patient_id, request.before
    series = {}
    for item in CURVE_ITEMS:
        if stopped():
            return None
        series[item] = store.series(pid, item, until=before, up_to_id=request.up_to_id)
    return History(request, series, store.flagged_rows(pid, until=before))


class HistoryReader:
    """read_history on a connection of its own (sqlite is per-thread), run off the GUI
    thread so a month of values never holds up the event loop; stop() from the GUI
    thread ends it at once (a window closing does not wait for a read it will not show)."""

    def __init__(self, path: str, request: HistoryRequest) -> None:
        self.path, self.request = path, request
        self._stopped = False
        self._store: ChartStore | None = None

    def read(self) -> History | None:
        """The history, or None when stopped."""
        # Reads only, on the file the window opened (and checks for damage beside it):
        # its page-by-page check again here cost a few hundred ms before every read.
        store = ChartStore(self.path, verify=False, read_only=True)
        self._store = store
        try:
            with store.read_snapshot():
                return read_history(store, self.request, lambda: self._stopped)
        except sqlite3.OperationalError:
            if self._stopped:  # interrupted by stop(): nothing to show
                return None
            raise
        finally:
            self._store = None
            store.close()

    def stop(self) -> None:
        self._stopped = True  # before the store is looked at: a read not begun never begins
        store = self._store
        if store is not None:
            store.interrupt()


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
        self.corrections = 0  # applied so far: a history read before one is read again
        self._history: History | None = None  # read on another thread, not joined yet
        self._load()

    def _load(self) -> None:
        """A few indexed reads, no per-row work in Python."""
        store, pid = self.store, self.patient_id
        self.read_up_to = store.high_water()[0]  # the newest row of this first read
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

    def history_request(self) -> HistoryRequest | None:
        """What load_history would read (None once the history has joined)."""
        if self.history_before is None:
            return None
        return HistoryRequest(
            self.patient_id, self.history_before, self.read_up_to, self.corrections
        )

    def history_read(self, history: History) -> None:
        """The older values, read on another thread: joined by the next load_history()."""
        self._history = history

    def load_history(self) -> bool:
        """Put the curves' older values (before the first read) in front; False when
        there was nothing left to read. Joins what was read on another thread when it
        is still what this data would read (no correction came meanwhile)."""
        request = self.history_request()
        if request is None:
            return False
        history, self._history = self._history, None
        if history is None or history.request != request:
            history = read_history(self.store, request)
        assert history is not None  # never stopped here
        self.history_before = None
        before = request.before
        for item, (t, v) in history.series.items():
            keep = t < before  # the first read has `before` itself
            if not keep.any():
                continue
            buf = self.buffers[item]
            t_all, v_all = np.concatenate((t[keep], buf.t)), np.concatenate((v[keep], buf.v))
            if len(buf) and buf.t[0] < t_all[keep.sum() - 1]:
                # A back-dated value came live before the history joined: in time order.
                order = np.argsort(t_all, kind="stable")
                t_all, v_all = t_all[order], v_all[order]
            self.buffers[item] = SeriesBuffer(t_all, v_all)
        known = {row.id for rows in self.flagged.values() for row in rows}
        for row in history.flagged:  # one that came live meanwhile is there already
            if row.id not in known:
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
        self.corrections += 1
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
