"""Synthetic phantom chest X-rays (``cxralign data phantoms`` output), read via ``load_phantoms``.

Layout: ``DIR/manifest.json`` and ``DIR/data/{train,validation,test}.parquet`` with
the PNG bytes embedded in an ``image`` column. Every split becomes a split here
(``validation`` -> ``valid``); labels are the CheXpert-14 labels the generated
report gives (1 / 0 / -1 uncertain / blank = not mentioned, read as 0, the
CheXpert convention), and each image keeps its report, so the same directory
serves zero-shot, linear probe, fine-tune and retrieval. Images stay in memory
as bytes; ``image_path`` is a locator (``data/<split>.parquet#<sample_id>``).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from cxralign.data.downstream.base import DATASETS, DownstreamDataset, LoadOptions, finalize
from cxralign.errors import InputError
from cxralign.vocab import CHEXPERT_14

PHANTOM_SPLITS = ("train", "validation", "test")


@DATASETS.register("phantoms", aliases=("phantom",))
def load_phantom_dataset(
    root: str | Path, options: LoadOptions = LoadOptions(views=None)
) -> DownstreamDataset:
    import pyarrow.parquet as pq

    from cxralign.data.phantoms.dataset import read_manifest

    root = Path(root)
    if not (root / "data").is_dir():
        raise InputError(
            f"{root} is not a phantom dataset: expected {root}/data/<split>.parquet (from `cxralign data phantoms`)"
        )
    frames = []
    for split in PHANTOM_SPLITS:
        if not (root / "data" / f"{split}.parquet").exists():
            continue
        read_manifest(root)  # the checks of load_phantoms, without building a datasets.Dataset (1 s of imports)
        table = pq.read_table(root / "data" / f"{split}.parquet").to_pandas()
        frames.append(
            pd.DataFrame(
                {
                    "item_id": table["sample_id"].astype(str),
                    "image_path": [f"{root}/data/{split}.parquet#{i}" for i in table["sample_id"]],
                    "image_bytes": [image["bytes"] for image in table["image"]],
                    "split": split,
                    "patient_id": table["patient_id"].astype(str),
                    "view": "PA",
                    "report": table["report"],
                    **{cls: table[cls].fillna(0.0).to_numpy() for cls in CHEXPERT_14},
                }
            )
        )
    if not frames:
        raise InputError(
            f"no phantom split found in {root}/data: expected train.parquet, validation.parquet or test.parquet"
        )
    return finalize(
        "phantoms",
        root,
        "multilabel",
        CHEXPERT_14,
        pd.concat(frames, ignore_index=True),
        options,
        check_images=False,
        notes={"labels": "report labels of the generated reports"},
    )
