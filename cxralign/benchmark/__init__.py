"""CXR-Align benchmark splits: build them from any report corpus, import the official release, load them.

>>> from cxralign.benchmark import load_benchmark          # doctest: +SKIP
>>> ds = load_benchmark("out/cxr-align", "negate", "test")  # doctest: +SKIP
"""

from cxralign.benchmark.blind import blind_baselines
from cxralign.benchmark.build import BuildOptions, BuildSummary, build_benchmark
from cxralign.benchmark.load import benchmark_files, iter_items, load_benchmark
from cxralign.benchmark.official import import_official, read_official
from cxralign.benchmark.preview import render_preview
from cxralign.benchmark.schema import COLUMNS, ITEM_SCHEMA, SPLITS, BenchmarkItem
from cxralign.benchmark.splits import hash_split

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
