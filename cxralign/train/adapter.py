"""``reference:PATH`` specs: models written by ``cxralign train-reference`` (or ``ReferenceModel.save_pretrained``).

PATH is a model directory (``OUT/model``), a checkpoint directory
(``OUT/checkpoints/step-N``) or a run directory (``OUT``, meaning its ``model/``).
The fingerprint hashes the weights, the preprocessing and the tokenizer config,
so retrained weights never reuse cached embeddings.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch

from cxralign.models.adapter import DualEncoderAdapter
from cxralign.models.base import TokenizedTexts
from cxralign.models.errors import ModelSpecError
from cxralign.models.tokenization import HFTextTokenizer, Tokenizer, WordPieceTokenizer
from cxralign.utils.hashing import sha256_file


def resolve_reference_dir(target: str | Path) -> Path:
    """The model directory behind a run, checkpoint or model path."""
    from cxralign.train.model import CONFIG_FILE

    path = Path(target).expanduser()
    for candidate in (path, path / "model"):
        if (candidate / CONFIG_FILE).is_file():
            return candidate
    if not path.exists():
        raise ModelSpecError(f"reference model directory {path} does not exist")
    raise ModelSpecError(
        f"{path} holds no reference model ({CONFIG_FILE} not found here or in {path / 'model'})"
    )


class ReferenceAdapter(DualEncoderAdapter):
    """A trained :class:`cxralign.train.model.ReferenceModel` behind the ImageTextModel protocol."""

    def _image_features(self, pixels: torch.Tensor) -> torch.Tensor:
        return self.module.encode_image(pixels)

    def _text_features(self, tokens: TokenizedTexts) -> torch.Tensor:
        mask = tokens.attention_mask if tokens.attention_mask is not None else (tokens.input_ids != 0).long()
        return self.module.encode_text(tokens.input_ids, mask)

    @property
    def logit_scale(self) -> float:
        return float(self.module.scale().detach().float().item())


def adapter_for_model(
    model: Any,
    *,
    spec: str = "reference:<in-memory>",
    device: str = "cpu",
    precision: str = "fp32",
    extra_fingerprint: dict[str, Any] | None = None,
    tokenizer: Tokenizer | None = None,
) -> ReferenceAdapter:
    """Wrap an in-memory ReferenceModel (the trainer's periodic validation uses this)."""
    return ReferenceAdapter(
        spec=spec,
        module=model,
        preprocess=model.config.preprocess(),
        tokenizer=tokenizer or HFTextTokenizer(model.tokenizer, model.config.context_length),
        device=device,
        precision=precision,
        extra_fingerprint={"reference": model.config.model_dump(mode="json"), **(extra_fingerprint or {})},
    )


def load_reference_adapter(
    target: str,
    *,
    spec: str | None = None,
    device: str = "auto",
    precision: str = "fp32",
    card: Any = None,
    **_: Any,
) -> ReferenceAdapter:
    """Load ``reference:PATH``; the module stays in eval mode, weights cast to ``precision``."""
    from cxralign.train.model import ReferenceModel

    root = resolve_reference_dir(target)
    model = ReferenceModel.from_pretrained(root)
    tokenizer_files = sorted((root / "tokenizer").glob("*"))
    tokenizer = None  # tiny-bert's own WordPiece files tokenise without transformers (the same ids)
    if model.config.uses_builtin_text_tower and (root / "tokenizer" / "tokenizer.json").is_file():
        tokenizer = WordPieceTokenizer.from_directory(root / "tokenizer", model.config.context_length)
    adapter = adapter_for_model(
        model,
        spec=spec or f"reference:{target}",
        device=device,
        precision=precision,
        extra_fingerprint={
            "tokenizer_files": {p.name: sha256_file(p) for p in tokenizer_files if p.is_file()}
        },
        tokenizer=tokenizer,
    )
    adapter.card = card
    return adapter


__all__ = ["ReferenceAdapter", "adapter_for_model", "load_reference_adapter", "resolve_reference_dir"]
