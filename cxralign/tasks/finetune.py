"""Fine-tuning: the image encoder plus a linear head, trained end to end with torch.

A copy of the model's image tower is trained (the loaded model is untouched for
the other tasks). Options (``--epochs`` and task options): ``epochs``,
``lr_encoder``, ``lr_head``, ``weight_decay``, ``freeze_fraction`` (the first
share of the image tower's parameter tensors kept frozen; 1.0 trains the head
only), ``patience``, ``ft_batch_size``. Multi-label and binary tasks use a
masked binary cross-entropy (unknown labels contribute nothing), multi-class a
cross-entropy. After every epoch the validation mean AUROC (multi-class:
accuracy) is measured; the best epoch's weights score the test split, and
training stops after ``patience`` epochs without improvement. Label fractions
and seeds as in the linear probe. Runs on CPU for small models, on the
model's device otherwise.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from cxralign.data.downstream.base import DownstreamDataset
from cxralign.errors import ConfigError
from cxralign.tasks.base import RunContext
from cxralign.tasks.metrics import auroc
from cxralign.tasks.registry import register_task
from cxralign.tasks.shared import TrainedTask, trained_metadata

if TYPE_CHECKING:  # torch is imported when a fine-tune runs, not when a result is re-verified
    import torch
    from torch import nn

DEFAULTS = {
    "epochs": 5,
    "lr_encoder": 1e-5,
    "lr_head": 1e-3,
    "weight_decay": 1e-4,
    "freeze_fraction": 0.0,
    "patience": 2,
    "ft_batch_size": 32,
}


def image_tower(model: Any) -> tuple[nn.Module, Callable[[torch.Tensor], torch.Tensor], list[nn.Parameter]]:
    """A trainable copy of the model's image encoder: (owner module, forward, image parameters in order)."""
    from torch import nn

    if hasattr(model, "_image_features") and isinstance(getattr(model, "module", None), nn.Module):
        clone = copy.deepcopy(model)
        clone.module.float()
        tower = (
            getattr(clone.module, "visual", None)
            or getattr(clone.module, "vision_model", None)
            or clone.module
        )
        return clone.module, clone._image_features, list(tower.parameters())
    if isinstance(model, nn.Module) and hasattr(model, "image_features"):
        clone = copy.deepcopy(model).float()
        return clone, clone.image_features, list(clone.parameters())
    raise ConfigError(
        f"model {getattr(model, 'spec', model)!r} does not expose a trainable image encoder for fine-tuning"
    )


def load_pixels(model: Any, paths: list) -> torch.Tensor:
    import torch

    from cxralign.data.images import load_image

    transform = model.image_transform()
    return torch.stack([transform(load_image(p)) for p in paths]).float()


def _validation_score(logits: np.ndarray, labels: np.ndarray, kind: str) -> float:
    if kind == "multiclass":
        return float(np.mean(np.argmax(logits, 1) == np.argmax(labels, 1)))
    values = [
        auroc(labels[m, k], logits[m, k]) for k in range(labels.shape[1]) for m in [np.isfinite(labels[:, k])]
    ]
    values = [v for v in values if v is not None]
    return float(np.mean(values)) if values else float("-inf")


def train_one(
    model: Any,
    x_train: torch.Tensor,
    y_train: np.ndarray,
    x_val: torch.Tensor,
    y_val: np.ndarray,
    x_test: torch.Tensor,
    kind: str,
    seed: int,
    options: dict[str, Any],
    device: str,
) -> tuple[np.ndarray, dict[str, Any]]:
    """Train from the pretrained weights; return test logits of the best validation epoch and a log."""
    import torch
    from torch import nn

    torch.manual_seed(seed)
    owner, forward, params = image_tower(model)
    owner.to(device)
    n_frozen = int(round(float(options["freeze_fraction"]) * len(params)))
    for p in owner.parameters():
        p.requires_grad_(False)
    trainable = params[n_frozen:]
    for p in trainable:
        p.requires_grad_(True)
    with torch.no_grad():
        dim = forward(x_train[:1].to(device)).shape[1]
    head = nn.Linear(dim, y_train.shape[1]).to(device)
    groups = [{"params": head.parameters(), "lr": float(options["lr_head"])}]
    if trainable:
        groups.append({"params": trainable, "lr": float(options["lr_encoder"])})
    optimiser = torch.optim.AdamW(groups, weight_decay=float(options["weight_decay"]))
    targets = torch.from_numpy(np.nan_to_num(y_train)).float()
    known = torch.from_numpy(np.isfinite(y_train)).float()
    generator = torch.Generator().manual_seed(seed)
    batch = int(options["ft_batch_size"])

    def predict(x: torch.Tensor) -> np.ndarray:
        owner.eval()
        with torch.no_grad():
            return torch.cat(
                [head(forward(x[i : i + batch].to(device))).cpu() for i in range(0, len(x), batch)]
            ).numpy()

    best, best_state, best_epoch, history, stale = float("-inf"), None, 0, [], 0
    for epoch in range(1, int(options["epochs"]) + 1):
        owner.train()
        order = torch.randperm(len(x_train), generator=generator)
        for i in range(0, len(order), batch):
            idx = order[i : i + batch]
            logits = head(forward(x_train[idx].to(device)))
            if kind == "multiclass":
                loss = nn.functional.cross_entropy(logits, targets[idx].argmax(1).to(device))
            else:
                raw = nn.functional.binary_cross_entropy_with_logits(
                    logits, targets[idx].to(device), reduction="none"
                )
                mask = known[idx].to(device)
                loss = (raw * mask).sum() / mask.sum().clamp(min=1.0)
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
        score = _validation_score(predict(x_val), y_val, kind)
        history.append(round(score, 6))
        if score > best:
            best, best_epoch, stale = score, epoch, 0
            best_state = (copy.deepcopy(owner.state_dict()), copy.deepcopy(head.state_dict()))
        else:
            stale += 1
            if stale >= int(options["patience"]):
                break
    if best_state is not None:
        owner.load_state_dict(best_state[0])
        head.load_state_dict(best_state[1])
    test_logits = predict(x_test)
    return test_logits, {
        "best_epoch": best_epoch,
        "val_history": history,
        "trainable_tensors": len(trainable),
    }


@register_task
class FineTuneTask(TrainedTask):
    metadata = trained_metadata(
        "finetune",
        "Image encoder + linear head trained end to end at 1/10/100% labels over seeds, "
        "early stopping on validation AUROC: AUROC and AP with spread.",
        metrics=("auroc.mean@1%", "auroc.mean@10%", "auroc.mean@100%"),
        reference="BenchX (medical VLP fine-tuning with label fractions and seeds)",
    )
    timing = "train_s"

    def settings(self, ctx: RunContext) -> dict[str, Any]:
        return {k: ctx.options.get(k, v) for k, v in DEFAULTS.items()}

    def features(self, ctx: RunContext, data: DownstreamDataset, frame: pd.DataFrame, split: str) -> torch.Tensor:
        """The split's images as the model's input tensors (the encoder is trained on pixels)."""
        return load_pixels(ctx.model, data.image_sources(frame))

    def fit(self, ctx, settings, train, valid, x_test, seed) -> tuple[np.ndarray, dict[str, Any]]:
        device = "cpu" if str(ctx.device) in ("auto", "") else str(ctx.device)
        return train_one(ctx.model, *train, *valid, x_test, ctx.data.kind, seed, settings, device)

    def fit_config(self, log: dict[str, Any]) -> dict[str, Any]:
        return {
            "early_stopping": "validation mean AUROC (multi-class: accuracy)",
            "training_log": log,
            "optimiser": "AdamW",
        }
