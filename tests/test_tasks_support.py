"""Stand-ins shared by the evaluation tests: a lookup model with exactly known
similarities, a tiny deterministic torch model, and fabricated CXR-Align splits.

(No tests here; the name only keeps the module inside the evaluation tests' files.)
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from PIL import Image

from cxralign.models.base import TokenizedTexts


def write_code_image(path: Path, code: int, size: int = 8) -> Path:
    """A flat grayscale PNG whose pixel value identifies it to ``LookupModel``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("L", (size, size), color=int(code)).save(path)
    return path


class LookupModel:
    """Embeddings looked up by image code (the pixel value) and by text: similarities are known exactly."""

    card = None
    context_length = 77
    device = torch.device("cpu")

    def __init__(
        self,
        image_vectors: dict[int, np.ndarray],
        text_vectors: dict[str, np.ndarray],
        spec: str = "lookup:test",
    ):
        self.spec = spec
        self.image_vectors = {int(k): np.asarray(v, dtype=np.float32) for k, v in image_vectors.items()}
        self.text_vectors = {k: np.asarray(v, dtype=np.float32) for k, v in text_vectors.items()}

    @property
    def logit_scale(self) -> float:
        return 100.0

    def image_transform(self):
        def transform(image: Image.Image) -> torch.Tensor:
            return torch.tensor([float(np.asarray(image.convert("L"))[0, 0])])

        return transform

    def tokenize(self, texts: Sequence[str]) -> TokenizedTexts:
        return TokenizedTexts(torch.zeros((len(texts), 4), dtype=torch.long), None, 0)

    def encode_images(self, images: torch.Tensor) -> np.ndarray:
        return np.stack([self.image_vectors[int(round(float(x[0])))] for x in images])

    def encode_texts(self, texts: Sequence[str]) -> np.ndarray:
        return np.stack([self.text_vectors[t] for t in texts])

    def fingerprint(self) -> str:
        payload = json.dumps(
            {
                "i": {k: v.tolist() for k, v in self.image_vectors.items()},
                "t": {k: v.tolist() for k, v in self.text_vectors.items()},
            },
            sort_keys=True,
        )
        return hashlib.sha256(payload.encode()).hexdigest()


class TinyModel(torch.nn.Module):
    """A seeded, randomly initialised dual encoder small enough for CPU tests (no real signal)."""

    card = None
    context_length = 32

    def __init__(self, dim: int = 16, seed: int = 0, spec: str = "tiny:random"):
        super().__init__()
        generator = torch.Generator().manual_seed(seed)
        self.spec = spec
        self.device = torch.device("cpu")
        self.conv = torch.nn.Conv2d(1, 8, 3, stride=2)
        self.proj = torch.nn.Linear(8, dim)
        self.words = torch.nn.EmbeddingBag(997, dim)
        for p in self.parameters():
            with torch.no_grad():
                p.copy_(torch.randn(p.shape, generator=generator) * 0.5)

    @property
    def logit_scale(self) -> float:
        return 100.0

    def image_transform(self):
        def transform(image: Image.Image) -> torch.Tensor:
            array = np.asarray(image.convert("L").resize((16, 16)), dtype=np.float32) / 255.0
            return torch.from_numpy(array)[None]

        return transform

    def image_features(self, images: torch.Tensor) -> torch.Tensor:
        return self.proj(torch.relu(self.conv(images)).mean(dim=(2, 3)))

    def tokenize(self, texts: Sequence[str]) -> TokenizedTexts:
        ids = [
            [int(hashlib.md5(w.encode()).hexdigest(), 16) % 997 for w in t.lower().split()][:32] or [0]
            for t in texts
        ]
        width = max(len(i) for i in ids)
        return TokenizedTexts(torch.tensor([i + [0] * (width - len(i)) for i in ids]), None, 0)

    @torch.inference_mode()
    def encode_images(self, images: torch.Tensor) -> np.ndarray:
        return self.image_features(images).numpy().astype(np.float32)

    @torch.inference_mode()
    def encode_texts(self, texts: Sequence[str]) -> np.ndarray:
        ids = self.tokenize(texts).input_ids
        return self.words(ids).numpy().astype(np.float32)

    def fingerprint(self) -> str:
        digest = hashlib.sha256()
        for name, tensor in sorted(self.state_dict().items()):
            digest.update(name.encode() + tensor.numpy().tobytes())
        return digest.hexdigest()


def write_benchmark(root: Path, rows: list[dict], split: str = "test", manifest: dict | None = None) -> Path:
    """Write rows into ``root/data/<op>/<split>.parquet`` (the ``cxralign build`` layout)."""
    frame = pd.DataFrame(rows)
    defaults = {
        "patient_id": "p",
        "study_id": "s",
        "split": split,
        "target_concept": "",
        "changes": "[]",
        "labels": "{}",
        "location": "first",
        "control_image_ids": [[] for _ in range(len(frame))],
    }
    for column, value in defaults.items():
        if column not in frame.columns:
            frame[column] = value
    for op, part in frame.groupby("op"):
        path = root / "data" / str(op) / f"{split}.parquet"
        path.parent.mkdir(parents=True, exist_ok=True)
        part.reset_index(drop=True).to_parquet(path, index=False)
    (root / "manifest.json").write_text(json.dumps(manifest or {}))
    return root
