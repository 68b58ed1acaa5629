r"""GLoRIA (Huang et al., ICCV 2021): global embeddings of its ResNet-50 + Bio_ClinicalBERT model.

The released ``chexpert_resnet50.ckpt`` is a PyTorch Lightning checkpoint whose ``state_dict``
holds ``gloria.img_encoder.model.*`` (torchvision ResNet-50), ``gloria.img_encoder.global_embedder``
(2048->768), ``gloria.img_encoder.local_embedder`` and ``gloria.text_encoder.model.*`` (``BertModel``).
Its ``hyper_parameters`` are an OmegaConf object, so loading it needs ``--trust-checkpoint``.

Global features follow GLoRIA's code: images are upsampled to 299 px, pooled after ``layer4``
and embedded by ``global_embedder``; the sentence embedding sums, over the last four BERT
layers, the token states up to [SEP] divided by the padded length (97 words), which is what
GLoRIA's word aggregation followed by a mean over positions computes. Images follow
``GLoRIA.process_img``: read as grayscale, longest side resized to 256 (pixel-area averaging,
OpenCV's INTER_AREA) and zero-padded to a square, centre crop 224, normalise to [-1, 1]. Texts
follow ``process_text``: numbered points and sentences split, lower-cased ``\w+`` words kept,
one-word sentences dropped. Source lines: the ``parity.sources`` of the gloria card.
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

WORD_NUM = 97
LAST_N_LAYERS = 4


class GloriaImageEncoder(nn.Module):
    def __init__(self, embedding_dim: int) -> None:
        super().__init__()
        self.model = torchvision_resnet50()
        self.global_embedder = nn.Linear(2048, embedding_dim)
        self.local_embedder = nn.Conv2d(1024, embedding_dim, kernel_size=1, bias=False)

    def forward(self, pixels: torch.Tensor) -> torch.Tensor:
        return self.global_embedder(resnet50_features_at_299(self.model, pixels))


class GloriaTextEncoder(nn.Module):
    def __init__(self, bert: nn.Module) -> None:
        super().__init__()
        self.model = bert

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor | None) -> torch.Tensor:
        mask = attention_mask if attention_mask is not None else (input_ids != 0).long()
        out = self.model(input_ids=input_ids, attention_mask=mask, output_hidden_states=True)
        layers = torch.stack(out.hidden_states[-LAST_N_LAYERS:]).sum(0)  # batch, tokens, dim
        summed = (layers * mask.unsqueeze(-1).to(layers.dtype)).sum(1)
        return summed / input_ids.shape[1]


class GloriaModule(nn.Module):
    def __init__(self, bert: nn.Module) -> None:
        super().__init__()
        self.img_encoder = GloriaImageEncoder(bert.config.hidden_size)
        self.text_encoder = GloriaTextEncoder(bert)


class GloriaAdapter(DualEncoderAdapter):
    def _image_features(self, pixels: torch.Tensor) -> torch.Tensor:
        return self.module.img_encoder(pixels)

    def _text_features(self, tokens: TokenizedTexts) -> torch.Tensor:
        return self.module.text_encoder(tokens.input_ids, tokens.attention_mask)


def load_gloria(target: str, **options: Any) -> GloriaAdapter:
    request, path, state, text_name = open_checkpoint(target, options)
    inner = strip_prefix(state, "gloria.")
    if not inner:
        raise CheckpointError(f"{path} has no 'gloria.' keys: not a GLoRIA pretraining checkpoint")
    module = GloriaModule(hf_backbone_from_config(text_name))
    load_exact(module, inner, path, ignore=("position_ids", "num_batches_tracked"))
    return gloria_family_adapter(GloriaAdapter, request, module, text_name, WORD_NUM, "gloria")
