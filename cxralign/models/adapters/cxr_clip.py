"""CXR-CLIP (You et al., MICCAI 2023): Swin-T or ResNet-50 image tower, Bio_ClinicalBERT text tower.

The released ``.tar`` checkpoints are ``torch.save({"model": state_dict, "config": cfg, ...})``.
State dict layout: ``image_encoder.image_encoder.*`` (transformers ``SwinModel``; the global
feature is ``last_hidden_state[:, 0]``) or ``image_encoder.resnet.*`` (torchvision ResNet-50
without ``fc``, average-pooled), ``text_encoder.text_encoder.*`` (``BertModel``; pooling from the
config: ``eos`` = the last attended token, ``bos`` or ``mean``), ``image_projection.*`` /
``text_projection.*`` (linear: ``projection``; mlp: ``projection``, ``fc``, ``layer_norm``) and
``logit_scale``. Images: resize and centre crop to ``base.image_size`` (224), normalised to
[-1, 1] ("huggingface" normalisation) for Swin and with ImageNet mean/std for ResNet-50, as the
authors' evaluator switches it. Source lines: the cxr-clip cards. When the pickled config cannot be read safely, the
architecture is inferred from the keys (pooling then defaults to ``eos``, as both released configs use).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import torch
from torch import nn

from cxralign.models.adapter import DualEncoderAdapter
from cxralign.models.adapters.common import CLINICAL_BERT, LoadRequest, hf_backbone_from_config, split_options
from cxralign.models.base import TokenizedTexts
from cxralign.models.checkpoints import load_exact, read_checkpoint, unwrap_state_dict
from cxralign.models.errors import CheckpointError
from cxralign.models.tokenization import HFTextTokenizer
from cxralign.models.transforms import IMAGENET_MEAN, IMAGENET_STD, ImagePreprocess

BERT = CLINICAL_BERT
SWIN = "microsoft/swin-tiny-patch4-window7-224"


class MLPProjection(nn.Module):
    def __init__(self, dim_in: int, dim_out: int) -> None:
        super().__init__()
        self.projection = nn.Linear(dim_in, dim_out)
        self.gelu = nn.GELU()
        self.fc = nn.Linear(dim_out, dim_out)
        self.dropout = nn.Dropout(0.0)
        self.layer_norm = nn.LayerNorm(dim_out)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        projected = self.projection(x)
        return self.layer_norm(self.fc(self.gelu(projected)) + projected)


class LinearProjection(nn.Module):
    def __init__(self, dim_in: int, dim_out: int) -> None:
        super().__init__()
        self.projection = nn.Linear(dim_in, dim_out)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.projection(x)


class SwinEncoder(nn.Module):
    def __init__(self, swin: nn.Module) -> None:
        super().__init__()
        self.image_encoder = swin
        self.out_dim = swin.config.hidden_size

    def forward(self, pixels: torch.Tensor) -> torch.Tensor:
        return self.image_encoder(pixel_values=pixels).last_hidden_state[:, 0]


class ResNetEncoder(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        import torchvision

        self.resnet = torchvision.models.resnet50(weights=None)
        del self.resnet.fc
        self.out_dim = 2048

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        r = self.resnet
        x = r.maxpool(r.relu(r.bn1(r.conv1(x))))
        x = r.layer4(r.layer3(r.layer2(r.layer1(x))))
        return torch.flatten(r.avgpool(x), 1)


class TextEncoder(nn.Module):
    def __init__(self, bert: nn.Module) -> None:
        super().__init__()
        self.text_encoder = bert
        self.out_dim = bert.config.hidden_size


class CxrClipModule(nn.Module):
    def __init__(
        self, image_encoder: nn.Module, text_encoder: TextEncoder, projection: str, dim: int, pooling: str
    ) -> None:
        super().__init__()
        self.image_encoder = image_encoder
        self.text_encoder = text_encoder
        head = MLPProjection if projection == "mlp" else LinearProjection
        self.image_projection = head(image_encoder.out_dim, dim)
        self.text_projection = head(text_encoder.out_dim, dim)
        self.logit_scale = nn.Parameter(torch.tensor(0.0))
        self.pooling = pooling

    def encode_text(self, input_ids: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        hidden = self.text_encoder.text_encoder(input_ids=input_ids, attention_mask=mask).last_hidden_state
        if self.pooling == "eos":
            pooled = hidden[torch.arange(hidden.shape[0], device=hidden.device), mask.sum(-1) - 1]
        elif self.pooling == "bos":
            pooled = hidden[:, 0]
        else:
            weights = mask.unsqueeze(-1).to(hidden.dtype)
            pooled = (hidden * weights).sum(1) / weights.sum(1).clamp(min=1e-9)
        return self.text_projection(pooled)


class CxrClipAdapter(DualEncoderAdapter):
    def _image_features(self, pixels: torch.Tensor) -> torch.Tensor:
        return self.module.image_projection(self.module.image_encoder(pixels))

    def _text_features(self, tokens: TokenizedTexts) -> torch.Tensor:
        mask = tokens.attention_mask if tokens.attention_mask is not None else (tokens.input_ids != 0).long()
        return self.module.encode_text(tokens.input_ids, mask)


def _get(config: Any, *path: str, default: Any = None) -> Any:
    for key in path:
        if not isinstance(config, Mapping) or key not in config:
            return default
        config = config[key]
    return config


def load_cxr_clip(target: str, **options: Any) -> CxrClipAdapter:
    request = LoadRequest.of(options)
    path, options = split_options(target, ("text", "vision"), request.spec)
    raw = read_checkpoint(path, trust_checkpoint=request.trust_checkpoint)
    config = raw.get("config") if isinstance(raw, Mapping) else None
    state = unwrap_state_dict(raw, keys=("model", "state_dict"))
    if any(k.startswith("image_encoder.resnet.") for k in state):
        image_encoder: nn.Module = ResNetEncoder()
        family = "resnet50"
    elif any(k.startswith("image_encoder.image_encoder.") for k in state):
        image_encoder = SwinEncoder(hf_backbone_from_config(options.get("vision", SWIN)))
        family = "swin"
    else:
        raise CheckpointError(
            f"{path} is not a CXR-CLIP checkpoint (no image_encoder.resnet./image_encoder.image_encoder. keys)"
        )
    projection = "mlp" if "image_projection.fc.weight" in state else "linear"
    if "image_projection.projection.weight" not in state:
        raise CheckpointError(f"{path} has no image_projection.projection.weight")
    dim = state["image_projection.projection.weight"].shape[0]
    pooling = _get(config, "model", "text_encoder", "pooling", default="eos")
    text_name = options.get("text", BERT)
    module = CxrClipModule(
        image_encoder, TextEncoder(hf_backbone_from_config(text_name)), projection, dim, pooling
    )
    load_exact(module, state, path, ignore=("position_ids", "num_batches_tracked"))
    size = int(_get(config, "base", "image_size", default=224))
    context = int(_get(config, "base", "text_max_length", default=256))
    return CxrClipAdapter(
        **request.placement(),
        module=module,
        preprocess=ImagePreprocess(
            resize=size,
            crop=size,
            resize_mode="shortest",
            interpolation="bilinear",
            # evaluator.py lines 36-39: ResNet checkpoints are evaluated with ImageNet statistics
            mean=IMAGENET_MEAN if family == "resnet50" else (0.5, 0.5, 0.5),
            std=IMAGENET_STD if family == "resnet50" else (0.5, 0.5, 0.5),
        ),
        tokenizer=HFTextTokenizer.from_pretrained(text_name, context),
        extra_fingerprint={"family": f"cxr-clip-{family}", "pooling": pooling},
    )
