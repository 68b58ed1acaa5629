"""A model with only a prior over texts: every image embeds to the same vector, and a text's
similarity to it falls with its negation words (then, a little, with its shortness).

Loaded by the CLI as ``python:_text_prior:build`` (tests put this folder on PYTHONPATH). On
CXR-Align it wins Task A from the text alone and must score chance on the balanced and
grounded headline.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence

import numpy as np
import torch
from PIL import Image

from cxralign.models.base import TokenizedTexts

NEGATION = re.compile(r"\b(no|not|without|negative|free|absent|clear|normal|unremarkable)\b", re.IGNORECASE)


def preference(text: str) -> float:
    """Higher for fewer negation words; ties broken towards the longer text."""
    return -float(len(NEGATION.findall(text))) + 1e-3 * min(len(text.split()), 500)


class TextPriorModel:
    card = None
    context_length = 512
    device = torch.device("cpu")
    logit_scale = 100.0

    def __init__(self, spec: str = "python:_text_prior:build") -> None:
        self.spec = spec

    def image_transform(self):
        def transform(image: Image.Image) -> torch.Tensor:
            return torch.zeros(1)

        return transform

    def tokenize(self, texts: Sequence[str]) -> TokenizedTexts:
        return TokenizedTexts(torch.zeros((len(texts), 4), dtype=torch.long), None, 0)

    def encode_images(self, images: torch.Tensor) -> np.ndarray:
        return np.tile(np.asarray([[1.0, 0.0]], dtype=np.float32), (len(images), 1))

    def encode_texts(self, texts: Sequence[str]) -> np.ndarray:
        angle = np.asarray([1.0 - 0.05 * preference(t) for t in texts])  # more preferred: smaller angle
        return np.stack([np.cos(angle), np.sin(angle)], axis=1).astype(np.float32)

    def fingerprint(self) -> str:
        return hashlib.sha256(b"text-prior-v1").hexdigest()


def build(target: str = "", **kwargs) -> TextPriorModel:
    return TextPriorModel(kwargs.get("spec") or "python:_text_prior:build")
