"""In-memory models behind the ``ImageTextModel`` protocol, for notebooks and the Python API.

A researcher holding an open_clip model, a Hugging Face ``CLIPModel`` or two plain
functions should not have to write an adapter module. :func:`as_model` recognises
each form and wraps it with the same adapter classes the ``open_clip:`` and ``hf:``
specs use, so an in-memory model and the checkpoint saved from it give identical
embeddings. The fingerprint is computed from the weights (never from the Python
object's identity), so the embedding cache and the result keys stay honest.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import torch
from PIL import Image

from cxralign.errors import ConfigError
from cxralign.models.base import ImageTextModel, TokenizedTexts
from cxralign.models.transforms import ImagePreprocess

DEFAULT_CALLABLE_PREPROCESS = ImagePreprocess(resize=224, crop=224)


def _short_hash(payload: Any) -> str:
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()[:16]


def _is_open_clip(module: Any) -> bool:
    return (
        isinstance(module, torch.nn.Module)
        and hasattr(module, "encode_image")
        and hasattr(module, "encode_text")
    )


def _is_hf(module: Any) -> bool:
    return (
        isinstance(module, torch.nn.Module)
        and hasattr(module, "get_image_features")
        and hasattr(module, "get_text_features")
    )


def _open_clip_preprocess(module: Any, preprocess: Any) -> tuple[Callable, dict[str, Any]]:
    """The declarative policy when ``preprocess`` is open_clip's own eval transform, else the callable as is."""
    from open_clip.transform import PreprocessCfg, image_transform_v2

    from cxralign.models.adapters.open_clip_adapter import preprocess_from_open_clip

    config = dict(getattr(module.visual, "preprocess_cfg", {}) or {})
    if preprocess is None or (
        config and repr(preprocess) == repr(image_transform_v2(PreprocessCfg(**config), is_train=False))
    ):
        return preprocess_from_open_clip(config), {}
    return preprocess, {"custom_preprocess": repr(preprocess)}


class _CustomPreprocess:
    """A user's preprocessing callable, described by its repr for the cache key."""

    def __init__(self, function: Callable[[Image.Image], torch.Tensor]) -> None:
        self.function = function

    def __call__(self, image: Image.Image) -> torch.Tensor:
        return self.function(image)

    def describe(self) -> str:
        return repr(self.function)


def wrap_open_clip(
    module: torch.nn.Module,
    preprocess: Any,
    tokenizer: Any,
    *,
    name: str,
    device: str = "auto",
    precision: str = "fp32",
) -> ImageTextModel:
    """An in-memory open_clip model, preprocessed and tokenised exactly as ``open_clip:ARCH@ckpt`` would be."""
    from cxralign.models.adapters.common import LoadRequest
    from cxralign.models.adapters.open_clip_adapter import OpenClipAdapter, wrap_open_clip_tokenizer

    transform, extra = _open_clip_preprocess(module, preprocess)
    if not isinstance(transform, ImagePreprocess):
        transform = _CustomPreprocess(transform)
    return OpenClipAdapter(
        **LoadRequest(name, device, precision).placement(),
        module=module,
        preprocess=transform,
        tokenizer=wrap_open_clip_tokenizer(tokenizer),
        extra_fingerprint={"open_clip": "in-memory", **extra},
    )


def wrap_hf(
    module: torch.nn.Module,
    processor: Any,
    tokenizer: Any = None,
    *,
    name: str,
    device: str = "auto",
    precision: str = "fp32",
) -> ImageTextModel:
    """An in-memory transformers dual encoder with its processor (or image processor + tokenizer)."""
    from cxralign.models.adapters.common import LoadRequest
    from cxralign.models.adapters.hf_adapter import HFDualEncoderAdapter, preprocess_from_processor_config
    from cxralign.models.tokenization import HFTextTokenizer

    image_processor = getattr(processor, "image_processor", processor)
    tokenizer = tokenizer if tokenizer is not None else getattr(processor, "tokenizer", None)
    if tokenizer is None or not hasattr(image_processor, "to_dict"):
        raise ConfigError(
            "a Hugging Face model needs its processor (with .image_processor and .tokenizer) "
            "or an image processor and a tokenizer"
        )
    config = module.config
    vision = getattr(config, "vision_config", None)
    text = getattr(config, "text_config", None)
    image_size = int(getattr(vision, "image_size", 224) or 224)
    context = int(getattr(text, "max_position_embeddings", 77) or 77)
    return HFDualEncoderAdapter(
        **LoadRequest(name, device, precision).placement(),
        module=module,
        preprocess=preprocess_from_processor_config(image_processor.to_dict(), image_size),
        tokenizer=HFTextTokenizer(tokenizer, context),
        extra_fingerprint={"hf": type(module).__name__},
    )


class CallableModel:
    """Two plain functions: ``encode_images((N, C, H, W) tensor) -> (N, D)``, ``encode_texts(list[str]) -> (N, D)``.

    Images reach ``encode_images`` already preprocessed by ``preprocess`` (default:
    224 px centre crop with CLIP normalisation). The fingerprint comes from
    ``weights`` (an ``nn.Module`` or state dict the functions use) when given;
    otherwise from the functions' outputs on a fixed probe image and probe texts,
    so a changed function never reuses stale cached embeddings.
    """

    card = None

    def __init__(
        self,
        encode_images: Callable[[torch.Tensor], Any],
        encode_texts: Callable[[list[str]], Any],
        *,
        name: str,
        preprocess: Callable[[Image.Image], torch.Tensor] | None = None,
        context_length: int = 77,
        logit_scale: float = 100.0,
        weights: Any = None,
    ) -> None:
        self.spec = name
        self.context_length = context_length
        self.device = torch.device("cpu")
        self._images = encode_images
        self._texts = encode_texts
        self._logit_scale = float(logit_scale)
        preprocess = preprocess or DEFAULT_CALLABLE_PREPROCESS
        self._preprocess = preprocess if hasattr(preprocess, "describe") else _CustomPreprocess(preprocess)
        self._weights = weights
        self._fingerprint: str | None = None

    @property
    def logit_scale(self) -> float:
        return self._logit_scale

    def image_transform(self) -> Callable[[Image.Image], torch.Tensor]:
        return self._preprocess

    def tokenize(self, texts: Sequence[str]) -> TokenizedTexts:
        """Whitespace words stand in for tokens: only used to count texts longer than the context."""
        counts = [len(t.split()) for t in texts]
        ids = torch.zeros(len(texts), 1, dtype=torch.long)
        return TokenizedTexts(ids, None, sum(c > self.context_length for c in counts))

    @staticmethod
    def _array(value: Any) -> np.ndarray:
        if isinstance(value, torch.Tensor):
            value = value.detach().float().cpu().numpy()
        return np.asarray(value, dtype=np.float32)

    def encode_images(self, images: torch.Tensor) -> np.ndarray:
        with torch.inference_mode():
            return self._array(self._images(images))

    def encode_texts(self, texts: Sequence[str]) -> np.ndarray:
        with torch.inference_mode():
            return self._array(self._texts(list(texts)))

    def fingerprint(self) -> str:
        if self._fingerprint is None:
            if self._weights is not None:
                from cxralign.models.adapter import hash_module_weights

                module = self._weights
                if isinstance(module, dict):
                    holder = torch.nn.Module()
                    for key, tensor in module.items():
                        holder.register_buffer(key.replace(".", "__"), torch.as_tensor(tensor))
                    module = holder
                basis: Any = hash_module_weights(module)
            else:
                basis = self._probe_digest()
            describe = self._preprocess.describe()
            self._fingerprint = _short_hash({"callables": basis, "preprocess": describe})
        return self._fingerprint

    def _probe_digest(self) -> str:
        generator = np.random.default_rng(0)
        probe = Image.fromarray(generator.integers(0, 255, (64, 64), dtype=np.uint8))
        images = self.encode_images(torch.stack([self._preprocess(probe)]))
        texts = self.encode_texts(["no acute cardiopulmonary process", "small left pleural effusion"])
        digest = hashlib.sha256()
        for array in (images, texts):
            digest.update(str(array.shape).encode() + np.round(array, 5).tobytes())
        return digest.hexdigest()

    def __repr__(self) -> str:
        return f"CallableModel(spec={self.spec!r})"


def as_model(
    model: Any,
    *,
    name: str | None = None,
    device: str = "auto",
    precision: str = "fp32",
    **load_options: Any,
) -> ImageTextModel:
    """Whatever the caller holds -> an ``ImageTextModel`` (see ``cxralign.evaluate`` for the forms)."""
    if isinstance(model, str):
        from cxralign.models.specs import load_model

        return load_model(model, device=device, precision=precision, **load_options)
    if isinstance(model, ImageTextModel) and not isinstance(model, torch.nn.Module):
        return model
    parts = tuple(model) if isinstance(model, tuple | list) else (model,)
    head = parts[0] if parts else None
    if _is_hf(head) and len(parts) in (2, 3):
        return _named(wrap_hf(*parts, name=name or "", device=device, precision=precision), "hf")
    if _is_open_clip(head) and len(parts) == 3:
        return _named(
            wrap_open_clip(*parts, name=name or "", device=device, precision=precision), "open_clip"
        )
    if len(parts) == 2 and all(callable(p) for p in parts) and not isinstance(head, torch.nn.Module):
        if not name:
            raise ConfigError(
                "two callables need a name: cxralign.evaluate((images_fn, texts_fn), name='my-model')"
            )
        return CallableModel(parts[0], parts[1], name=name)
    raise ConfigError(
        "cannot evaluate a "
        + (
            f"tuple of {', '.join(type(p).__name__ for p in parts)}"
            if len(parts) > 1
            else type(model).__name__
        )
        + "; pass a spec string, an ImageTextModel, (open_clip model, preprocess, tokenizer), "
        "(HF model, processor) or (images_fn, texts_fn) with name="
    )


def _named(adapter: Any, kind: str) -> ImageTextModel:
    """Without a name, a wrapped model is filed as ``KIND:in-memory-<weights hash>``: it names its weights."""
    if not adapter.spec:
        adapter.spec = f"{kind}:in-memory-{adapter._weights_digest[:12]}"
    return adapter
