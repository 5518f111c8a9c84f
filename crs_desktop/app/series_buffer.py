"""A growing, time-sorted numpy series for one plotted item."""

from __future__ import annotations

import numpy as np


class SeriesBuffer:
    """Times and values in time order; appending at the end is amortised O(1)."""

    def __init__(self, times: np.ndarray | None = None, values: np.ndarray | None = None) -> None:
        times = np.empty(0) if times is None else np.asarray(times, dtype=np.float64)
        values = np.empty(0) if values is None else np.asarray(values, dtype=np.float64)
        self._size = len(times)
        # Room for a day of one-minute values beyond what was read, not as much again: a
        # month read at once held twice its size (the stream grows it by doubling).
        capacity = self._size + max(64, min(self._size, 1440))
        self._t = np.empty(capacity)
        self._v = np.empty(capacity)
        self._t[: self._size] = times
        self._v[: self._size] = values

    def __len__(self) -> int:
        return self._size

    @property
    def t(self) -> np.ndarray:
        return self._t[: self._size]

    @property
    def v(self) -> np.ndarray:
        return self._v[: self._size]

    def add(self, time: float, value: float) -> None:
        """Add one point; a back-dated one is inserted where it belongs."""
        if self._size == len(self._t):
            self._t = np.resize(self._t, self._size * 2)
            self._v = np.resize(self._v, self._size * 2)
        n = self._size
        if n == 0 or time >= self._t[n - 1]:
            index = n
        else:
            index = int(np.searchsorted(self._t[:n], time, side="right"))
            self._t[index + 1 : n + 1] = self._t[index:n]
            self._v[index + 1 : n + 1] = self._v[index:n]
        self._t[index] = time
        self._v[index] = value
        self._size = n + 1

    def replace(self, times: np.ndarray, values: np.ndarray) -> None:
        """Start again from a fresh read (after a correction took a point out)."""
        self.__init__(times, values)  # type: ignore[misc]

    def last_time(self) -> float | None:
        return float(self._t[self._size - 1]) if self._size else None

    def nearest(self, time: float) -> int | None:
        """Index of the point nearest in time, or None when empty."""
        n = self._size
        if n == 0:
            return None
        i = int(np.searchsorted(self._t[:n], time))
        if i == 0:
            return 0
        if i == n:
            return n - 1
        return i if self._t[i] - time < time - self._t[i - 1] else i - 1
