"""Evaluation speed figures: the linear-probe sweep on cached embeddings, metric bootstraps, retrieval.

Usage: ``python benchmarks/bench_eval.py [--n 10000] [--dim 512] [--classes 14]``. Prints one line per figure.
Embeddings are synthetic (a fixed-seed Gaussian with a weak class signal) because
the sweep's cost depends on their shape, not on where they came from.
"""

from __future__ import annotations

import argparse
import time

import numpy as np


def _data(n: int, dim: int, classes: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    labels = (rng.random((n, classes)) < 0.2).astype(float)
    directions = rng.normal(size=(classes, dim))
    x = rng.normal(size=(n, dim)) + 0.5 * labels @ directions / np.sqrt(dim) * 4
    return x.astype(np.float32), labels


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--n", type=int, default=10_000, help="training embeddings (valid and test are n/5 each)"
    )
    parser.add_argument("--dim", type=int, default=512)
    parser.add_argument("--classes", type=int, default=14)
    parser.add_argument("--bootstrap", type=int, default=1000)
    parser.add_argument(
        "--phantoms", type=int, default=200, help="phantom studies for the end-to-end figure (0 skips it)"
    )
    args = parser.parse_args()

    from cxralign.tasks.linear_probe import DEFAULT_C_GRID, fit_and_score
    from cxralign.tasks.metrics import auroc_metric
    from cxralign.tasks.retrieval import first_hit_ranks

    x, y = _data(args.n + 2 * (args.n // 5), args.dim, args.classes)
    n_val = args.n // 5
    x_tr, y_tr = x[: args.n], y[: args.n]
    x_va, y_va = x[args.n : args.n + n_val], y[args.n : args.n + n_val]
    x_te = x[args.n + n_val :]
    started = time.perf_counter()
    _, chosen = fit_and_score(x_tr, y_tr, x_va, y_va, x_te, "multilabel", DEFAULT_C_GRID)
    elapsed = time.perf_counter() - started
    print(
        f"linear-probe sweep: {args.n} x {args.dim} embeddings, {args.classes} classes, {len(DEFAULT_C_GRID)} C values: "
        f"{elapsed:.1f} s ({elapsed / args.classes:.2f} s per class); C chosen {chosen['C']}"
    )

    rng = np.random.default_rng(1)
    labels, scores = rng.integers(0, 2, args.n), rng.normal(size=args.n)
    started = time.perf_counter()
    auroc_metric(labels, scores, 0, "bench", args.bootstrap)
    print(
        f"AUROC with {args.bootstrap}-resample bootstrap interval on {args.n} items: {time.perf_counter() - started:.2f} s"
    )

    gallery = rng.normal(size=(args.n, args.dim)).astype(np.float32)
    groups = np.arange(args.n)
    started = time.perf_counter()
    first_hit_ranks(gallery, gallery, groups, groups)
    print(
        f"retrieval ranks, {args.n} queries x {args.n} gallery (full gallery): {time.perf_counter() - started:.2f} s"
    )

    if args.phantoms:
        _phantom_suite(args.phantoms)


def _phantom_suite(n: int) -> None:
    """Cold and warm-cache runs of cxr-align, zeroshot, retrieval and linear probe on phantoms."""
    import tempfile
    from pathlib import Path

    from cxralign.benchmark import BuildOptions, build_benchmark
    from cxralign.data.phantoms import write_phantom_dataset
    from cxralign.models import EmbeddingCache, load_model
    from cxralign.tasks.runner import DataSpec, Evaluation

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        write_phantom_dataset(root / "phantoms", n, seed=0, size=64)
        build_benchmark(BuildOptions(source="phantoms", root=root / "phantoms", out=root / "bench"))
        model = load_model("open_clip:cxralign-tiny-vit@random", device="cpu")
        specs = [DataSpec("cxr-align", root / "bench"), DataSpec("phantoms", root / "phantoms")]
        cache = EmbeddingCache(root / "cache")
        for label in ("cold cache", "warm cache"):
            started = time.perf_counter()
            outcomes = Evaluation(model, specs, root / label, cache=cache).run(
                ["cxr-align", "zeroshot", "retrieval", "linear-probe"]
            )
            status = ", ".join(f"{o.task}:{o.status}" for o in outcomes)
            print(
                f"suite on {n} phantom studies ({label}, 1000 bootstrap resamples): "
                f"{time.perf_counter() - started:.1f} s [{status}]"
            )


if __name__ == "__main__":
    main()
