"""BioViL-T (Bannur et al., CVPR 2023): hi-ml's multi-image encoder and the BioViL-T CXR-BERT.

Both halves live in the Hugging Face repository ``microsoft/BiomedVLP-BioViL-T``: the CXR-BERT
text model (same architecture as BioViL's, different weights; see :mod:`.biovil`) and
``biovil_t_image_model_proj_size_128.pt``, the state dict of hi-ml's ``ImageModel`` with a
``MultiImageEncoder``:

* ``encoder.encoder.*``: ResNet-50 trunk (layer4 feature map, 2048 channels);
* ``encoder.backbone_to_vit.weight``: 1x1 conv 2048 -> 256 (no bias);
* ``encoder.vit_pooler.*``: the ``VisionTransformerPooler`` (3 blocks, 8 heads, ``type_embed``;
  its sine positional embedding is a non-persistent buffer) that fuses current and prior patches;
* ``encoder.missing_previous_emb`` (1, 256, 1, 1): the learned "no prior image" embedding;
* ``projector.model.{0,1,3}``: 1x1-conv MLP 512 -> 128 -> 128 over the fused patch grid.

With no prior image (the scoring case), the fused grid is ``[backbone_to_vit(patches),
missing_previous_emb broadcast over the grid]`` and the ViT pooler is not run, exactly as in
hi-ml. The global embedding is the spatial mean of the projected patches. Images: resize 512,
centre crop 448, values in [0, 1], grayscale replicated to 3 channels.

Widths and depths are read from the checkpoint's tensor shapes (the released file gives hi-ml's
ResNet-50 / 256 / 3 blocks / 128 exactly), so scaled-down checkpoints in the same key layout
load through the same code. The number of attention heads (8) is fixed by hi-ml.

Spec: ``biovil-t:/local/snapshot/dir`` or ``biovil-t:microsoft/BiomedVLP-BioViL-T`` (from the
local Hugging Face cache).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import torch
from torch import nn

from cxralign.models.adapters.biovil import BiovilAdapter, load_hi_ml_snapshot
from cxralign.models.adapters.common import LoadRequest, resnet_patch_grid
from cxralign.models.errors import CheckpointError

HUB_ID = "microsoft/BiomedVLP-BioViL-T"
IMAGE_WEIGHTS = "biovil_t_image_model_proj_size_128.pt"
CROP = 448
NUM_HEADS = 8
GRID_SHAPE = (14, 14)
RESNET50_BLOCKS = (3, 4, 6, 3)


def sine_position_embedding(
    input_dim: int, grid_shape: tuple[int, int], temperature: int = 10000
) -> torch.Tensor:
    """hi-ml's normalised DETR-style sine embedding of a full grid: (1, H*W, input_dim)."""
    half = input_dim // 2
    height, width = grid_shape
    mask = torch.ones(1, height, width)
    y_embed = mask.cumsum(1, dtype=torch.float32)
    x_embed = mask.cumsum(2, dtype=torch.float32)
    y_embed = y_embed / (y_embed[:, -1:, :] + 1e-6) * (2 * math.pi)
    x_embed = x_embed / (x_embed[:, :, -1:] + 1e-6) * (2 * math.pi)
    dim_t = torch.arange(half, dtype=torch.float32)
    dim_t = temperature ** (2 * torch.div(dim_t, 2, rounding_mode="floor") / half)
    pos_x = x_embed[:, :, :, None] / dim_t
    pos_y = y_embed[:, :, :, None] / dim_t
    pos_x = torch.stack((pos_x[:, :, :, 0::2].sin(), pos_x[:, :, :, 1::2].cos()), dim=4).flatten(3)
    pos_y = torch.stack((pos_y[:, :, :, 0::2].sin(), pos_y[:, :, :, 1::2].cos()), dim=4).flatten(3)
    return torch.cat((pos_y, pos_x), dim=3).view(1, height * width, half * 2)


class MultiHeadAttentionLayer(nn.Module):
    """hi-ml's attention: separate q/k/v projections without bias, an output projection with one."""

    def __init__(self, dim: int, num_heads: int) -> None:
        super().__init__()
        self.num_heads = num_heads
        self.scale = (dim // num_heads) ** -0.5
        self.proj_q = nn.Linear(dim, dim, bias=False)
        self.proj_k = nn.Linear(dim, dim, bias=False)
        self.proj_v = nn.Linear(dim, dim, bias=False)
        self.proj = nn.Linear(dim, dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        batch, length, channels = x.shape

        def heads(t: torch.Tensor) -> torch.Tensor:
            return t.reshape(batch, length, self.num_heads, channels // self.num_heads).permute(0, 2, 1, 3)

        q, k, v = heads(self.proj_q(x)), heads(self.proj_k(x)), heads(self.proj_v(x))
        attention = ((q @ k.transpose(-2, -1)) * self.scale).softmax(dim=-1)
        return self.proj((attention @ v).transpose(1, 2).reshape(batch, length, channels))


class PoolerBlock(nn.Module):
    """hi-ml's ``Block``: pre-norm attention whose input gets the positional and type embeddings.

    Dropout and drop-path are identities at inference, so they are left out (they hold no weights).
    """

    def __init__(self, dim: int, num_heads: int) -> None:
        super().__init__()
        from timm.layers import Mlp

        self.norm1 = nn.LayerNorm(dim, eps=1e-6)
        self.attn = MultiHeadAttentionLayer(dim, num_heads)
        self.norm2 = nn.LayerNorm(dim, eps=1e-6)
        self.mlp = Mlp(in_features=dim, hidden_features=dim, act_layer=nn.GELU)

    def forward(self, x: torch.Tensor, pos_and_type_embed: torch.Tensor) -> torch.Tensor:
        x = x + self.attn(self.norm1(x) + pos_and_type_embed)
        return x + self.mlp(self.norm2(x))


class VisionTransformerPooler(nn.Module):
    """hi-ml's temporal pooler: self-attention over the current (and prior) patch tokens."""

    def __init__(
        self,
        input_dim: int,
        grid_shape: tuple[int, int] = GRID_SHAPE,
        num_heads: int = NUM_HEADS,
        num_blocks: int = 3,
    ) -> None:
        super().__init__()
        self.blocks = nn.ModuleList([PoolerBlock(input_dim, num_heads) for _ in range(num_blocks)])
        self.norm_post = nn.LayerNorm(input_dim, eps=1e-6)
        self.grid_shape = grid_shape
        self.type_embed = nn.Parameter(torch.zeros(2, 1, input_dim))
        self.register_buffer("pos_embed", sine_position_embedding(input_dim, grid_shape), persistent=False)

    def forward(self, current: torch.Tensor, previous: torch.Tensor | None = None) -> torch.Tensor:
        batch, channels, height, width = current.shape
        if (height, width) != self.grid_shape:
            raise ValueError(f"patch grid {height}x{width} does not match the pooler's {self.grid_shape}")
        tokens = current.view(batch, channels, height * width).transpose(1, 2)
        length = tokens.shape[1]
        pos_embed = self.pos_embed.repeat(batch, 1, 1)
        type_embed = self.type_embed[0].expand(batch, length, -1)
        if previous is not None:
            if previous.shape != current.shape:
                raise ValueError("current and previous patch grids differ in shape")
            tokens = torch.cat(
                (tokens, previous.view(batch, channels, height * width).transpose(1, 2)), dim=1
            )
            pos_embed = torch.cat((pos_embed, pos_embed), dim=1)
            type_embed = torch.cat((type_embed, self.type_embed[1].expand(batch, length, -1)), dim=1)
        embed = pos_embed + type_embed
        for block in self.blocks:
            tokens = block(tokens, embed)
        tokens = self.norm_post(tokens)
        return tokens[:, :length].transpose(1, 2).reshape(batch, channels, height, width)


def resnet_trunk(base_width: int = 64, blocks: tuple[int, int, int, int] = RESNET50_BLOCKS) -> nn.Module:
    """torchvision's ResNet-50 (hi-ml's trunk); other widths/depths only for scaled-down checkpoints."""
    import torchvision
    from torchvision.models.resnet import Bottleneck

    if (base_width, tuple(blocks)) == (64, RESNET50_BLOCKS):
        return torchvision.models.resnet50(weights=None)
    with torch.device("meta"):  # a cheap scaffold: every layer with weights is replaced below
        net = torchvision.models.resnet.ResNet(Bottleneck, [1, 1, 1, 1])
    net.inplanes = base_width
    net.conv1 = nn.Conv2d(3, base_width, kernel_size=7, stride=2, padding=3, bias=False)
    net.bn1 = nn.BatchNorm2d(base_width)
    net.layer1 = net._make_layer(Bottleneck, base_width, blocks[0])
    net.layer2 = net._make_layer(Bottleneck, base_width * 2, blocks[1], stride=2)
    net.layer3 = net._make_layer(Bottleneck, base_width * 4, blocks[2], stride=2)
    net.layer4 = net._make_layer(Bottleneck, base_width * 8, blocks[3], stride=2)
    net.fc = nn.Linear(base_width * 8 * Bottleneck.expansion, 1000)
    return net


class MultiImageEncoder(nn.Module):
    """hi-ml's ``MultiImageEncoder``: ResNet patches fused with a prior-image difference grid."""

    def __init__(
        self,
        base_width: int = 64,
        blocks: tuple[int, int, int, int] = RESNET50_BLOCKS,
        vit_dim: int = 256,
        pooler_blocks: int = 3,
    ) -> None:
        super().__init__()
        self.vit_dim = vit_dim
        self.encoder = resnet_trunk(base_width, blocks)
        self.backbone_to_vit = nn.Conv2d(base_width * 32, vit_dim, kernel_size=1, bias=False)
        self.vit_pooler = VisionTransformerPooler(vit_dim, num_blocks=pooler_blocks)
        self.missing_previous_emb = nn.Parameter(torch.zeros(1, vit_dim, 1, 1))

    def forward(self, current: torch.Tensor, previous: torch.Tensor | None = None) -> torch.Tensor:
        """Fused patch grid (B, 2 * vit_dim, H, W): [current patches, difference or missing-prior]."""
        if previous is not None:
            if previous.shape != current.shape:
                raise ValueError("current and previous images differ in shape")
            grids = self.backbone_to_vit(resnet_patch_grid(self.encoder, torch.cat([current, previous])))
            patches, previous_patches = grids[: current.shape[0]], grids[current.shape[0] :]
            difference = self.vit_pooler(patches, previous_patches)
        else:
            patches = self.backbone_to_vit(resnet_patch_grid(self.encoder, current))
            batch, _, height, width = patches.shape
            difference = self.missing_previous_emb.repeat(batch, 1, height, width)
        return torch.cat([patches, difference], dim=1)


class BiovilTImageModel(nn.Module):
    """hi-ml's ``MultiImageModel``: global embedding = mean of the projected fused patches."""

    def __init__(self, joint_size: int = 128, **encoder: Any) -> None:
        """``encoder``: the :class:`MultiImageEncoder` arguments (hi-ml's defaults where absent)."""
        super().__init__()
        self.encoder = MultiImageEncoder(**encoder)
        self.projector = nn.Module()
        self.projector.model = nn.Sequential(
            nn.Conv2d(2 * self.encoder.vit_dim, joint_size, kernel_size=1, bias=False),
            nn.BatchNorm2d(joint_size),
            nn.ReLU(inplace=True),
            nn.Conv2d(joint_size, joint_size, kernel_size=1, bias=True),
        )

    def forward(self, current: torch.Tensor, previous: torch.Tensor | None = None) -> torch.Tensor:
        return self.projector.model(self.encoder(current, previous)).mean(dim=(2, 3))

    @classmethod
    def for_state_dict(cls, state_dict: Mapping[str, torch.Tensor]) -> BiovilTImageModel:
        """The architecture whose shapes ``state_dict`` has (hi-ml's defaults where keys are absent).

        Absent keys are then reported by :func:`load_exact` as missing, so a BioViL (non-T)
        or truncated file fails with the usual one-line mismatch error.
        """

        def first_dim(key: str, default: int) -> int:
            tensor = state_dict.get(key)
            return int(tensor.shape[0]) if tensor is not None and tensor.ndim > 0 else default

        def count(pattern: str) -> int:
            found = {int(m.group(1)) for k in state_dict if (m := re.match(pattern, k))}
            return max(found) + 1 if found else 0

        blocks = tuple(
            count(rf"encoder\.encoder\.layer{i}\.(\d+)\.") or default
            for i, default in zip(range(1, 5), RESNET50_BLOCKS, strict=True)
        )
        vit_dim = first_dim("encoder.backbone_to_vit.weight", 256)
        if vit_dim % NUM_HEADS:
            raise CheckpointError(
                f"BioViL-T checkpoint has a {vit_dim}-wide ViT pooler; it must be divisible by {NUM_HEADS} heads"
            )
        return cls(
            first_dim("projector.model.3.weight", 128),
            base_width=first_dim("encoder.encoder.conv1.weight", 64),
            blocks=blocks,  # type: ignore[arg-type]
            vit_dim=vit_dim,
            pooler_blocks=count(r"encoder\.vit_pooler\.blocks\.(\d+)\.") or 3,
        )


def _image_model(state: dict[str, torch.Tensor], projection_size: int, image_file: Path) -> BiovilTImageModel:
    image = BiovilTImageModel.for_state_dict(state)
    joint = image.projector.model[3].out_channels
    if joint != projection_size:
        raise CheckpointError(
            f"{image_file} projects images to {joint} dims but the text model in {image_file.parent} to {projection_size}"
        )
    return image


def load_biovil_t(target: str, **options: Any) -> BiovilAdapter:
    """``biovil-t:DIR_OR_HUBID``: the BioViL-T snapshot (text weights + ``IMAGE_WEIGHTS``)."""
    return load_hi_ml_snapshot(
        target,
        LoadRequest.of(options),
        _image_model,
        image_weights=IMAGE_WEIGHTS,
        crop=CROP,
        family="biovil-t",
    )
