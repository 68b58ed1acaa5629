"""Pieces several published-checkpoint adapters share: spec options and Hugging Face towers."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qsl

from cxralign.models.checkpoints import hub_call
from cxralign.models.errors import ModelSpecError


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


_NUMBERED_POINT = re.compile(r"[0-9]+\.")
_WORD = re.compile(r"\w+")


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
