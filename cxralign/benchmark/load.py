"""Reading a built benchmark back: ``load_benchmark(dir, op, split)`` and typed items."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

from cxralign.benchmark.schema import COLUMNS, BenchmarkItem
from cxralign.errors import InputError


def benchmark_files(root: str | os.PathLike[str]) -> dict[str, list[str]]:
    """``{op: [split, ...]}`` present under ``root/data``."""
    data = Path(root) / "data"
    if not data.is_dir():
        raise InputError(
            f"{root}: not a cxralign benchmark (no data/ folder; build one with `cxralign build`)"
        )
    return {
        op.name: sorted(p.stem for p in op.glob("*.parquet"))
        for op in sorted(data.iterdir())
        if op.is_dir() and any(op.glob("*.parquet"))
    }


def benchmark_path(root: str | os.PathLike[str], op: str, split: str) -> Path:
    path = Path(root) / "data" / op / f"{split}.parquet"
    if not path.exists():
        available = benchmark_files(root)
        listing = "; ".join(f"{o}: {', '.join(s)}" for o, s in available.items()) or "none"
        raise InputError(f"{root}: no {op}/{split} split (available: {listing})")
    return path


def load_benchmark(root: str | os.PathLike[str], op: str, split: str):
    """One op's split as a ``datasets.Dataset`` (in memory, nothing written to the HF cache)."""
    import pyarrow.parquet as pq
    from datasets import Dataset
    from datasets.table import InMemoryTable

    table = pq.read_table(benchmark_path(root, op, split))
    missing = [c for c in COLUMNS if c not in table.column_names]
    if missing:
        raise InputError(f"{root}: {op}/{split} lacks column(s) {', '.join(missing)}")
    return Dataset(InMemoryTable(table))


def iter_items(root: str | os.PathLike[str], op: str, split: str) -> Iterator[BenchmarkItem]:
    """Typed rows (``BenchmarkItem``) of one split."""
    import pyarrow.parquet as pq

    for row in pq.read_table(benchmark_path(root, op, split)).to_pylist():
        yield BenchmarkItem.from_row(row)
