"""The reference dual encoder the trainer produces and the toolkit ships.

Image tower (tiny CNN / timm / open_clip) -> linear or MLP projection; text tower
(any transformers encoder; by default a small BERT with a WordPiece vocabulary
trained on the training reports) -> pooling -> projection; a learnable temperature.
``save_pretrained`` writes ``model.safetensors``, ``reference_config.json``, the
text tower's ``text/config.json`` and ``tokenizer/``; ``from_pretrained`` reads them
back with no network access. The default BERT runs as :mod:`cxralign.train.bert`
(plain torch, the same weights) and its transformers tokenizer is loaded only when
something asks for it, so loading a model for evaluation never imports transformers.
"""

from __future__ import annotations

import json
import math
import pickle
import shutil
from pathlib import Path
from typing import Any, Literal

import torch
import torch.nn.functional as F
from pydantic import BaseModel, ConfigDict, Field, field_validator
from torch import nn

from cxralign.errors import ConfigError, InputError
from cxralign.models.transforms import ImagePreprocess
from cxralign.train.bert import BertTextConfig, BertTextEncoder
from cxralign.train.towers import build_image_tower, infer_feature_dim, text_tower
from cxralign.utils.atomic import atomic_directory, atomic_write_text

CONFIG_FILE = "reference_config.json"
WEIGHTS_FILE = "model.safetensors"
FORMAT_VERSION = 1


class ReferenceModelConfig(BaseModel):
    """Architecture and preprocessing of a reference model (the ``model:`` section of a training config)."""

    model_config = ConfigDict(extra="forbid")

    image_tower: str = "tiny-cnn"
    image_tower_kwargs: dict[str, Any] = Field(default_factory=dict)
    image_checkpoint: str | None = None
    in_channels: Literal[1, 3] = 1
    image_size: int = Field(64, ge=16, le=1024)
    image_mean: tuple[float, ...] = (0.5,)
    image_std: tuple[float, ...] = (0.5,)
    text_tower: str = "tiny-bert"
    text_hidden_size: int = Field(128, ge=8)
    text_layers: int = Field(2, ge=1)
    text_heads: int = Field(2, ge=1)
    text_intermediate_size: int = Field(256, ge=8)
    text_dropout: float = Field(0.1, ge=0.0, lt=1.0)
    vocab_size: int = Field(2000, ge=100)
    context_length: int = Field(128, ge=8, le=4096)
    text_pooling: Literal["cls", "mean"] = "mean"
    embed_dim: int = Field(128, ge=2)
    projection: Literal["linear", "mlp"] = "linear"
    init_temperature: float = Field(0.07, gt=0.0, le=1.0)
    max_logit_scale: float = Field(100.0, gt=1.0)

    @field_validator("text_tower")
    @classmethod
    def _known_text_tower(cls, name: str) -> str:
        try:
            text_tower(name)
        except ConfigError as error:  # pydantic reports a ValueError as this key's one-line message
            raise ValueError(str(error)) from None
        return name

    @field_validator("text_heads")
    @classmethod
    def _heads_divide_hidden(cls, heads: int, info: Any) -> int:
        hidden = info.data.get("text_hidden_size")
        if hidden is not None and hidden % heads:
            raise ValueError(f"text_hidden_size {hidden} is not divisible by text_heads {heads}")
        return heads

    @property
    def uses_builtin_text_tower(self) -> bool:
        """Whether the text tower's tokenizer is a WordPiece vocabulary trained on the training reports."""
        return text_tower(self.text_tower)[0].trains_tokenizer

    def preprocess(self) -> ImagePreprocess:
        return ImagePreprocess(
            resize=self.image_size,
            crop=self.image_size,
            resize_mode="shortest",
            interpolation="bilinear",
            mean=tuple(self.image_mean),
            std=tuple(self.image_std),
            channels=self.in_channels,
        )


def _projection(kind: str, in_dim: int, out_dim: int) -> nn.Module:
    if kind == "linear":
        return nn.Linear(in_dim, out_dim, bias=False)
    return nn.Sequential(nn.Linear(in_dim, out_dim), nn.GELU(), nn.Linear(out_dim, out_dim, bias=False))


def _builtin_text_config(config: ReferenceModelConfig, vocab_size: int):  # noqa: ANN202
    from transformers import BertConfig

    return BertConfig(
        vocab_size=vocab_size,
        hidden_size=config.text_hidden_size,
        num_hidden_layers=config.text_layers,
        num_attention_heads=config.text_heads,
        intermediate_size=config.text_intermediate_size,
        hidden_dropout_prob=config.text_dropout,
        attention_probs_dropout_prob=config.text_dropout,
        max_position_embeddings=max(config.context_length, 64),
        pad_token_id=0,
    )


def _initial_text_tower(config: ReferenceModelConfig, vocab_size: int) -> BertTextEncoder:
    """A new tiny-bert tower initialised by transformers' ``BertModel`` (seeded runs keep their weights)."""
    from transformers import AutoModel

    initial = AutoModel.from_config(_builtin_text_config(config, vocab_size), add_pooling_layer=False)
    with torch.random.fork_rng(devices=[]):  # building the copy must not move the seeded random stream
        tower = BertTextEncoder(BertTextConfig.from_dict(json.loads(initial.config.to_json_string())))
    tower.load_state_dict(initial.state_dict())
    return tower


class ReferenceModel(nn.Module):
    """Dual encoder; ``forward`` returns L2-normalised image and text features and the logit scale."""

    def __init__(
        self,
        config: ReferenceModelConfig,
        tokenizer: Any,
        text_model: nn.Module | None = None,
        *,
        tokenizer_dir: Path | None = None,
    ) -> None:
        super().__init__()
        self.config = config
        self._tokenizer = tokenizer
        self.tokenizer_dir = tokenizer_dir  # where a tokenizer not yet loaded is read from
        self.image_tower = build_image_tower(
            config.image_tower, config.in_channels, config.image_size, config.image_tower_kwargs
        )
        image_dim = infer_feature_dim(self.image_tower, config.in_channels, config.image_size)
        if text_model is None:
            text_model = _initial_text_tower(config, len(tokenizer))
        self.text_tower = text_model
        text_dim = int(self.text_tower.config.hidden_size)
        self.image_projection = _projection(config.projection, image_dim, config.embed_dim)
        self.text_projection = _projection(config.projection, text_dim, config.embed_dim)
        self.logit_scale = nn.Parameter(torch.tensor(math.log(1.0 / config.init_temperature)))

    @property
    def tokenizer(self) -> Any:
        """The transformers tokenizer (training uses it); loaded on first use."""
        if self._tokenizer is None and self.tokenizer_dir is not None:
            from cxralign.train.tokenizer import load_tokenizer

            self._tokenizer = load_tokenizer(self.tokenizer_dir)
        return self._tokenizer

    @tokenizer.setter
    def tokenizer(self, tokenizer: Any) -> None:
        self._tokenizer = tokenizer

    # -- construction -------------------------------------------------------------------------
    @classmethod
    def create(cls, config: ReferenceModelConfig, tokenizer: Any | None = None) -> ReferenceModel:
        """A freshly initialised model (``TEXT_TOWERS`` makes the text tower; an ``hf:`` directory
        brings its own weights), its image tower read from ``image_checkpoint`` when one is named."""
        member, target = text_tower(config.text_tower)
        tokenizer, text_model = member.create(target, tokenizer)
        model = cls(config, tokenizer, text_model=text_model)
        if config.image_checkpoint:
            model.load_image_checkpoint(config.image_checkpoint)
        return model

    def load_image_checkpoint(self, path: str) -> None:
        from safetensors.torch import load_file

        try:
            if path.endswith(".safetensors"):
                state = load_file(path)
            else:
                state = torch.load(path, map_location="cpu", weights_only=True)
        except (OSError, RuntimeError, EOFError, pickle.UnpicklingError) as error:
            reason = str(error).splitlines()[0] if str(error) else type(error).__name__
            raise InputError(f"cannot read image_checkpoint {path}: {reason}") from None
        except Exception as error:  # safetensors raises its own SafetensorError
            raise InputError(f"cannot read image_checkpoint {path}: {error}") from error
        missing, unexpected = self.image_tower.load_state_dict(state, strict=False)
        if missing:
            raise InputError(f"image_checkpoint {path} lacks {len(missing)} tower weights, e.g. {missing[0]}")

    # -- encoders ------------------------------------------------------------------------------
    def encode_image(self, pixels: torch.Tensor) -> torch.Tensor:
        features = self.image_tower(pixels)
        if isinstance(features, tuple | list):
            features = features[0]
        return self.image_projection(features.flatten(1))

    def _pool(self, hidden: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        if self.config.text_pooling == "cls":
            return hidden[:, 0]
        mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
        return (hidden * mask).sum(1) / mask.sum(1).clamp_min(1.0)

    def encode_text(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        hidden = self.text_tower(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
        return self.text_projection(self._pool(hidden, attention_mask))

    def encode_text_embeds(self, inputs_embeds: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        """Text features from word embeddings (learnable prompts are built this way)."""
        hidden = self.text_tower(inputs_embeds=inputs_embeds, attention_mask=attention_mask).last_hidden_state
        return self.text_projection(self._pool(hidden, attention_mask))

    def word_embeddings(self) -> nn.Embedding:
        return self.text_tower.get_input_embeddings()

    def scale(self) -> torch.Tensor:
        """exp(logit_scale), clamped like CLIP so the temperature cannot collapse."""
        return self.logit_scale.clamp(max=math.log(self.config.max_logit_scale)).exp()

    def forward(
        self, pixels: torch.Tensor, input_ids: torch.Tensor, attention_mask: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        image = F.normalize(self.encode_image(pixels), dim=-1)
        text = F.normalize(self.encode_text(input_ids, attention_mask), dim=-1)
        return image, text, self.scale()

    # -- persistence -----------------------------------------------------------------------------
    def save_pretrained(
        self, path: str | Path, *, overwrite: bool = True, extra: dict[str, Any] | None = None
    ) -> Path:
        """Write the model directory atomically (a crash leaves the old directory or none)."""
        from safetensors.torch import save_file

        with atomic_directory(path, overwrite=overwrite) as tmp:
            state = {name: tensor.detach().cpu().contiguous() for name, tensor in self.state_dict().items()}
            save_file(state, str(tmp / WEIGHTS_FILE), metadata={"format": "cxralign-reference"})
            self.text_tower.config.save_pretrained(str(tmp / "text"))
            if self._tokenizer is None and self.tokenizer_dir is not None:  # never loaded: copy its files
                shutil.copytree(self.tokenizer_dir, tmp / "tokenizer")
            else:
                self.tokenizer.save_pretrained(str(tmp / "tokenizer"))
            payload = {
                "format_version": FORMAT_VERSION,
                "model": self.config.model_dump(mode="json"),
                "preprocess": self.config.preprocess().describe(),
                **(extra or {}),
            }
            atomic_write_text(tmp / CONFIG_FILE, json.dumps(payload, indent=2, sort_keys=True))
        return Path(path)

    @classmethod
    def from_pretrained(cls, path: str | Path, *, map_location: str | torch.device = "cpu") -> ReferenceModel:
        """Load a directory written by :meth:`save_pretrained` (no network access).

        A tiny-bert text tower loads as :class:`BertTextEncoder` with its tokenizer left on disk
        until used; any other text tower through transformers."""
        from safetensors.torch import load_file

        root = Path(path)
        config_path = root / CONFIG_FILE
        if not config_path.is_file():
            raise InputError(f"{root} is not a reference model directory (no {CONFIG_FILE})")
        try:
            payload = json.loads(config_path.read_text())
            config = ReferenceModelConfig.model_validate(payload["model"])
        except (ValueError, KeyError) as error:
            raise InputError(f"{config_path} is not a valid reference model config: {error}") from error
        tokenizer, text_model = _saved_text_tower(root, config)
        model = cls(config, tokenizer, text_model=text_model, tokenizer_dir=root / "tokenizer")
        try:
            state = load_file(str(root / WEIGHTS_FILE), device=str(map_location))
        except (OSError, RuntimeError) as error:
            raise InputError(f"cannot read {root / WEIGHTS_FILE}: {error}") from error
        missing, unexpected = model.load_state_dict(state, strict=False)
        if missing or unexpected:
            detail = f"missing {missing[:3]}" if missing else f"unexpected {unexpected[:3]}"
            raise InputError(f"{root / WEIGHTS_FILE} does not match its config ({detail})")
        return model


def _saved_text_tower(root: Path, config: ReferenceModelConfig) -> tuple[Any, nn.Module]:
    """(tokenizer or None when it can wait, text tower) of a saved model, weights still random."""
    member, target = text_tower(config.text_tower)
    return member.load(target, root)
