"""cxralign: does a chest X-ray CLIP prefer the true report over a minimally edited, contradicting one?

Evaluate a model in three lines::

    import cxralign
    results = cxralign.evaluate("open_clip:ViT-B-32@/path/to/checkpoint.pt", tasks=["cxr-align"],
                                data={"cxr-align": "build/cxr-align"}, out="results/")
    print(cxralign.results_table(results))

Public names (imported lazily, so ``import cxralign`` stays cheap and does not import torch):
:func:`evaluate`, :func:`results_table`, :func:`build`, :func:`load_benchmark`,
:func:`as_model` (wrap an in-memory model), :class:`TaskResult`, :class:`EvaluationFailed`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

_LAZY = {
    "evaluate": "cxralign.api",
    "results_table": "cxralign.api",
    "build": "cxralign.api",
    "load_benchmark": "cxralign.api",
    "EvaluationFailed": "cxralign.api",
    "as_model": "cxralign.models.wrapped",
    "TaskResult": "cxralign.tasks.results",
}
__all__ = [
    "EvaluationFailed",
    "TaskResult",
    "__version__",
    "as_model",
    "build",
    "evaluate",
    "load_benchmark",
    "results_table",
]

if TYPE_CHECKING:
    from cxralign.api import EvaluationFailed, build, evaluate, load_benchmark, results_table
    from cxralign.models.wrapped import as_model
    from cxralign.tasks.results import TaskResult


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'cxralign' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(module), name)


def __dir__() -> list[str]:
    return sorted(__all__)
