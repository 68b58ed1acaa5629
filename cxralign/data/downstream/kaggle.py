"""RSNA Pneumonia Detection and SIIM-ACR Pneumothorax (Kaggle releases, DICOM images).

RSNA layout::

    ROOT/stage_2_train_labels.csv      patientId, x, y, width, height, Target (one row per box)
    ROOT/stage_2_train_images/<patientId>.dcm

SIIM-ACR layout::

    ROOT/train-rle.csv                 ImageId, EncodedPixels ("-1" = no pneumothorax)
    ROOT/dicom-images-train/<study>/<series>/<ImageId>.dcm

Neither release has public test labels, so both are split 70 / 10 / 20 by image
with the load seed (recorded in the dataset notes). View position lives inside
the DICOM headers only, so the view filter does not apply (every image is kept).
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
    read_table,
)


def _binary_by_image(
    name: str, cls: str, root: Path, positive: pd.Series, paths: list[str], options: LoadOptions
) -> DownstreamDataset:
    """One DICOM image per id with one binary class, split 70/10/20 by image: both releases' shape."""
    items = pd.DataFrame(
        {
            "item_id": positive.index,
            "image_path": paths,
            "patient_id": positive.index,
            "view": None,
            cls: positive.to_numpy(dtype=float),
        }
    )
    items["split"] = assign_splits(items["patient_id"], options.seed)
    notes = {"splits": f"70/10/20 by image, seed {options.seed}"}
    return finalize(name, root, "binary", (cls,), items, options, notes=notes)


@DATASETS.register("rsna-pneumonia", aliases=("rsna",))
def load_rsna_pneumonia(root: str | Path, options: LoadOptions = LoadOptions()) -> DownstreamDataset:
    root = Path(root)
    candidates = ("stage_2_train_labels.csv", "stage_1_train_labels.csv")
    table = read_table(root, *candidates, what="RSNA Pneumonia", columns=("patientId", "Target"))
    positive = table.groupby("patientId", sort=True)["Target"].max()
    stage = "stage_2" if (root / "stage_2_train_images").exists() else "stage_1"
    paths = [str(root / f"{stage}_train_images" / f"{p}.dcm") for p in positive.index]
    return _binary_by_image("rsna-pneumonia", "Pneumonia", root, positive, paths, options)


@DATASETS.register("siim-pneumothorax", aliases=("siim",))
def load_siim_pneumothorax(root: str | Path, options: LoadOptions = LoadOptions()) -> DownstreamDataset:
    root = Path(root)
    columns = ("ImageId", "EncodedPixels")
    table = read_table(
        root, "train-rle.csv", "stage_2_train.csv", what="SIIM-ACR Pneumothorax", columns=columns
    )
    positive = (
        table.assign(pos=table["EncodedPixels"].astype(str).str.strip() != "-1")
        .groupby("ImageId", sort=True)["pos"]
        .max()
    )
    images = {p.stem: str(p) for p in root.rglob("*.dcm")}
    paths = [images.get(i, str(root / "dicom-images-train" / f"{i}.dcm")) for i in positive.index]
    return _binary_by_image("siim-pneumothorax", "Pneumothorax", root, positive, paths, options)
