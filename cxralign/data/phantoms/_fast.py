"""Numpy helpers without per-call Python overhead (a phantom makes thousands of small calls)."""

from __future__ import annotations

import numpy as np

try:  # the clip ufunc itself; np.clip adds a Python dispatch layer that costs more than the work
    from numpy._core.umath import clip
except ImportError:  # pragma: no cover - numpy < 2
    from numpy.core.umath import clip  # type: ignore[no-redef]

__all__ = ["clip", "np"]
