"""What `make parity` found, pinned in the normal suite (no upstream package needed).

Each test restates the upstream rule it checks (file and line cited in docs/models.md) and
fails on the behaviour the adapter had before the parity run.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from cxralign.models.transforms import IMAGENET_MEAN, IMAGENET_STD, ImagePreprocess


def _film(width: int, height: int, mode: str = "L") -> Image.Image:
    rng = np.random.default_rng(width * height)
    if mode == "RGB":
        return Image.fromarray(rng.integers(0, 256, (height, width, 3), dtype=np.uint8), mode="RGB")
    return Image.fromarray(rng.integers(0, 256, (height, width), dtype=np.uint8), mode="L")


def test_shortest_side_resize_truncates_like_torchvision():
    from torchvision import transforms

    films = [_film(263, 330), _film(301, 257), _film(224, 291)]
    films.append(_film(260, 349))  # 224 * 349 / 260 = 300.65: rounding gave 301, torchvision 300
    assert round(224 * 349 / 260) != int(224 * 349 / 260)
    ours = ImagePreprocess(resize=224, crop=224, mean=IMAGENET_MEAN, std=IMAGENET_STD)
    upstream = transforms.Compose(
        [
            transforms.Resize(224, interpolation=transforms.InterpolationMode.BICUBIC),
            transforms.CenterCrop(224),
            lambda im: im.convert("RGB"),
            transforms.ToTensor(),
            transforms.Normalize(IMAGENET_MEAN, IMAGENET_STD),
        ]
    )
    for film in films:
        torch.testing.assert_close(ours(film), upstream(film), atol=1e-6, rtol=0)


def test_a_raw_16_bit_image_is_rescaled_not_clipped():
    from cxralign.data.images import load_image

    raw = Image.fromarray((np.linspace(300, 4300, 240 * 300).reshape(240, 300)).astype(np.uint16))
    assert raw.mode.startswith("I")
    preprocess = ImagePreprocess(resize=224, crop=224)
    decoded = load_image(raw)
    torch.testing.assert_close(preprocess(raw), preprocess(decoded))
    assert len(torch.unique(preprocess(raw)[0])) > 100  # clipping at 255 left a flat image


def _medclip_reference(image: Image.Image) -> torch.Tensor:
    # medclip/dataset.py MedCLIPFeatureExtractor.pad_img: size = max(224, x, y); paste on 'L' at int((size - x) / 2)
    x, y = image.size
    size = max(224, x, y)
    padded = Image.new("L", (size, size), 0)
    padded.paste(image, (int((size - x) / 2), int((size - y) / 2)))
    array = np.asarray(padded.resize((224, 224), Image.Resampling.BICUBIC), dtype=np.float32) / 255.0
    return torch.from_numpy((array - 0.5862785803043838) / 0.27950088968644304)


@pytest.mark.parametrize("mode", ["L", "RGB"])
def test_medclip_pads_to_a_square_before_resizing(mode):
    from cxralign.models.adapters.medclip import MEDCLIP_MEAN, MEDCLIP_STD

    preprocess = ImagePreprocess(
        resize=224, resize_mode="pad", grayscale=True, mean=(MEDCLIP_MEAN,) * 3, std=(MEDCLIP_STD,) * 3
    )
    image = _film(263, 330, mode)
    ours = preprocess(image)
    assert ours.shape == (3, 224, 224)
    expected = _medclip_reference(image)
    for channel in ours:
        torch.testing.assert_close(channel, expected, atol=1e-6, rtol=0)


def _chexzero_reference(image: Image.Image) -> torch.Tensor:
    from torchvision.transforms import InterpolationMode, Normalize, Resize

    # CheXzero data_process.py preprocess(): int(x * 320 / max), ANTIALIAS (Lanczos), paste on 'L'
    ratio = 320.0 / max(image.size)
    new_size = tuple(int(x * ratio) for x in image.size)
    padded = Image.new("L", (320, 320))
    padded.paste(
        image.resize(new_size, Image.Resampling.LANCZOS), ((320 - new_size[0]) // 2, (320 - new_size[1]) // 2)
    )
    # zero_shot.py make(): Normalize on the 0..255 scale, then Resize(224, BICUBIC) on the tensor
    array = torch.from_numpy(np.repeat(np.asarray(padded, dtype=np.float32)[None], 3, axis=0))
    array = Normalize((101.48761,) * 3, (83.43944,) * 3)(array)
    return Resize(224, interpolation=InterpolationMode.BICUBIC)(array)


@pytest.mark.parametrize("mode", ["L", "RGB"])
def test_chexzero_preprocessing_follows_its_repository(mode):
    from cxralign.models.adapters.chexzero import chexzero_preprocess

    image = _film(301, 257, mode)
    torch.testing.assert_close(chexzero_preprocess()(image), _chexzero_reference(image), atol=1e-5, rtol=0)


def test_chexzero_scores_pairs_without_a_logit_scale(tmp_path):
    from open_clip.model import CLIP, CLIPTextCfg, CLIPVisionCfg

    from cxralign.models import load_model

    model = CLIP(
        16,
        CLIPVisionCfg(layers=1, width=64, patch_size=32, image_size=224),
        CLIPTextCfg(context_length=77, vocab_size=49408, width=64, heads=1, layers=1),
        quick_gelu=True,
    )
    torch.save(model.state_dict(), tmp_path / "chexzero.pt")
    adapter = load_model(f"chexzero:{tmp_path / 'chexzero.pt'}", device="cpu")
    assert model.logit_scale.exp().item() == pytest.approx(1 / 0.07, rel=1e-4)
    assert (
        adapter.logit_scale == 1.0
    )  # zero_shot.py run_softmax_eval: exp(pos) / (exp(pos) + exp(neg)) of raw cosines


def test_medclip_text_embedding_does_not_depend_on_the_batch(tmp_path):
    from transformers import BertConfig, BertModel

    from cxralign.models.adapters.medclip import MedClipText

    torch.manual_seed(0)
    text = MedClipText(
        BertModel(
            BertConfig(
                vocab_size=30,
                hidden_size=32,
                num_hidden_layers=2,
                num_attention_heads=2,
                intermediate_size=64,
            )
        )
    ).eval()
    short = torch.tensor([[2, 7, 8, 3]])
    batch = torch.tensor([[2, 7, 8, 3, 0, 0, 0], [2, 9, 10, 11, 12, 13, 3]])
    mask = (batch != 0).long()
    with torch.no_grad():
        alone = text(short, torch.ones_like(short))
        batched = text(batch, mask)
        # MedCLIP's forward on the unpadded text: mean of layers 1, 2 and last over every position
        out = text.model(
            input_ids=short, attention_mask=torch.ones_like(short), output_hidden_states=True
        ).hidden_states
        medclip = text.projection_head(
            torch.stack([out[1], out[2], out[-1]]).permute(1, 0, 2, 3).mean(2).mean(1)
        )
    torch.testing.assert_close(batched[:1], alone, atol=1e-5, rtol=0)
    torch.testing.assert_close(alone, medclip, atol=1e-6, rtol=0)


def test_medclip_swin_checkpoint_with_transformers_4_key_names_loads():
    from transformers import SwinConfig, SwinModel

    from cxralign.models.adapters.medclip import SWIN_LEGACY_KEYS, rename_legacy_swin_keys

    swin = SwinModel(SwinConfig(embed_dim=24, depths=[1, 1, 1, 1], num_heads=[1, 1, 1, 1], window_size=7))
    expected = {f"vision_model.model.{k}" for k in swin.state_dict()}
    legacy = {}
    for key in expected:
        old_key = key
        for old, new in SWIN_LEGACY_KEYS:
            if new in key:
                old_key = key.replace(new, old)
                break
        legacy[old_key] = torch.zeros(1)
    if any("q_proj" in k for k in expected):  # transformers >= 5: the names differ and must be mapped
        legacy["vision_model.model.encoder.layers.0.blocks.0.attention.self.relative_position_index"] = (
            torch.zeros(1)
        )
        assert set(legacy) != expected
    assert set(rename_legacy_swin_keys(legacy, expected)) == expected


def test_card_parity_field_is_validated_and_listed():
    from cxralign.models.zoo import Parity, all_cards

    with pytest.raises(ValueError, match="max_abs_diff"):
        Parity(status="numerical", package="medclip==0.0.3", date="2026-12-07")
    with pytest.raises(ValueError, match="reason"):
        Parity(status="layout-only")
    cards = all_cards()
    assert all(card.parity is not None for card in cards.values() if card.supported)
    assert cards["medclip-vit"].parity.status == "numerical"
    script = shutil.which("cxralign") or str(Path(sys.executable).with_name("cxralign"))
    wide = {**os.environ, "COLUMNS": "300"}
    listing = subprocess.run([script, "models", "list"], capture_output=True, text=True, env=wide)
    assert listing.returncode == 0, listing.stderr
    assert "parity" in listing.stdout and "medclip==0.0.3" in listing.stdout


def test_hi_ml_reads_rgb_as_grayscale_and_strips_trailing_punctuation(tmp_path):
    from transformers import BertTokenizer

    from cxralign.models.adapters.biovil import HI_ML_STRIPPED, _auto_tokenizer, hi_ml_transform
    from cxralign.models.tokenization import HFTextTokenizer

    rgb = _film(530, 600, "RGB")
    pixels = hi_ml_transform(480)(rgb)
    # hi-ml: load_image(...).convert("L"), Resize(512), CenterCrop(480), ToTensor, ExpandChannels
    torch.testing.assert_close(pixels, hi_ml_transform(480)(rgb.convert("L")))
    assert torch.equal(pixels[0], pixels[2])
    # hi-ml's CXRBertTokenizer is named in the snapshot's tokenizer_config.json; it is a plain BERT WordPiece
    (tmp_path / "vocab.txt").write_text(
        "\n".join(["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "no", "effusion", "."])
    )
    BertTokenizer(str(tmp_path / "vocab.txt")).save_pretrained(tmp_path)
    config = tmp_path / "tokenizer_config.json"
    config.write_text(config.read_text().replace('"BertTokenizer"', '"CXRBertTokenizer"'))
    assert '"CXRBertTokenizer"' in config.read_text()
    tokenizer = HFTextTokenizer(_auto_tokenizer(str(tmp_path)), 8, strip_trailing=HI_ML_STRIPPED)
    ids = tokenizer(["No effusion.", "No effusion"]).input_ids
    assert torch.equal(ids[0], ids[1]) and ids[0].tolist()[:4] == [2, 5, 6, 3]


def test_repository_only_cards_cite_the_constants_their_adapters_use():
    from cxralign.models.adapters import gloria, mgca
    from cxralign.models.adapters.common import gloria_clean_text
    from cxralign.models.zoo import get_card

    for name in ("gloria", "mgca", "convirt"):
        parity = get_card(name).parity
        assert parity.status == "layout-only" and parity.sources
        assert all(len(s.commit) == 40 and s.line > 0 for s in parity.sources)
    cited = {s.what: s.value for s in get_card("gloria").parity.sources}
    assert "word_num 97" in cited["tokenizer"] and gloria.WORD_NUM == 97
    assert "last_n_layers 4" in " ".join(s.value for s in get_card("gloria").parity.sources)
    assert gloria.LAST_N_LAYERS == 4
    assert (
        "max_words 112" in " ".join(s.value for s in get_card("mgca").parity.sources)
        and mgca.MAX_WORDS == 112
    )
    # both repositories: longest side 256 (INTER_AREA ~ PIL box), zero padding, centre crop 224, 0.5 / 0.5, grayscale
    expected = {
        "resize": 256,
        "crop": 224,
        "resize_mode": "longest",
        "interpolation": "box",
        "grayscale": True,
    }
    from cxralign.models.adapters.common import gloria_preprocess

    shared = gloria_preprocess()
    for key, value in expected.items():
        assert getattr(shared, key) == value, key
    assert tuple(shared.mean) == (0.5, 0.5, 0.5) and tuple(shared.std) == (0.5, 0.5, 0.5)
    import inspect

    from cxralign.models.adapters.common import gloria_family_adapter

    family = inspect.getsource(gloria_family_adapter)
    assert "preprocess=gloria_preprocess()" in family and "clean=gloria_clean_text" in family
    for module in (gloria, mgca):  # both adapters are made by that one builder, so use that one transform
        assert "gloria_family_adapter(" in Path(module.__file__).read_text(), module.__name__
    # cv2.imread(path, 0): the image is grey before the resize (CheXzero, by contrast, resizes RGB first)
    gloria_like = ImagePreprocess(
        resize=256, crop=224, resize_mode="longest", interpolation="box", grayscale=True
    )
    rgb = _film(301, 257, "RGB")
    torch.testing.assert_close(gloria_like(rgb), gloria_like(rgb.convert("L")))
    report = "1. Small left pleural effusion.\n2. No pneumothorax. Ok. Heart size normal"
    assert gloria_clean_text(report) == "small left pleural effusion no pneumothorax heart size normal"


def test_leaderboard_shows_the_cards_parity(tmp_path):
    from test_leaderboard_support import edit_json, make_submission, registry

    from cxralign.leaderboard import render_leaderboard
    from cxralign.leaderboard.submit import _parity_summary
    from cxralign.models.zoo import get_card

    card = get_card("medclip-vit").model_dump()
    summary = _parity_summary(card)
    assert summary.startswith("medclip==0.0.3 max|diff|")
    assert _parity_summary({"name": "x"}) is None
    submission = make_submission(tmp_path, "alpha", 0.05)
    edit_json(submission, lambda data: data["model"].update(parity=summary))
    html, _ = render_leaderboard(
        submission.parent.parent, tmp_path / "site", registry=registry(), include_reported=False
    )
    assert f"parity: {summary}" in html.read_text()


def test_cxr_clip_resnet_uses_imagenet_statistics_as_its_evaluator_does():
    from cxralign.models.adapters import cxr_clip
    from cxralign.models.zoo import get_card

    source = Path(cxr_clip.__file__).read_text()
    assert 'mean=IMAGENET_MEAN if family == "resnet50" else (0.5, 0.5, 0.5)' in source
    resnet, swin = get_card("cxr-clip-resnet50"), get_card("cxr-clip-swint")
    assert resnet.preprocessing.mean == list(IMAGENET_MEAN) and resnet.preprocessing.std == list(IMAGENET_STD)
    assert swin.preprocessing.mean == [0.5, 0.5, 0.5]
    cited = {(s.file, s.line) for s in resnet.parity.sources}
    assert ("cxrclip/evaluator.py", 36) in cited and ("cxrclip/model/clip.py", 61) in cited
