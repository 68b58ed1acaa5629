"""VinDr-CXR (PhysioNet 1.0.0).

Layout::

    ROOT/annotations/image_labels_train.csv   image_id, rad_id, <28 labels> (three radiologists per image)
    ROOT/annotations/image_labels_test.csv    image_id, <28 labels> (consensus)
    ROOT/train/<image_id>.dicom  ROOT/test/<image_id>.dicom

Training labels are the majority vote of the radiologists (at least half);
a seeded 10% of training images is the validation split.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from cxralign.data.downstream.base import (
    DATASETS,
    DownstreamDataset,
    LoadOptions,
    assign_splits,
    finalize,
    require_file,
)
from cxralign.errors import InputError


@DATASETS.register("vindr-cxr", aliases=("vindr",))
def load_vindr_cxr(root: str | Path, options: LoadOptions = LoadOptions()) -> DownstreamDataset:
    root = Path(root)
    train = pd.read_csv(require_file(root, "annotations/image_labels_train.csv", what="VinDr-CXR"))
    test = pd.read_csv(require_file(root, "annotations/image_labels_test.csv", what="VinDr-CXR"))
    if "image_id" not in train.columns or "image_id" not in test.columns:
        raise InputError(f"VinDr-CXR label files in {root}/annotations need an image_id column")
    classes = tuple(c for c in train.columns if c not in ("image_id", "rad_id"))
    missing = [c for c in classes if c not in test.columns]
    if missing:
        raise InputError(
            f"{root}/annotations/image_labels_test.csv lacks label column(s): {', '.join(missing)}"
        )
    voted = (train.groupby("image_id", sort=True)[list(classes)].mean() >= 0.5).astype(float).reset_index()
    voted["split"] = assign_splits(voted["image_id"], options.seed, (0.9, 0.1, 0.0)).replace(
        {"test": "train"}
    )
    test = test.assign(split="test")
    items = pd.concat([voted, test[["image_id", "split", *classes]]], ignore_index=True)
    items["item_id"] = items["image_id"]
    items["patient_id"] = items["image_id"]
    items["view"] = None
    items["image_path"] = [
        str(root / ("test" if s == "test" else "train") / f"{i}.dicom")
        for i, s in zip(items["image_id"], items["split"], strict=True)
    ]
    return finalize(
        "vindr-cxr",
        root,
        "multilabel",
        classes,
        items,
        options,
        notes={"train_labels": "majority of radiologists", "valid": f"10% of train, seed {options.seed}"},
    )
