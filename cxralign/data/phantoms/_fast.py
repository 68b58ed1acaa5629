"""Numpy helpers without per-call Python overhead (a phantom makes thousands of small calls)."""

from __future__ import annotations

import bisect
import functools

import numpy as np

try:  # the clip ufunc itself; np.clip adds a Python dispatch layer that costs more than the work
    from numpy._core.umath import clip
except ImportError:  # pragma: no cover - numpy < 2
    from numpy.core.umath import clip  # type: ignore[no-redef]


def to_index(values: np.ndarray) -> np.ndarray:
    """Truncate non-negative floats to ``intp`` indices.

    Going through int32 is twice as fast as a direct float -> int64 cast, and ``intp``
    is what ``np.take`` and ``np.bincount`` want (anything else is converted, slowly).
    """
    return values.astype(np.int32).astype(np.intp)


def lookup(table: np.ndarray, index: np.ndarray) -> np.ndarray:
    """``table[index]`` for in-range ``intp`` indices, without the bounds check (~40% faster)."""
    return np.take(table, index, mode="clip")


@functools.lru_cache(maxsize=64)
def _cdf(weights: tuple[float, ...]) -> list[float]:
    cdf = np.cumsum(weights, dtype=np.float64)
    cdf /= cdf[-1]
    return cdf.tolist()


def weighted_index(rng: np.random.Generator, weights: tuple[float, ...]) -> int:
    """``int(rng.choice(len(weights), p=weights))``, same draw and result, without its ~20 us overhead.

    ``Generator.choice`` with ``p`` draws one ``rng.random()`` and searches the normalised
    cumulative weights (side right); this does exactly that.
    """
    return bisect.bisect_right(_cdf(weights), rng.random())


def uniform_index(rng: np.random.Generator, n: int) -> int:
    """``rng.choice(n)`` (replace, no ``p``): the same ``integers(0, n)`` draw, less overhead."""
    return int(rng.integers(0, n))


__all__ = ["clip", "lookup", "np", "to_index", "uniform_index", "weighted_index"]
