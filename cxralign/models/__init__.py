"""Models: one protocol for every image-text model, a spec parser, the zoo and the embedding engine.

Public entry points (see docs/architecture.md): :func:`load_model`,
:func:`embed_images`, :func:`embed_texts`, :class:`EmbeddingCache`,
:class:`EmbeddingResult`, and the zoo (:func:`get_card`, :func:`all_cards`).
"""

from __future__ import annotations

from cxralign.models.base import ImageTextModel, TokenizedTexts
from cxralign.models.cache import EmbeddingCache
from cxralign.models.engine import EmbeddingResult, embed_images, embed_texts
from cxralign.models.errors import (
    CheckpointError,
    HubUnavailableError,
    ModelSpecError,
    UntrustedCheckpointError,
)
from cxralign.models.specs import ModelSpec, load_model, parse_spec
from cxralign.models.zoo import ModelCard, all_cards, get_card

__all__ = [
    "CheckpointError",
    "EmbeddingCache",
    "EmbeddingResult",
    "HubUnavailableError",
    "ImageTextModel",
    "ModelCard",
    "ModelSpec",
    "ModelSpecError",
    "TokenizedTexts",
    "UntrustedCheckpointError",
    "all_cards",
    "embed_images",
    "embed_texts",
    "get_card",
    "load_model",
    "parse_spec",
]
