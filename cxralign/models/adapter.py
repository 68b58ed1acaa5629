"""The shared implementation behind every built-in adapter.

A concrete adapter provides an ``nn.Module``, its preprocessing, its tokenizer
and two small methods that turn a batch into features; this base class does
the rest the same way for all of them: device and precision placement,
inference mode, float32 numpy output, truncation counting and the fingerprint.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import torch
from PIL import Image
from torch import nn

from cxralign.errors import ConfigError
from cxralign.models.base import TokenizedTexts
from cxralign.models.tokenization import Tokenizer
from cxralign.models.transforms import ImagePreprocess

PRECISIONS = {"fp32": torch.float32, "fp16": torch.float16, "bf16": torch.bfloat16}
DEVICES = ("auto", "cpu", "cuda", "mps")


def resolve_device(device: str | torch.device = "auto") -> torch.device:
    """``auto`` picks CUDA, then Apple MPS, then CPU; an unavailable explicit choice is an error."""
    if isinstance(device, torch.device):
        return device
    name = str(device).lower()
    if name == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        if getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    base = name.split(":")[0]
    if base not in DEVICES:
        raise ConfigError(f"unknown device {device!r}; choose one of {', '.join(DEVICES)}")
    if base == "cuda" and not torch.cuda.is_available():
        raise ConfigError("--device cuda was requested but CUDA is not available on this machine")
    if base == "mps" and not (getattr(torch.backends, "mps", None) and torch.backends.mps.is_available()):
        raise ConfigError("--device mps was requested but Apple MPS is not available on this machine")
    return torch.device(name)


def resolve_precision(precision: str) -> torch.dtype:
    try:
        return PRECISIONS[precision]
    except KeyError:
        raise ConfigError(f"unknown precision {precision!r}; choose one of {', '.join(PRECISIONS)}") from None


def hash_module_weights(module: nn.Module) -> str:
    """sha256 over every parameter and buffer (name, dtype, shape, bytes) in name order."""
    digest = hashlib.sha256()
    for name, tensor in sorted(module.state_dict().items()):
        data = tensor.detach().to("cpu").contiguous()
        digest.update(f"{name}|{data.dtype}|{tuple(data.shape)}".encode())
        if data.numel():
            digest.update(data.reshape(-1).view(torch.uint8).numpy().tobytes())
    return digest.hexdigest()


class DualEncoderAdapter:
    """Base class for adapters: subclasses implement ``_image_features`` and ``_text_features``."""

    def __init__(
        self,
        *,
        spec: str,
        module: nn.Module,
        preprocess: ImagePreprocess,
        tokenizer: Tokenizer,
        device: str | torch.device = "auto",
        precision: str = "fp32",
        card: Any = None,
        fixed_logit_scale: float | None = None,
        extra_fingerprint: dict[str, Any] | None = None,
    ) -> None:
        self.spec = spec
        self.card = card
        self.device = resolve_device(device)
        self.precision = precision
        self.dtype = resolve_precision(precision)
        self.preprocess = preprocess
        self.tokenizer = tokenizer
        self.context_length = tokenizer.context_length
        self.last_n_truncated = 0
        self._fixed_logit_scale = fixed_logit_scale
        self._extra_fingerprint = extra_fingerprint or {}
        self._fingerprint: str | None = None
        self._weights_digest = hash_module_weights(module)  # before any dtype cast
        self.module = module.eval().to(device=self.device, dtype=self.dtype)

    # -- subclass hooks -----------------------------------------------------------------
    def _image_features(self, pixels: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError

    def _text_features(self, tokens: TokenizedTexts) -> torch.Tensor:
        raise NotImplementedError

    def _logit_scale_parameter(self) -> torch.Tensor | None:
        value = getattr(self.module, "logit_scale", None)
        return value if isinstance(value, torch.Tensor) else None

    # -- the ImageTextModel protocol -------------------------------------------------------
    @property
    def logit_scale(self) -> float:
        if self._fixed_logit_scale is not None:
            return float(self._fixed_logit_scale)
        parameter = self._logit_scale_parameter()
        return float(parameter.detach().float().exp().item()) if parameter is not None else 1.0

    def image_transform(self) -> Callable[[Image.Image], torch.Tensor]:
        return self.preprocess

    def tokenize(self, texts: Sequence[str]) -> TokenizedTexts:
        return self.tokenizer(list(texts))

    @torch.inference_mode()
    def encode_images(self, images: torch.Tensor) -> np.ndarray:
        pixels = images.to(device=self.device, dtype=self.dtype, non_blocking=True)
        features = self._image_features(pixels)
        return features.detach().float().cpu().numpy().astype(np.float32, copy=False)

    @torch.inference_mode()
    def encode_texts(self, texts: Sequence[str]) -> np.ndarray:
        tokens = self.tokenize(texts)
        self.last_n_truncated = tokens.n_truncated
        moved = TokenizedTexts(
            input_ids=tokens.input_ids.to(self.device),
            attention_mask=None if tokens.attention_mask is None else tokens.attention_mask.to(self.device),
            n_truncated=tokens.n_truncated,
        )
        features = self._text_features(moved)
        return features.detach().float().cpu().numpy().astype(np.float32, copy=False)

    def fingerprint(self) -> str:
        if self._fingerprint is None:
            description = {
                "adapter": type(self).__name__,
                "weights": self._weights_digest,
                "preprocess": self.preprocess.describe(),
                "tokenizer": self.tokenizer.name,
                "context_length": self.context_length,
                "precision": self.precision,
                **self._extra_fingerprint,
            }
            payload = json.dumps(description, sort_keys=True, default=str).encode()
            self._fingerprint = hashlib.sha256(payload).hexdigest()[:16]
        return self._fingerprint

    # -- extras used by the engine and `cxralign models check` -------------------------------------
    def to_device(self, device: str | torch.device) -> None:
        self.device = resolve_device(device)
        self.module.to(self.device)

    def parameter_count(self) -> int:
        return sum(p.numel() for p in self.module.parameters())

    def __repr__(self) -> str:
        return f"{type(self).__name__}(spec={self.spec!r}, device={self.device}, precision={self.precision})"
