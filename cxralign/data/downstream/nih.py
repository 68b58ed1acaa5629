"""NIH ChestX-ray14.

Layout (as downloaded from the NIH box folder)::

    ROOT/Data_Entry_2017.csv (or Data_Entry_2017_v2020.csv)   Image Index, Finding Labels, Patient ID, View Position, ...
    ROOT/train_val_list.txt  ROOT/test_list.txt               official patient-wise split, one file name a line
    ROOT/images/00000001_000.png  (or ROOT/images_001/images/..., any depth)

The official split has no validation part: a seeded 10% of train_val patients is used.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
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
from cxralign.vocab import CXR14


@DATASETS.register("nih-cxr14", aliases=("nih", "cxr14", "chestx-ray14"))
def load_nih_cxr14(root: str | Path, options: LoadOptions = LoadOptions()) -> DownstreamDataset:
    root = Path(root)
    table = pd.read_csv(
        require_file(root, "Data_Entry_2017_v2020.csv", "Data_Entry_2017.csv", what="NIH ChestX-ray14")
    )
    missing = [c for c in ("Image Index", "Finding Labels", "Patient ID") if c not in table.columns]
    if missing:
        raise InputError(f"NIH ChestX-ray14 table in {root} lacks column(s): {', '.join(missing)}")
    test_names = set(require_file(root, "test_list.txt", what="NIH ChestX-ray14").read_text().split())
    images = {p.name: str(p) for p in root.rglob("*.png")}
    findings = table["Finding Labels"].fillna("").str.split("|")
    items = pd.DataFrame(
        {
            "item_id": table["Image Index"],
            "image_path": [images.get(n, str(root / "images" / n)) for n in table["Image Index"]],
            "patient_id": table["Patient ID"].astype(str),
            "view": table.get("View Position"),
        }
    )
    for cls in CXR14:
        items[cls] = [float(cls in f) for f in findings]
    carved = assign_splits(items["patient_id"], options.seed, (0.9, 0.1, 0.0)).replace({"test": "train"})
    items["split"] = np.where(items["item_id"].isin(test_names), "test", carved)
    return finalize(
        "nih-cxr14",
        root,
        "multilabel",
        CXR14,
        items,
        options,
        notes={"splits": f"official test_list; 10% of train_val patients as valid (seed {options.seed})"},
    )
