"""Dataset sources, and the contamination rule built on them.

A *source* is the image/report collection a dataset comes from, spelled one way:
``mimic-cxr``, ``chexpert``, ``openi``, ``chestx-ray14``, ``padchest``,
``phantoms`` ... A benchmark's source is, in this order: the ``source`` key of
its evaluation config (a string or a list); the ``source`` of its entry in the
known-dataset registry; or the source named in its dataset name (``cxr-align``
alone means the official CXR-Align release, built from MIMIC-CXR). A model is
*contaminated* on a benchmark when one of its training datasets has the same
source: it may have seen the benchmark's images or reports in training.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

UNDISCLOSED = "undisclosed"

# Checked in order; the first pattern found in a normalised name names its source.
_SOURCE_PATTERNS: tuple[tuple[str, str], ...] = (
    ("phantoms", r"phantom"),
    ("mimic-cxr", r"mimic"),
    ("chexpert", r"chexpert"),
    ("openi", r"open-?i\b|openi|iu-?x-?ray|indiana|nlmcxr"),
    ("chestx-ray14", r"chestx-?ray-?(14|8)|nih-?cxr|\bcxr-?14\b|\bnih\b"),
    ("padchest", r"padchest"),
    ("vindr-cxr", r"vindr"),
    ("rsna-pneumonia", r"rsna"),
    ("siim-acr", r"siim"),
    ("roco", r"\broco\b"),
)
_OFFICIAL_CXR_ALIGN = re.compile(r"^cxr-?align(-(official|test|release|v?\d+(\.\d+)*))*$")
_UNDISCLOSED_WORDS = {
    "",
    "undisclosed",
    "unknown",
    "unspecified",
    "proprietary",
    "private",
    "n/a",
    "none-given",
}


def normalise(name: str) -> str:
    """Lower-case, with runs of spaces, underscores and slashes turned into single hyphens."""
    return re.sub(r"[\s_/]+", "-", name.strip().lower()).strip("-")


def canonical_source(name: str) -> str:
    """The source a dataset name refers to (the normalised name itself when none is recognised)."""
    norm = normalise(name)
    if norm in _UNDISCLOSED_WORDS:
        return UNDISCLOSED
    for source, pattern in _SOURCE_PATTERNS:
        if re.search(pattern, norm):
            return source
    if _OFFICIAL_CXR_ALIGN.match(norm):
        return "mimic-cxr"
    return norm


def _as_list(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, Iterable):
        return [str(v) for v in value]
    return []


def benchmark_sources(
    dataset: str, config: Mapping[str, Any], registered: str | list[str] | None = None
) -> set[str]:
    """The sources of a benchmark's data (see the module docstring for the order of precedence)."""
    explicit = _as_list(config.get("source")) if isinstance(config, Mapping) else []
    if explicit:
        return {canonical_source(s) for s in explicit}
    if registered:
        return {canonical_source(s) for s in _as_list(registered)}
    return {canonical_source(dataset)}


def training_sources(training_datasets: Iterable[str]) -> set[str]:
    return {canonical_source(name) for name in training_datasets}


def contamination(training_datasets: Iterable[str], sources: set[str]) -> tuple[str, list[str]]:
    """``("contaminated", overlap)``, ``("undisclosed", [])`` or ``("clean", [])`` for one model on one benchmark."""
    trained_on = training_sources(training_datasets)
    overlap = sorted(trained_on & sources)
    if overlap:
        return "contaminated", overlap
    if UNDISCLOSED in trained_on:
        return "undisclosed", []
    return "clean", []
