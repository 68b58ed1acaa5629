"""``open_clip:`` specs: random init, pretrained tags, local checkpoints, hf-hub and local dirs.

``open_clip:ARCH@random`` builds the architecture with a fixed seed, so the same
spec is the same model (and the same fingerprint) on every machine; a bare
``open_clip:ARCH`` is refused, because random weights must never be a silent
default (a user would blame the model for chance-level scores). Architectures
shipped in ``cxralign/models/open_clip_configs`` (``cxralign-tiny-vit``,
``cxralign-tiny-rn``) are registered with open_clip for fast smoke runs and tests.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import torch

from cxralign.models.adapter import DualEncoderAdapter
from cxralign.models.adapters.common import LoadRequest
from cxralign.models.base import TokenizedTexts
from cxralign.models.checkpoints import hub_call, load_exact, read_checkpoint, unwrap_state_dict
from cxralign.models.errors import ModelSpecError
from cxralign.models.tokenization import ClipBpeTokenizer, HFTextTokenizer, Tokenizer
from cxralign.models.transforms import ImagePreprocess

CONFIG_DIR = Path(__file__).resolve().parent.parent / "open_clip_configs"
RANDOM_INIT_SEED = 0
RANDOM_TAG = "random"
_registered = False


def register_builtin_configs() -> None:
    """Make cxralign's own architecture configs visible to ``open_clip.create_model``."""
    global _registered
    if not _registered:
        import open_clip

        open_clip.add_model_config(CONFIG_DIR)
        _registered = True


def preprocess_from_open_clip(cfg: dict[str, Any]) -> ImagePreprocess:
    """open_clip's ``PreprocessCfg`` (as a dict) -> our declarative policy."""
    size = cfg.get("size", 224)
    size = int(size[0] if isinstance(size, list | tuple) else size)
    mode = cfg.get("resize_mode", "shortest")
    interpolation = cfg.get("interpolation", "bicubic")
    if interpolation not in ("bicubic", "bilinear"):
        interpolation = "bicubic"
    return ImagePreprocess(
        resize=size,
        crop=size if mode == "shortest" else None,
        resize_mode=mode if mode in ("shortest", "longest", "squash") else "shortest",
        interpolation=interpolation,
        mean=tuple(float(m) for m in cfg.get("mean", (0.48145466, 0.4578275, 0.40821073))),
        std=tuple(float(s) for s in cfg.get("std", (0.26862954, 0.26130258, 0.27577711))),
    )


def wrap_open_clip_tokenizer(inner: Any) -> Tokenizer:
    from open_clip.tokenizer import HFTokenizer, SimpleTokenizer

    length = int(getattr(inner, "context_length", 77) or 77)
    if isinstance(inner, SimpleTokenizer):
        return ClipBpeTokenizer(length, inner=inner)
    if isinstance(inner, HFTokenizer):
        return HFTextTokenizer(inner.tokenizer, length)
    raise ModelSpecError(f"unsupported open_clip tokenizer {type(inner).__name__}")


class OpenClipAdapter(DualEncoderAdapter):
    """Any open_clip ``CLIP`` / ``CustomTextCLIP``."""

    def _image_features(self, pixels: torch.Tensor) -> torch.Tensor:
        return self.module.encode_image(pixels)

    def _text_features(self, tokens: TokenizedTexts) -> torch.Tensor:
        return self.module.encode_text(tokens.input_ids)


def _looks_like_path(tag: str) -> bool:
    return "/" in tag or tag.endswith((".pt", ".pth", ".bin", ".safetensors", ".ckpt", ".tar"))


def _check_architecture(model_name: str) -> None:
    import open_clip

    register_builtin_configs()
    if not model_name.startswith(("hf-hub:", "local-dir:")) and model_name not in open_clip.list_models():
        import difflib

        close = difflib.get_close_matches(model_name, open_clip.list_models(), n=3, cutoff=0.6)
        hint = f"; did you mean {', '.join(close)}?" if close else ""
        raise ModelSpecError(f"unknown open_clip architecture {model_name!r}{hint}")


def _create(model_name: str, **kwargs: Any) -> torch.nn.Module:
    import open_clip

    _check_architecture(model_name)
    quiet = logging.getLogger()
    level = quiet.level
    quiet.setLevel(logging.ERROR)  # open_clip warns "initialized randomly" even when that is the point
    try:
        return hub_call(model_name, open_clip.create_model, model_name, **kwargs)
    finally:
        quiet.setLevel(level)


def load_open_clip(target: str, *, context_length: int | None = None, **options: Any) -> OpenClipAdapter:
    """Resolve an ``open_clip:`` target (the part after the scheme)."""
    request = LoadRequest.of(options)
    import open_clip

    if not target:
        raise ModelSpecError(f"spec {request.spec!r} names no architecture (open_clip:ARCH[@TAG|@/path])")
    arch, _, tag = (
        target.partition("@") if not target.startswith(("hf-hub:", "local-dir:")) else (target, "", "")
    )
    _check_architecture(arch)
    if not tag and not arch.startswith(("hf-hub:", "local-dir:")):
        raise ModelSpecError(
            f"{request.spec!r} does not say which weights to use; write open_clip:{arch}@random (random init, "
            f"fixed seed), open_clip:{arch}@/path/to/ckpt.pt (a local checkpoint) or "
            f"open_clip:{arch}@<pretrained tag> (e.g. @openai, from the local cache)"
        )
    random_init = tag == RANDOM_TAG
    if random_init:
        tag = ""
    extra: dict[str, Any] = {"open_clip": arch, **({"weights": RANDOM_TAG} if random_init else {})}
    kwargs: dict[str, Any] = {"cache_dir": request.cache_dir}
    if context_length:
        kwargs["force_context_length"] = context_length
    if tag and not _looks_like_path(tag):
        model = _create(arch, pretrained=tag, **kwargs)
        extra["pretrained"] = tag
    else:
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(RANDOM_INIT_SEED)
            model = _create(arch, **kwargs)
        if tag:
            state = unwrap_state_dict(read_checkpoint(tag, trust_checkpoint=request.trust_checkpoint))
            if next(iter(state)).startswith("module."):
                state = {k[len("module.") :]: v for k, v in state.items()}
            for key in ("input_resolution", "context_length", "vocab_size"):
                state.pop(key, None)
            load_exact(model, state, tag, ignore=("position_ids", "attn_mask"))
    inner_tokenizer = hub_call(arch, open_clip.get_tokenizer, arch, context_length=context_length)
    preprocess_cfg = dict(getattr(model.visual, "preprocess_cfg", {}) or {})
    adapter = OpenClipAdapter(
        **request.placement(),
        module=model,
        preprocess=preprocess_from_open_clip(preprocess_cfg),
        tokenizer=wrap_open_clip_tokenizer(inner_tokenizer),
        extra_fingerprint=extra,
    )
    adapter.random_init = random_init  # results record it as weights: random
    return adapter
