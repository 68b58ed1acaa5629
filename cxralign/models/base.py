"""The one interface every image-text model adapter implements.

Evaluation and training only ever talk to this protocol, so a model's origin
(open_clip, transformers, a published checkpoint, the reference trainer) does
not matter downstream. Embeddings come back unnormalised float32; the harness
normalises them itself.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

import numpy as np
import torch
from PIL import Image


@dataclass(frozen=True)
class TokenizedTexts:
    """Token ids plus how many texts were cut to the context length (reported, never silent)."""

    input_ids: torch.Tensor
    attention_mask: torch.Tensor | None
    n_truncated: int


@runtime_checkable
class ImageTextModel(Protocol):
    """A dual encoder scored by image-text similarity."""

    spec: str  # the --model spec it was loaded from
    card: Any  # the zoo card (cxralign.models.zoo.ModelCard) or None
    context_length: int
    device: torch.device

    @property
    def logit_scale(self) -> float: ...

    def image_transform(self) -> Callable[[Image.Image], torch.Tensor]:
        """PIL image (any mode) -> preprocessed CHW tensor, the model's own policy."""

    def tokenize(self, texts: Sequence[str]) -> TokenizedTexts: ...

    def encode_images(self, images: torch.Tensor) -> np.ndarray:
        """Preprocessed (N, C, H, W) batch -> (N, D) float32."""

    def encode_texts(self, texts: Sequence[str]) -> np.ndarray:
        """Raw strings -> (N, D) float32 (tokenises internally; truncation is counted)."""

    def fingerprint(self) -> str:
        """Stable hash of weights and preprocessing: the cache and result key."""
