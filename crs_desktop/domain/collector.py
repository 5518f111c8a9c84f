"""Python's cycle collector paused around work that builds many objects with no cycles
among them (grading a chart, streaming an import): the one place that switches it.

A module of its own, importing nothing of the project, so a command that only imports
(and never grades) can use it without loading the grading (30 ms)."""

from __future__ import annotations

import functools
import gc
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import ParamSpec, TypeVar

P = ParamSpec("P")
R = TypeVar("R")


@contextmanager
def collector_paused() -> Iterator[None]:
    """The cycle collector off for the block, back on (as it was) afterwards: walking tens
    of thousands of young objects again and again costs a sixth of a chart's grading or
    import."""
    was_on = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_on:
            gc.enable()


def with_collector_paused(function: Callable[P, R]) -> Callable[P, R]:
    """`function` runs with the cycle collector off, and its locals (a grader and the
    chart in it) are let go before the collector comes back on, so it never walks them."""

    @functools.wraps(function)
    def paused(*args: P.args, **kwargs: P.kwargs) -> R:
        with collector_paused():
            return function(*args, **kwargs)

    return paused
