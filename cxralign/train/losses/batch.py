"""What every loss reads: one rank's features plus their all-rank (global batch) view.

Losses score the local rows against global columns (open_clip's ``local_loss`` with
``gather_with_grad``). Row means are taken over the *global* number of rows and
multiplied by the world size, so after DDP averages gradients the result is the
gradient of the global-batch loss, exactly, even when ranks hold different numbers
of valid rows (e.g. label-only samples without a graph).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import torch

from cxralign.utils import distributed


@dataclass
class LossBatch:
    """Features of this rank's samples, L2-normalised, in float32."""

    image: torch.Tensor  # (b, D)
    text: torch.Tensor  # (b, D): the report, or the rendered label text for label-only rows
    logit_scale: torch.Tensor  # scalar, already exponentiated
    clinical: torch.Tensor | None = None  # (b, C) clinical label vectors from the report engine
    relational: torch.Tensor | None = None  # (b, V) finding-attribute graph bag-of-triples
    negatives: torch.Tensor | None = None  # (b, K, D) verified rewritten (negated...) reports
    negatives_mask: torch.Tensor | None = None  # (b, K) True where a variant exists
    graph: torch.Tensor | None = None  # (b, D) finding-graph embeddings
    graph_key: torch.Tensor | None = None  # (b,) int64 hash of the graph; -1 = no graph
    label_text: torch.Tensor | None = None  # (b, D) label sets rendered through learnable prompts
    label_key: torch.Tensor | None = None  # (b,) int64 label-set id; -1 = labels unknown
    progress: float = 0.0  # fraction of training done, for schedules
    extras: dict[str, torch.Tensor] = field(default_factory=dict)


@dataclass
class GlobalView:
    """All-rank concatenations of the fields a loss needs (features keep their gradients)."""

    offset: int  # index of this rank's first row in the global batch
    world_size: int
    global_rows: int
    image: torch.Tensor
    text: torch.Tensor
    cache: dict[str, torch.Tensor | None] = field(default_factory=dict)

    def local_diagonal(self, local_rows: int, device: torch.device) -> torch.Tensor:
        """Global column index of each local row's own pair."""
        return torch.arange(local_rows, device=device) + self.offset

    def row_mean(self, per_row: torch.Tensor, global_count: float | None = None) -> torch.Tensor:
        """Sum of local row losses over the global row count, times world size (see module doc)."""
        count = self.global_rows if global_count is None else global_count
        return per_row.sum() * self.world_size / max(float(count), 1.0)


def gather_view(batch: LossBatch) -> GlobalView:
    """Gather image and text features from every rank, with gradients."""
    info = distributed.current()
    rows = batch.image.shape[0]
    image_all = distributed.gather_with_grad(batch.image)
    text_all = distributed.gather_with_grad(batch.text)
    return GlobalView(
        offset=info.rank * rows,
        world_size=info.world_size,
        global_rows=image_all.shape[0],
        image=image_all,
        text=text_all,
    )


def gathered(view: GlobalView, name: str, tensor: torch.Tensor | None, *, grad: bool) -> torch.Tensor | None:
    """Gather a field once per step and remember it (soft labels and UMCL share label keys)."""
    if tensor is None:
        return None
    if name not in view.cache:
        view.cache[name] = (
            distributed.gather_with_grad(tensor) if grad else distributed.gather_no_grad(tensor.detach())
        )
    return view.cache[name]
