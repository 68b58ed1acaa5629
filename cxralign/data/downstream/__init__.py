"""Loaders for the downstream datasets users hold locally, one documented layout each.

``load_downstream(name, path, options)`` dispatches by loader name; every loader
returns a :class:`DownstreamDataset` with the same columns, so the tasks never
care where the images came from.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from cxralign.data.downstream.base import (
    FRONTAL_VIEWS,
    UNCERTAIN_POLICIES,
    DownstreamDataset,
    LoadOptions,
)
from cxralign.data.downstream.chexpert import load_chexpert, load_chexpert_5x200, load_chexpert_plus
from cxralign.data.downstream.generic import load_csv, load_imagefolder
from cxralign.data.downstream.kaggle import load_rsna_pneumonia, load_siim_pneumothorax
from cxralign.data.downstream.mimic import load_mimic_cxr
from cxralign.data.downstream.nih import load_nih_cxr14
from cxralign.data.downstream.openi import load_openi
from cxralign.data.downstream.phantoms import load_phantom_dataset
from cxralign.data.downstream.vindr import load_vindr_cxr
from cxralign.errors import ConfigError

LOADERS: dict[str, Callable[..., DownstreamDataset]] = {
    "mimic-cxr": load_mimic_cxr,
    "chexpert": load_chexpert,
    "chexpert-5x200": load_chexpert_5x200,
    "chexpert-plus": load_chexpert_plus,
    "nih-cxr14": load_nih_cxr14,
    "rsna-pneumonia": load_rsna_pneumonia,
    "siim-pneumothorax": load_siim_pneumothorax,
    "vindr-cxr": load_vindr_cxr,
    "openi": load_openi,
    "phantoms": load_phantom_dataset,
    "csv": load_csv,
    "imagefolder": load_imagefolder,
}
ALIASES = {
    "mimic": "mimic-cxr",
    "mimic-cxr-jpg": "mimic-cxr",
    "nih": "nih-cxr14",
    "cxr14": "nih-cxr14",
    "chestx-ray14": "nih-cxr14",
    "rsna": "rsna-pneumonia",
    "siim": "siim-pneumothorax",
    "vindr": "vindr-cxr",
    "iu-xray": "openi",
    "phantom": "phantoms",
}


def loader_name(name: str) -> str:
    key = ALIASES.get(name.lower(), name.lower())
    if key not in LOADERS:
        raise ConfigError(
            f"unknown dataset {name!r}; known: {', '.join(LOADERS)} (and cxr-align for built benchmarks)"
        )
    return key


def load_downstream(name: str, path: str | Path, options: LoadOptions | None = None) -> DownstreamDataset:
    """Load dataset ``name`` from ``path`` with the given policies."""
    key = loader_name(name)
    if options is None:
        options = LoadOptions(views=None) if key in ("phantoms", "csv", "imagefolder") else LoadOptions()
    return LOADERS[key](Path(path), options)


__all__ = [
    "FRONTAL_VIEWS",
    "LOADERS",
    "UNCERTAIN_POLICIES",
    "DownstreamDataset",
    "LoadOptions",
    "load_downstream",
    "loader_name",
]
