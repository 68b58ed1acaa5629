"""Stand-ins for the training tests: a tiny image-report CSV dataset and a keyword annotator.

The trainer's own code paths (CSV reading, image decoding, tokenizer training,
batching, losses) run for real; only the report engine is replaced, so these tests
do not depend on its rules.
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
from PIL import Image

from cxralign.train.annotate import ReportAnnotation
from cxralign.train.config import TrainConfig, validate_config

REPORTS = {
    "left": "Small left pleural effusion. Heart size is normal.",
    "right": "Small right pleural effusion. Heart size is normal.",
    "none": "No pleural effusion. Heart size is normal.",
    "heart": "Cardiomegaly. No pleural effusion.",
}


def write_csv_dataset(root: Path, n: int = 48, seed: int = 0, size: int = 32) -> Path:
    """PNG images with a bright blob on the side the report names, and a CSV of image_path, report."""
    rng = np.random.default_rng(seed)
    (root / "images").mkdir(parents=True, exist_ok=True)
    kinds = list(REPORTS)
    rows = []
    for index in range(n):
        kind = kinds[index % len(kinds)]
        pixels = rng.normal(60, 10, (size, size))
        if kind in ("left", "right"):
            column = (
                slice(size // 2, size) if kind == "left" else slice(0, size // 2)
            )  # patient's left = image right
            pixels[size // 2 :, column] += 120
        if kind == "heart":
            pixels[size // 3 : 2 * size // 3, size // 3 : 2 * size // 3] += 80
        name = f"images/{index:04d}.png"
        Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8), mode="L").save(root / name)
        rows.append({"report_id": f"r{index:04d}", "image_path": name, "report": REPORTS[kind]})
    path = root / "reports.csv"
    with open(path, "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=["report_id", "image_path", "report"])
        writer.writeheader()
        writer.writerows(rows)
    return path


def keyword_annotator(reports):  # noqa: ANN001, ANN201
    out = []
    for text in reports:
        lower = text.lower()
        effusion = "no pleural effusion" not in lower
        side = "left" if "left" in lower else "right" if "right" in lower else None
        labels = {
            "Pleural Effusion": 1.0 if effusion else 0.0,
            "Cardiomegaly": 1.0 if "cardiomegaly" in lower else None,
        }
        labels["No Finding"] = 1.0 if not effusion and labels["Cardiomegaly"] is None else None
        triples = [f"pleural_effusion|assertion|{'positive' if effusion else 'negated'}"]
        if side:
            triples.append(f"pleural_effusion|laterality|{side}")
        if labels["Cardiomegaly"]:
            triples.append("cardiomegaly|assertion|positive")
        variants = []
        if effusion:
            variants.append(text.replace(f"Small {side} pleural effusion.", "No pleural effusion."))
            other = "right" if side == "left" else "left"
            variants.append(text.replace(side, other))
        out.append(ReportAnnotation(labels=labels, triples=sorted(triples), variants={"negate": variants}))
    return out


def tiny_config(dataset_csv: Path, out: Path, **sections) -> TrainConfig:  # noqa: ANN003
    base = {
        "seed": 0,
        "out": str(out),
        "data": {"source": "csv", "path": str(dataset_csv)},
        "model": {
            "image_tower_kwargs": {"widths": [8, 16], "grid": 2},
            "image_size": 32,
            "text_hidden_size": 32,
            "text_layers": 1,
            "text_heads": 2,
            "text_intermediate_size": 64,
            "text_dropout": 0.0,
            "vocab_size": 120,
            "context_length": 32,
            "embed_dim": 16,
        },
        "losses": {"enabled": ["clip"]},
        "optim": {"lr": 1e-3, "warmup_steps": 2},
        "train": {"batch_size": 8, "steps": 6, "device": "cpu", "checkpoint_every": 3, "log_every": 1},
    }
    for key, value in sections.items():
        base[key] = {**base.get(key, {}), **value} if isinstance(value, dict) else value
    return validate_config(base)
