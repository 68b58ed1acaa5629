"""CheXzero (Tiu et al., 2022): an OpenAI CLIP ViT-B/32 state dict fine-tuned on MIMIC-CXR.

CheXzero saves ``model.state_dict()`` of OpenAI's CLIP. Its images were resized
(aspect kept, sides truncated, Lanczos) and zero-padded to 320 px, normalised with the
MIMIC-CXR pixel mean/std on the 0..255 scale (101.48761 / 83.43944) and then resized as a
float tensor to the model's 224 px input (bicubic). Zero-shot scoring uses the "{}" vs
"no {}" prompt pair, a softmax over the two raw cosines: CheXzero applies no logit scale
(``zero_shot.py`` ``predict`` / ``run_softmax_eval``), so the adapter's logit scale is 1.
"""

from __future__ import annotations

from typing import Any

import torch

from cxralign.models.adapters.common import LoadRequest
from cxralign.models.adapters.open_clip_adapter import OpenClipAdapter
from cxralign.models.checkpoints import load_exact, read_checkpoint, unwrap_state_dict
from cxralign.models.errors import CheckpointError
from cxralign.models.tokenization import ClipBpeTokenizer
from cxralign.models.transforms import ImagePreprocess

CHEXZERO_MEAN = 101.48761 / 255.0
CHEXZERO_STD = 83.43944 / 255.0


def chexzero_preprocess(input_size: int = 224) -> ImagePreprocess:
    return ImagePreprocess(
        resize=320,
        resize_mode="longest",
        final_resize=input_size,
        final_resize_on_tensor=True,
        grayscale="after_resize",
        interpolation="lanczos",
        mean=(CHEXZERO_MEAN,) * 3,
        std=(CHEXZERO_STD,) * 3,
    )


def openai_clip_from_state_dict(state: dict[str, torch.Tensor], source: str) -> torch.nn.Module:
    """Build an open_clip ``CLIP`` whose shape is read off an OpenAI-layout state dict, then load it exactly."""
    from open_clip.model import CLIP, CLIPTextCfg, CLIPVisionCfg

    state = {k[len("module.") :] if k.startswith("module.") else k: v for k, v in state.items()}
    for key in ("input_resolution", "context_length", "vocab_size"):
        state.pop(key, None)
    try:
        if "visual.proj" not in state:
            raise KeyError("visual.proj")
        width = state["visual.conv1.weight"].shape[0]
        patch = state["visual.conv1.weight"].shape[-1]
        grid = round((state["visual.positional_embedding"].shape[0] - 1) ** 0.5)
        layers = len([k for k in state if k.startswith("visual.") and k.endswith(".attn.in_proj_weight")])
        text_width = state["ln_final.weight"].shape[0]
        vision_cfg = CLIPVisionCfg(layers=layers, width=width, patch_size=patch, image_size=patch * grid)
        text_cfg = CLIPTextCfg(
            context_length=state["positional_embedding"].shape[0],
            vocab_size=state["token_embedding.weight"].shape[0],
            width=text_width,
            heads=max(1, text_width // 64),
            layers=len({k.split(".")[2] for k in state if k.startswith("transformer.resblocks")}),
        )
        embed_dim = state["text_projection"].shape[1]
    except KeyError as missing:
        raise CheckpointError(
            f"{source} is not an OpenAI CLIP ViT state dict (no {missing.args[0]!r})"
        ) from None
    model = CLIP(embed_dim, vision_cfg=vision_cfg, text_cfg=text_cfg, quick_gelu=True)
    load_exact(model, {k: v.float() for k, v in state.items()}, source, ignore=("attn_mask",))
    return model


def load_chexzero(target: str, **options: Any) -> OpenClipAdapter:
    request = LoadRequest.of(options)
    state = unwrap_state_dict(read_checkpoint(target, trust_checkpoint=request.trust_checkpoint))
    model = openai_clip_from_state_dict(state, target)
    return OpenClipAdapter(
        **request.placement(),
        module=model,
        preprocess=chexzero_preprocess(model.visual.image_size[0]),
        tokenizer=ClipBpeTokenizer(model.context_length),
        fixed_logit_scale=1.0,
        extra_fingerprint={"family": "chexzero"},
    )
