"""Step time of the reference trainer: soft labels + negation hard negatives vs plain CLIP.

Builds the tiny-cpu preset's data and model once per loss setting and times full
optimizer steps (forward, all losses, backward, AdamW) at the same batch size,
after warm-up steps. Prints milliseconds per step for each setting and the ratio
(target <= 1.10). Usage:

    python benchmarks/bench_train.py [--steps 20] [--batch-size 64] [--threads 2] [--negatives 1]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import torch

from cxralign.train.config import build_config
from cxralign.train.trainer import Trainer


def time_steps(losses: list[str], args: argparse.Namespace, root: Path) -> tuple[float, float]:
    config = build_config(
        preset="tiny-cpu",
        overrides=[
            {
                "out": str(root / "-".join(losses)),
                "losses": {"enabled": losses, "negatives": {"count": args.negatives}},
                "data": {"cache_dir": str(root / "cache")},
                "train": {"batch_size": args.batch_size, "steps": 10_000, "threads": args.threads},
            }
        ],
    )
    trainer = Trainer(config)
    trainer.step_module.train()
    batches = trainer._micro_batches()
    for _ in range(args.warmup):
        trainer.optimizer_step(batches)
    times = []
    for _ in range(args.steps):
        started = time.perf_counter()
        trainer.optimizer_step(batches)
        times.append(time.perf_counter() - started)
    return statistics.median(times) * 1000, statistics.stdev(times) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--negatives", type=int, default=1, help="hard negatives per report")
    parser.add_argument("--cache", type=Path, default=None, help="reuse phantoms/annotations from this directory")
    args = parser.parse_args()
    torch.manual_seed(0)
    with tempfile.TemporaryDirectory() as tmp:
        root = args.cache or Path(tmp)
        # alternate settings twice so machine-load drift hits both equally
        results: dict[str, list[float]] = {"clip": [], "clip+soft+neg": []}
        for _ in range(2):
            results["clip"].append(time_steps(["clip"], args, root)[0])
            results["clip+soft+neg"].append(time_steps(["clip", "soft", "neg"], args, root)[0])
    clip = statistics.fmean(results["clip"])
    full = statistics.fmean(results["clip+soft+neg"])
    print(f"batch {args.batch_size}, {args.threads} threads, {args.negatives} hard negative(s) per report")
    print(f"plain CLIP step:              {clip:8.1f} ms (runs: {', '.join(f'{t:.1f}' for t in results['clip'])})")
    print(f"soft labels + hard negatives: {full:8.1f} ms (runs: {', '.join(f'{t:.1f}' for t in results['clip+soft+neg'])})")
    print(f"step-time ratio: {full / clip:.3f} (target <= 1.10)")


if __name__ == "__main__":
    main()
