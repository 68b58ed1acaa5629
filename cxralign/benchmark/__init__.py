"""CXR-Align benchmark splits: build them from any report corpus, import the official release, load them.

>>> from cxralign.benchmark import load_benchmark          # doctest: +SKIP
>>> ds = load_benchmark("out/cxr-align", "negate", "test")  # doctest: +SKIP
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

# Public name -> its module, imported on first use: evaluating reads a few of these modules
# (controls, load) and must not load the report engine and the rewriter that building needs.
_HOME = {
    "blind_baselines": "blind",
    "BuildOptions": "build",
    "BuildSummary": "build",
    "build_benchmark": "build",
    "benchmark_files": "load",
    "iter_items": "load",
    "load_benchmark": "load",
    "import_official": "official",
    "read_official": "official",
    "render_preview": "preview",
    "COLUMNS": "schema",
    "ITEM_SCHEMA": "schema",
    "SPLITS": "schema",
    "BenchmarkItem": "schema",
    "hash_split": "splits",
}

__all__ = [
    "COLUMNS",
    "ITEM_SCHEMA",
    "SPLITS",
    "BenchmarkItem",
    "BuildOptions",
    "BuildSummary",
    "benchmark_files",
    "blind_baselines",
    "build_benchmark",
    "hash_split",
    "import_official",
    "iter_items",
    "load_benchmark",
    "read_official",
    "render_preview",
]


def __getattr__(name: str) -> Any:
    if name not in _HOME:
        raise AttributeError(f"module 'cxralign.benchmark' has no attribute {name!r}")
    return getattr(import_module(f"cxralign.benchmark.{_HOME[name]}"), name)
