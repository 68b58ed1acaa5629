"""Embedding engine overhead and cache speed-up.

Prints two ratios (targets: engine <= 1.05x a bare loop; warm cache >= 20x faster than cold):

1. engine / bare loop: ``embed_images`` over preprocessed CHW tensors versus a plain
   ``for batch in batches: model.encode_image(batch)`` under ``torch.inference_mode`` on the
   same batches (the engine's own cost: collation, ordering, float32 conversion, bookkeeping);
2. cold / warm cache: ``embed_images`` from PNG files (decode + transform + forward + cache
   write) versus the same call answered from the cache.

Usage: python benchmarks/bench_embed.py [--arch ViT-B-32] [--n 256] [--batch-size 32] [--repeats 3]
"""

from __future__ import annotations

import argparse
import os
import platform
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
from PIL import Image

os.environ.setdefault("CXRALIGN_NO_PROGRESS", "1")

from harness import best_of  # noqa: E402

from cxralign.models import EmbeddingCache, embed_images, load_model  # noqa: E402


def _best_interleaved(first, second, repeats: int) -> tuple[float, float]:
    """Alternate the two so that load from other processes hits both alike; best of each."""
    a, b = [], []
    for _ in range(repeats):
        a.append(best_of(1, first))
        b.append(best_of(1, second))
    return min(a), min(b)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--arch", default="ViT-B-32", help="open_clip architecture (random init)")
    parser.add_argument("--n", type=int, default=256, help="number of images")
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    torch.set_num_threads(max(1, os.cpu_count() or 1))

    model = load_model(f"open_clip:{args.arch}", device="cpu")
    transform = model.image_transform()
    rng = np.random.default_rng(0)
    with tempfile.TemporaryDirectory() as tmp:
        paths = []
        for i in range(args.n):
            path = Path(tmp) / f"{i:05d}.png"
            Image.fromarray(rng.integers(0, 255, (320, 300), dtype=np.uint8)).save(path)
            paths.append(str(path))
        pixels = [transform(Image.open(p)) for p in paths]
        batches = [torch.stack(pixels[i : i + args.batch_size]) for i in range(0, args.n, args.batch_size)]
        ids = [str(i) for i in range(args.n)]

        @torch.inference_mode()
        def bare() -> None:
            for batch in batches:
                model.module.encode_image(batch)

        def engine() -> None:
            embed_images(model, pixels, ids=ids, batch_size=args.batch_size, progress=False)

        bare(), engine()  # warm-up (allocator, thread pools)
        t_bare, t_engine = _best_interleaved(bare, engine, args.repeats)

        cache = EmbeddingCache(Path(tmp) / "cache")
        start = time.perf_counter()
        cold = embed_images(
            model, paths, ids=ids, batch_size=args.batch_size, cache=cache, split="bench", progress=False
        )
        t_cold = time.perf_counter() - start
        t_warm = best_of(
            args.repeats,
            lambda: embed_images(
                model, paths, ids=ids, batch_size=args.batch_size, cache=cache, split="bench", progress=False
            ),
        )
        warm = embed_images(
            model, paths, ids=ids, batch_size=args.batch_size, cache=cache, split="bench", progress=False
        )
        assert warm.from_cache and np.array_equal(warm.embeddings, cold.embeddings)

    print(
        f"machine: {platform.machine()} {os.cpu_count()} cpu, torch {torch.__version__}, threads {torch.get_num_threads()}"
    )
    print(
        f"model: open_clip:{args.arch} (random init), {args.n} images, batch {args.batch_size}, best of {args.repeats}"
    )
    print(f"bare loop        {t_bare:8.3f} s  ({args.n / t_bare:7.1f} img/s)")
    print(f"engine           {t_engine:8.3f} s  ({args.n / t_engine:7.1f} img/s)")
    print(f"engine / bare    {t_engine / t_bare:8.3f}x  (target <= 1.05)")
    print(f"cold (PNG+cache) {t_cold:8.3f} s")
    print(f"warm (cache hit) {t_warm:8.4f} s")
    print(f"cold / warm      {t_cold / t_warm:8.1f}x  (target >= 20)")


if __name__ == "__main__":
    main()
