"""CheXpert (train / valid / test), the CheXpert 5x200 multi-class subset, and CheXpert Plus.

CheXpert layout (``CheXpert-v1.0`` or ``CheXpert-v1.0-small``)::

    ROOT/train.csv  ROOT/valid.csv  [ROOT/test.csv]   columns: Path, Sex, Age, Frontal/Lateral, AP/PA, <14 labels>
    ROOT/train/patient00001/study1/view1_frontal.jpg   (``Path`` is relative to ROOT's parent, e.g.
                                                        ``CheXpert-v1.0-small/train/patient00001/...``)

Splits: ``train`` from train.csv. With a ``test.csv`` (the radiologist-labelled
test set) ``valid.csv`` is the validation split; without one, ``valid.csv``
becomes the test split and a seeded 10% of training patients the validation
split (recorded in the dataset notes).
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
    carve_valid,
    finalize,
    read_table,
)
from cxralign.errors import InputError
from cxralign.vocab import CHEXPERT_14

COMPETITION_5 = ("Atelectasis", "Cardiomegaly", "Consolidation", "Edema", "Pleural Effusion")


def _resolve(root: Path, relative: str) -> str:
    path = Path(relative)
    for candidate in (
        root.parent / path,
        root / path,
        root / Path(*path.parts[1:]) if len(path.parts) > 1 else root / path,
    ):
        if candidate.exists():
            return str(candidate)
    return str(root.parent / path)


def _read_table(root: Path, name: str) -> pd.DataFrame:
    return read_table(root, name, what="CheXpert", columns=("Path", *CHEXPERT_14))


def _items(root: Path, frame: pd.DataFrame, split: str) -> pd.DataFrame:
    frontal = frame.get("Frontal/Lateral", pd.Series("Frontal", index=frame.index)).fillna("Frontal")
    view = np.where(
        frontal.str.lower() == "lateral",
        "LATERAL",
        frame.get("AP/PA", pd.Series("", index=frame.index)).fillna(""),
    )
    out = pd.DataFrame(
        {
            "item_id": frame["Path"].str.replace(r"^CheXpert-v1\.0(-small)?/", "", regex=True),
            "image_path": [_resolve(root, p) for p in frame["Path"]],
            "split": split,
            "patient_id": frame["Path"].str.extract(r"(patient\d+)")[0],
            "view": view,
        }
    )
    for cls in CHEXPERT_14:
        out[cls] = frame[cls].to_numpy()
    return out


@DATASETS.register("chexpert")
def load_chexpert(root: str | Path, options: LoadOptions = LoadOptions()) -> DownstreamDataset:
    root = Path(root)
    train = _read_table(root, "train.csv")
    valid = _read_table(root, "valid.csv")
    notes = {}
    if (root / "test.csv").exists():
        parts = [
            _items(root, train, "train"),
            _items(root, valid, "valid"),
            _items(root, _read_table(root, "test.csv"), "test"),
        ]
        notes["splits"] = "official train / valid / test"
    else:
        train_items = _items(root, train, "train")
        train_items["split"] = carve_valid(train_items["patient_id"], options.seed)
        parts = [train_items, _items(root, valid, "test")]
        notes["splits"] = f"valid.csv used as test; 10% of training patients as valid (seed {options.seed})"
    items = pd.concat(parts, ignore_index=True)
    # unlabelled (blank) CheXpert cells mean "not mentioned": negative, as in the CheXpert paper's training
    items[list(CHEXPERT_14)] = items[list(CHEXPERT_14)].fillna(0.0)
    return finalize("chexpert", root, "multilabel", CHEXPERT_14, items, options, notes=notes)


@DATASETS.register("chexpert-5x200")
def load_chexpert_5x200(
    root: str | Path, options: LoadOptions = LoadOptions(), per_class: int = 200
) -> DownstreamDataset:
    """200 frontal training images per competition class, each positive for exactly one of the five.

    Drawn with ``numpy.random.default_rng(options.seed)`` from the sorted candidates,
    so the same seed always gives the same 1,000 images (GLoRIA / CheXzero style).
    """
    root = Path(root)
    train = _read_table(root, "train.csv")
    items = _items(root, train, "test")
    items = items[items["view"].isin(["PA", "AP"])]
    labels = items[list(COMPETITION_5)]
    exclusive = (labels == 1).sum(axis=1) == 1
    rng = np.random.default_rng(options.seed)
    chosen = []
    for cls in COMPETITION_5:
        candidates = items[exclusive & (labels[cls] == 1)].sort_values("item_id")
        if len(candidates) < per_class:
            raise InputError(
                f"CheXpert 5x200: only {len(candidates)} exclusive {cls} images in {root}/train.csv, need {per_class}"
            )
        picked = candidates.iloc[np.sort(rng.choice(len(candidates), per_class, replace=False))].copy()
        for other in COMPETITION_5:
            picked[other] = float(other == cls)
        chosen.append(picked)
    frame = pd.concat(chosen, ignore_index=True)[
        ["item_id", "image_path", "split", "patient_id", "view", *COMPETITION_5]
    ]
    return finalize(
        "chexpert-5x200",
        root,
        "multiclass",
        COMPETITION_5,
        frame,
        LoadOptions(uncertain="zeros", views=None, one_per_patient=False, seed=options.seed),
        notes={"per_class": per_class, "sampling_seed": options.seed},
    )


@DATASETS.register("chexpert-plus")
def load_chexpert_plus(root: str | Path, options: LoadOptions = LoadOptions()) -> DownstreamDataset:
    """CheXpert Plus: ``ROOT/df_chexpert_plus_*.csv`` with reports; images under ``ROOT/PNG/`` (or ``ROOT/``).

    Labels come from ``ROOT/chexbert_labels/impression_fixed.json`` (JSON lines with
    ``path_to_image`` and the 14 CheXpert observations) when present; otherwise the
    dataset has reports only (retrieval).
    """
    root = Path(root)
    tables = sorted(root.glob("df_chexpert_plus*.csv"))
    if not tables:
        raise InputError(
            f"{root} does not look like CheXpert Plus: expected {root}/df_chexpert_plus_240401.csv"
        )
    frame = pd.read_csv(tables[-1])
    missing = [c for c in ("path_to_image", "split") if c not in frame.columns]
    if missing:
        raise InputError(f"{tables[-1]} lacks CheXpert Plus column(s): {', '.join(missing)}")

    def image(rel: str) -> str:
        for candidate in (
            root / "PNG" / Path(rel).with_suffix(".png"),
            root / rel,
            root / Path(rel).with_suffix(".png"),
        ):
            if candidate.exists():
                return str(candidate)
        return str(root / "PNG" / Path(rel).with_suffix(".png"))

    findings = frame.get("section_findings", pd.Series(index=frame.index, dtype=object)).fillna("")
    impression = frame.get("section_impression", pd.Series(index=frame.index, dtype=object)).fillna("")
    report = (findings.str.strip() + " " + impression.str.strip()).str.strip()
    if "report" in frame.columns:
        report = report.where(report != "", frame["report"].fillna(""))
    frontal = frame.get("frontal_lateral", pd.Series("Frontal", index=frame.index)).fillna("Frontal")
    items = pd.DataFrame(
        {
            "item_id": frame["path_to_image"],
            "image_path": [image(p) for p in frame["path_to_image"]],
            "split": frame["split"],
            "patient_id": frame.get("deid_patient_id", frame["path_to_image"]),
            "view": np.where(
                frontal.str.lower() == "lateral",
                "LATERAL",
                frame.get("ap_pa", pd.Series("", index=frame.index)).fillna(""),
            ),
            "report": report.replace("", None),
        }
    )
    labels_path = root / "chexbert_labels" / "impression_fixed.json"
    classes: tuple[str, ...] = ()
    if labels_path.exists():
        labels = (
            pd.read_json(labels_path, lines=True).drop_duplicates("path_to_image").set_index("path_to_image")
        )
        classes = tuple(c for c in CHEXPERT_14 if c in labels.columns)
        for cls in classes:
            items[cls] = items["item_id"].map(labels[cls]).fillna(0.0).to_numpy()
    if "valid" not in set(items["split"].str.lower()) or "test" not in set(items["split"].str.lower()):
        carved = assign_splits(items["patient_id"], options.seed, (0.8, 0.1, 0.1))
        is_train = items["split"].str.lower() == "train"
        items["split"] = np.where(is_train, carved, items["split"])
    return finalize(
        "chexpert-plus",
        root,
        "multilabel",
        classes,
        items,
        options,
        notes={"labels": "chexbert impression" if classes else "none (reports only)"},
    )
