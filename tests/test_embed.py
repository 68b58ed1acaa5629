"""The embedding engine and its cache, on the tiny open_clip architecture shipped with cxralign."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from PIL import Image

from cxralign.errors import InputError
from cxralign.models import EmbeddingCache, embed_images, embed_texts, load_model


@pytest.fixture(scope="module")
def model():
    return load_model("open_clip:cxralign-tiny-vit@random", device="cpu")


@pytest.fixture(scope="module")
def image_files(tmp_path_factory):
    root = tmp_path_factory.mktemp("imgs")
    rng = np.random.default_rng(0)
    paths = []
    for i in range(7):
        path = root / f"{i}.png"
        Image.fromarray(rng.integers(0, 255, (70 + i, 90), dtype=np.uint8)).save(path)
        paths.append(str(path))
    return paths


def _direct(model, paths):
    transform = model.image_transform()
    from cxralign.data.images import load_image

    batch = torch.stack([transform(load_image(p)) for p in paths])
    return model.encode_images(batch)


def test_engine_matches_direct_forward_in_order(model, image_files):
    result = embed_images(model, image_files, ids=[f"id{i}" for i in range(7)], batch_size=3)
    assert result.ids == [f"id{i}" for i in range(7)]
    assert result.embeddings.dtype == np.float32 and result.embeddings.shape == (7, 32)
    np.testing.assert_allclose(result.embeddings, _direct(model, image_files), rtol=1e-4, atol=1e-5)


def test_bad_images_are_reported_and_skipped_or_fatal_when_strict(model, image_files, tmp_path):
    broken = tmp_path / "broken.png"
    broken.write_bytes(b"not an image")
    items = [image_files[0], str(broken), image_files[1], str(tmp_path / "missing.png")]
    result = embed_images(model, items, ids=["a", "b", "c", "d"], batch_size=2, progress=False)
    assert result.ids == ["a", "c"]
    assert [f[0] for f in result.failed] == ["b", "d"]
    assert "broken.png" in result.failed[0][1] and "not found" in result.failed[1][1]
    with pytest.raises(InputError, match="'b'"):
        embed_images(model, items, ids=["a", "b", "c", "d"], strict=True)


def test_worker_processes_give_identical_results(model, image_files):
    serial = embed_images(model, image_files, ids=None, batch_size=4)
    parallel = embed_images(model, image_files, ids=None, batch_size=4, num_workers=2)
    np.testing.assert_array_equal(serial.embeddings, parallel.embeddings)


def test_cache_hit_corruption_and_key_sensitivity(model, image_files, tmp_path):
    cache = EmbeddingCache(tmp_path / "cache")
    ids = [str(i) for i in range(7)]
    cold = embed_images(model, image_files, ids=ids, cache=cache, dataset_hash="d1", split="test")
    assert not cold.from_cache
    warm = embed_images(model, image_files, ids=ids, cache=cache, dataset_hash="d1", split="test")
    assert warm.from_cache and np.array_equal(warm.embeddings, cold.embeddings) and warm.ids == ids
    # another split or dataset hash is another entry
    assert not embed_images(
        model, image_files, ids=ids, cache=cache, dataset_hash="d1", split="val"
    ).from_cache
    assert not embed_images(
        model, image_files, ids=ids, cache=cache, dataset_hash="d2", split="test"
    ).from_cache
    # flip a byte of the stored array: detected, recomputed, and the entry is healthy again
    entries = list((tmp_path / "cache" / "embeddings").glob("*/*/embeddings.npy"))
    assert len(entries) == 3
    index = json.loads((tmp_path / "cache" / "index.json").read_text())
    assert len(index) == 3
    target = entries[0]
    raw = bytearray(target.read_bytes())
    raw[-1] ^= 0xFF
    target.write_bytes(bytes(raw))
    recovered = [
        embed_images(model, image_files, ids=ids, cache=cache, dataset_hash=h, split=s)
        for h, s in (("d1", "test"), ("d1", "val"), ("d2", "test"))
    ]
    assert cache.n_corrupt_recomputed == 1
    assert sum(not r.from_cache for r in recovered) == 1
    for r in recovered:
        np.testing.assert_allclose(r.embeddings, cold.embeddings, rtol=1e-5)


def test_partial_entry_is_ignored(model, image_files, tmp_path):
    cache = EmbeddingCache(tmp_path / "cache")
    embed_images(model, image_files[:2], ids=["a", "b"], cache=cache)
    (entry,) = (tmp_path / "cache" / "embeddings").glob("*/*/")
    (entry / "entry.json").unlink()  # as if a crash removed half of it
    again = embed_images(model, image_files[:2], ids=["a", "b"], cache=cache)
    assert not again.from_cache and cache.n_corrupt_recomputed == 1


def test_default_cache_root_follows_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("CXRALIGN_CACHE_DIR", str(tmp_path / "envcache"))
    assert EmbeddingCache().root == tmp_path / "envcache"


def test_changed_file_content_misses_the_cache_without_a_dataset_hash(model, image_files, tmp_path):
    cache = EmbeddingCache(tmp_path / "cache")
    path = tmp_path / "x.png"
    Image.fromarray(np.zeros((64, 64), np.uint8)).save(path)
    first = embed_images(model, [str(path)], ids=["x"], cache=cache)
    Image.fromarray(np.full((64, 64), 200, np.uint8)).save(path)
    second = embed_images(model, [str(path)], ids=["x"], cache=cache)
    assert not second.from_cache
    assert not np.allclose(first.embeddings, second.embeddings)


def test_texts_dedup_truncation_and_cache(model, tmp_path):
    long_report = "There is a small left pleural effusion. " * 30
    texts = ["no pneumothorax", long_report, "no pneumothorax", long_report, "cardiomegaly"]
    cache = EmbeddingCache(tmp_path / "cache")
    result = embed_texts(model, texts, ids=list("abcde"), batch_size=2, cache=cache)
    assert result.embeddings.shape == (5, 32)
    assert result.n_truncated == 2
    np.testing.assert_array_equal(result.embeddings[0], result.embeddings[2])
    np.testing.assert_allclose(
        result.embeddings[4], model.encode_texts(["cardiomegaly"])[0], rtol=1e-5, atol=1e-6
    )
    warm = embed_texts(model, texts, ids=list("abcde"), cache=cache)
    assert warm.from_cache and warm.n_truncated == 2


def test_tokenize_counts_truncation_explicitly(model):
    tokens = model.tokenize(["short", "word " * 200])
    assert tokens.input_ids.shape == (2, 77) and tokens.n_truncated == 1
    assert tokens.input_ids[1, -1].item() == tokens.input_ids[0, 2].item()  # ends with end-of-text


class _OomModel:
    """A stand-in whose forward fails above 2 images, like a GPU running out of memory."""

    spec = "test:oom"
    card = None
    context_length = 77
    device = torch.device("cpu")
    logit_scale = 1.0

    def __init__(self):
        self.sizes = []

    def image_transform(self):
        return lambda image: torch.zeros(3, 4, 4)

    def tokenize(self, texts):
        raise NotImplementedError

    def encode_images(self, images):
        self.sizes.append(len(images))
        if len(images) > 2:
            raise torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 2 GiB")
        return np.ones((len(images), 3), np.float32) * images.shape[0]

    def encode_texts(self, texts):
        raise NotImplementedError

    def fingerprint(self):
        return "oom"


def test_out_of_memory_halves_batch_size_once_and_keeps_every_item(capsys):
    model = _OomModel()
    images = [torch.zeros(3, 4, 4)] * 9
    result = embed_images(model, images, ids=None, batch_size=8)
    assert result.embeddings.shape == (9, 3) and result.ids == [str(i) for i in range(9)]
    assert max(s for s in model.sizes[2:]) <= 2  # after halving twice it never retries big batches
    assert capsys.readouterr().err.count("batch size reduced") <= 1
