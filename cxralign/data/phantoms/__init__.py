"""Phantom chest radiographs: a synthetic paired image-report dataset with known ground truth.

``generate`` draws studies in memory; ``write_phantom_dataset`` writes them as a
Hugging Face dataset (Parquet with PNG images, a dataset card and a manifest);
``load_phantoms`` opens one split. See docs/phantoms.md.
"""

from cxralign.data.phantoms.generator import SPLITS, PhantomSample, generate
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


def __getattr__(name: str):  # the dataset writer imports pyarrow/datasets: load it on first use
    if name in ("write_phantom_dataset", "load_phantoms"):
        from cxralign.data.phantoms import dataset

        return getattr(dataset, name)
    raise AttributeError(name)
