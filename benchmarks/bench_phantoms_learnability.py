"""Can a small CNN learn the phantom findings from pixels? Per-finding test AUROC, by difficulty.

Trains one small convolutional network per difficulty on CPU (a few minutes in all),
predicting the image ground truth (which findings were drawn, not the report labels),
and prints the test AUROC of each finding. At the standard difficulty the main findings
should reach AUROC >= 0.90; the hard setting should be clearly lower.

    python benchmarks/bench_phantoms_learnability.py                # standard and hard
    python benchmarks/bench_phantoms_learnability.py --epochs 4 --n-train 1000   # quicker
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np
import torch
from sklearn.metrics import roc_auc_score
from torch import nn

from cxralign.data.phantoms import generate

TARGETS: dict[str, tuple[str, ...]] = {
    "cardiomegaly": ("cardiomegaly",),
    "pleural_effusion": ("pleural_effusion",),
    "pneumothorax": ("pneumothorax",),
    "consolidation/opacity": ("consolidation", "lung_opacity"),
    "nodule/mass": ("nodule", "mass"),
    "edema": ("edema",),
    "support_devices": ("support_devices",),
    "atelectasis": ("atelectasis",),
    "enlarged_cardiomediastinum": ("enlarged_cardiomediastinum",),
    "fracture": ("fracture",),
}
MAIN = TARGETS.keys() - {"atelectasis", "enlarged_cardiomediastinum", "fracture"}


def load(n: int, seed: int, size: int, difficulty: str) -> tuple[np.ndarray, np.ndarray]:
    images = np.empty((n, 1, size, size), np.float32)
    targets = np.zeros((n, len(TARGETS)), np.float32)
    for i, sample in enumerate(generate(n, seed=seed, size=size, difficulty=difficulty)):
        images[i, 0] = sample.image / 255.0
        names = {finding.name for finding in sample.findings}
        for j, members in enumerate(TARGETS.values()):
            targets[i, j] = float(any(name in names for name in members))
    images -= images.mean(axis=(2, 3), keepdims=True)
    images /= images.std(axis=(2, 3), keepdims=True) + 1e-6
    return images, targets


def small_cnn(outputs: int) -> nn.Module:
    def block(cin: int, cout: int, stride: int) -> list[nn.Module]:
        return [nn.Conv2d(cin, cout, 3, stride, 1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True)]

    return nn.Sequential(
        nn.Conv2d(1, 24, 5, 2, 2, bias=False),  # halves the image
        nn.BatchNorm2d(24),
        nn.ReLU(inplace=True),
        nn.MaxPool2d(2),  # quarter: max-pooling keeps small bright nodules and thin lines
        *block(24, 48, 1),
        nn.MaxPool2d(2),
        *block(48, 64, 1),
        nn.MaxPool2d(2),
        *block(64, 96, 1),
        *block(96, 128, 1),
        nn.AdaptiveAvgPool2d(4),
        nn.Flatten(),
        nn.Dropout(0.2),
        nn.Linear(128 * 16, outputs),
    )


def train_and_score(args: argparse.Namespace, difficulty: str) -> dict[str, float]:
    torch.manual_seed(args.seed)
    start = time.perf_counter()
    x_train, y_train = load(args.n_train, args.seed, args.size, difficulty)
    x_test, y_test = load(args.n_test, args.seed + 1000, args.size, difficulty)
    made = time.perf_counter() - start
    model = small_cnn(len(TARGETS))
    optimiser = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=1e-4)
    steps = args.epochs * ((len(x_train) + args.batch - 1) // args.batch)
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimiser, max_lr=args.lr, total_steps=steps)
    loss_fn = nn.BCEWithLogitsLoss()
    xt, yt = torch.from_numpy(x_train), torch.from_numpy(y_train)
    generator = torch.Generator().manual_seed(args.seed)
    for epoch in range(args.epochs):
        model.train()
        order = torch.randperm(len(xt), generator=generator)
        total = 0.0
        for k in range(0, len(order), args.batch):
            idx = order[k : k + args.batch]
            batch = xt[idx]
            loss = loss_fn(model(batch), yt[idx])
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
            schedule.step()
            total += loss.item() * len(idx)
        print(f"  [{difficulty}] epoch {epoch + 1}/{args.epochs} loss {total / len(xt):.4f}", flush=True)
    model.eval()
    with torch.no_grad():
        scores = torch.cat(
            [model(torch.from_numpy(x_test[k : k + 256])) for k in range(0, len(x_test), 256)]
        ).numpy()
    aurocs = {}
    for j, name in enumerate(TARGETS):
        positives = int(y_test[:, j].sum())
        aurocs[name] = (
            float(roc_auc_score(y_test[:, j], scores[:, j])) if 0 < positives < len(y_test) else float("nan")
        )
    print(f"  [{difficulty}] data {made:.0f} s, total {time.perf_counter() - start:.0f} s", flush=True)
    return aurocs


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--difficulties", default="standard,hard")
    parser.add_argument("--n-train", type=int, default=1600)
    parser.add_argument("--n-test", type=int, default=400)
    parser.add_argument("--size", type=int, default=112)
    parser.add_argument("--epochs", type=int, default=8)
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--lr", type=float, default=3e-3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--json", help="Also write the AUROC table as JSON here.")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    difficulties = [d.strip() for d in args.difficulties.split(",") if d.strip()]
    results = {d: train_and_score(args, d) for d in difficulties}
    print(
        f"\nper-finding test AUROC ({args.n_train} train / {args.n_test} test, {args.size} px, {args.epochs} epochs)"
    )
    print("| finding | " + " | ".join(difficulties) + " |")
    print("|---|" + "---|" * len(difficulties))
    for name in TARGETS:
        mark = " (main)" if name in MAIN else ""
        print(f"| {name}{mark} | " + " | ".join(f"{results[d][name]:.3f}" for d in difficulties) + " |")
    for d in difficulties:
        main_scores = [results[d][name] for name in TARGETS if name in MAIN]
        print(
            f"{d}: mean AUROC of main findings {np.nanmean(main_scores):.3f}, min {np.nanmin(main_scores):.3f}"
        )
    if args.json:
        with open(args.json, "w") as handle:
            json.dump({"args": vars(args), "auroc": results}, handle, indent=2)


if __name__ == "__main__":
    main()
