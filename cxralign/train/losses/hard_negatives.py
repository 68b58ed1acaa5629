"""Negation-aware hard negatives: rewritten reports that contradict the image.

For image i with report r_i, the rewriting engine produces verified variants
(finding negated; optionally omitted or side-swapped). Their embeddings h_ik join
the image-to-text softmax of image i only:

    L_i2t(i) = -log  exp(s u_i·v_i) / ( Σ_j exp(s u_i·v_j) + β Σ_k m_ik exp(s u_i·h_ik) )

β (``weight``) scales their share of the normaliser (logit offset log β); m_ik masks
samples with fewer than K variants. The text-to-image direction is unchanged: a
negated report describes no image in the batch, so it has no positive to score.
"""

from __future__ import annotations

import math

import torch

from cxralign.train.losses.clip import MASKED_LOGIT


def hard_negative_logits(
    image: torch.Tensor,
    negatives: torch.Tensor,
    mask: torch.Tensor,
    logit_scale: torch.Tensor,
    weight: float = 1.0,
) -> torch.Tensor:
    """(b, D) images × (b, K, D) their own negatives -> (b, K) logits (masked ones get no mass)."""
    if weight <= 0:
        raise ValueError("hard-negative weight must be > 0")
    logits = logit_scale * torch.einsum("bd,bkd->bk", image, negatives) + math.log(weight)
    return logits.masked_fill(~mask.bool(), MASKED_LOGIT)
