"""Published-checkpoint adapters, each fed a tiny random checkpoint written in the real layout and format."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from PIL import Image

from cxralign.models import CheckpointError, UntrustedCheckpointError, load_model

WORDS = [
    "no",
    "pleural",
    "effusion",
    "pneumothorax",
    "cardiomegaly",
    "is",
    "seen",
    "there",
    "a",
    "small",
    "left",
    "right",
    "lung",
    "edema",
]


@pytest.fixture(scope="module")
def tiny_bert(tmp_path_factory):
    """A 2-layer BERT config and WordPiece tokenizer directory (stands in for Bio_ClinicalBERT's config)."""
    from tokenizers import BertWordPieceTokenizer
    from transformers import BertConfig, BertTokenizerFast

    root = tmp_path_factory.mktemp("bert")
    vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", *WORDS, "."]
    (root / "vocab.txt").write_text("\n".join(vocab) + "\n")
    wordpiece = BertWordPieceTokenizer(str(root / "vocab.txt"), lowercase=True)
    BertTokenizerFast(
        tokenizer_object=wordpiece._tokenizer,
        unk_token="[UNK]",
        sep_token="[SEP]",
        pad_token="[PAD]",
        cls_token="[CLS]",
        mask_token="[MASK]",
    ).save_pretrained(root)
    BertConfig(
        vocab_size=len(vocab),
        hidden_size=32,
        num_hidden_layers=4,
        num_attention_heads=2,
        intermediate_size=64,
        max_position_embeddings=512,
    ).save_pretrained(root)
    return root


@pytest.fixture(scope="module")
def image():
    return Image.fromarray(np.tile(np.arange(0, 256, 2, dtype=np.uint8), (100, 1)))


def _run(model, image, texts=("no pleural effusion", "small left pleural effusion")):
    pixels = model.image_transform()(image).unsqueeze(0)
    image_features = model.encode_images(pixels)
    text_features = model.encode_texts(list(texts))
    assert image_features.dtype == np.float32 and text_features.dtype == np.float32
    assert image_features.shape[1] == text_features.shape[1]
    assert np.isfinite(image_features).all() and np.isfinite(text_features).all()
    return pixels, image_features, text_features


def test_chexzero_state_dict(tmp_path, image):
    from open_clip.model import CLIP, CLIPTextCfg, CLIPVisionCfg

    torch.manual_seed(1)
    reference = CLIP(
        16,
        CLIPVisionCfg(layers=1, width=64, patch_size=32, image_size=224),
        CLIPTextCfg(context_length=77, vocab_size=49408, width=64, heads=1, layers=1),
        quick_gelu=True,
    )
    path = tmp_path / "best_64_5e-05_original_22000_0.864.pt"
    torch.save(reference.state_dict(), path)  # what CheXzero's save() writes
    model = load_model(f"chexzero:{path}", device="cpu")
    pixels, features, _ = _run(model, image)
    assert pixels.shape == (1, 3, 224, 224)
    expected = reference.eval().encode_image(pixels).detach().numpy()
    np.testing.assert_allclose(features, expected, rtol=1e-4, atol=1e-5)
    # CheXzero's normalisation: a black (padding) pixel maps to -mean/std on the 0..255 scale
    assert pixels[0, 0, 0, 0].item() == pytest.approx(-101.48761 / 83.43944, rel=1e-4)


def test_checkpoint_key_mismatch_is_one_line(tmp_path):
    path = tmp_path / "bad.pt"
    torch.save({"visual.proj": torch.zeros(2, 2)}, path)
    with pytest.raises(CheckpointError, match="not an OpenAI CLIP") as info:
        load_model(f"chexzero:{path}", device="cpu")
    assert "\n" not in str(info.value)


def test_open_clip_checkpoint_with_extra_pickle_needs_trust(tmp_path):
    from cxralign.models.adapters.open_clip_adapter import load_open_clip

    model = load_open_clip("cxralign-tiny-vit@random", spec="x", device="cpu")
    path = tmp_path / "epoch_1.pt"
    torch.save(
        {
            "state_dict": {f"module.{k}": v for k, v in model.module.state_dict().items()},
            "config": Image.new("L", (1, 1)),
        },
        path,
    )  # any non-tensor object forces a full pickle
    with pytest.raises(UntrustedCheckpointError, match="--trust-checkpoint"):
        load_model(f"open_clip:cxralign-tiny-vit@{path}", device="cpu")
    trusted = load_model(f"open_clip:cxralign-tiny-vit@{path}", device="cpu", trust_checkpoint=True)
    assert trusted._weights_digest == model._weights_digest  # same tensors; the stranger object stayed inert


def test_open_clip_safetensors_checkpoint_and_mismatch(tmp_path):
    from safetensors.torch import save_file

    base = load_model("open_clip:cxralign-tiny-vit@random", device="cpu")
    state = {k: v.clone().contiguous() for k, v in base.module.state_dict().items()}
    state["logit_scale"] = torch.tensor(2.0)
    save_file(state, tmp_path / "w.safetensors")
    loaded = load_model(f"open_clip:cxralign-tiny-vit@{tmp_path / 'w.safetensors'}", device="cpu")
    assert loaded.logit_scale == pytest.approx(np.exp(2.0), rel=1e-5)
    assert loaded.fingerprint() != base.fingerprint()
    with pytest.raises(CheckpointError, match="does not match the architecture"):
        load_model(f"open_clip:cxralign-tiny-rn@{tmp_path / 'w.safetensors'}", device="cpu")


@pytest.mark.slow  # timm ViT-Tiny at 224 px plus a BERT tower: several seconds on 2 cores
def test_biomedclip_local_dir_in_hub_layout(tmp_path, tiny_bert, image):
    import open_clip

    config = {
        "model_cfg": {
            "embed_dim": 16,
            "vision_cfg": {
                "timm_model_name": "vit_tiny_patch16_224",
                "timm_model_pretrained": False,
                "timm_pool": "",
                "timm_proj": "linear",
                "image_size": 224,
            },
            "text_cfg": {
                "hf_model_name": str(tiny_bert),
                "hf_tokenizer_name": str(tiny_bert),
                "hf_proj_type": "mlp",
                "hf_pooler_type": "cls_last_hidden_state_pooler",
                "context_length": 256,
                "hf_model_pretrained": False,
            },
        },
        "preprocess_cfg": {
            "mean": [0.48145466, 0.4578275, 0.40821073],
            "std": [0.26862954, 0.26130258, 0.27577711],
        },
    }
    (tmp_path / "open_clip_config.json").write_text(json.dumps(config))
    for name in (
        "tokenizer.json",
        "tokenizer_config.json",
    ):  # the hub repo ships its tokenizer beside the weights
        (tmp_path / name).write_bytes((tiny_bert / name).read_bytes())
    reference = open_clip.create_model(f"local-dir:{tmp_path}", pretrained_text=False)
    torch.save(reference.state_dict(), tmp_path / "open_clip_pytorch_model.bin")
    model = load_model(f"biomedclip:{tmp_path}", device="cpu")
    assert model.context_length == 256
    pixels, features, _ = _run(model, image)
    np.testing.assert_allclose(
        features, reference.eval().encode_image(pixels).detach().numpy(), rtol=1e-4, atol=1e-5
    )
    long_text = "no pleural effusion " * 100
    assert model.tokenize([long_text, "edema"]).n_truncated == 1


def _tiny_swin_dir(tmp_path):
    from transformers import SwinConfig

    root = tmp_path / "swin"
    SwinConfig(
        image_size=224, patch_size=4, embed_dim=24, depths=[1, 1, 1, 1], num_heads=[1, 1, 1, 1], window_size=7
    ).save_pretrained(root)
    return root


@pytest.mark.slow  # builds a full-size ResNet-50 (the real layout) twice: several seconds on 2 cores
@pytest.mark.parametrize("variant", ["vit", "resnet"])
def test_medclip_checkpoint_dir(tmp_path, tiny_bert, image, variant):
    from cxralign.models.adapters import medclip
    from cxralign.models.adapters.common import hf_backbone_from_config

    swin = _tiny_swin_dir(tmp_path)
    vision = (
        medclip.MedClipSwin(hf_backbone_from_config(str(swin)))
        if variant == "vit"
        else medclip.MedClipResNet()
    )
    module = medclip.MedClipModule(vision, medclip.MedClipText(hf_backbone_from_config(str(tiny_bert))))
    checkpoint = tmp_path / "medclip-pretrained"
    checkpoint.mkdir()
    torch.save(module.state_dict(), checkpoint / "pytorch_model.bin")
    options = f"?text={tiny_bert}" + (f"&vision={swin}" if variant == "vit" else "")
    model = load_model(f"medclip-{variant}:{checkpoint}{options}", device="cpu")
    pixels, features, text_features = _run(model, image)
    assert features.shape == (1, 512)
    black = model.image_transform()(Image.new("L", (50, 60), 0))
    assert black.shape == (3, 224, 224)
    assert black.max().item() == pytest.approx(-0.5862785803043838 / 0.27950088968644304, rel=1e-4)
    module.eval()
    np.testing.assert_allclose(features, module.vision_model(pixels).detach().numpy(), rtol=1e-4, atol=1e-4)


@pytest.mark.slow  # builds a full-size ResNet-50 (the real layout) twice: several seconds on 2 cores
def test_gloria_lightning_checkpoint(tmp_path, tiny_bert, image):
    from cxralign.models.adapters import gloria
    from cxralign.models.adapters.common import hf_backbone_from_config

    module = gloria.GloriaModule(hf_backbone_from_config(str(tiny_bert)))
    state = {f"gloria.{k}": v for k, v in module.state_dict().items()}
    path = tmp_path / "chexpert_resnet50.ckpt"
    torch.save(
        {
            "epoch": 3,
            "global_step": 10,
            "state_dict": state,
            "hyper_parameters": {"cfg": Image.new("L", (1, 1))},
        },
        path,
    )
    with pytest.raises(UntrustedCheckpointError):
        load_model(f"gloria:{path}?text={tiny_bert}", device="cpu")
    model = load_model(f"gloria:{path}?text={tiny_bert}", device="cpu", trust_checkpoint=True)
    _, features, text_features = _run(model, image)
    assert features.shape == (1, 32) and text_features.shape == (2, 32)
    assert model.context_length == 97


def test_hf_clip_model_local_dir(tmp_path, tiny_bert, image):
    from transformers import BertTokenizerFast, CLIPConfig, CLIPModel

    config = CLIPConfig(
        text_config={
            "vocab_size": 64,
            "hidden_size": 32,
            "num_hidden_layers": 1,
            "num_attention_heads": 2,
            "intermediate_size": 64,
            "max_position_embeddings": 77,
        },
        vision_config={
            "image_size": 32,
            "patch_size": 16,
            "hidden_size": 32,
            "num_hidden_layers": 1,
            "num_attention_heads": 2,
            "intermediate_size": 64,
        },
        projection_dim=16,
    )
    torch.manual_seed(0)
    reference = CLIPModel(config).eval()
    reference.save_pretrained(tmp_path)
    BertTokenizerFast.from_pretrained(tiny_bert).save_pretrained(tmp_path)
    (tmp_path / "preprocessor_config.json").write_text(
        json.dumps(
            {
                "size": {"shortest_edge": 32},
                "crop_size": {"height": 32, "width": 32},
                "do_center_crop": True,
                "image_mean": [0.5, 0.5, 0.5],
                "image_std": [0.25, 0.25, 0.25],
            }
        )
    )
    model = load_model(f"hf:{tmp_path}", device="cpu")
    pixels, features, _ = _run(model, image)
    assert pixels.shape == (1, 3, 32, 32)
    expected = reference.get_image_features(pixel_values=pixels)
    expected = expected if isinstance(expected, torch.Tensor) else expected.pooler_output
    np.testing.assert_allclose(features, expected.detach().numpy(), rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("projection", ["linear", "mlp"])
def test_cxr_clip_tar_checkpoint(tmp_path, tiny_bert, image, projection):
    from cxralign.models.adapters import cxr_clip
    from cxralign.models.adapters.common import hf_backbone_from_config

    swin = _tiny_swin_dir(tmp_path)
    encoder = cxr_clip.SwinEncoder(hf_backbone_from_config(str(swin)))
    module = cxr_clip.CxrClipModule(
        encoder, cxr_clip.TextEncoder(hf_backbone_from_config(str(tiny_bert))), projection, 16, "eos"
    )
    config = {
        "base": {"image_size": 224, "text_max_length": 64},
        "model": {"text_encoder": {"pooling": "eos"}, "projection_head": {"name": projection}},
    }
    path = tmp_path / "swint_mc.tar"
    torch.save({"model": module.state_dict(), "config": config, "epoch": 9}, path)
    model = load_model(f"cxr-clip:{path}?text={tiny_bert}&vision={swin}", device="cpu")
    assert model.context_length == 64
    pixels, features, text_features = _run(model, image)
    module.eval()
    tokens = model.tokenize(["no pleural effusion"])
    with torch.no_grad():
        expected = module.encode_text(tokens.input_ids, tokens.attention_mask).numpy()
    np.testing.assert_allclose(text_features[:1], expected, rtol=1e-4, atol=1e-5)
    assert features.shape == (1, 16)


@pytest.mark.slow  # builds a full-size ResNet-50 (the real layout) twice: several seconds on 2 cores
def test_biovil_snapshot_dir_without_remote_code(tmp_path, tiny_bert, image):
    from transformers import BertConfig, BertForMaskedLM

    from cxralign.models.adapters import biovil

    folder = tmp_path / "BiomedVLP-CXR-BERT-specialized"
    folder.mkdir()
    config = json.loads((tiny_bert / "config.json").read_text())
    config.update(
        {
            "architectures": ["CXRBertModel"],
            "model_type": "cxr-bert",
            "projection_size": 8,
            "auto_map": {"AutoModel": "modeling_cxrbert.CXRBertModel"},
        }
    )
    (folder / "config.json").write_text(json.dumps(config))
    for name in ("tokenizer.json", "tokenizer_config.json"):
        (folder / name).write_bytes((tiny_bert / name).read_bytes())
    text = BertForMaskedLM(
        BertConfig(
            **{k: v for k, v in config.items() if k not in ("architectures", "auto_map", "model_type")}
        )
    )
    text.cls_projection_head = biovil.BertProjectionHead(32, 8)
    torch.save(text.state_dict(), folder / "pytorch_model.bin")
    image_model = biovil.BiovilImageModel(8)
    torch.save(image_model.state_dict(), folder / biovil.IMAGE_WEIGHTS)
    model = load_model(f"biovil:{folder}", device="cpu")
    pixels, features, text_features = _run(model, image)
    assert pixels.shape == (1, 3, 480, 480) and pixels.min() >= 0.0 and pixels.max() <= 1.0
    assert features.shape == (1, 8) and text_features.shape == (2, 8)
    tokens = model.tokenize(["no pleural effusion"])
    with torch.no_grad():
        cls = (
            text.eval()
            .bert(input_ids=tokens.input_ids, attention_mask=tokens.attention_mask)
            .last_hidden_state[:, 0]
        )
        np.testing.assert_allclose(
            text_features[:1], text.cls_projection_head(cls).numpy(), rtol=1e-4, atol=1e-5
        )


@pytest.mark.slow  # builds a full-size ResNet-50 (the real layout) twice: several seconds on 2 cores
@pytest.mark.parametrize(
    ("scheme", "image_prefix", "text_prefix"),
    [("mgca", "img_encoder_q.", "text_encoder_q."), ("convirt", "img_encoder.", "text_encoder.")],
)
def test_mgca_and_convirt_lightning_checkpoints(
    tmp_path, tiny_bert, image, scheme, image_prefix, text_prefix
):
    from cxralign.models.adapters import mgca
    from cxralign.models.adapters.common import hf_backbone_from_config

    image_encoder = mgca.ImageEncoder("resnet", 64, 16)
    text_encoder = mgca.TextEncoder(hf_backbone_from_config(str(tiny_bert)), 64, 16)
    state = {f"{image_prefix}{k}": v for k, v in image_encoder.state_dict().items()}
    state |= {f"{text_prefix}{k}": v for k, v in text_encoder.state_dict().items()}
    state[f"{image_prefix}local_embed.head.0.weight"] = torch.zeros(
        2, 2
    )  # present in real checkpoints, unused
    path = tmp_path / "last.ckpt"
    torch.save({"state_dict": state, "hyper_parameters": {"img_encoder": "resnet_50"}}, path)
    model = load_model(f"{scheme}:{path}?text={tiny_bert}", device="cpu")
    pixels, features, text_features = _run(model, image)
    assert features.shape == (1, 16) and text_features.shape == (2, 16)
    with torch.no_grad():
        np.testing.assert_allclose(features, image_encoder.eval()(pixels).numpy(), rtol=1e-4, atol=1e-4)
    with pytest.raises(CheckpointError, match="not a"):
        other = "convirt" if scheme == "mgca" else "mgca"
        load_model(f"{other}:{path}?text={tiny_bert}", device="cpu")


def _cxr_bert_snapshot(folder, tiny_bert, projection_size):
    """A CXR-BERT snapshot folder (remote-code config, tokenizer, text weights) in the hub layout."""
    from transformers import BertConfig, BertForMaskedLM

    from cxralign.models.adapters import biovil

    folder.mkdir()
    config = json.loads((tiny_bert / "config.json").read_text())
    config.update(
        {
            "architectures": ["CXRBertModel"],
            "model_type": "cxr-bert",
            "projection_size": projection_size,
            "auto_map": {"AutoModel": "modeling_cxrbert.CXRBertModel"},
        }
    )
    (folder / "config.json").write_text(json.dumps(config))
    for name in ("tokenizer.json", "tokenizer_config.json"):
        (folder / name).write_bytes((tiny_bert / name).read_bytes())
    text = BertForMaskedLM(
        BertConfig(
            **{k: v for k, v in config.items() if k not in ("architectures", "auto_map", "model_type")}
        )
    )
    text.cls_projection_head = biovil.BertProjectionHead(config["hidden_size"], projection_size)
    torch.save(text.state_dict(), folder / "pytorch_model.bin")
    return text.eval()


def _tiny_biovil_t_image_model(joint=8):
    """hi-ml's MultiImageModel key layout at small widths, with non-trivial BatchNorm statistics."""
    from cxralign.models.adapters import biovil_t

    torch.manual_seed(0)
    model = biovil_t.BiovilTImageModel(joint, base_width=4, blocks=(1, 2, 1, 1), vit_dim=16, pooler_blocks=2)
    with torch.no_grad():
        for name, tensor in model.state_dict().items():
            if name.endswith("running_var"):
                tensor.uniform_(0.5, 2.0)
            elif name.endswith("running_mean") or "missing_previous_emb" in name or "type_embed" in name:
                tensor.normal_(0.0, 0.5)
    return model.eval()


def test_biovil_t_snapshot_single_image_path(tmp_path, tiny_bert, image):
    import torch.nn.functional as F

    from cxralign.models.adapters import biovil_t

    folder = tmp_path / "BiomedVLP-BioViL-T"
    text = _cxr_bert_snapshot(folder, tiny_bert, 8)
    reference = _tiny_biovil_t_image_model(8)
    state = reference.state_dict()
    assert {
        "encoder.missing_previous_emb",
        "encoder.backbone_to_vit.weight",
        "projector.model.3.bias",
    } <= set(state)
    assert (
        "encoder.vit_pooler.blocks.1.attn.proj_q.weight" in state
        and "encoder.vit_pooler.pos_embed" not in state
    )
    torch.save(state, folder / biovil_t.IMAGE_WEIGHTS)

    model = load_model(f"biovil-t:{folder}", device="cpu")
    pixels, features, text_features = _run(model, image)
    assert pixels.shape == (1, 3, 448, 448) and pixels.min() >= 0.0 and pixels.max() <= 1.0
    assert features.shape == (1, 8) and text_features.shape == (2, 8)

    # Reference: trunk -> 1x1 conv -> concat with the learned missing-prior embedding -> MLP -> patch mean.
    batch = torch.cat([pixels, pixels.flip(-1)])
    with torch.no_grad():
        trunk = reference.encoder.encoder
        grid = trunk.layer4(
            trunk.layer3(trunk.layer2(trunk.layer1(trunk.maxpool(trunk.relu(trunk.bn1(trunk.conv1(batch)))))))
        )
        patches = F.conv2d(grid, state["encoder.backbone_to_vit.weight"])
        assert patches.shape[1:] == (16, 14, 14)  # 448 px -> hi-ml's 14x14 grid
        fused = torch.cat([patches, state["encoder.missing_previous_emb"].expand_as(patches)], dim=1)
        hidden = F.conv2d(fused, state["projector.model.0.weight"])
        hidden = F.batch_norm(
            hidden,
            state["projector.model.1.running_mean"],
            state["projector.model.1.running_var"],
            state["projector.model.1.weight"],
            state["projector.model.1.bias"],
        )
        out = F.conv2d(F.relu(hidden), state["projector.model.3.weight"], state["projector.model.3.bias"])
        expected = out.mean(dim=(2, 3)).numpy()
        np.testing.assert_allclose(model.encode_images(batch), expected, rtol=1e-4, atol=1e-5)
        # the prior-image path runs the ViT pooler and changes the embedding
        with_prior = reference(batch[:1], batch[1:]).numpy()
        assert with_prior.shape == (1, 8) and not np.allclose(with_prior, expected[:1], atol=1e-4)

    tokens = model.tokenize(["no pleural effusion"])
    with torch.no_grad():
        cls = text.bert(input_ids=tokens.input_ids, attention_mask=tokens.attention_mask).last_hidden_state[
            :, 0
        ]
        np.testing.assert_allclose(
            text_features[:1], text.cls_projection_head(cls).numpy(), rtol=1e-4, atol=1e-5
        )


def test_biovil_t_rejects_mismatched_image_checkpoints(tmp_path, tiny_bert):
    from cxralign.models.adapters import biovil, biovil_t

    folder = tmp_path / "BiomedVLP-BioViL-T"
    _cxr_bert_snapshot(folder, tiny_bert, 8)
    with pytest.raises(CheckpointError, match="checkpoint not found"):
        load_model(f"biovil-t:{folder}", device="cpu")
    state = _tiny_biovil_t_image_model(8).state_dict()
    path = folder / biovil_t.IMAGE_WEIGHTS

    # a BioViL (single-image) file: no ViT pooler, no missing-prior embedding
    single = {k: v for k, v in state.items() if "vit_pooler" not in k and "backbone_to_vit" not in k}
    single = {k: v for k, v in single.items() if k != "encoder.missing_previous_emb"}
    torch.save(single, path)
    with pytest.raises(CheckpointError, match=r"does not match the architecture: \d+ missing key") as error:
        load_model(f"biovil-t:{folder}", device="cpu")
    assert "\n" not in str(error.value) and "encoder.backbone_to_vit.weight" in str(error.value)

    torch.save({**state, "encoder.vit_pooler.extra.weight": torch.zeros(1)}, path)
    with pytest.raises(CheckpointError, match="unexpected key"):
        load_model(f"biovil-t:{folder}", device="cpu")

    torch.save({**state, "encoder.missing_previous_emb": torch.zeros(1, 8, 1, 1)}, path)
    with pytest.raises(CheckpointError, match="shape mismatch"):
        load_model(f"biovil-t:{folder}", device="cpu")

    other = _tiny_biovil_t_image_model(4).state_dict()  # projects to 4 dims, the text model to 8
    torch.save(other, path)
    with pytest.raises(CheckpointError, match="projects images to 4 dims"):
        load_model(f"biovil-t:{folder}", device="cpu")
    assert biovil.IMAGE_WEIGHTS != biovil_t.IMAGE_WEIGHTS


def test_biovil_t_zoo_card_routes_to_the_adapter(tmp_path, tiny_bert, monkeypatch):
    from cxralign.models import HubUnavailableError
    from cxralign.models.adapters import biovil_t
    from cxralign.models.zoo import get_card

    card = get_card("biovil-t")
    assert card.supported and card.loader == "biovil-t:{weights}" and card.weights.hub_id == biovil_t.HUB_ID
    assert card.preprocessing.crop == biovil_t.CROP and card.text_encoder.context_length == 512
    folder = tmp_path / "snapshot"
    _cxr_bert_snapshot(folder, tiny_bert, 8)
    torch.save(_tiny_biovil_t_image_model(8).state_dict(), folder / biovil_t.IMAGE_WEIGHTS)
    model = load_model(f"zoo:biovil-t@{folder}", device="cpu")
    assert model.card.name == "biovil-t" and model.context_length == 512
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))
    with pytest.raises(HubUnavailableError, match="not in the local Hugging Face cache") as info:
        load_model("zoo:biovil-t", device="cpu")  # the card's hub id, never downloaded
    assert "\n" not in str(info.value)
