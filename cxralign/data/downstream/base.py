"""The one table every downstream loader returns, and the policies applied to it.

A :class:`DownstreamDataset` is an item table (one row per image) with a fixed
set of columns, the class names, the task kind and the options that produced it.
View filtering, the uncertain-label policy and one-image-per-patient are applied
here, the same way for every dataset, and recorded in ``options`` so that every
result file says what was evaluated.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

from cxralign.errors import ConfigError, InputError
from cxralign.utils.hashing import sha256_bytes
from cxralign.utils.registry import Registry

Kind = Literal["binary", "multilabel", "multiclass"]
UNCERTAIN_POLICIES = ("ignore", "zeros", "ones")
FRONTAL_VIEWS = ("PA", "AP")
BASE_COLUMNS = ("item_id", "image_path", "split", "patient_id", "view")
CANONICAL_SPLITS = {
    "train": "train",
    "training": "train",
    "val": "valid",
    "valid": "valid",
    "validate": "valid",
    "validation": "valid",
    "dev": "valid",
    "test": "test",
    "testing": "test",
}


DATASETS: Registry = Registry(
    "dataset",
    entry_point_group="cxralign.datasets",
    modules=tuple(
        f"cxralign.data.downstream.{name}"
        for name in ("mimic", "chexpert", "nih", "kaggle", "vindr", "openi", "phantoms", "generic")
    ),
)
"""Downstream loaders by name: ``loader(path, options) -> DownstreamDataset``, each registered where it is defined."""


@dataclass(frozen=True)
class LoadOptions:
    """Explicit data policies; every result records them."""

    uncertain: str = "ignore"  # CheXpert -1 labels: "ignore" (excluded per class), "zeros", "ones"
    views: tuple[str, ...] | None = FRONTAL_VIEWS  # None keeps every view
    one_per_patient: bool = False  # keep one image per patient and split (the first by item id)
    seed: int = 0  # for loaders that must carve a validation or test split

    def __post_init__(self) -> None:
        if self.uncertain not in UNCERTAIN_POLICIES:
            raise ConfigError(
                f"unknown uncertain-label policy {self.uncertain!r}; choose one of {', '.join(UNCERTAIN_POLICIES)}"
            )

    def as_dict(self) -> dict[str, Any]:
        return {
            "uncertain": self.uncertain,
            "views": list(self.views) if self.views else None,
            "one_per_patient": self.one_per_patient,
            "seed": self.seed,
        }


@dataclass
class DownstreamDataset:
    """Images with labels (and reports, where the source has them), split into train / valid / test."""

    name: str
    root: Path
    kind: Kind
    classes: tuple[str, ...]
    items: pd.DataFrame  # BASE_COLUMNS + one float column per class (1 / 0 / NaN unknown) + optional "report"
    options: dict[str, Any] = field(default_factory=dict)
    notes: dict[str, Any] = field(default_factory=dict)  # what the policies removed, split provenance
    _hash: str | None = field(default=None, repr=False, compare=False)

    @property
    def has_reports(self) -> bool:
        return "report" in self.items.columns and self.items["report"].notna().any()

    @property
    def splits(self) -> list[str]:
        order = {"train": 0, "valid": 1, "test": 2}
        return sorted(self.items["split"].unique().tolist(), key=lambda s: (order.get(s, 9), s))

    def split(self, name: str) -> pd.DataFrame:
        return self.items[self.items["split"] == name].reset_index(drop=True)

    def image_sources(self, frame: pd.DataFrame) -> list:
        """What to read each image from: its bytes where the source embeds them (phantoms), else its path."""
        if "image_bytes" in frame.columns:
            return [
                b if isinstance(b, bytes | bytearray) else p
                for b, p in zip(frame["image_bytes"], frame["image_path"], strict=True)
            ]
        return list(frame["image_path"])

    def labels(self, frame: pd.DataFrame) -> np.ndarray:
        """(N, C) float labels: 1, 0, or NaN where unknown / ignored."""
        return frame[list(self.classes)].to_numpy(dtype=np.float64)

    def hash(self) -> str:
        """sha256 of the loaded index (ids, paths relative to the root, splits, labels), not of the pixels."""
        if self._hash is not None:
            return self._hash
        columns = [c for c in (*BASE_COLUMNS, *self.classes, "report") if c in self.items.columns]
        frame = self.items[columns].copy()
        frame["image_path"] = [_relative(p, self.root) for p in frame["image_path"]]
        if "image_bytes" in self.items.columns:  # embedded images: their content is part of the identity
            frame["image_sha256"] = [
                sha256_bytes(b) if isinstance(b, bytes) else "" for b in self.items["image_bytes"]
            ]
        payload = frame.to_csv(index=False).encode() + repr((self.kind, self.classes)).encode()
        self._hash = sha256_bytes(payload)
        return self._hash


def _relative(path: str, root: Path) -> str:
    try:
        return Path(path).relative_to(root).as_posix()
    except ValueError:
        return str(path)


def canonical_split(name: str) -> str:
    return CANONICAL_SPLITS.get(str(name).strip().lower(), str(name).strip().lower())


def require_file(root: Path, *candidates: str, what: str = "") -> Path:
    """The first candidate that exists below ``root``, or an error naming what was expected."""
    for candidate in candidates:
        path = root / candidate
        if path.exists():
            return path
    expected = " or ".join(str(root / c) for c in candidates)
    raise InputError(f"{root} does not look like {what or 'the expected layout'}: expected {expected}")


def read_table(root: Path, *candidates: str, what: str, columns: tuple[str, ...] = ()) -> pd.DataFrame:
    """The first candidate CSV below ``root`` (header names stripped), with one error line for the
    ``columns`` it lacks: the opening every CSV-labelled loader shares."""
    path = require_file(root, *candidates, what=what)
    table = pd.read_csv(path)
    table.columns = [str(c).strip() for c in table.columns]
    missing = [c for c in columns if c not in table.columns]
    if missing:
        raise InputError(f"{what} table {path} lacks column(s): {', '.join(missing)}")
    return table


def carve_valid(keys: pd.Series, seed: int) -> pd.Series:
    """A seeded 10% of the groups as ``valid``, the rest ``train``: for sources with no validation split."""
    return assign_splits(keys, seed, (0.9, 0.1, 0.0)).replace({"test": "train"})


def finalize(
    name: str,
    root: Path,
    kind: Kind,
    classes: tuple[str, ...],
    items: pd.DataFrame,
    options: LoadOptions,
    *,
    check_images: bool = True,
    notes: dict[str, Any] | None = None,
) -> DownstreamDataset:
    """Apply view filter, uncertain policy and one-per-patient; validate; return the dataset."""
    items = items.copy()
    notes = dict(notes or {})
    for column in BASE_COLUMNS:
        if column not in items.columns:
            items[column] = None
    items["item_id"] = items["item_id"].astype(str)
    items["split"] = items["split"].map(canonical_split)
    items["patient_id"] = items["patient_id"].fillna(items["item_id"]).astype(str)
    if items["item_id"].duplicated().any():
        dup = items.loc[items["item_id"].duplicated(), "item_id"].iloc[0]
        raise InputError(f"{name}: item id {dup!r} appears more than once")
    for cls in classes:
        items[cls] = pd.to_numeric(items[cls], errors="coerce").astype(np.float64)
    if options.views and items["view"].notna().any():
        before = len(items)
        wanted = {v.upper() for v in options.views}
        items = items[items["view"].fillna("").astype(str).str.upper().isin(wanted)]
        notes["removed_by_view_filter"] = before - len(items)
    values = items[list(classes)]
    notes["uncertain_labels"] = int((values == -1).sum().sum())
    replacement = {"ignore": np.nan, "zeros": 0.0, "ones": 1.0}[options.uncertain]
    items[list(classes)] = values.mask(values == -1, replacement)
    if options.one_per_patient:
        before = len(items)
        items = items.sort_values(["split", "patient_id", "item_id"], kind="mergesort")
        items = items.drop_duplicates(["split", "patient_id"], keep="first")
        notes["removed_by_one_per_patient"] = before - len(items)
    items = items.sort_values(["split", "item_id"], kind="mergesort").reset_index(drop=True)
    if items.empty:
        raise InputError(f"{name}: no images left in {root} after the view filter and label policies")
    if check_images:
        missing = [p for p in items["image_path"] if not Path(p).exists()]
        if missing:
            raise InputError(
                f"{name}: {len(missing)} image file(s) listed in {root} do not exist, e.g. {missing[0]}"
            )
    return DownstreamDataset(
        name=name,
        root=root,
        kind=kind,
        classes=tuple(classes),
        items=items,
        options=options.as_dict(),
        notes=notes,
    )


def assign_splits(
    keys: pd.Series, seed: int, fractions: tuple[float, float, float] = (0.7, 0.1, 0.2)
) -> pd.Series:
    """Deterministic train / valid / test assignment by group key (e.g. patient), for sources without one."""
    unique = np.array(sorted(set(keys.astype(str))))
    order = np.random.default_rng(seed).permutation(len(unique))
    n_train = int(round(fractions[0] * len(unique)))
    n_valid = int(round(fractions[1] * len(unique)))
    names = np.empty(len(unique), dtype=object)
    names[order[:n_train]] = "train"
    names[order[n_train : n_train + n_valid]] = "valid"
    names[order[n_train + n_valid :]] = "test"
    mapping = dict(zip(unique, names, strict=True))
    return keys.astype(str).map(mapping)
