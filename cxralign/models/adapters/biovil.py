"""BioViL (Boecking et al., ECCV 2022): hi-ml's ResNet-50 image model and the CXR-BERT text model.

Both halves live in the Hugging Face repository ``microsoft/BiomedVLP-CXR-BERT-specialized``:
``pytorch_model.bin`` / ``model.safetensors`` (CXR-BERT: ``bert.*``, ``cls.*`` and the
``cls_projection_head`` = dense_to_hidden -> GELU -> LayerNorm -> dense_to_output, applied to
[CLS]) and ``biovil_image_resnet50_proj_size_128.pt`` (``encoder.encoder.*`` ResNet-50 trunk,
``projector.model.{0,1,3}`` a 1x1-conv MLP; the global embedding is the spatial mean of the
projected patch embeddings). CXR-BERT normally needs the hub's remote code; this adapter builds
the same modules natively, so no remote code runs. Images: resize 512, centre crop 480, values
in [0, 1], grayscale replicated to 3 channels (no mean/std normalisation). Texts lose trailing
"!?." before tokenisation, as hi-ml's text inference engine does.

Spec: ``biovil:/local/snapshot/dir`` or ``biovil:microsoft/BiomedVLP-CXR-BERT-specialized``
(from the local Hugging Face cache).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch
from torch import nn

from cxralign.models.adapter import DualEncoderAdapter
from cxralign.models.adapters.common import LoadRequest, resnet_patch_grid
from cxralign.models.base import TokenizedTexts
from cxralign.models.checkpoints import hub_call, load_exact, read_checkpoint, unwrap_state_dict
from cxralign.models.errors import CheckpointError
from cxralign.models.tokenization import HFTextTokenizer
from cxralign.models.transforms import ImagePreprocess

HUB_ID = "microsoft/BiomedVLP-CXR-BERT-specialized"
IMAGE_WEIGHTS = "biovil_image_resnet50_proj_size_128.pt"
HI_ML_STRIPPED = "!?."
"""hi-ml's ``TextInput.tokenize_input_prompts`` strips these from the end of every prompt."""


class BertProjectionHead(nn.Module):
    def __init__(self, hidden_size: int, projection_size: int) -> None:
        super().__init__()
        self.dense_to_hidden = nn.Linear(hidden_size, projection_size)
        self.LayerNorm = nn.LayerNorm(projection_size, eps=1e-12)
        self.dense_to_output = nn.Linear(projection_size, projection_size)

    def forward(self, hidden: torch.Tensor) -> torch.Tensor:
        return self.dense_to_output(self.LayerNorm(nn.functional.gelu(self.dense_to_hidden(hidden))))


class BiovilImageModel(nn.Module):
    def __init__(self, joint_size: int = 128) -> None:
        super().__init__()
        import torchvision

        self.encoder = nn.Module()
        self.encoder.encoder = torchvision.models.resnet50(weights=None)
        self.projector = nn.Module()
        self.projector.model = nn.Sequential(
            nn.Conv2d(2048, joint_size, kernel_size=1, bias=False),
            nn.BatchNorm2d(joint_size),
            nn.ReLU(inplace=True),
            nn.Conv2d(joint_size, joint_size, kernel_size=1, bias=True),
        )

    def forward(self, pixels: torch.Tensor) -> torch.Tensor:
        return self.projector.model(resnet_patch_grid(self.encoder.encoder, pixels)).mean(dim=(2, 3))


class BiovilModule(nn.Module):
    def __init__(self, text: nn.Module, image: BiovilImageModel) -> None:
        super().__init__()
        self.text_model = text
        self.image_model = image


class BiovilAdapter(DualEncoderAdapter):
    def _image_features(self, pixels: torch.Tensor) -> torch.Tensor:
        return self.module.image_model(pixels)

    def _text_features(self, tokens: TokenizedTexts) -> torch.Tensor:
        text = self.module.text_model
        hidden = text.bert(input_ids=tokens.input_ids, attention_mask=tokens.attention_mask).last_hidden_state
        return text.cls_projection_head(hidden[:, 0])


def snapshot_folder(target: str, cache_dir: str | None) -> Path:
    local = Path(target).expanduser()
    if local.is_dir():
        return local
    from huggingface_hub import snapshot_download

    return Path(hub_call(target, snapshot_download, target, cache_dir=cache_dir))


def _text_weights(folder: Path, trust_checkpoint: bool) -> dict[str, torch.Tensor]:
    for name in ("model.safetensors", "pytorch_model.bin"):
        if (folder / name).is_file():
            return unwrap_state_dict(read_checkpoint(folder / name, trust_checkpoint=trust_checkpoint))
    raise CheckpointError(f"{folder} has neither model.safetensors nor pytorch_model.bin (CXR-BERT weights)")


def load_cxr_bert(folder: Path, trust_checkpoint: bool) -> tuple[nn.Module, HFTextTokenizer, int]:
    """CXR-BERT (BertForMaskedLM + ``cls_projection_head``) from a snapshot folder, built without remote code.

    Returns the text module, its tokenizer and the projection size; shared by BioViL and BioViL-T,
    whose text models differ only in their weights.
    """
    from transformers import BertConfig, BertForMaskedLM

    config_file = folder / "config.json"
    if not config_file.is_file():
        raise CheckpointError(f"{folder} has no config.json: not a CXR-BERT snapshot")
    raw_config = json.loads(config_file.read_text())
    projection_size = int(raw_config.get("projection_size", 128))
    config = BertConfig(
        **{k: v for k, v in raw_config.items() if k not in ("architectures", "auto_map", "model_type")}
    )
    text = BertForMaskedLM(config)
    text.cls_projection_head = BertProjectionHead(config.hidden_size, projection_size)
    load_exact(
        text, _text_weights(folder, trust_checkpoint), str(folder), ignore=("position_ids", "cls.predictions")
    )
    tokenizer = HFTextTokenizer(
        hub_call(str(folder), _auto_tokenizer, str(folder)),
        int(raw_config.get("max_position_embeddings", 512)),
        strip_trailing=HI_ML_STRIPPED,
    )
    return text, tokenizer, projection_size


def hi_ml_transform(crop: int) -> ImagePreprocess:
    """hi-ml's inference transform: resize the short side to 512, centre crop, [0, 1], 3 channels.

    hi-ml's loader hands the transform an ``L`` image and ``ExpandChannels`` copies it to 3
    channels, so an RGB image is read as grayscale first.
    """
    return ImagePreprocess(
        resize=512,
        crop=crop,
        resize_mode="shortest",
        interpolation="bilinear",
        mean=(0.0, 0.0, 0.0),
        std=(1.0, 1.0, 1.0),
        grayscale=True,
    )


def load_hi_ml_snapshot(
    target: str,
    request: LoadRequest,
    image_model: Callable[[dict[str, torch.Tensor], int, Path], nn.Module],
    *,
    image_weights: str,
    crop: int,
    family: str,
) -> BiovilAdapter:
    """A hi-ml snapshot (CXR-BERT text weights + the ``image_weights`` file): ``image_model(state,
    text projection size, image file)`` builds the image tower the weights are loaded into."""
    folder = snapshot_folder(target, request.cache_dir)
    text, tokenizer, projection_size = load_cxr_bert(folder, request.trust_checkpoint)
    image_file = folder / image_weights
    state = unwrap_state_dict(read_checkpoint(image_file, trust_checkpoint=request.trust_checkpoint))
    image = image_model(state, projection_size, image_file)
    load_exact(image, state, str(image_file), ignore=("encoder.encoder.fc.", "num_batches_tracked"))
    return BiovilAdapter(
        **request.placement(),
        module=BiovilModule(text, image),
        preprocess=hi_ml_transform(crop),
        tokenizer=tokenizer,
        fixed_logit_scale=1.0,
        extra_fingerprint={"family": family},
    )


def load_biovil(target: str, **options: Any) -> BiovilAdapter:
    """``biovil:DIR_OR_HUBID``: the BioViL snapshot (text weights + ``IMAGE_WEIGHTS``)."""
    return load_hi_ml_snapshot(
        target,
        LoadRequest.of(options),
        lambda _state, projection_size, _file: BiovilImageModel(projection_size),
        image_weights=IMAGE_WEIGHTS,
        crop=480,
        family="biovil",
    )


def _auto_tokenizer(path: str) -> Any:
    """The snapshot's tokenizer; hi-ml's ``CXRBertTokenizer`` (a plain ``BertTokenizer`` subclass that
    transformers does not know without remote code) is read as a BERT WordPiece tokenizer."""
    from transformers import AutoTokenizer, BertTokenizerFast

    config = Path(path) / "tokenizer_config.json"
    if config.is_file() and json.loads(config.read_text()).get("tokenizer_class") == "CXRBertTokenizer":
        return BertTokenizerFast.from_pretrained(path, tokenizer_class="BertTokenizer")
    return AutoTokenizer.from_pretrained(path)
