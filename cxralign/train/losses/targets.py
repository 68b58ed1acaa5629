"""Multi-positive targets: every pair sharing a key (label set, finding graph) is a positive."""

from __future__ import annotations

import torch


def multi_positive_targets(local_keys: torch.Tensor, global_keys: torch.Tensor, offset: int) -> torch.Tensor:
    """(b, B) rows uniform over the columns with the same key; key < 0 means unknown (self only).

    This is UniCL's target: with all keys distinct it is the identity (InfoNCE).
    """
    rows = torch.arange(local_keys.shape[0], device=local_keys.device)
    same = local_keys[:, None] == global_keys[None, :]
    same &= (local_keys >= 0)[:, None]
    same[rows, rows + offset] = True
    same = same.float()
    return same / same.sum(dim=-1, keepdim=True)
