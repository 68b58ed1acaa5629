"""Loaders for the downstream datasets users hold locally, one documented layout each.

``load_downstream(name, path, options)`` looks the loader up in ``DATASETS`` (each loader
registers itself with ``@DATASETS.register(name, aliases=...)``); every loader
returns a :class:`DownstreamDataset` with the same columns, so the tasks never
care where the images came from.
"""

from __future__ import annotations

from pathlib import Path

from cxralign.data.downstream.base import (
    DATASETS,
    FRONTAL_VIEWS,
    UNCERTAIN_POLICIES,
    DownstreamDataset,
    LoadOptions,
)

UNFILTERED_VIEWS = ("phantoms", "csv", "imagefolder")  # no view column worth filtering by default


def loader_name(name: str) -> str:
    """The registered loader ``name`` stands for (aliases resolved); one error line when unknown."""
    key = DATASETS.canonical(name.lower())
    if key not in DATASETS:
        raise DATASETS.unknown(name)
    return key


def load_downstream(name: str, path: str | Path, options: LoadOptions | None = None) -> DownstreamDataset:
    """Load dataset ``name`` from ``path`` with the given policies."""
    key = loader_name(name)
    if options is None:
        options = LoadOptions(views=None) if key in UNFILTERED_VIEWS else LoadOptions()
    return DATASETS.get(key)(Path(path), options)


__all__ = [
    "DATASETS",
    "FRONTAL_VIEWS",
    "UNCERTAIN_POLICIES",
    "DownstreamDataset",
    "LoadOptions",
    "load_downstream",
    "loader_name",
]
