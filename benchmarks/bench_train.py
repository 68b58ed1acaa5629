"""Step time of the reference trainer: soft labels + negation hard negatives vs plain CLIP.

Builds the tiny-cpu preset's data and model once per loss setting and times full
optimizer steps (forward, all losses, backward, AdamW) at the same batch size,
after warm-up steps. Prints milliseconds per step for each setting and the ratio
(target <= 1.10). Usage:

    python benchmarks/bench_train.py [--steps 20] [--batch-size 64] [--threads 1] [--negatives 1] [--fraction 0.25]
    python benchmarks/bench_train.py --image-tower timm:resnet18 --image-size 224 --batch-size 32 --steps 8
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import torch
import yaml

from cxralign.train.config import build_config, preset_dict
from cxralign.train.trainer import Trainer


def make_trainer(losses: list[str], args: argparse.Namespace, root: Path, fraction: float = 1.0) -> Trainer:
    base = preset_dict("tiny-cpu")
    if args.image_tower is not None:  # the preset's CNN kwargs mean nothing to another tower
        base["model"].pop("image_tower_kwargs", None)
    base_file = root / "base.yaml"
    base_file.write_text(yaml.safe_dump(base))
    config = build_config(
        config_file=base_file,
        overrides=[
            {
                "out": str(root / f"{'-'.join(losses)}-{fraction}"),
                "losses": {"enabled": losses, "negatives": {"count": args.negatives, "fraction": fraction}},
                "data": {"cache_dir": str(root / "cache")},
                "train": {"batch_size": args.batch_size, "steps": 10_000, "threads": args.threads},
                **(
                    {}
                    if args.image_tower is None
                    else {
                        "model": {"image_tower": args.image_tower, "image_size": args.image_size},
                        "data": {"cache_dir": str(root / "cache"), "phantom_image_size": args.image_size},
                    }
                ),
            }
        ],
    )
    trainer = Trainer(config)
    trainer.step_module.train()
    return trainer


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--negatives", type=int, default=1, help="hard negatives per report")
    parser.add_argument(
        "--fraction", type=float, default=0.25, help="losses.negatives.fraction of the third setting"
    )
    parser.add_argument(
        "--image-tower",
        default=None,
        help="override the preset's tiny CNN, e.g. timm:resnet18 (the text tower then weighs less)",
    )
    parser.add_argument("--image-size", type=int, default=224, help="image size with --image-tower")
    parser.add_argument(
        "--cache", type=Path, default=None, help="reuse phantoms/annotations from this directory"
    )
    args = parser.parse_args()
    torch.manual_seed(0)
    with tempfile.TemporaryDirectory() as tmp:
        root = args.cache or Path(tmp)
        settings = {
            "plain CLIP": (["clip"], 1.0),
            "soft + hard negatives": (["clip", "soft", "neg"], 1.0),
            f"soft + negatives x{args.fraction:g}": (["clip", "soft", "neg"], args.fraction),
        }
        trainers = {name: make_trainer(losses, args, root, frac) for name, (losses, frac) in settings.items()}
        streams = {name: trainer._micro_batches() for name, trainer in trainers.items()}
        wall: dict[str, list[float]] = {name: [] for name in settings}
        cpu: dict[str, list[float]] = {name: [] for name in settings}
        # interleave the settings step by step so machine-load drift hits both equally
        for index in range(args.warmup + args.steps):
            for name, trainer in trainers.items():
                wall_start, cpu_start = time.perf_counter(), time.process_time()
                trainer.optimizer_step(streams[name])
                if index >= args.warmup:
                    wall[name].append(time.perf_counter() - wall_start)
                    cpu[name].append(time.process_time() - cpu_start)
    tower = args.image_tower or "tiny-cnn (preset)"
    print(
        f"image tower {tower}, batch {args.batch_size}, {args.threads} threads, {args.negatives} hard negative(s) per report, "
        f"{args.steps} timed steps each (median)"
    )
    for name in settings:
        print(
            f"{name:30s} wall {1000 * statistics.median(wall[name]):8.1f} ms   "
            f"cpu {1000 * statistics.median(cpu[name]):8.1f} ms"
        )
    plain, *others = settings
    for name in others:
        wall_ratio = statistics.median(wall[name]) / statistics.median(wall[plain])
        cpu_ratio = statistics.median(cpu[name]) / statistics.median(cpu[plain])
        print(f"step-time ratio, {name}: {wall_ratio:.3f} wall, {cpu_ratio:.3f} cpu (target <= 1.10)")


if __name__ == "__main__":
    main()
