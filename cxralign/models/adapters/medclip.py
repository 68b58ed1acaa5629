"""MedCLIP (Wang et al., EMNLP 2022): Swin-T ("ViT") or ResNet-50 image tower, Bio_ClinicalBERT text tower.

The released ``pytorch_model.bin`` (inside medclip-vit-pretrained.zip / medclip-resnet-pretrained.zip)
holds ``vision_model.model.*`` (a transformers ``SwinModel`` or a torchvision ResNet-50 whose ``fc``
is the 2048->512 projection), ``vision_model.projection_head.weight`` (Swin only),
``text_model.model.*`` (``BertModel``), ``text_model.projection_head.weight`` and ``logit_scale``.
Text features average the hidden states of layers 1, 2 and the last one over the text's
positions before the bias-free projection (MedCLIP averages over its padded batch too, which
makes its embedding depend on the batch; a text's own positions give MedCLIP's embedding of
that text alone, as its one-prompt-per-class classifier computes it). Images follow
``MedCLIPFeatureExtractor``: zero-padded to a square at full size (at least 224 px), resized to
224 x 224 (bicubic), grayscale replicated to 3 channels, normalised with MedCLIP's mean/std
(0.586 / 0.280).

Spec: ``medclip-vit:/path/to/dir_or_pytorch_model.bin`` with optional
``?text=NAME_OR_DIR&vision=NAME_OR_DIR`` naming the architecture configs (defaults: the hub ids
MedCLIP uses, read from the local Hugging Face cache).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch
from torch import nn

from cxralign.models.adapter import DualEncoderAdapter
from cxralign.models.adapters.common import CLINICAL_BERT, LoadRequest, hf_backbone_from_config, split_options
from cxralign.models.base import TokenizedTexts
from cxralign.models.checkpoints import load_exact, read_checkpoint, unwrap_state_dict
from cxralign.models.tokenization import HFTextTokenizer
from cxralign.models.transforms import ImagePreprocess

BERT = CLINICAL_BERT
SWIN = "microsoft/swin-tiny-patch4-window7-224"
MEDCLIP_MEAN = 0.5862785803043838
MEDCLIP_STD = 0.27950088968644304
WEIGHTS_NAME = "pytorch_model.bin"
SWIN_LEGACY_KEYS = (
    # MedCLIP saved SwinModel with transformers 4 names; transformers 5 renamed them (first match wins)
    ("attention.self.relative_position_bias_table", "attention.relative_position_bias.relative_position_bias_table"),
    ("attention.self.query", "attention.q_proj"),
    ("attention.self.key", "attention.k_proj"),
    ("attention.self.value", "attention.v_proj"),
    ("attention.output.dense", "attention.o_proj"),
    ("intermediate.dense", "mlp.fc1"),
    ("output.dense", "mlp.fc2"),
)


def rename_legacy_swin_keys(state: dict[str, torch.Tensor], expected: set[str]) -> dict[str, torch.Tensor]:
    """Map a transformers-4 Swin state dict onto the installed SwinModel's names, when they differ."""
    renamed: dict[str, torch.Tensor] = {}
    for key, value in state.items():
        if key not in expected and key.startswith("vision_model.model.encoder."):
            for old, new in SWIN_LEGACY_KEYS:
                if old in key:
                    key = key.replace(old, new)
                    break
            if key.endswith("relative_position_index") and key not in expected:
                continue  # a derived buffer transformers 5 no longer stores
        renamed[key] = value
    return renamed


class MedClipText(nn.Module):
    def __init__(self, bert: nn.Module, dim: int = 512) -> None:
        super().__init__()
        self.model = bert
        self.projection_head = nn.Linear(bert.config.hidden_size, dim, bias=False)

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor | None) -> torch.Tensor:
        out = self.model(input_ids=input_ids, attention_mask=attention_mask, output_hidden_states=True)
        hidden = out.hidden_states
        layers = torch.stack([hidden[1], hidden[2], hidden[-1]]).mean(0)  # batch, tokens, dim
        if attention_mask is None:
            return self.projection_head(layers.mean(1))
        # MedCLIP averages every position of its input; over a text's own tokens that is its
        # embedding unpadded, independent of how long the other texts in the batch are
        mask = attention_mask.to(layers.dtype).unsqueeze(-1)
        return self.projection_head((layers * mask).sum(1) / mask.sum(1).clamp(min=1))


class MedClipSwin(nn.Module):
    def __init__(self, swin: nn.Module, dim: int = 512) -> None:
        super().__init__()
        self.model = swin
        self.projection_head = nn.Linear(
            swin.config.hidden_size if hasattr(swin.config, "hidden_size") else 768, dim, bias=False
        )

    def forward(self, pixels: torch.Tensor) -> torch.Tensor:
        return self.projection_head(self.model(pixel_values=pixels).pooler_output)


class MedClipResNet(nn.Module):
    def __init__(self, dim: int = 512) -> None:
        super().__init__()
        import torchvision

        self.model = torchvision.models.resnet50(weights=None)
        self.model.fc = nn.Linear(self.model.fc.in_features, dim, bias=False)

    def forward(self, pixels: torch.Tensor) -> torch.Tensor:
        return self.model(pixels)


class MedClipModule(nn.Module):
    def __init__(self, vision: nn.Module, text: nn.Module) -> None:
        super().__init__()
        self.vision_model = vision
        self.text_model = text
        self.logit_scale = nn.Parameter(torch.log(torch.tensor(1 / 0.07)))


class MedClipAdapter(DualEncoderAdapter):
    def _image_features(self, pixels: torch.Tensor) -> torch.Tensor:
        return self.module.vision_model(pixels)

    def _text_features(self, tokens: TokenizedTexts) -> torch.Tensor:
        return self.module.text_model(tokens.input_ids, tokens.attention_mask)


def _load(target: str, variant: str, **options: Any) -> MedClipAdapter:
    request = LoadRequest.of(options)
    path, options = split_options(target, ("text", "vision"), request.spec)
    file = Path(path).expanduser()
    if file.is_dir():
        file = file / WEIGHTS_NAME
    state = unwrap_state_dict(read_checkpoint(file, trust_checkpoint=request.trust_checkpoint))
    text_name = options.get("text", BERT)
    bert = hf_backbone_from_config(text_name)
    if variant == "vit":
        vision: nn.Module = MedClipSwin(hf_backbone_from_config(options.get("vision", SWIN)))
    else:
        vision = MedClipResNet()
    module = MedClipModule(vision, MedClipText(bert))
    state = rename_legacy_swin_keys(state, set(module.state_dict()))
    load_exact(module, state, str(file), ignore=("position_ids",))
    return MedClipAdapter(
        **request.placement(),
        module=module,
        preprocess=ImagePreprocess(
            resize=224,
            resize_mode="pad",
            grayscale=True,
            interpolation="bicubic",
            mean=(MEDCLIP_MEAN,) * 3,
            std=(MEDCLIP_STD,) * 3,
        ),
        tokenizer=HFTextTokenizer.from_pretrained(text_name, 77),
        extra_fingerprint={"family": f"medclip-{variant}"},
    )


def load_medclip_vit(target: str, **kwargs: Any) -> MedClipAdapter:
    return _load(target, "vit", **kwargs)


def load_medclip_resnet(target: str, **kwargs: Any) -> MedClipAdapter:
    return _load(target, "resnet", **kwargs)
