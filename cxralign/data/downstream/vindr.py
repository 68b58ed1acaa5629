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
    carve_valid,
    finalize,
    read_table,
)


@DATASETS.register("vindr-cxr", aliases=("vindr",))
def load_vindr_cxr(root: str | Path, options: LoadOptions = LoadOptions()) -> DownstreamDataset:
    root = Path(root)
    train = read_table(root, "annotations/image_labels_train.csv", what="VinDr-CXR", columns=("image_id",))
    classes = tuple(c for c in train.columns if c not in ("image_id", "rad_id"))
    test = read_table(
        root, "annotations/image_labels_test.csv", what="VinDr-CXR", columns=("image_id", *classes)
    )
    voted = (train.groupby("image_id", sort=True)[list(classes)].mean() >= 0.5).astype(float).reset_index()
    voted["split"] = carve_valid(voted["image_id"], options.seed)
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
