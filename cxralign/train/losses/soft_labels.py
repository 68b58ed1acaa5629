"""Dynamic soft labels: contrastive targets that credit clinically equivalent reports.

For the global batch, three report-report similarity matrices are turned into row
distributions with a temperature each and mixed with the identity:

    T = (1 - a(t)·Σw) I + a(t) (w_text P_text + w_clin P_clin + w_rel P_rel)
    P_k = softmax_row(S_k / τ_k)

S_text: cosine of the current text embeddings (stop-gradient), S_clin: cosine of
clinical label vectors, S_rel: cosine of bag-of-triples finding graphs. a(t) ramps
from 0 to 1 over ``warmup_fraction`` of training (the text encoder is meaningless at
the start). All weights zero gives T = I: exactly InfoNCE.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from cxralign.train.losses.batch import GlobalView, LossBatch, gathered


def soft_label_schedule(progress: float, schedule: str, warmup_fraction: float) -> float:
    """Multiplier a(t) in [0, 1] of the soft-label weights at a fraction ``progress`` of training."""
    if schedule == "constant" or warmup_fraction <= 0:
        return 1.0
    ramp = min(max(progress / warmup_fraction, 0.0), 1.0)
    if schedule == "linear":
        return ramp
    if schedule == "cosine":
        return 0.5 * (1.0 - math.cos(math.pi * ramp))
    raise ValueError(f"unknown soft-label schedule {schedule!r}")


def pairwise_cosine(local: torch.Tensor, everyone: torch.Tensor, offset: int) -> torch.Tensor:
    """(b, B) cosine similarity; a sample is always fully similar to itself (even an all-zero vector)."""
    sim = F.normalize(local.float(), dim=-1, eps=1e-8) @ F.normalize(everyone.float(), dim=-1, eps=1e-8).T
    rows = torch.arange(local.shape[0], device=local.device)
    sim[rows, rows + offset] = 1.0
    return sim


class SoftLabelTargets(nn.Module):
    """Builds the (b, B) target matrix; no parameters, no gradient."""

    def __init__(
        self,
        text_weight: float = 0.0,
        clinical_weight: float = 0.0,
        relational_weight: float = 0.0,
        text_temperature: float = 0.1,
        clinical_temperature: float = 0.1,
        relational_temperature: float = 0.1,
        schedule: str = "linear",
        warmup_fraction: float = 0.2,
    ) -> None:
        super().__init__()
        total = text_weight + clinical_weight + relational_weight
        if min(text_weight, clinical_weight, relational_weight) < 0 or total > 1 + 1e-9:
            raise ValueError("soft-label weights must be >= 0 and sum to at most 1")
        self.weights = {"text": text_weight, "clinical": clinical_weight, "relational": relational_weight}
        self.temperatures = {
            "text": text_temperature,
            "clinical": clinical_temperature,
            "relational": relational_temperature,
        }
        self.schedule = schedule
        self.warmup_fraction = warmup_fraction

    @torch.no_grad()
    def forward(
        self, batch: LossBatch, view: GlobalView, base: torch.Tensor | None = None
    ) -> torch.Tensor | None:
        """Targets for this rank's rows; ``base`` replaces the identity (UMCL's label-set targets).

        Returns ``base`` unchanged (None = plain InfoNCE) when every effective weight is zero.
        """
        ramp = soft_label_schedule(batch.progress, self.schedule, self.warmup_fraction)
        sources = {
            "text": (batch.text.detach(), view.text.detach()),
            "clinical": (batch.clinical, gathered(view, "clinical", batch.clinical, grad=False)),
            "relational": (batch.relational, gathered(view, "relational", batch.relational, grad=False)),
        }
        rows = batch.image.shape[0]
        identity = torch.zeros(rows, view.global_rows, device=batch.image.device)
        identity[torch.arange(rows), view.local_diagonal(rows, identity.device)] = 1.0
        targets = identity.clone()
        mixed = 0.0
        for name, weight in self.weights.items():
            effective = ramp * weight
            if effective == 0:
                continue
            local, everyone = sources[name]
            if local is None or everyone is None:
                raise ValueError(f"soft labels need {name} features in the batch (weight {weight} > 0)")
            sim = pairwise_cosine(local, everyone, view.offset)
            targets += effective * (sim / self.temperatures[name]).softmax(dim=-1)
            mixed += effective
        if mixed == 0:
            return base
        anchor = identity if base is None else base
        return targets - identity + (1.0 - mixed) * anchor
