"""Evaluation speed figures: the linear-probe sweep on cached embeddings, metric bootstraps, retrieval.

Usage: ``python benchmarks/bench_eval.py [--n 10000] [--dim 512] [--classes 14]``. Prints one line per figure.
``--shard-images N --nproc P`` adds the sharded embedding figure: the same N images embedded by one
torchrun process and by P (gloo on CPU, one GPU each with ``--device cuda``), wall time of the pass
and of the whole launch, as a ratio measured in one run.
Embeddings are synthetic (a fixed-seed Gaussian with a weak class signal) because
the sweep's cost depends on their shape, not on where they came from.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

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
    parser.add_argument(
        "--shard-images", type=int, default=0, help="images for the sharded figure (0 skips it)"
    )
    parser.add_argument("--nproc", type=int, default=2, help="processes of the sharded figure")
    parser.add_argument("--device", default="cpu", help="cpu or cuda (the sharded figure)")
    parser.add_argument("--shard-model", default="", help="model spec (default: the tiny open_clip, saved)")
    parser.add_argument("--embed-pass", default="", help=argparse.SUPPRESS)  # the worker, under torchrun
    args = parser.parse_args()
    if args.embed_pass:
        _embed_pass(Path(args.embed_pass), args.shard_model, args.device)
        return
    if args.shard_images:
        _sharded_figure(args.shard_images, args.nproc, args.device, args.shard_model)
        return

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


def _embed_pass(folder: Path, spec: str, device: str) -> None:
    """One rank of the sharded figure: join the group, embed every image once, rank 0 reports the time."""
    import torch
    import torch.distributed as dist

    from cxralign.models import embed_images, load_model

    world = int(os.environ.get("WORLD_SIZE", "1"))
    local = int(os.environ.get("LOCAL_RANK", "0"))
    # one CPU thread per process (as one GPU per rank): two threads in one process on a loaded 2-core
    # machine measured 3-4x slower than one, which would flatter the sharded figure; BENCH_THREADS overrides
    torch.set_num_threads(int(os.environ.get("BENCH_THREADS", "1")))
    if device == "cuda":
        torch.cuda.set_device(local)
    dist.init_process_group("nccl" if device == "cuda" else "gloo")
    model = load_model(spec, device=f"cuda:{local}" if device == "cuda" else "cpu")
    paths = sorted(str(p) for p in (folder / "images").glob("*.png"))
    embed_images(model, paths[:8], batch_size=8, progress=False)  # warm-up, not timed
    dist.barrier()
    started = time.perf_counter()
    result = embed_images(model, paths, batch_size=64, progress=False)
    dist.barrier()
    if dist.get_rank() == 0:
        print(json.dumps({"world": world, "seconds": time.perf_counter() - started, "n": len(result)}))
    dist.destroy_process_group()


def _sharded_figure(n: int, nproc: int, device: str, spec: str) -> None:
    """The same embedding pass by 1 and by ``nproc`` torchrun processes: times and their ratio."""
    import tempfile

    import numpy as np
    from PIL import Image

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        (folder / "images").mkdir()
        rng = np.random.default_rng(0)
        for i in range(n):
            Image.fromarray(rng.integers(0, 255, (256, 256), dtype=np.uint8)).save(
                folder / "images" / f"{i}.png"
            )
        if not spec:
            import open_clip
            import torch

            from cxralign.models.adapters.open_clip_adapter import register_builtin_configs

            register_builtin_configs()
            torch.save(open_clip.create_model("cxralign-tiny-vit").state_dict(), folder / "tiny.pt")
            spec = f"open_clip:cxralign-tiny-vit@{folder / 'tiny.pt'}"
        figures = {}
        for world in (1, nproc):
            command = [sys.executable, "-m", "torch.distributed.run", "--standalone", f"--nproc_per_node={world}",
                       __file__, "--embed-pass", str(folder), "--shard-model", spec, "--device", device]  # fmt: skip
            started = time.perf_counter()
            done = subprocess.run(command, capture_output=True, text=True, check=True)
            launch = time.perf_counter() - started
            figures[world] = (json.loads(done.stdout.strip().splitlines()[-1]), launch)
        (one, one_launch), (many, many_launch) = figures[1], figures[nproc]
        where = "CPU" if device == "cpu" else _gpu_name()
        print(
            f"embedding pass, {n} images ({spec.split('@')[0]}, {where}): 1 process {one['seconds']:.2f} s, "
            f"{nproc} processes {many['seconds']:.2f} s, ratio {one['seconds'] / many['seconds']:.2f}x; "
            f"whole launch {one_launch:.1f} s vs {many_launch:.1f} s, ratio {one_launch / many_launch:.2f}x"
        )


def _gpu_name() -> str:
    import torch

    return torch.cuda.get_device_name(0) if torch.cuda.is_available() else "cuda (unavailable)"


if __name__ == "__main__":
    main()
