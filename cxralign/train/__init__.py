"""The reference trainer: dual-encoder model, the proposed losses, and a resumable DDP loop.

Public names: :class:`ReferenceModel` (``from_pretrained`` / ``save_pretrained``),
:func:`train`, :func:`build_config` / :class:`TrainConfig`, and the losses in
:mod:`cxralign.train.losses`. Heavy imports stay lazy so ``import cxralign.train``
is cheap.
"""

from __future__ import annotations

from typing import Any

__all__ = ["ReferenceModel", "ReferenceModelConfig", "TrainConfig", "build_config", "train"]


def __getattr__(name: str) -> Any:
    if name in ("ReferenceModel", "ReferenceModelConfig"):
        from cxralign.train import model

        return getattr(model, name)
    if name in ("TrainConfig", "build_config"):
        from cxralign.train import config

        return getattr(config, name)
    if name == "train":
        from cxralign.train.trainer import train

        return train
    raise AttributeError(name)
