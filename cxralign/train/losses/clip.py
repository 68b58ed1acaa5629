"""Symmetric InfoNCE (CLIP), the base every other objective modifies.

Both directions are cross-entropies over the global batch; a target matrix (soft
labels, multi-positive sets) replaces the one-hot diagonal when given, and extra
image-to-text candidates (hard negatives) are appended as columns with target 0.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from cxralign.train.losses.batch import GlobalView, LossBatch, gather_view

MASKED_LOGIT = -1e9
"""Logit of a candidate that does not exist: exp() underflows to exactly 0 in float32."""


def soft_cross_entropy(logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """Per-row cross-entropy with a target distribution over the first ``targets.shape[1]`` columns.

    Columns beyond the targets (appended hard negatives) enter the normaliser only.
    Masked columns carry :data:`MASKED_LOGIT` (finite, so no ``0 * -inf`` and no NaN gradient).
    """
    log_probs = logits.log_softmax(dim=-1)[:, : targets.shape[1]]
    return -torch.where(targets > 0, targets * log_probs, torch.zeros_like(log_probs)).sum(dim=-1)


def contrastive_loss(
    batch: LossBatch,
    view: GlobalView,
    targets: torch.Tensor | None = None,
    extra_image_to_text: torch.Tensor | None = None,
) -> torch.Tensor:
    """½ (image→text + text→image) cross-entropy of local rows against global columns.

    ``targets``: (b, B) rows summing to 1 (None = the identity, i.e. plain InfoNCE).
    ``extra_image_to_text``: (b, K) logits of extra text candidates for each image only.
    """
    scale = batch.logit_scale
    logits_i2t = scale * batch.image @ view.text.T
    logits_t2i = scale * batch.text @ view.image.T
    if extra_image_to_text is not None:
        logits_i2t = torch.cat([logits_i2t, extra_image_to_text], dim=1)
    if targets is None:
        labels = view.local_diagonal(batch.image.shape[0], batch.image.device)
        per_row_i2t = F.cross_entropy(logits_i2t, labels, reduction="none")
        per_row_t2i = F.cross_entropy(logits_t2i, labels, reduction="none")
    else:
        per_row_i2t = soft_cross_entropy(logits_i2t, targets)
        per_row_t2i = soft_cross_entropy(logits_t2i, targets)
    return 0.5 * (view.row_mean(per_row_i2t) + view.row_mean(per_row_t2i))


class ClipLoss(nn.Module):
    """Plain CLIP InfoNCE; identical gradients for N ranks and for one rank holding the global batch."""

    def forward(self, batch: LossBatch, view: GlobalView | None = None) -> torch.Tensor:
        return contrastive_loss(batch, view or gather_view(batch))
