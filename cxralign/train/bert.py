"""The reference model's BERT text tower in plain torch, state-dict compatible with transformers' ``BertModel``.

Why: loading a ``reference:`` model for evaluation used to import transformers
(and through it torchvision, ``torch._dynamo``, sympy and triton), about 1.7 s of
CPU for a tower of a few hundred thousand weights. This module has the same
parameter names and shapes as ``BertModel(config, add_pooling_layer=False)``, so
checkpoints written with either load into both, and runs the same operations in
the same order as transformers' SDPA path (same masks, same dropout draws), so
outputs are equal, in training as in evaluation (tests/test_train_bert.py).
``text/config.json`` is read and written in transformers' own format.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

import torch
import torch.nn.functional as F
from torch import nn

CONFIG_FILE = "config.json"
# What this module reproduces (a missing key means transformers' default, the value here); any
# other config (relative positions, a decoder, another activation) is loaded by transformers.
_PLAIN_BERT = {"hidden_act": "gelu", "is_decoder": False, "add_cross_attention": False,
               "position_embedding_type": "absolute", "chunk_size_feed_forward": 0}  # fmt: skip


@dataclass(frozen=True)
class BertTextConfig:
    """The fields of a transformers ``BertConfig`` the encoder uses; ``raw`` is the whole file, written back as is."""

    vocab_size: int
    hidden_size: int
    num_hidden_layers: int
    num_attention_heads: int
    intermediate_size: int
    max_position_embeddings: int
    type_vocab_size: int
    hidden_dropout_prob: float
    attention_probs_dropout_prob: float
    layer_norm_eps: float
    pad_token_id: int
    raw: dict[str, Any]

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> BertTextConfig | None:
        """The config, or ``None`` when ``raw`` describes a model this module does not reproduce."""
        if raw.get("model_type") != "bert" or any(raw.get(k, v) != v for k, v in _PLAIN_BERT.items()):
            return None
        fields = {name: raw[name] for name in cls.__dataclass_fields__ if name not in ("raw", "pad_token_id")}
        return cls(**fields, pad_token_id=raw.get("pad_token_id") or 0, raw=dict(raw))

    @classmethod
    def from_directory(cls, path: str | Path) -> BertTextConfig | None:
        return cls.from_dict(json.loads((Path(path) / CONFIG_FILE).read_text()))

    def save_pretrained(self, path: str | Path) -> None:
        """Write ``config.json`` the way transformers does (sorted keys, indent 2)."""
        Path(path).mkdir(parents=True, exist_ok=True)
        (Path(path) / CONFIG_FILE).write_text(json.dumps(self.raw, indent=2, sort_keys=True) + "\n")


class EncoderOutput(NamedTuple):
    last_hidden_state: torch.Tensor


class _Projection(nn.Module):
    """``dense`` -> dropout -> ``LayerNorm(x + residual)`` (transformers' BertSelfOutput / BertOutput)."""

    def __init__(self, config: BertTextConfig, in_features: int) -> None:
        super().__init__()
        self.dense = nn.Linear(in_features, config.hidden_size)
        self.LayerNorm = nn.LayerNorm(config.hidden_size, eps=config.layer_norm_eps)
        self.dropout = nn.Dropout(config.hidden_dropout_prob)

    def forward(self, hidden: torch.Tensor, residual: torch.Tensor) -> torch.Tensor:
        return self.LayerNorm(self.dropout(self.dense(hidden)) + residual)


class _SelfAttention(nn.Module):
    def __init__(self, config: BertTextConfig) -> None:
        super().__init__()
        self.head_size = config.hidden_size // config.num_attention_heads
        self.dropout_prob = config.attention_probs_dropout_prob
        self.query = nn.Linear(config.hidden_size, config.hidden_size)
        self.key = nn.Linear(config.hidden_size, config.hidden_size)
        self.value = nn.Linear(config.hidden_size, config.hidden_size)

    def forward(self, hidden: torch.Tensor, mask: torch.Tensor | None) -> torch.Tensor:
        shape = (*hidden.shape[:-1], -1, self.head_size)
        query, key, value = (
            layer(hidden).view(shape).transpose(1, 2) for layer in (self.query, self.key, self.value)
        )
        out = F.scaled_dot_product_attention(
            query, key, value, attn_mask=mask, dropout_p=self.dropout_prob if self.training else 0.0,
            scale=self.head_size**-0.5, is_causal=False,
        )  # fmt: skip
        return out.transpose(1, 2).contiguous().reshape(*hidden.shape[:-1], -1).contiguous()


class _Attention(nn.Module):
    def __init__(self, config: BertTextConfig) -> None:
        super().__init__()
        self.self = _SelfAttention(config)
        self.output = _Projection(config, config.hidden_size)

    def forward(self, hidden: torch.Tensor, mask: torch.Tensor | None) -> torch.Tensor:
        return self.output(self.self(hidden, mask), hidden)


class _Intermediate(nn.Module):
    def __init__(self, config: BertTextConfig) -> None:
        super().__init__()
        self.dense = nn.Linear(config.hidden_size, config.intermediate_size)

    def forward(self, hidden: torch.Tensor) -> torch.Tensor:
        return F.gelu(self.dense(hidden))


class _Layer(nn.Module):
    def __init__(self, config: BertTextConfig) -> None:
        super().__init__()
        self.attention = _Attention(config)
        self.intermediate = _Intermediate(config)
        self.output = _Projection(config, config.intermediate_size)

    def forward(self, hidden: torch.Tensor, mask: torch.Tensor | None) -> torch.Tensor:
        attended = self.attention(hidden, mask)
        return self.output(self.intermediate(attended), attended)


class _Encoder(nn.Module):
    def __init__(self, config: BertTextConfig) -> None:
        super().__init__()
        self.layer = nn.ModuleList(_Layer(config) for _ in range(config.num_hidden_layers))


class _Embeddings(nn.Module):
    def __init__(self, config: BertTextConfig) -> None:
        super().__init__()
        self.word_embeddings = nn.Embedding(
            config.vocab_size, config.hidden_size, padding_idx=config.pad_token_id
        )
        self.position_embeddings = nn.Embedding(config.max_position_embeddings, config.hidden_size)
        self.token_type_embeddings = nn.Embedding(config.type_vocab_size, config.hidden_size)
        self.LayerNorm = nn.LayerNorm(config.hidden_size, eps=config.layer_norm_eps)
        self.dropout = nn.Dropout(config.hidden_dropout_prob)

    def forward(self, inputs_embeds: torch.Tensor) -> torch.Tensor:
        batch, length = inputs_embeds.shape[:2]
        positions = torch.arange(length, device=inputs_embeds.device).unsqueeze(0)
        token_types = torch.zeros((batch, length), dtype=torch.long, device=inputs_embeds.device)
        embeddings = inputs_embeds + self.token_type_embeddings(token_types)
        embeddings = embeddings + self.position_embeddings(positions)
        return self.dropout(self.LayerNorm(embeddings))


class BertTextEncoder(nn.Module):
    """``BertModel`` without its pooler: token ids (or word embeddings) and a 0/1 mask -> the last hidden states."""

    def __init__(self, config: BertTextConfig) -> None:
        super().__init__()
        self.config = config
        self.embeddings = _Embeddings(config)
        self.encoder = _Encoder(config)

    def get_input_embeddings(self) -> nn.Embedding:
        return self.embeddings.word_embeddings

    def forward(
        self,
        input_ids: torch.Tensor | None = None,
        attention_mask: torch.Tensor | None = None,
        inputs_embeds: torch.Tensor | None = None,
    ) -> EncoderOutput:
        if (input_ids is None) == (inputs_embeds is None):
            raise ValueError("pass exactly one of input_ids or inputs_embeds")
        if inputs_embeds is None:
            inputs_embeds = self.embeddings.word_embeddings(input_ids)
        hidden = self.embeddings(inputs_embeds)
        mask = _attention_mask(attention_mask, hidden.shape[1])
        for layer in self.encoder.layer:
            hidden = layer(hidden, mask)
        return EncoderOutput(last_hidden_state=hidden)


def _attention_mask(attention_mask: torch.Tensor | None, length: int) -> torch.Tensor | None:
    """transformers' SDPA mask: none when every token counts, else a boolean (B, 1, L, L) 'may attend'."""
    if attention_mask is None or bool(attention_mask.all()):
        return None
    keys = attention_mask.to(torch.bool)[:, None, None, :]
    return keys.expand(keys.shape[0], 1, length, keys.shape[-1])
