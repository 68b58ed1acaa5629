"""The reference model's towers, each kind a registry of schemes (``SCHEME[:TARGET]``).

Image towers (``IMAGE_TOWERS``): ``tiny-cnn`` (ours, the default), ``timm:<model>`` (e.g.
``timm:resnet18``, ``timm:vit_base_patch16_224``, ``timm:swin_tiny_patch4_window7_224``) and
``open_clip:<arch>`` (the visual tower of e.g. ``open_clip:ViT-B-16``). They are built with random
weights: nothing is downloaded; start from local weights with ``image_checkpoint``.

Text towers (``TEXT_TOWERS``): ``tiny-bert`` (the default: :mod:`cxralign.train.bert`'s native BERT
with a WordPiece vocabulary trained on the training reports) and ``hf:<dir>`` (a local Hugging Face
encoder directory with its own tokenizer and weights; a bare directory path is read as ``hf:<dir>``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from torch import nn

from cxralign.errors import ConfigError, InputError
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


@dataclass(frozen=True)
class TextTower:
    """How one text-tower scheme makes a new tower and loads a saved one.

    ``create(target, tokenizer)`` -> (tokenizer, text model), the model ``None`` where the
    reference model builds its own (tiny-bert, seeded from transformers' initial weights);
    ``load(target, root)`` -> (tokenizer, or ``None`` while it can wait on disk; the text model
    with random weights) of a saved model directory ``root``. ``trains_tokenizer``: the trainer
    trains a WordPiece vocabulary on the training reports, and the ``reference:`` adapter reads it
    with the ``tokenizers`` library.
    """

    create: Callable[[str, Any], tuple[Any, nn.Module | None]]
    load: Callable[[str, Path], tuple[Any, nn.Module]]
    trains_tokenizer: bool = False


TEXT_TOWERS: Registry[TextTower] = Registry("model.text_tower scheme", entry_point_group="cxralign.text_towers")
"""``SCHEME`` of ``model.text_tower: SCHEME[:TARGET]`` -> its :class:`TextTower`."""


def _saved_text_dir(root: Path) -> Path:
    text_dir = root / "text"
    if not (text_dir / "config.json").is_file():
        raise InputError(f"{root} is not a complete reference model directory (no text/config.json)")
    return text_dir


def _tiny_bert_create(target: str, tokenizer: Any) -> tuple[Any, nn.Module | None]:
    if tokenizer is None:
        raise ConfigError("the tiny-bert text tower needs a tokenizer trained on the training reports")
    return tokenizer, None


def _tiny_bert_load(target: str, root: Path) -> tuple[Any, nn.Module]:
    from cxralign.train.bert import BertTextConfig, BertTextEncoder

    text_dir = _saved_text_dir(root)
    try:
        config = BertTextConfig.from_directory(text_dir)
    except (ValueError, KeyError, TypeError) as error:
        raise InputError(f"{text_dir / 'config.json'} is not a valid BERT config: {error}") from error
    return None, BertTextEncoder(config)


def _hf_create(target: str, tokenizer: Any) -> tuple[Any, nn.Module | None]:
    from transformers import AutoModel, AutoTokenizer

    if not (Path(target) / "config.json").is_file():
        raise ConfigError(f"model.text_tower hf:{target}: not a local Hugging Face model directory (no config.json)")
    tokenizer = tokenizer or AutoTokenizer.from_pretrained(target)
    return tokenizer, AutoModel.from_pretrained(target, add_pooling_layer=False)


def _hf_load(target: str, root: Path) -> tuple[Any, nn.Module]:
    from transformers import AutoConfig, AutoModel

    from cxralign.train.tokenizer import load_tokenizer

    config = AutoConfig.from_pretrained(str(_saved_text_dir(root)))
    return load_tokenizer(root / "tokenizer"), AutoModel.from_config(config, add_pooling_layer=False)


TEXT_TOWERS.register("tiny-bert", TextTower(_tiny_bert_create, _tiny_bert_load, trains_tokenizer=True))
TEXT_TOWERS.register("hf", TextTower(_hf_create, _hf_load))


def text_tower(name: str) -> tuple[TextTower, str]:
    """The member and target that ``model.text_tower`` names; an unknown scheme is one error line."""
    scheme, _, target = name.partition(":")
    try:
        member = TEXT_TOWERS.get(scheme)
    except ConfigError:
        if "/" in name or Path(name).is_dir():  # a bare local directory, as configs named it before
            return TEXT_TOWERS.get("hf"), name
        raise
    if scheme == "hf" and not target:
        raise ConfigError(f"model.text_tower {name!r}: name the directory, e.g. hf:models/my-bert")
    return member, target
