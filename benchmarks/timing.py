"""Timing helpers the benchmark scripts share (run as ``python benchmarks/bench_x.py``: this folder is on ``sys.path``)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any


def best_of(repeats: int, func: Callable[[], Any]) -> float:
    """The shortest wall time of ``repeats`` calls of ``func`` (the least disturbed by other load)."""
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        func()
        times.append(time.perf_counter() - started)
    return min(times)
