"""BiomedCLIP (Zhang et al., 2023): open_clip hf-hub layout, PubMedBERT text tower, 256 tokens.

``biomedclip:hf-hub:microsoft/BiomedCLIP-PubMedBERT_256-vit_base_patch16_224`` (from the
local Hugging Face cache) or ``biomedclip:/local/dir`` holding ``open_clip_config.json``
and ``open_clip_pytorch_model.bin`` exactly as the hub repository lays them out.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from cxralign.models.adapters.open_clip_adapter import OpenClipAdapter, load_open_clip

HUB_ID = "microsoft/BiomedCLIP-PubMedBERT_256-vit_base_patch16_224"


def load_biomedclip(target: str, **kwargs: Any) -> OpenClipAdapter:
    if target.startswith(("hf-hub:", "local-dir:")):
        name = target
    elif Path(target).expanduser().is_dir():
        name = f"local-dir:{Path(target).expanduser().resolve()}"
    else:
        name = f"hf-hub:{target}"
    return load_open_clip(name, **kwargs)
