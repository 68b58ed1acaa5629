"""Sharded embedding: 2 CPU processes on gloo give every rank the single-process result, in order."""

from __future__ import annotations

import io
import json
import os

import numpy as np
import pytest
import torch
import torch.distributed as dist
import torch.multiprocessing as mp
from PIL import Image

from cxralign.models import EmbeddingCache, embed_images, embed_texts
from cxralign.models.base import TokenizedTexts


class _TinyModel:
    """A deterministic stand-in (no open_clip import in the worker processes, so the test stays fast)."""

    spec = "test:tiny"
    card = None
    context_length = 8
    device = torch.device("cpu")
    logit_scale = 1.0

    def __init__(self) -> None:
        generator = torch.Generator().manual_seed(0)
        self.weight = torch.randn(3 * 8 * 8, 4, generator=generator)

    def image_transform(self):
        return _to_tensor

    def tokenize(self, texts):
        ids = torch.tensor([[min(len(t), 1000)] * self.context_length for t in texts])
        return TokenizedTexts(ids, None, sum(len(t.split()) > self.context_length for t in texts))

    def encode_images(self, images):
        return (images.reshape(len(images), -1) @ self.weight).numpy().astype(np.float32)

    def encode_texts(self, texts):
        return np.array([[len(t), t.count("no"), 1.0, 0.0] for t in texts], dtype=np.float32)

    def fingerprint(self):
        return "tiny-stand-in"


def _to_tensor(image: Image.Image) -> torch.Tensor:
    array = np.asarray(image.convert("RGB").resize((8, 8)), dtype=np.float32) / 255.0
    return torch.from_numpy(array.transpose(2, 0, 1).copy())


def _items() -> list:
    rng = np.random.default_rng(1)
    items: list = []
    for i in range(9):
        buffer = io.BytesIO()
        Image.fromarray(rng.integers(0, 255, (10 + i, 12), dtype=np.uint8)).save(buffer, format="PNG")
        items.append(buffer.getvalue())
    items[4] = b"broken"
    return items


TEXTS = ["no effusion", "effusion", "no effusion", "a very long report " * 5, "edema"]


def _worker(rank: int, world: int, init_file: str, out: str) -> None:
    dist.init_process_group("gloo", init_method=f"file://{init_file}", rank=rank, world_size=world)
    try:
        cache = EmbeddingCache(os.path.join(out, "cache"))
        model = _TinyModel()
        ids = [f"img{i}" for i in range(9)]
        first = embed_images(model, _items(), ids=ids, batch_size=2, cache=cache, progress=False)
        second = embed_images(model, _items(), ids=ids, batch_size=2, cache=cache, progress=False)
        texts = embed_texts(model, TEXTS, batch_size=2, progress=False)
        np.save(os.path.join(out, f"rank{rank}.npy"), first.embeddings)
        np.save(os.path.join(out, f"text{rank}.npy"), texts.embeddings)
        with open(os.path.join(out, f"rank{rank}.json"), "w") as handle:
            json.dump(
                {
                    "ids": first.ids,
                    "failed": first.failed,
                    "second_from_cache": second.from_cache,
                    "text_truncated": texts.n_truncated,
                },
                handle,
            )
    finally:
        dist.destroy_process_group()


@pytest.mark.slow  # two spawned interpreters importing torch: ~10 s on 2 cores
def test_two_gloo_ranks_match_the_single_process_result(tmp_path):
    mp.spawn(_worker, args=(2, str(tmp_path / "init"), str(tmp_path)), nprocs=2, join=True)
    model = _TinyModel()
    ids = [f"img{i}" for i in range(9)]
    single = embed_images(model, _items(), ids=ids, batch_size=3, progress=False)
    single_texts = embed_texts(model, TEXTS, progress=False)
    for rank in (0, 1):
        meta = json.loads((tmp_path / f"rank{rank}.json").read_text())
        assert meta["ids"] == single.ids == [i for i in ids if i != "img4"]
        assert [f[0] for f in meta["failed"]] == ["img4"]
        assert meta["second_from_cache"] is True
        assert meta["text_truncated"] == single_texts.n_truncated == 1
        np.testing.assert_allclose(np.load(tmp_path / f"rank{rank}.npy"), single.embeddings, rtol=1e-6)
        np.testing.assert_array_equal(np.load(tmp_path / f"text{rank}.npy"), single_texts.embeddings)
    assert (
        len(list((tmp_path / "cache" / "embeddings").glob("*/*/entry.json"))) == 1
    )  # written once, by rank 0
