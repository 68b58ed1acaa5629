"""Phantom chest radiographs: a synthetic paired image-report dataset with known ground truth.

``generate`` draws studies in memory; ``write_phantom_dataset`` writes them as a
Hugging Face dataset (Parquet with PNG images, a dataset card and a manifest);
``load_phantoms`` opens one split. See docs/phantoms.md.
"""

from cxralign.data.phantoms.spec import (
    DEFAULT_PREVALENCE,
    FINDINGS,
    GENERATOR_VERSION,
    Finding,
    PhantomOptions,
    parse_prevalence,
    resolve_options,
)

__all__ = [
    "DEFAULT_PREVALENCE",
    "FINDINGS",
    "GENERATOR_VERSION",
    "SPLITS",
    "Finding",
    "PhantomOptions",
    "PhantomSample",
    "generate",
    "load_phantoms",
    "parse_prevalence",
    "resolve_options",
    "write_phantom_dataset",
]


# The renderer imports scipy and the writer pyarrow/datasets: both load on first use, so that
# reading the options (``spec``), as the CLI does at start-up, stays cheap.
_LAZY = {
    "SPLITS": "generator",
    "PhantomSample": "generator",
    "generate": "generator",
    "write_phantom_dataset": "dataset",
    "load_phantoms": "dataset",
}


def __getattr__(name: str):
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(f"cxralign.data.phantoms.{_LAZY[name]}"), name)
    raise AttributeError(name)
