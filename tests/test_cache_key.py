"""The embedding cache keys files by their bytes: a file rewritten in place is never served stale."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
from PIL import Image

from cxralign.models import EmbeddingCache, embed_images, load_model
from cxralign.models.engine import content_hash


def test_rewritten_file_with_same_size_and_mtime_is_embedded_again(tmp_path: Path) -> None:
    model = load_model("open_clip:cxralign-tiny-vit@random", device="cpu")
    cache = EmbeddingCache(tmp_path / "cache")
    path = tmp_path / "film.bmp"  # BMP: the same size for any pixels of the same shape
    Image.fromarray(np.full((48, 48), 30, dtype=np.uint8)).save(path)
    stat = path.stat()
    kwargs = {"ids": ["film"], "cache": cache, "dataset_hash": "same-table", "split": "test", "progress": False}
    first = embed_images(model, [str(path)], **kwargs)
    again = embed_images(model, [str(path)], **kwargs)
    assert again.from_cache and np.array_equal(first.embeddings, again.embeddings)

    Image.fromarray(np.tri(48, 48, dtype=np.uint8) * 220).save(path)
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert path.stat().st_size == stat.st_size and path.stat().st_mtime_ns == stat.st_mtime_ns
    changed = embed_images(model, [str(path)], **kwargs)
    assert not changed.from_cache
    assert not np.allclose(changed.embeddings, first.embeddings)


def test_content_hash_follows_bytes_not_names(tmp_path: Path) -> None:
    a, b = tmp_path / "a.png", tmp_path / "b.png"
    a.write_bytes(b"same bytes")
    b.write_bytes(b"same bytes")
    assert content_hash([str(a)]) == content_hash([str(b)])
    b.write_bytes(b"other byte")
    assert content_hash([str(a)]) != content_hash([str(b)])
