"""The training objective as a weighted sum of loss classes (open_clip ``loss.py`` style).

Every loss is an ``nn.Module`` with one signature, ``forward(batch, view) -> scalar``;
:class:`WeightedLossSum` adds them with the weights of the configuration. ``soft`` and
``neg`` are not terms of their own: they change the targets and the candidates of the
image-text term (:class:`ContrastiveLoss`), as docs/losses.md explains. The registry
:data:`LOSSES` maps a configured loss name to the builder of its term.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch
from torch import nn

from cxralign.train.config import LossConfig
from cxralign.train.losses.batch import GlobalView, LossBatch, gather_view
from cxralign.train.losses.clip import contrastive_loss
from cxralign.train.losses.graph_alignment import GraphAlignmentLoss
from cxralign.train.losses.hard_negatives import hard_negative_logits
from cxralign.train.losses.soft_labels import SoftLabelTargets
from cxralign.train.losses.umcl import UMCLLoss, label_targets
from cxralign.utils.registry import Registry


class ContrastiveLoss(nn.Module):
    """The image-text InfoNCE term with its configured modifiers.

    ``soft``: soft targets mixed into the identity; ``multi_positive``: UniCL label-set
    targets replace the identity (UMCL on); ``negative_weight``: hard negatives join the
    image-to-text normaliser when the batch carries them.
    """

    def __init__(
        self,
        soft: SoftLabelTargets | None = None,
        multi_positive: bool = False,
        negative_weight: float = 1.0,
    ) -> None:
        super().__init__()
        self.soft = soft
        self.multi_positive = multi_positive
        self.negative_weight = negative_weight

    def forward(self, batch: LossBatch, view: GlobalView) -> torch.Tensor:
        base = label_targets(batch, view) if self.multi_positive else None
        targets = self.soft(batch, view, base) if self.soft is not None else base
        extra = None
        if batch.negatives is not None:
            extra = hard_negative_logits(
                batch.image, batch.negatives, batch.negatives_mask, batch.logit_scale, self.negative_weight
            )
        return contrastive_loss(batch, view, targets, extra)


def _contrastive(config: LossConfig) -> nn.Module:
    soft = config.soft
    targets = (
        SoftLabelTargets(
            soft.text_weight,
            soft.clinical_weight,
            soft.relational_weight,
            soft.text_temperature,
            soft.clinical_temperature,
            soft.relational_temperature,
            soft.schedule,
            soft.warmup_fraction,
        )
        if config.uses("soft")
        else None
    )
    return ContrastiveLoss(targets, config.uses("umcl"), config.negatives.weight)


@dataclass(frozen=True)
class LossTerm:
    """A configured loss name -> (logged part name, weight from the config, builder)."""

    part: str
    weight: Callable[[LossConfig], float]
    build: Callable[[LossConfig], nn.Module]


LOSSES: Registry[LossTerm] = Registry("loss")
"""Losses that add a term, in the order they are summed; ``soft`` and ``neg`` modify the ``clip`` term instead.
(No entry-point group: the training config accepts only ``config.LOSS_NAMES``.)"""
LOSSES.register("clip", LossTerm("contrastive", lambda c: 1.0, _contrastive))
LOSSES.register(
    "graph", LossTerm("graph", lambda c: c.graph.weight, lambda c: GraphAlignmentLoss(c.graph.temperature))
)
LOSSES.register("umcl", LossTerm("umcl", lambda c: c.umcl.weight, lambda c: UMCLLoss()))

MODIFIERS = ("soft", "neg")


class WeightedLossSum:
    """Σ weight · loss(batch, view) over the enabled terms; returns the total and the weighted parts."""

    def __init__(self, terms: list[tuple[str, float, nn.Module]]) -> None:
        self.terms = terms

    @classmethod
    def from_config(cls, config: LossConfig) -> WeightedLossSum:
        terms = [LOSSES.get(name) for name in LOSSES if config.uses(name)]  # registry order: clip, graph, umcl
        return cls([(term.part, term.weight(config), term.build(config)) for term in terms])

    def __call__(self, batch: LossBatch) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        view = gather_view(batch)
        parts = {}
        for part, weight, loss in self.terms:
            value = loss(batch, view)
            parts[part] = value if weight == 1.0 else weight * value
        return torch.stack(list(parts.values())).sum(), parts
