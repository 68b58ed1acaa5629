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
    carve_valid,
    finalize,
    read_table,
    require_file,
)
from cxralign.vocab import CXR14


@DATASETS.register("nih-cxr14", aliases=("nih", "cxr14", "chestx-ray14"))
def load_nih_cxr14(root: str | Path, options: LoadOptions = LoadOptions()) -> DownstreamDataset:
    root = Path(root)
    columns = ("Image Index", "Finding Labels", "Patient ID")
    tables = ("Data_Entry_2017_v2020.csv", "Data_Entry_2017.csv")
    table = read_table(root, *tables, what="NIH ChestX-ray14", columns=columns)
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
    items["split"] = np.where(
        items["item_id"].isin(test_names), "test", carve_valid(items["patient_id"], options.seed)
    )
    return finalize(
        "nih-cxr14",
        root,
        "multilabel",
        CXR14,
        items,
        options,
        notes={"splits": f"official test_list; 10% of train_val patients as valid (seed {options.seed})"},
    )
