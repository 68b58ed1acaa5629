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
    require_file,
)
from cxralign.errors import InputError


@DATASETS.register("rsna-pneumonia", aliases=("rsna",))
def load_rsna_pneumonia(root: str | Path, options: LoadOptions = LoadOptions()) -> DownstreamDataset:
    root = Path(root)
    table = pd.read_csv(
        require_file(root, "stage_2_train_labels.csv", "stage_1_train_labels.csv", what="RSNA Pneumonia")
    )
    if not {"patientId", "Target"} <= set(table.columns):
        raise InputError(f"RSNA labels in {root} need columns patientId and Target")
    per_image = table.groupby("patientId", sort=True)["Target"].max().reset_index()
    folder = (
        root / "stage_2_train_images"
        if (root / "stage_2_train_images").exists()
        else root / "stage_1_train_images"
    )
    items = pd.DataFrame(
        {
            "item_id": per_image["patientId"],
            "image_path": [str(folder / f"{p}.dcm") for p in per_image["patientId"]],
            "patient_id": per_image["patientId"],
            "view": None,
            "Pneumonia": per_image["Target"].astype(float),
        }
    )
    items["split"] = assign_splits(items["patient_id"], options.seed)
    return finalize(
        "rsna-pneumonia",
        root,
        "binary",
        ("Pneumonia",),
        items,
        options,
        notes={"splits": f"70/10/20 by image, seed {options.seed}"},
    )


@DATASETS.register("siim-pneumothorax", aliases=("siim",))
def load_siim_pneumothorax(root: str | Path, options: LoadOptions = LoadOptions()) -> DownstreamDataset:
    root = Path(root)
    table = pd.read_csv(
        require_file(root, "train-rle.csv", "stage_2_train.csv", what="SIIM-ACR Pneumothorax")
    )
    table.columns = [c.strip() for c in table.columns]
    if not {"ImageId", "EncodedPixels"} <= set(table.columns):
        raise InputError(f"SIIM-ACR labels in {root} need columns ImageId and EncodedPixels")
    positive = (
        table.assign(pos=table["EncodedPixels"].astype(str).str.strip() != "-1")
        .groupby("ImageId", sort=True)["pos"]
        .max()
    )
    images = {p.stem: str(p) for p in root.rglob("*.dcm")}
    items = pd.DataFrame(
        {
            "item_id": positive.index,
            "image_path": [
                images.get(i, str(root / "dicom-images-train" / f"{i}.dcm")) for i in positive.index
            ],
            "patient_id": positive.index,
            "view": None,
            "Pneumothorax": positive.to_numpy(dtype=float),
        }
    )
    items["split"] = assign_splits(items["patient_id"], options.seed)
    return finalize(
        "siim-pneumothorax",
        root,
        "binary",
        ("Pneumothorax",),
        items,
        options,
        notes={"splits": f"70/10/20 by image, seed {options.seed}"},
    )
