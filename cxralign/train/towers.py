"""Image towers: a small CPU-friendly CNN by default, any timm or open_clip vision model on request.

Tower names (``IMAGE_TOWERS``, by scheme): ``tiny-cnn`` (ours), ``timm:<model>`` (e.g. ``timm:resnet18``,
``timm:vit_base_patch16_224``, ``timm:swin_tiny_patch4_window7_224``) and
``open_clip:<arch>`` (the visual tower of e.g. ``open_clip:ViT-B-16``). Towers are
built with random weights: nothing is downloaded; start from local weights with
``image_checkpoint``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch
from torch import nn

from cxralign.errors import ConfigError
from cxralign.utils.registry import Registry


class TinyCNN(nn.Module):
    """Stride-2 conv stages with GroupNorm (batch-independent: DDP equals the global batch).

    The first stage is a single strided conv (a stem: full-resolution convs dominate
    CPU time for little gain); later stages add a second conv. The last feature map
    is pooled to a small grid and flattened rather than averaged, so the features
    keep where a finding is (left vs right matters).
    """

    def __init__(
        self, in_channels: int = 1, widths: tuple[int, ...] = (32, 64, 96, 128), grid: int = 4
    ) -> None:
        super().__init__()
        layers: list[nn.Module] = []
        previous = in_channels
        for stage, width in enumerate(widths):
            layers += [
                nn.Conv2d(previous, width, kernel_size=3, stride=2, padding=1, bias=False),
                nn.GroupNorm(min(8, width), width),
                nn.GELU(),
            ]
            if stage > 0:
                layers += [
                    nn.Conv2d(width, width, kernel_size=3, padding=1, bias=False),
                    nn.GroupNorm(min(8, width), width),
                    nn.GELU(),
                ]
            previous = width
        self.features = nn.Sequential(*layers)
        self.pool = nn.AdaptiveAvgPool2d(grid)
        self.num_features = previous * grid * grid

    def forward(self, pixels: torch.Tensor) -> torch.Tensor:
        return self.pool(self.features(pixels)).flatten(1)


TowerBuilder = Callable[[str, int, int, dict[str, Any]], nn.Module]
IMAGE_TOWERS: Registry[TowerBuilder] = Registry("model.image_tower scheme", entry_point_group="cxralign.image_towers")
"""``SCHEME`` of ``model.image_tower: SCHEME[:TARGET]`` -> ``builder(target, in_channels, image_size, kwargs)``."""


@IMAGE_TOWERS.register("tiny-cnn")
def _tiny_cnn(target: str, in_channels: int, image_size: int, kwargs: dict[str, Any]) -> nn.Module:
    widths = tuple(kwargs.get("widths", (32, 64, 96, 128)))
    return TinyCNN(in_channels, widths=widths, grid=int(kwargs.get("grid", 4)))


@IMAGE_TOWERS.register("timm")
def _timm(target: str, in_channels: int, image_size: int, kwargs: dict[str, Any]) -> nn.Module:
    import timm

    extra = dict(kwargs)
    if "vit" in target or "swin" in target or "deit" in target:
        extra.setdefault("img_size", image_size)
    try:
        return timm.create_model(target, pretrained=False, num_classes=0, in_chans=in_channels, **extra)
    except (RuntimeError, TypeError, ValueError) as error:
        raise ConfigError(f"model.image_tower timm:{target}: timm cannot build it ({error})") from error


@IMAGE_TOWERS.register("open_clip")
def _open_clip(target: str, in_channels: int, image_size: int, kwargs: dict[str, Any]) -> nn.Module:
    import open_clip

    if in_channels != 3:
        raise ConfigError("model.image_tower open_clip:* needs model.in_channels: 3")
    try:
        visual = open_clip.create_model(target, pretrained=None, **kwargs).visual
    except RuntimeError as error:
        raise ConfigError(f"model.image_tower open_clip:{target}: open_clip cannot build it ({error})") from error
    visual.num_features = int(visual.output_dim)
    return visual


def build_image_tower(name: str, in_channels: int, image_size: int, kwargs: dict[str, Any]) -> nn.Module:
    """A module mapping (N, C, H, W) pixels to (N, F) features, with ``num_features`` set."""
    scheme, _, target = name.partition(":")
    builder = IMAGE_TOWERS.get(scheme)
    if scheme != "tiny-cnn" and not target:
        raise ConfigError(f"model.image_tower {name!r}: name the model, e.g. {scheme}:resnet18")
    return builder(target, in_channels, image_size, kwargs)


def infer_feature_dim(tower: nn.Module, in_channels: int, image_size: int) -> int:
    """Output width of a tower, from one dummy forward pass (robust across timm/open_clip versions)."""
    was_training = tower.training
    tower.eval()
    with torch.no_grad():
        out = tower(torch.zeros(1, in_channels, image_size, image_size))
    tower.train(was_training)
    if isinstance(out, tuple | list):
        out = out[0]
    return int(out.reshape(1, -1).shape[1])
