"""Reading a built benchmark back: ``load_benchmark(dir, op, split)`` and typed items."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

from cxralign.benchmark.schema import REQUIRED_COLUMNS, BenchmarkItem
from cxralign.errors import InputError
from cxralign.vocab import CHEXPERT_14


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
    """One op's split as a ``datasets.Dataset`` (in memory, nothing written to the HF cache).

    ``changes`` and ``labels`` come back as nested features (a list of edit records, a
    CheXpert-14 record), not JSON strings; when the build holds images, an ``image``
    column (a ``datasets.Image`` feature, decoded only when a row is read) is added.
    """
    import pyarrow.parquet as pq

    table = pq.read_table(benchmark_path(root, op, split))
    missing = [c for c in REQUIRED_COLUMNS if c not in table.column_names]
    if missing:
        raise InputError(f"{root}: {op}/{split} lacks column(s) {', '.join(missing)}")
    return _as_dataset(table, Path(root))


def _as_dataset(table, root: Path):
    import json

    import pyarrow as pa
    from datasets import Dataset, DatasetInfo, Features, Image, List, Value
    from datasets.table import InMemoryTable

    change = {"start": Value("int64"), "end": Value("int64"), "before": Value("string"),
              "after": Value("string"), "sentence_index": Value("int64")}  # fmt: skip
    changes = [json.loads(text) for text in table.column("changes").to_pylist()]
    labels = [json.loads(text) for text in table.column("labels").to_pylist()]
    names = list(dict.fromkeys([*CHEXPERT_14, *(name for row in labels for name in row)]))
    features = Features.from_arrow_schema(table.schema)
    features["changes"] = List(change)
    features["labels"] = {name: Value("float64") for name in names}
    table = table.set_column(
        table.schema.get_field_index("changes"), "changes", pa.array(changes, features["changes"].pa_type)
    )
    label_rows = [{name: row.get(name) for name in names} for row in labels]
    table = table.set_column(
        table.schema.get_field_index("labels"), "labels", pa.array(label_rows, features.type["labels"].type)
    )
    paths = [
        str(root / path)
        if has_image and path and not Path(path).is_absolute()
        else (path if has_image else None)
        for path, has_image in zip(
            table.column("image_path").to_pylist(), table.column("has_image").to_pylist(), strict=True
        )
    ]
    if any(paths):
        features["image"] = Image()
        images = [None if path is None else {"bytes": None, "path": path} for path in paths]
        table = table.append_column("image", pa.array(images, Image().pa_type))
    return Dataset(InMemoryTable(table.cast(features.arrow_schema)), info=DatasetInfo(features=features))


def iter_items(root: str | os.PathLike[str], op: str, split: str) -> Iterator[BenchmarkItem]:
    """Typed rows (``BenchmarkItem``) of one split."""
    import pyarrow.parquet as pq

    for row in pq.read_table(benchmark_path(root, op, split)).to_pylist():
        yield BenchmarkItem.from_row(row)
