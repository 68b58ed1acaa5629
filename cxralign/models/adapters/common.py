"""Pieces several published-checkpoint adapters share: the load request, spec options, Hugging Face towers."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any, TypeVar
from urllib.parse import parse_qsl

from cxralign.models.checkpoints import hub_call
from cxralign.models.errors import ModelSpecError
from cxralign.models.transforms import ImagePreprocess

_A = TypeVar("_A")


@dataclass(frozen=True)
class LoadRequest:
    """The keyword arguments every loader is called with (``models.specs.load_model``), read once.

    Loaders keep the documented signature ``loader(target, **options)``; unknown keys are ignored,
    so a loader never fails on an option another scheme needs.
    """

    spec: str
    device: str = "auto"
    precision: str = "fp32"
    trust_checkpoint: bool = False
    trust_remote_code: bool = False
    cache_dir: str | None = None
    card: Any = None

    @classmethod
    def of(cls, options: Mapping[str, Any]) -> LoadRequest:
        return cls(**{f.name: options[f.name] for f in fields(cls) if f.name in options})

    def placement(self) -> dict[str, Any]:
        """What every adapter's constructor takes from the request: spec, device, precision, card."""
        return {"spec": self.spec, "device": self.device, "precision": self.precision, "card": self.card}


def split_options(target: str, allowed: tuple[str, ...], spec: str) -> tuple[str, dict[str, str]]:
    """``/path/ckpt?text=/local/bert&vision=...`` -> (path, options); unknown options are errors."""
    path, _, query = target.partition("?")
    options = dict(parse_qsl(query, keep_blank_values=False, strict_parsing=False)) if query else {}
    unknown = sorted(set(options) - set(allowed))
    if unknown:
        raise ModelSpecError(
            f"{spec!r}: unknown option(s) {', '.join(unknown)}; allowed: {', '.join(allowed) or 'none'}"
        )
    if not path:
        raise ModelSpecError(f"{spec!r} names no checkpoint path")
    return path, options


def hf_backbone_from_config(name_or_path: str, *, trust_remote_code: bool = False, **config_overrides: Any):
    """An untrained transformers model with the architecture of ``name_or_path`` (weights come from the checkpoint)."""
    from transformers import AutoConfig, AutoModel

    config = hub_call(
        name_or_path, AutoConfig.from_pretrained, name_or_path, trust_remote_code=trust_remote_code
    )
    for key, value in config_overrides.items():
        setattr(config, key, value)
    return AutoModel.from_config(config, trust_remote_code=trust_remote_code)


CLINICAL_BERT = "emilyalsentzer/Bio_ClinicalBERT"
"""The text backbone GLoRIA, MGCA, MedCLIP and CXR-CLIP start from (its config, without weights)."""


def torchvision_resnet50() -> Any:
    """torchvision's ResNet-50, no weights, no classifier (``fc`` is the identity): the image trunk
    GLoRIA and MGCA load their checkpoints into."""
    import torchvision
    from torch import nn

    model = torchvision.models.resnet50(weights=None)
    model.fc = nn.Identity()
    return model


def resnet50_features_at_299(model: Any, pixels: Any) -> Any:
    """GLoRIA's image path, which MGCA keeps: resize to 299 (bilinear, corners aligned), the ResNet-50
    stem and four stages, global average pooling -> (N, 2048)."""
    from torch.nn import functional as F

    x = F.interpolate(pixels, size=(299, 299), mode="bilinear", align_corners=True)
    return F.adaptive_avg_pool2d(resnet_patch_grid(model, x), 1).flatten(1)


def resnet_patch_grid(resnet: Any, pixels: Any) -> Any:
    """A torchvision-layout ResNet's stem and four stages: the layer4 feature map (no pooling, no fc),
    as GLoRIA, MGCA and both BioViL models use it."""
    x = resnet.maxpool(resnet.relu(resnet.bn1(resnet.conv1(pixels))))
    return resnet.layer4(resnet.layer3(resnet.layer2(resnet.layer1(x))))


def gloria_preprocess() -> ImagePreprocess:
    """GLoRIA's evaluation transform, which MGCA and ConVIRT (trained in MGCA's code) share:
    longest side to 256, centre crop 224, grey, normalised to [-1, 1]."""
    return ImagePreprocess(
        resize=256,
        crop=224,
        resize_mode="longest",
        interpolation="box",
        grayscale=True,
        mean=(0.5, 0.5, 0.5),
        std=(0.5, 0.5, 0.5),
    )


_NUMBERED_POINT = re.compile(r"[0-9]+\.")
_WORD = re.compile(r"\w+")


def open_checkpoint(target: str, options: Mapping[str, Any]) -> tuple[LoadRequest, str, dict[str, Any], str]:
    """The opening GLoRIA, MGCA and ConVIRT share: the load request, the checkpoint path (with its
    ``?text=`` option split off), the checkpoint's unwrapped state dict, and the text backbone's name."""
    from cxralign.models.checkpoints import read_checkpoint, unwrap_state_dict

    request = LoadRequest.of(options)
    path, extra = split_options(target, ("text",), request.spec)
    state = unwrap_state_dict(read_checkpoint(path, trust_checkpoint=request.trust_checkpoint))
    return request, path, state, extra.get("text", CLINICAL_BERT)


def gloria_family_adapter(
    adapter: type[_A], request: LoadRequest, module: Any, text_name: str, max_words: int, family: str
) -> _A:
    """The adapter GLoRIA's preprocessing, cleaned-text tokenizer and fixed temperature (1 / 0.07) make."""
    from cxralign.models.tokenization import HFTextTokenizer

    return adapter(
        **request.placement(),
        module=module,
        preprocess=gloria_preprocess(),
        tokenizer=HFTextTokenizer.from_pretrained(text_name, max_words, clean=gloria_clean_text),
        fixed_logit_scale=1 / 0.07,
        extra_fingerprint={"family": family},
    )


def gloria_clean_text(text: str) -> str:
    """The report clean-up GLoRIA applies at inference and MGCA at training (``\\w+`` words, lower case).

    gloria/models/gloria_model.py lines 165-196 (``process_text``); MGCA's
    mgca/datasets/pretrain_dataset.py lines 85-109 (``create_path_2_sent_mapping``) is the same rule.
    """
    sentences = []
    for point in _NUMBERED_POINT.split(text.replace("\n", " ")):
        for sentence in point.split("."):
            words = _WORD.findall(sentence.replace("\ufffd\ufffd", " ").lower())
            if len(words) <= 1:
                continue
            kept = [w.encode("ascii", "ignore").decode("ascii") for w in words]
            sentences.append(" ".join(w for w in kept if w))
    return " ".join(sentences)
