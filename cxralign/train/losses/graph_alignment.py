"""Medical graph alignment: pull each image towards an embedding of its report's finding graph.

A report's finding graph is a set of (finding, relation, value) triples from the
report engine, e.g. (effusion, assertion, present), (effusion, laterality, left).
A bag-of-triples encoder (embedding mean + MLP) maps it to the joint space and a
multi-positive InfoNCE with its own temperature aligns images with graphs:

    L_graph = ½ [ CE(u_i · g_j / τ_g, Y) + CE(g_i · u_j / τ_g, Y) ],   Y_ij ∝ 1[graph_i = graph_j]

Identical graphs (say, two normal studies) are positives, not false negatives.
The graph signal is explicit about negation and side, which a text encoder is
slow to learn from small data. Rows without a graph are left out (key -1).
"""

from __future__ import annotations

import torch
from torch import nn

from cxralign.train.losses.batch import GlobalView, LossBatch, gathered
from cxralign.train.losses.clip import MASKED_LOGIT, soft_cross_entropy
from cxralign.train.losses.targets import multi_positive_targets


class GraphEncoder(nn.Module):
    """Padded triple ids (b, L), 0 = padding -> (b, D) unnormalised graph embeddings."""

    def __init__(self, vocab_size: int, embed_dim: int, hidden_dim: int = 128) -> None:
        super().__init__()
        self.embedding = nn.Embedding(vocab_size + 1, hidden_dim, padding_idx=0)
        self.head = nn.Sequential(nn.LayerNorm(hidden_dim), nn.Linear(hidden_dim, hidden_dim), nn.GELU())
        self.proj = nn.Linear(hidden_dim, embed_dim)
        nn.init.normal_(self.embedding.weight, std=0.02)

    def forward(self, triple_ids: torch.Tensor) -> torch.Tensor:
        mask = (triple_ids > 0).unsqueeze(-1).float()
        pooled = (self.embedding(triple_ids) * mask).sum(1) / mask.sum(1).clamp_min(1.0)
        return self.proj(self.head(pooled))


class GraphAlignmentLoss(nn.Module):
    """Image↔graph multi-positive InfoNCE over the rows that have a graph."""

    def __init__(self, temperature: float = 0.07) -> None:
        super().__init__()
        if temperature <= 0:
            raise ValueError("graph temperature must be > 0")
        self.temperature = temperature

    def forward(self, batch: LossBatch, view: GlobalView) -> torch.Tensor:
        if batch.graph is None or batch.graph_key is None:
            raise ValueError("graph alignment needs graph embeddings and graph keys in the batch")
        graph_all = gathered(view, "graph", batch.graph, grad=True)
        keys_all = gathered(view, "graph_key", batch.graph_key, grad=False)
        assert graph_all is not None and keys_all is not None
        has_local = batch.graph_key >= 0
        has_all = keys_all >= 0
        targets = multi_positive_targets(batch.graph_key, keys_all, view.offset) * has_all.float()
        targets = targets / targets.sum(-1, keepdim=True).clamp_min(1e-12)
        column_mask = torch.where(has_all, 0.0, MASKED_LOGIT).to(batch.image.dtype)
        logits_ig = batch.image @ graph_all.T / self.temperature + column_mask
        logits_gi = batch.graph @ view.image.T / self.temperature + column_mask
        per_row = 0.5 * (soft_cross_entropy(logits_ig, targets) + soft_cross_entropy(logits_gi, targets))
        per_row = torch.where(has_local, per_row, torch.zeros_like(per_row))
        return view.row_mean(per_row, global_count=float(has_all.sum()))
