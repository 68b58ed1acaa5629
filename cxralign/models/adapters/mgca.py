"""MGCA (Wang et al., NeurIPS 2022) and ConVIRT as implemented and trained in the MGCA repository.

Both are PyTorch Lightning checkpoints (``state_dict`` plus hyper-parameters, so they need
``--trust-checkpoint``). MGCA keeps its query encoders under ``img_encoder_q.`` /
``text_encoder_q.``; the MGCA repository's ConVIRT under ``img_encoder.`` / ``text_encoder.``.
The image encoder is a torchvision ResNet-50 (``model.*``, input upsampled to 299 px, pooled
after ``layer4``) or a ViT-B/16 whose keys match timm's (``model.cls_token``, ``model.blocks.*``;
the [CLS] token of the normed output is the global feature). The text encoder is a BERT
(``model.*``, Bio_ClinicalBERT configuration) whose [CLS] state is the report feature. Each
side's ``global_embed.head`` is Linear -> BatchNorm -> ReLU -> Linear -> BatchNorm(affine=False).
Local embeddings and prototypes are not used: similarity scoring needs the global ones only.
Images (``get_imgs`` / ``resize_img``): read as grayscale, longest side resized to 256 by pixel
area (INTER_AREA) and zero-padded, centre crop 224, normalised to [-1, 1]. Texts get the
clean-up MGCA's training sentences had (``gloria_clean_text``). Source lines: the mgca card.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from cxralign.models.adapter import DualEncoderAdapter
from cxralign.models.adapters.common import (
    gloria_family_adapter,
    hf_backbone_from_config,
    open_checkpoint,
    resnet50_features_at_299,
    torchvision_resnet50,
)
from cxralign.models.base import TokenizedTexts
from cxralign.models.checkpoints import load_exact, strip_prefix
from cxralign.models.errors import CheckpointError

MAX_WORDS = 112


class GlobalEmbedding(nn.Module):
    def __init__(self, input_dim: int, hidden_dim: int, output_dim: int) -> None:
        super().__init__()
        self.head = nn.Sequential(
            nn.Linear(input_dim, hidden_dim),
            nn.BatchNorm1d(hidden_dim),
            nn.ReLU(inplace=True),
            nn.Linear(hidden_dim, output_dim),
            nn.BatchNorm1d(output_dim, affine=False),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(x)


class ImageEncoder(nn.Module):
    def __init__(self, kind: str, hidden_dim: int, output_dim: int) -> None:
        super().__init__()
        self.kind = kind
        if kind == "resnet":
            self.model = torchvision_resnet50()
            width = 2048
        else:
            import timm

            self.model = timm.create_model(
                "vit_base_patch16_224", pretrained=False, num_classes=0, global_pool=""
            )
            width = self.model.embed_dim
        self.global_embed = GlobalEmbedding(width, hidden_dim, output_dim)

    def forward(self, pixels: torch.Tensor) -> torch.Tensor:
        if self.kind == "resnet":
            feature = resnet50_features_at_299(self.model, pixels)
        else:
            feature = self.model.forward_features(pixels)[:, 0]
        return self.global_embed(feature)


class TextEncoder(nn.Module):
    def __init__(self, bert: nn.Module, hidden_dim: int, output_dim: int) -> None:
        super().__init__()
        self.model = bert
        self.global_embed = GlobalEmbedding(bert.config.hidden_size, hidden_dim, output_dim)

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor | None) -> torch.Tensor:
        hidden = self.model(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
        return self.global_embed(hidden[:, 0])


class MgcaModule(nn.Module):
    def __init__(self, image: ImageEncoder, text: TextEncoder) -> None:
        super().__init__()
        self.image = image
        self.text = text


class MgcaAdapter(DualEncoderAdapter):
    def _image_features(self, pixels: torch.Tensor) -> torch.Tensor:
        return self.module.image(pixels)

    def _text_features(self, tokens: TokenizedTexts) -> torch.Tensor:
        return self.module.text(tokens.input_ids, tokens.attention_mask)


def _load(target: str, family: str, image_prefix: str, text_prefix: str, **options: Any) -> MgcaAdapter:
    request, path, state, text_name = open_checkpoint(target, options)
    image_state = {
        k: v for k, v in strip_prefix(state, image_prefix).items() if not k.startswith("local_embed.")
    }
    text_state = {
        k: v for k, v in strip_prefix(state, text_prefix).items() if not k.startswith("local_embed.")
    }
    if "global_embed.head.0.weight" not in image_state or "global_embed.head.0.weight" not in text_state:
        raise CheckpointError(
            f"{path} has no {image_prefix}global_embed / {text_prefix}global_embed: not a {family} checkpoint"
        )
    kind = "vit" if "model.cls_token" in image_state else "resnet"
    hidden, output = (
        image_state["global_embed.head.0.weight"].shape[0],
        image_state["global_embed.head.3.weight"].shape[0],
    )
    text_hidden = text_state["global_embed.head.0.weight"].shape[0]
    module = MgcaModule(
        ImageEncoder(kind, hidden, output),
        TextEncoder(hf_backbone_from_config(text_name), text_hidden, output),
    )
    load_exact(module.image, image_state, path, ignore=("num_batches_tracked", "model.fc."))
    load_exact(module.text, text_state, path, ignore=("num_batches_tracked", "position_ids", "model.pooler."))
    return gloria_family_adapter(MgcaAdapter, request, module, text_name, MAX_WORDS, f"{family}-{kind}")


def load_mgca(target: str, **kwargs: Any) -> MgcaAdapter:
    return _load(target, "mgca", "img_encoder_q.", "text_encoder_q.", **kwargs)


def load_convirt(target: str, **kwargs: Any) -> MgcaAdapter:
    return _load(target, "convirt", "img_encoder.", "text_encoder.", **kwargs)
