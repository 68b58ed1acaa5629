"""The ``--model`` spec parser and loader registry: ``SCHEME:TARGET`` -> ImageTextModel.

``MODELS`` is the registry of schemes (``cxralign.utils.registry``): built-in schemes are
registered by import path and imported on first use (so ``cxralign --help`` never imports
transformers); third-party packages add schemes through the ``cxralign.models``
entry-point group or are called directly with ``python:package.module:factory``. Every loader has the signature
``loader(target, *, spec, device, precision, trust_checkpoint, trust_remote_code,
cache_dir, card) -> ImageTextModel``.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cxralign.models.base import ImageTextModel
from cxralign.models.errors import CheckpointError, ModelSpecError
from cxralign.utils.registry import Registry, import_object

Loader = Callable[..., ImageTextModel]

BUILTIN_LOADERS: dict[str, str] = {
    "open_clip": "cxralign.models.adapters.open_clip_adapter:load_open_clip",
    "hf": "cxralign.models.adapters.hf_adapter:load_hf",
    "reference": "cxralign.train.adapter:load_reference_adapter",
    "chexzero": "cxralign.models.adapters.chexzero:load_chexzero",
    "biomedclip": "cxralign.models.adapters.biomedclip:load_biomedclip",
    "medclip-vit": "cxralign.models.adapters.medclip:load_medclip_vit",
    "medclip-resnet": "cxralign.models.adapters.medclip:load_medclip_resnet",
    "gloria": "cxralign.models.adapters.gloria:load_gloria",
    "cxr-clip": "cxralign.models.adapters.cxr_clip:load_cxr_clip",
    "biovil": "cxralign.models.adapters.biovil:load_biovil",
    "biovil-t": "cxralign.models.adapters.biovil_t:load_biovil_t",
    "mgca": "cxralign.models.adapters.mgca:load_mgca",
    "convirt": "cxralign.models.adapters.mgca:load_convirt",
}
MODELS: Registry[Loader] = Registry(
    "model scheme", entry_point_group="cxralign.models", lazy=BUILTIN_LOADERS, error=ModelSpecError
)
# resolved here rather than registered: a zoo card names a loader spec, python: names a factory
META_SCHEMES = ("zoo", "python")


@dataclass(frozen=True)
class ModelSpec:
    """A parsed spec: ``scheme`` and the scheme-specific ``target``."""

    scheme: str
    target: str

    def __str__(self) -> str:
        return f"{self.scheme}:{self.target}"


def known_schemes() -> list[str]:
    return sorted({*MODELS.names(), *META_SCHEMES})


def parse_spec(spec: str) -> ModelSpec:
    """Split ``spec`` into scheme and target; a bare zoo name is accepted as ``zoo:NAME``."""
    text = (spec or "").strip()
    if not text:
        raise ModelSpecError("empty model spec; use e.g. open_clip:ViT-B-32@openai or zoo:chexzero")
    scheme, sep, target = text.partition(":")
    if not sep:
        from cxralign.models.zoo import card_names

        if text.split("@")[0] in card_names():
            return ModelSpec("zoo", text)
        raise ModelSpecError(
            f"model spec {text!r} has no scheme; use SCHEME:TARGET with SCHEME one of {', '.join(known_schemes())}"
        )
    scheme = scheme.strip().lower().replace("_", "-") if scheme != "open_clip" else scheme
    if scheme == "open-clip":
        scheme = "open_clip"
    if scheme not in known_schemes():
        close = difflib.get_close_matches(scheme, known_schemes(), n=2, cutoff=0.5)
        hint = f" (did you mean {' or '.join(close)}?)" if close else ""
        raise ModelSpecError(
            f"unknown model scheme {scheme!r} in {text!r}{hint}; known: {', '.join(known_schemes())}"
        )
    if not target.strip():
        raise ModelSpecError(f"model spec {text!r} names nothing after {scheme}:")
    return ModelSpec(scheme, target.strip())


def _import_object(path: str, spec: str) -> Any:
    if path.count(":") != 1:
        raise ModelSpecError(f"{spec!r}: expected python:package.module:factory")
    return import_object(path, ModelSpecError, repr(spec))


def load_model(
    spec: str,
    *,
    device: str = "auto",
    precision: str = "fp32",
    trust_checkpoint: bool = False,
    trust_remote_code: bool = False,
    cache_dir: str | None = None,
) -> ImageTextModel:
    """Load any supported model behind the :class:`ImageTextModel` protocol."""
    from cxralign.models.adapter import resolve_device, resolve_precision

    resolve_precision(precision)
    resolve_device(device)  # fail on an unavailable device before loading gigabytes
    parsed = parse_spec(spec)
    common: dict[str, Any] = {
        "spec": spec,
        "device": device,
        "precision": precision,
        "trust_checkpoint": trust_checkpoint,
        "trust_remote_code": trust_remote_code,
        "cache_dir": cache_dir,
        "card": None,
    }
    if parsed.scheme == "zoo":
        model = _load_from_card(parsed.target, common)
    elif parsed.scheme == "python":
        path, _, argument = parsed.target.partition("@")
        factory = _import_object(path, spec)
        model = factory(argument, **common)
    else:
        model = MODELS.get(parsed.scheme)(parsed.target, **common)
    if not isinstance(model, ImageTextModel):
        raise ModelSpecError(
            f"{spec!r} produced a {type(model).__name__}, which lacks the ImageTextModel methods"
        )
    return model


def _load_from_card(target: str, common: dict[str, Any]) -> ImageTextModel:
    from cxralign.models.zoo import get_card

    name, _, weights = target.partition("@")
    card = get_card(name)
    if not card.supported:
        raise ModelSpecError(
            f"zoo model {card.name} cannot be scored by image-text similarity: {card.unsupported_reason}"
        )
    loader_spec = card.resolve_loader(weights or None)
    if weights and card.weights.sha256 and Path(weights).is_file():
        from cxralign.utils.hashing import sha256_file

        actual = sha256_file(weights)
        if actual != card.weights.sha256:
            raise CheckpointError(
                f"{weights} has sha256 {actual[:12]}..., but the {card.name} card expects {card.weights.sha256[:12]}..."
            )
    inner = parse_spec(loader_spec)
    if inner.scheme in META_SCHEMES:
        raise ModelSpecError(f"zoo card {card.name} has a loader spec that points at another meta scheme")
    model = MODELS.get(inner.scheme)(inner.target, **{**common, "card": card})
    if getattr(model, "card", None) is None:
        model.card = card
    return model
