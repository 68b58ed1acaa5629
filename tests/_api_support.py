"""Helpers for the Python API tests: two plain encoding functions, and a ``python:`` factory over them.

The factory makes ``python:_api_support:callables`` the CLI twin of
``cxralign.evaluate((encode_images, encode_texts), name=...)``. The sharded test
uses ``counting`` to learn how many items each rank embedded and whether it wrote.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import numpy as np
import torch

_GENERATOR = torch.Generator().manual_seed(0)
PROJECTION = torch.randn(3 * 16 * 16, 8, generator=_GENERATOR)


def encode_images(pixels: torch.Tensor) -> torch.Tensor:
    small = torch.nn.functional.adaptive_avg_pool2d(pixels, 16)
    return small.reshape(len(pixels), -1) @ PROJECTION


def encode_texts(texts: list[str]) -> np.ndarray:
    rows = []
    for text in texts:
        seed = sum(ord(c) * (i + 1) for i, c in enumerate(text)) % (2**32)
        rows.append(np.random.default_rng(seed).standard_normal(8))
    return np.asarray(rows, dtype=np.float32)


def callables(argument: str = "", *, spec: str, **_: Any):
    from cxralign.models.wrapped import CallableModel

    return CallableModel(encode_images, encode_texts, name=spec)


class _Counting:
    """Wraps the callables, appending each rank's embedded item counts (and written files) to a JSON file."""

    def __init__(self, folder: Path, rank: str) -> None:
        self.path = folder / f"rank{rank}.json"
        self.record = {"images": 0, "texts": 0, "writes": 0}

    def save(self) -> None:
        self.path.write_text(json.dumps(self.record))

    def images(self, pixels: torch.Tensor) -> torch.Tensor:
        self.record["images"] += len(pixels)
        self.save()
        return encode_images(pixels)

    def texts(self, texts: list[str]) -> np.ndarray:
        self.record["texts"] += len(texts)
        self.save()
        return encode_texts(texts)


def counting(argument: str = "", *, spec: str, **_: Any):
    """``python:_api_support:counting@FOLDER``: the callables, counted per rank into FOLDER/rank<R>.json."""
    from cxralign.models.wrapped import CallableModel
    from cxralign.tasks import runner

    counter = _Counting(Path(argument), os.environ.get("RANK", "0"))
    original = runner.write_result

    def spy(*args: Any, **kwargs: Any):
        counter.record["writes"] += 1
        counter.save()
        return original(*args, **kwargs)

    runner.write_result = spy
    counter.save()
    return CallableModel(counter.images, counter.texts, name="python:_api_support:callables")
