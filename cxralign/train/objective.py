"""The trainable step (model + auxiliary heads) and the configured sum of losses.

``TrainStep`` is what DistributedDataParallel wraps: one forward computes every
feature any enabled loss needs (reports and their hard negatives go through the
text tower together, in buckets of similar length; each distinct label set's prompt
once). ``Objective`` turns those features into a ``LossBatch`` and hands it to the
configured :class:`WeightedLossSum`; it holds no parameters of its own.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
import torch.nn.functional as F
from torch import nn

from cxralign.train.config import LossConfig
from cxralign.train.data import PreparedData, TrainBatch
from cxralign.train.losses import GraphEncoder, LabelPromptEncoder, LossBatch
from cxralign.train.losses.compose import WeightedLossSum
from cxralign.train.model import ReferenceModel


def _pad_to(ids: torch.Tensor, length: int, value: int) -> torch.Tensor:
    return F.pad(ids, (0, length - ids.shape[1]), value=value) if ids.shape[1] < length else ids


ROWS_PER_LENGTH_BUCKET = 28
"""Rows of similar length the text tower embeds per call (fewer calls cost more padding)."""


def encode_by_length(
    encode: Callable[[torch.Tensor, torch.Tensor], torch.Tensor], inputs: torch.Tensor, mask: torch.Tensor
) -> torch.Tensor:
    """``encode(inputs, mask)`` with rows sorted by length and embedded in buckets cut to their longest row.

    Padding costs as much as text in every layer, and reports differ in length; a
    masked position changes no other position's output, so each row's embedding is the
    one-call embedding up to float rounding. Left-padded batches are encoded in one call.
    """
    lengths = mask.sum(dim=1)
    buckets = -(-mask.shape[0] // ROWS_PER_LENGTH_BUCKET)
    right_padded = bool((mask == (torch.arange(mask.shape[1], device=mask.device) < lengths[:, None])).all())
    if buckets < 2 or not right_padded:
        return encode(inputs, mask)
    order = torch.argsort(lengths, stable=True)
    parts = []
    for rows in torch.tensor_split(order, buckets):
        longest = int(lengths[rows].max())
        parts.append(encode(inputs[rows, :longest], mask[rows, :longest]))
    return torch.cat(parts)[torch.argsort(order)]


class TrainStep(nn.Module):
    """Reference model plus the graph encoder and label prompts when their losses are on."""

    def __init__(self, model: ReferenceModel, losses: LossConfig, data: PreparedData) -> None:
        super().__init__()
        self.model = model
        self.losses = losses
        self.graph_encoder = (
            GraphEncoder(len(data.triple_vocab), model.config.embed_dim, losses.graph.hidden_dim)
            if losses.uses("graph")
            else None
        )
        self.prompts = None
        if losses.uses("umcl"):
            tokenizer = model.tokenizer

            def tokenize(text: str) -> list[int]:
                return tokenizer(text, add_special_tokens=False)["input_ids"]

            self.prompts = LabelPromptEncoder(
                data.label_vocab,
                model.word_embeddings(),
                tokenize,
                context_length=losses.umcl.context_length,
                position=losses.umcl.position,
                cls_id=tokenizer.cls_token_id,
                sep_id=tokenizer.sep_token_id,
                max_length=model.config.context_length,
            )
        self.pad_id = int(model.tokenizer.pad_token_id or 0)

    def auxiliary_state(self) -> dict[str, dict[str, torch.Tensor]]:
        """Weights that are trained but not part of the exported model."""
        state = {}
        if self.graph_encoder is not None:
            state["graph_encoder"] = self.graph_encoder.state_dict()
        if self.prompts is not None:
            state["prompts"] = self.prompts.state_dict()
        return state

    def load_auxiliary_state(self, state: dict[str, dict[str, torch.Tensor]]) -> None:
        if self.graph_encoder is not None:
            self.graph_encoder.load_state_dict(state["graph_encoder"])
        if self.prompts is not None:
            self.prompts.load_state_dict(state["prompts"])

    def forward(self, batch: TrainBatch) -> dict[str, torch.Tensor]:
        model = self.model
        rows = batch.pixels.shape[0]
        out: dict[str, torch.Tensor] = {"image": F.normalize(model.encode_image(batch.pixels), dim=-1)}
        ids, mask = batch.input_ids, batch.attention_mask
        use_negatives = self.losses.uses("neg") and batch.negative_mask is not None
        if use_negatives and batch.negative_input_ids is not None:
            length = max(ids.shape[1], batch.negative_input_ids.shape[1])
            ids = torch.cat(
                [_pad_to(ids, length, self.pad_id), _pad_to(batch.negative_input_ids, length, self.pad_id)]
            )
            mask = torch.cat([_pad_to(mask, length, 0), _pad_to(batch.negative_attention_mask, length, 0)])
        text = F.normalize(encode_by_length(model.encode_text, ids, mask), dim=-1)
        out["text"] = text[:rows]
        if use_negatives:
            mask = batch.negative_mask
            negatives = text.new_zeros(mask.numel(), text.shape[-1])
            negatives = negatives.index_put((mask.flatten().nonzero().squeeze(1),), text[rows:])
            out["negatives"] = negatives.reshape(*mask.shape, text.shape[-1])
        if self.prompts is not None:
            # one text-tower row per distinct label set; rows sharing a set share its embedding
            distinct, row_of = torch.unique(batch.label_key.clamp_min(0), return_inverse=True)
            prompt_embeds, prompt_mask = self.prompts(distinct.tolist())
            prompts = encode_by_length(model.encode_text_embeds, prompt_embeds, prompt_mask)
            labels = F.normalize(prompts, dim=-1)[row_of]
            out["label_text"] = labels
            out["text"] = torch.where(batch.has_report[:, None], out["text"], labels)
        if self.graph_encoder is not None:
            out["graph"] = F.normalize(self.graph_encoder(batch.triple_ids), dim=-1)
        out["logit_scale"] = model.scale()
        return out


class Objective:
    """Features of a step -> :class:`LossBatch` -> the configured weighted sum of losses (docs/losses.md)."""

    def __init__(self, losses: LossConfig) -> None:
        self.config = losses
        self.losses = WeightedLossSum.from_config(losses)

    @staticmethod
    def loss_batch(features: dict[str, torch.Tensor], batch: TrainBatch, progress: float) -> LossBatch:
        def as_float(name: str) -> torch.Tensor | None:
            value = features.get(name)
            return None if value is None else value.float()

        return LossBatch(
            image=features["image"].float(),
            text=features["text"].float(),
            logit_scale=features["logit_scale"].float(),
            clinical=batch.clinical,
            relational=batch.relational,
            negatives=as_float("negatives"),
            negatives_mask=batch.negative_mask,
            graph=as_float("graph"),
            graph_key=batch.graph_key,
            label_text=as_float("label_text"),
            label_key=batch.label_key,
            progress=progress,
        )

    def __call__(
        self, features: dict[str, torch.Tensor], batch: TrainBatch, progress: float
    ) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        return self.losses(self.loss_batch(features, batch, progress))
