"""Shared helpers for the benchmarks: timing and the result row."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Result:
    """One benchmark row: a rate for the subject and for its same-run baseline."""

    name: str
    unit: str
    subject: float
    baseline: float
    baseline_name: str
    note: str = ""

    @property
    def ratio(self) -> float:
        return self.subject / self.baseline if self.baseline else float("inf")


def rate(fn: Callable[[], int], *, min_seconds: float = 0.5, repeat: int = 3) -> float:
    """Best-of-``repeat`` rate (items per second) of ``fn``, which returns the items it did."""
    best = 0.0
    for _ in range(repeat):
        items = 0
        start = time.perf_counter()
        elapsed = 0.0
        while elapsed < min_seconds:
            items += fn()
            elapsed = time.perf_counter() - start
        best = max(best, items / elapsed)
    return best
