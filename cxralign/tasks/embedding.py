"""Embeddings as every task consumes them: L2-normalised, finite, in the caller's order.

The model stage's cached ``embed_images`` / ``embed_texts`` (``cxralign.models.engine``)
do the work; this module only checks and normalises. A NaN or infinite embedding stops
the task with the offending item ids named, instead of quietly poisoning a mean.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from cxralign.errors import InputError


class NonFiniteEmbeddingError(InputError):
    """The model produced NaN or infinite embeddings."""


def check_finite(embeddings: np.ndarray, ids: Sequence[str], what: str) -> None:
    """Raise naming the ids whose embedding has a NaN or infinite value."""
    bad = ~np.isfinite(embeddings).all(axis=1)
    if bad.any():
        named = [str(ids[i]) for i in np.flatnonzero(bad)]
        shown = ", ".join(named[:10]) + (f" and {len(named) - 10} more" if len(named) > 10 else "")
        raise NonFiniteEmbeddingError(f"{len(named)} {what} embedding(s) are NaN or infinite: {shown}")


def normalise(embeddings: np.ndarray) -> np.ndarray:
    """Unit L2 rows in float32 (an all-zero row stays zero)."""
    embeddings = np.asarray(embeddings, dtype=np.float32)
    norms = np.linalg.norm(embeddings, axis=1, keepdims=True)
    return embeddings / np.where(norms > 0, norms, 1.0)


def embed_image_files(
    model: Any,
    paths: Sequence[str | Path],
    ids: Sequence[str],
    *,
    batch_size: int = 64,
    cache: Any = None,
    dataset_hash: str | None = None,
    split: str | None = None,
) -> np.ndarray:
    """Normalised (N, D) embeddings of image files, in the order given."""
    if len(paths) == 0:
        return np.zeros((0, 0), dtype=np.float32)
    missing = [str(p) for p in paths if isinstance(p, str | Path) and not Path(p).exists()]
    if missing:
        raise InputError(f"{len(missing)} image file(s) do not exist, e.g. {missing[0]}")
    from cxralign.models.engine import embed_images

    result = embed_images(
        model,
        [p if isinstance(p, bytes | bytearray) else str(p) for p in paths],
        ids=[str(i) for i in ids],
        batch_size=batch_size,
        cache=cache,
        dataset_hash=dataset_hash,
        split=split,
        strict=True,
    )
    if result.failed:
        raise InputError(f"{len(result.failed)} image(s) could not be embedded, e.g. {list(result.failed)[0]}")
    order = {str(i): k for k, i in enumerate(result.ids)}
    embeddings = np.asarray(result.embeddings)[[order[str(i)] for i in ids]]
    check_finite(embeddings, ids, "image")
    return normalise(embeddings)


def embed_text_list(
    model: Any, texts: Sequence[str], *, batch_size: int = 256, cache: Any = None, stats: dict | None = None
) -> np.ndarray:
    """Normalised (N, D) embeddings of texts; identical texts are encoded once.

    ``stats["texts_truncated"]`` is increased by the number of distinct texts cut to the
    model's context length, so results can say how many reports the model never saw whole.
    """
    if len(texts) == 0:
        return np.zeros((0, 0), dtype=np.float32)
    unique = list(dict.fromkeys(texts))
    from cxralign.models.engine import embed_texts

    result = embed_texts(model, unique, batch_size=batch_size, cache=cache)
    embeddings = np.asarray(result.embeddings, dtype=np.float32)
    truncated = int(result.n_truncated)
    if stats is not None:
        stats["texts_truncated"] = stats.get("texts_truncated", 0) + truncated
    check_finite(embeddings, [t[:60] for t in unique], "text")
    embeddings = normalise(embeddings)
    index = {t: k for k, t in enumerate(unique)}
    return embeddings[[index[t] for t in texts]]
