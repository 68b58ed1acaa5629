"""What the benchmark scripts share: timing and their command line (run as ``python benchmarks/bench_x.py``,
so this folder is on ``sys.path``)."""

from __future__ import annotations

import argparse
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


def counts_parser(doc: str, **counts: int) -> argparse.ArgumentParser:
    """A parser described by ``doc``'s first line with one whole-number option per keyword
    (``decode_sample=1000`` -> ``--decode-sample``, default 1000)."""
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    for name, default in counts.items():
        parser.add_argument("--" + name.replace("_", "-"), type=int, default=default)
    return parser
