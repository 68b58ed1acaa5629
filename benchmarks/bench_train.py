"""Step time of the reference trainer, per loss, against a bare CLIP loop on the same model and batches.

One run builds the tiny-cpu preset's data once and a trainer per loss setting (plain
InfoNCE, hard negatives, UMCL, soft labels + hard negatives), plus a *bare loop*: a copy of the plain trainer's
model trained the way a minimal CLIP script does it (same batch indices, stack the
cached pixels, tokenise the reports, encode, symmetric cross-entropy, backward,
AdamW). Full optimizer steps are timed after warm-up, interleaved setting by setting so
machine-load drift hits all alike, and medians are compared as ratios (targets:
hard negatives and UMCL <= 1.10x plain InfoNCE; the trainer's plain step <= 1.10x the
bare loop). Usage:

    python benchmarks/bench_train.py [--steps 20] [--batch-size 64] [--threads 1] [--negatives 1]
    python benchmarks/bench_train.py --image-tower timm:resnet18 --image-size 224 --batch-size 32 --steps 8
"""

from __future__ import annotations

import argparse
import copy
import os
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import torch
import torch.nn.functional as F
import yaml

from cxralign.train.config import build_config, preset_dict
from cxralign.train.trainer import Trainer, parameter_groups


def make_trainer(losses: list[str], args: argparse.Namespace, root: Path) -> Trainer:
    base = preset_dict("tiny-cpu")
    if args.image_tower is not None:  # the preset's CNN kwargs mean nothing to another tower
        base["model"].pop("image_tower_kwargs", None)
    root.mkdir(parents=True, exist_ok=True)
    base_file = root / "base.yaml"
    base_file.write_text(yaml.safe_dump(base))
    config = build_config(
        config_file=base_file,
        overrides=[
            {
                "out": str(root / "-".join(losses)),
                "losses": {"enabled": losses, "negatives": {"count": args.negatives}},
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


def bare_clip_step(trainer: Trainer) -> Callable[[], None]:
    """A minimal CLIP training step on a copy of ``trainer``'s model, fed the same batch indices."""
    model = copy.deepcopy(trainer.model).train()
    optim = trainer.config.optim
    optimizer = torch.optim.AdamW(
        parameter_groups(model, optim.weight_decay), lr=optim.lr, betas=optim.betas, eps=optim.eps
    )
    tokenizer, length = model.tokenizer, trainer.config.model.context_length
    size = trainer.config.train.batch_size
    state = {"epoch": 0, "position": 0}

    def step() -> None:
        epoch, position = state["epoch"], state["position"]
        trainer.sampler.set_epoch(epoch)
        indices = list(trainer.sampler)[position * size : (position + 1) * size]
        state["position"] = position + 1
        if state["position"] >= trainer.micro_per_epoch:
            state["epoch"], state["position"] = epoch + 1, 0
        pixels = torch.stack([trainer.dataset[(epoch, i)][2] for i in indices])
        texts = [trainer.data.reports[i] or "" for i in indices]
        tokens = tokenizer(texts, padding="longest", truncation=True, max_length=length, return_tensors="pt")
        image = F.normalize(model.encode_image(pixels), dim=-1)
        text = F.normalize(model.encode_text(tokens["input_ids"], tokens["attention_mask"]), dim=-1)
        logits = model.scale() * image @ text.T
        labels = torch.arange(len(indices))
        loss = 0.5 * (F.cross_entropy(logits, labels) + F.cross_entropy(logits.T, labels))
        loss.backward()
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)

    return step


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--negatives", type=int, default=1, help="hard negatives per report")
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
    load_before = os.getloadavg()[0]
    os.environ.setdefault("CXRALIGN_NO_PROGRESS", "1")
    with tempfile.TemporaryDirectory() as tmp:
        root = args.cache or Path(tmp)
        settings = {
            "trainer, plain InfoNCE": ["clip"],
            "trainer, hard negatives": ["clip", "neg"],
            "trainer, UMCL": ["clip", "umcl"],
            "trainer, soft + hard neg.": ["clip", "soft", "neg"],
        }
        trainers = {name: make_trainer(losses, args, root) for name, losses in settings.items()}
        steps: dict[str, Callable[[], object]] = {}
        for name, trainer in trainers.items():
            stream = trainer._micro_batches()
            steps[name] = lambda trainer=trainer, stream=stream: trainer.optimizer_step(stream)
        steps["bare CLIP loop"] = bare_clip_step(trainers["trainer, plain InfoNCE"])
        wall: dict[str, list[float]] = {name: [] for name in steps}
        cpu: dict[str, list[float]] = {name: [] for name in steps}
        for index in range(args.warmup + args.steps):
            for name, step in steps.items():  # interleaved: load drift hits every setting alike
                wall_start, cpu_start = time.perf_counter(), time.process_time()
                step()
                if index >= args.warmup:
                    wall[name].append(time.perf_counter() - wall_start)
                    cpu[name].append(time.process_time() - cpu_start)
    tower = args.image_tower or "tiny-cnn (preset)"
    print(
        f"image tower {tower}, batch {args.batch_size}, {args.threads} thread(s), {args.negatives} hard "
        f"negative(s) per report, {args.steps} timed steps each (median), load {os.getloadavg()[0]:.1f} "
        f"(at the start {load_before:.1f})"
    )
    for name in steps:
        print(
            f"{name:26s} wall {1000 * statistics.median(wall[name]):8.1f} ms   "
            f"cpu {1000 * statistics.median(cpu[name]):8.1f} ms"
        )

    def ratio(name: str, base: str) -> str:
        w = statistics.median(wall[name]) / statistics.median(wall[base])
        c = statistics.median(cpu[name]) / statistics.median(cpu[base])
        # spread: the ratio of each interleaved round (same load for both), quartiles and extremes
        paired = sorted(a / b for a, b in zip(cpu[name], cpu[base], strict=True))
        quartiles = statistics.quantiles(paired, n=4) if len(paired) > 1 else paired * 3
        return (
            f"{w:.3f} wall, {c:.3f} cpu (target <= 1.10); per round cpu median {statistics.median(paired):.3f}, "
            f"quartiles {quartiles[0]:.3f}-{quartiles[2]:.3f}, range {paired[0]:.3f}-{paired[-1]:.3f}"
        )

    print(f"hard negatives / plain InfoNCE: {ratio('trainer, hard negatives', 'trainer, plain InfoNCE')}")
    print(f"UMCL / plain InfoNCE:           {ratio('trainer, UMCL', 'trainer, plain InfoNCE')}")
    print(f"soft + hard neg. / plain:       {ratio('trainer, soft + hard neg.', 'trainer, plain InfoNCE')}")
    print(f"trainer / bare CLIP loop:       {ratio('trainer, plain InfoNCE', 'bare CLIP loop')}")


if __name__ == "__main__":
    main()
