"""The shared inputs of every parity check: images (grayscale, RGB, 16-bit), texts, prompts.

Written by the driver before any upstream half runs; read by both halves. Pure PIL/numpy so the
upstream environments need nothing from cxralign.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from PIL import Image

# Sizes chosen so that scaling the short side to 224 or 512 gives a fractional long side
# >= .5 (truncation and rounding disagree) and so that every image is not square.
IMAGE_FILES = {"grayscale": "grayscale.png", "rgb": "rgb.png", "16-bit": "sixteen_bit.png"}
SIXTEEN_BIT_DECODED = "sixteen_bit_decoded.png"
TEXTS = [
    "Findings suggesting pleural effusion",
    "No pneumothorax.",
    "Mild cardiomegaly. Small left pleural effusion, unchanged.",
    " ".join(["The lungs are clear without focal consolidation, effusion or pneumothorax."] * 30),
]
CLASSES = ["Atelectasis", "Cardiomegaly", "Edema", "Pleural Effusion"]


def _film(height: int, width: int, seed: int) -> np.ndarray:
    """A smooth chest-film-like field with texture, 0..1."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:height, 0:width] / max(height, width)
    field = 0.5 + 0.3 * np.sin(6 * x) * np.cos(4 * y) + 0.1 * rng.standard_normal((height, width))
    return np.clip(field, 0, 1)


def write_inputs(work: Path, prompts: dict[str, dict[str, list[str]]]) -> None:
    work.mkdir(parents=True, exist_ok=True)
    Image.fromarray((_film(301, 257, 1) * 255).astype(np.uint8), mode="L").save(
        work / IMAGE_FILES["grayscale"]
    )
    rgb = np.stack([_film(263, 330, 2 + c) for c in range(3)], axis=-1)
    Image.fromarray((rgb * 255).astype(np.uint8), mode="RGB").save(work / IMAGE_FILES["rgb"])
    sixteen = (_film(334, 271, 5) * 4000 + 300).astype(np.uint16)
    Image.fromarray(sixteen).save(work / IMAGE_FILES["16-bit"])
    (work / "texts.json").write_text(
        json.dumps({"texts": TEXTS, "classes": CLASSES, "prompts": prompts}, indent=1)
    )


def read_texts(work: Path) -> dict:
    return json.loads((work / "texts.json").read_text())


def model_images(work: Path) -> dict[str, Image.Image]:
    """The PIL images both halves preprocess; the 16-bit film as cxralign's loader decoded it."""
    return {
        "grayscale": Image.open(work / IMAGE_FILES["grayscale"]).copy(),
        "rgb": Image.open(work / IMAGE_FILES["rgb"]).copy(),
        "16-bit": Image.open(work / SIXTEEN_BIT_DECODED).copy(),
    }
