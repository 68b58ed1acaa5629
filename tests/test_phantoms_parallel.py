"""Phantom writing is byte-identical per seed for any number of worker processes.

``RECORDED`` is the content hash (every row's fields and PNG bytes, in file order) of the
dataset below as the single-process writer produced it before writing went parallel.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from cxralign.data.phantoms import write_phantom_dataset
from cxralign.data.phantoms.generator import SPLITS

RECORDED = "dcc5d2bef34445b5af77db3722e57dd52d261ecbabe4266e6f6661af5da767aa"  # n=60, seed=11, size=64


def content_hash(directory: Path) -> str:
    digest = hashlib.sha256()
    for split in ("train", "validation", "test"):
        for row in pq.read_table(directory / "data" / f"{split}.parquet").to_pylist():
            digest.update(repr(sorted((k, v) for k, v in row.items() if k != "image")).encode())
            digest.update(row["image"]["bytes"])
    return digest.hexdigest()


@pytest.mark.parametrize("workers", [1, 2])
def test_same_bytes_as_before_for_any_worker_count(tmp_path: Path, workers: int) -> None:
    assert tuple(SPLITS) == ("train", "validation", "test")
    manifest = write_phantom_dataset(tmp_path / "out", 60, seed=11, size=64, workers=workers)
    assert sum(manifest["counts"]["samples"].values()) == 60
    assert content_hash(tmp_path / "out") == RECORDED


def test_worker_count_does_not_change_the_files(tmp_path: Path) -> None:
    one = write_phantom_dataset(tmp_path / "one", 40, seed=5, size=64, workers=1)
    three = write_phantom_dataset(tmp_path / "three", 40, seed=5, size=64, workers=3)
    assert one["files"] == three["files"] and one["counts"] == three["counts"]
