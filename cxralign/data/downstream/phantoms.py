"""Synthetic phantom chest X-rays (``cxralign data phantoms`` output), read via ``load_phantoms``.

Every split the phantom writer produced (train / valid / test) becomes a split
here; labels are the phantom's CheXpert-14 ground truth (known exactly, so
there are no uncertain labels) and each image keeps its generated report, so
the same directory serves zero-shot, linear probe, fine-tune and retrieval.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from cxralign.data.downstream.base import DownstreamDataset, LoadOptions, finalize
from cxralign.errors import CxrAlignError, InputError
from cxralign.vocab import CHEXPERT_14

_SPLIT_NAMES = ("train", "valid", "val", "validation", "test")


def _field(sample: Any, *names: str) -> Any:
    for name in names:
        if isinstance(sample, Mapping) and name in sample:
            return sample[name]
        if hasattr(sample, name):
            return getattr(sample, name)
    return None


def _rows(samples: Any, root: Path, split: str) -> list[dict]:
    if hasattr(samples, "to_pandas"):
        samples = samples.to_pandas().to_dict("records")
    rows = []
    for sample in samples:
        labels = _field(sample, "labels", "chexpert", "label_dict") or {}
        if isinstance(labels, str):
            import json

            labels = json.loads(labels)
        path = _field(sample, "image_path", "path", "image")
        path = Path(str(path))
        rows.append(
            {
                "item_id": str(_field(sample, "item_id", "sample_id", "image_id", "id")),
                "image_path": str(path if path.is_absolute() else root / path),
                "split": split,
                "patient_id": _field(sample, "patient_id", "patient"),
                "view": _field(sample, "view", "view_position"),
                "report": _field(sample, "report", "text"),
                **{cls: labels.get(cls) for cls in CHEXPERT_14},
            }
        )
    return rows


def load_phantom_dataset(
    root: str | Path, options: LoadOptions = LoadOptions(views=None)
) -> DownstreamDataset:
    from cxralign.data.phantoms import load_phantoms

    root = Path(root)
    rows: list[dict] = []
    for split in _SPLIT_NAMES:
        try:
            samples = load_phantoms(root, split)
        except (CxrAlignError, FileNotFoundError, KeyError, ValueError):
            continue
        rows.extend(_rows(samples, root, split))
    if not rows:
        raise InputError(f"no phantom split found in {root}: expected the output of `cxralign data phantoms`")
    items = pd.DataFrame(rows)
    items[list(CHEXPERT_14)] = items[list(CHEXPERT_14)].astype(float).fillna(0.0)
    return finalize(
        "phantoms", root, "multilabel", CHEXPERT_14, items, options, notes={"labels": "phantom ground truth"}
    )
