"""Generic datasets: a CSV file, or an ImageFolder tree.

CSV (``--data csv=labels.csv``): one row per image. Columns ``image_path`` (or
``path`` / ``image``; relative to the CSV's folder), optional ``item_id``,
``split`` (train / valid / test; without it a seeded 70/10/20 split by patient),
``patient_id``, ``view``, ``report``. Either one ``label`` column of class names
(multi-class) or one numeric column per class (1 / 0 / -1 uncertain / blank):
binary with one class, multi-label with more.

ImageFolder (``--data imagefolder=ROOT``): ``ROOT/<split>/<class>/*.png|jpg|dcm``
or ``ROOT/<class>/*`` (then split 70/10/20 by file with the load seed); multi-class.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from cxralign.data.downstream.base import (
    BASE_COLUMNS,
    CANONICAL_SPLITS,
    DATASETS,
    DownstreamDataset,
    LoadOptions,
    assign_splits,
    finalize,
)
from cxralign.errors import InputError

IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".dcm", ".dicom"}
_PATH_COLUMNS = ("image_path", "path", "image", "Path")


@DATASETS.register("csv")
def load_csv(path: str | Path, options: LoadOptions = LoadOptions()) -> DownstreamDataset:
    path = Path(path)
    if not path.is_file():
        raise InputError(f"generic CSV dataset: expected a CSV file, got {path}")
    frame = pd.read_csv(path)
    path_column = next((c for c in _PATH_COLUMNS if c in frame.columns), None)
    if path_column is None:
        raise InputError(f"{path} needs an image path column (one of {', '.join(_PATH_COLUMNS)})")
    base = path.parent
    items = pd.DataFrame(
        {
            "image_path": [
                str(p if Path(p).is_absolute() else base / p) for p in frame[path_column].astype(str)
            ]
        }
    )
    items["item_id"] = (
        frame["item_id"].astype(str) if "item_id" in frame.columns else frame[path_column].astype(str)
    )
    for column in ("patient_id", "view", "report", "split"):
        items[column] = frame[column] if column in frame.columns else None
    if "split" not in frame.columns:
        items["split"] = assign_splits(items["patient_id"].fillna(items["item_id"]), options.seed)
    if "label" in frame.columns:
        classes = tuple(sorted(frame["label"].dropna().astype(str).unique()))
        for cls in classes:
            items[cls] = (frame["label"].astype(str) == cls).astype(float)
        kind = "multiclass"
    else:
        skip = {path_column, "item_id", *BASE_COLUMNS, "report", "split"}
        classes = tuple(c for c in frame.columns if c not in skip and pd.api.types.is_numeric_dtype(frame[c]))
        if not classes:
            raise InputError(
                f"{path} has no label columns: add a 'label' column or numeric 0/1 columns per class"
            )
        for cls in classes:
            items[cls] = frame[cls]
        kind = "binary" if len(classes) == 1 else "multilabel"
    return finalize(path.stem, base, kind, classes, items, options)


@DATASETS.register("imagefolder")
def load_imagefolder(root: str | Path, options: LoadOptions = LoadOptions()) -> DownstreamDataset:
    root = Path(root)
    if not root.is_dir():
        raise InputError(f"ImageFolder dataset: expected a directory {root}/<split>/<class>/<image>")
    subdirs = sorted(p for p in root.iterdir() if p.is_dir())
    by_split = bool(subdirs) and all(p.name.lower() in CANONICAL_SPLITS for p in subdirs)
    rows = []
    for split_dir in subdirs if by_split else [root]:
        for class_dir in sorted(p for p in split_dir.iterdir() if p.is_dir()):
            for image in sorted(class_dir.rglob("*")):
                if image.suffix.lower() in IMAGE_SUFFIXES:
                    rows.append(
                        {
                            "item_id": image.relative_to(root).as_posix(),
                            "image_path": str(image),
                            "split": split_dir.name if by_split else None,
                            "label": class_dir.name,
                        }
                    )
    if not rows:
        raise InputError(
            f"no images found in {root}: expected {root}/<split>/<class>/<image> or {root}/<class>/<image>"
        )
    items = pd.DataFrame(rows)
    if not by_split:
        items["split"] = assign_splits(items["item_id"], options.seed)
    classes = tuple(sorted(items["label"].unique()))
    for cls in classes:
        items[cls] = np.where(items["label"] == cls, 1.0, 0.0)
    items = items.drop(columns="label")
    return finalize(root.name, root, "multiclass", classes, items, options)
