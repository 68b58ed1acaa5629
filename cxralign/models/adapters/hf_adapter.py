"""``hf:`` specs: transformers dual encoders (``CLIPModel``, ``VisionTextDualEncoderModel``,
or any ``AutoModel`` with ``get_image_features`` / ``get_text_features``) from the hub cache or a
local directory. Preprocessing is read from the image processor config next to the weights;
remote code runs only with ``trust_remote_code``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import torch

from cxralign.models.adapter import DualEncoderAdapter
from cxralign.models.adapters.common import LoadRequest
from cxralign.models.base import TokenizedTexts
from cxralign.models.checkpoints import hub_call
from cxralign.models.errors import ModelSpecError
from cxralign.models.tokenization import HFTextTokenizer
from cxralign.models.transforms import OPENAI_MEAN, OPENAI_STD, ImagePreprocess


def _features(output: Any) -> torch.Tensor:
    """transformers 5 returns a model output whose pooler_output is the projected feature; 4.x a tensor."""
    if isinstance(output, torch.Tensor):
        return output
    pooled = getattr(output, "pooler_output", None)
    if pooled is None:
        pooled = output[0] if isinstance(output, tuple | list) else None
    if pooled is None:
        raise ModelSpecError("model returned no pooled features from get_*_features")
    return pooled


class HFDualEncoderAdapter(DualEncoderAdapter):
    def _image_features(self, pixels: torch.Tensor) -> torch.Tensor:
        return _features(self.module.get_image_features(pixel_values=pixels))

    def _text_features(self, tokens: TokenizedTexts) -> torch.Tensor:
        return _features(
            self.module.get_text_features(input_ids=tokens.input_ids, attention_mask=tokens.attention_mask)
        )


def _side(value: Any, default: int) -> int:
    if isinstance(value, dict):
        return int(value.get("shortest_edge") or value.get("height") or default)
    return int(value or default)


def preprocess_from_processor_config(config: dict[str, Any], fallback_size: int) -> ImagePreprocess:
    """Map a transformers ``preprocessor_config.json`` onto our policy."""
    size = _side(config.get("size"), fallback_size)
    crop = _side(config.get("crop_size"), size) if config.get("do_center_crop", True) else None
    squash = isinstance(config.get("size"), dict) and "height" in config["size"]
    mean = tuple(config.get("image_mean") or OPENAI_MEAN)
    std = tuple(config.get("image_std") or OPENAI_STD)
    if not config.get("do_normalize", True):
        mean, std = (0.0,) * len(mean), (1.0,) * len(std)
    return ImagePreprocess(
        resize=size,
        crop=None if squash else crop,
        resize_mode="squash" if squash else "shortest",
        interpolation="bilinear" if config.get("resample") == 2 else "bicubic",
        mean=mean,
        std=std,
    )


def _processor_config(name: str, cache_dir: str | None) -> dict[str, Any]:
    local = Path(name).expanduser()
    if local.is_dir():
        file = local / "preprocessor_config.json"
        return json.loads(file.read_text()) if file.is_file() else {}
    from huggingface_hub import hf_hub_download

    try:
        return json.loads(
            Path(hf_hub_download(name, "preprocessor_config.json", cache_dir=cache_dir)).read_text()
        )
    except Exception:
        return {}


def load_hf(target: str, **options: Any) -> HFDualEncoderAdapter:
    request = LoadRequest.of(options)
    from transformers import AutoConfig, AutoModel

    name = str(Path(target).expanduser()) if target.startswith(("/", ".", "~")) else target
    config = hub_call(
        name,
        AutoConfig.from_pretrained,
        name,
        trust_remote_code=request.trust_remote_code,
        cache_dir=request.cache_dir,
    )
    model = hub_call(
        name,
        AutoModel.from_pretrained,
        name,
        config=config,
        trust_remote_code=request.trust_remote_code,
        cache_dir=request.cache_dir,
        use_safetensors=None,
    )
    if not (hasattr(model, "get_image_features") and hasattr(model, "get_text_features")):
        raise ModelSpecError(
            f"{name} loads as {type(model).__name__}, which has no get_image_features/get_text_features"
        )
    vision = getattr(config, "vision_config", None)
    image_size = int(getattr(vision, "image_size", 224) or 224)
    text = getattr(config, "text_config", None)
    context = int(getattr(text, "max_position_embeddings", 77) or 77)
    tokenizer = HFTextTokenizer.from_pretrained(
        name, context, trust_remote_code=request.trust_remote_code, cache_dir=request.cache_dir
    )
    return HFDualEncoderAdapter(
        **request.placement(),
        module=model,
        preprocess=preprocess_from_processor_config(_processor_config(name, request.cache_dir), image_size),
        tokenizer=tokenizer,
        extra_fingerprint={"hf": type(model).__name__},
    )
