"""The reference model: save/load round trip, the reference: spec, tokenizer, config validation."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

sys.path.insert(0, str(Path(__file__).parent))

from _train_support import REPORTS  # noqa: E402

from cxralign.errors import ConfigError  # noqa: E402
from cxralign.train.config import build_config, parse_override, validate_config  # noqa: E402
from cxralign.train.model import ReferenceModel, ReferenceModelConfig  # noqa: E402
from cxralign.train.tokenizer import build_vocabulary, train_wordpiece  # noqa: E402

SMALL = ReferenceModelConfig(
    image_tower_kwargs={"widths": [8, 16], "grid": 2},
    image_size=32,
    text_hidden_size=32,
    text_layers=1,
    text_heads=2,
    text_intermediate_size=64,
    vocab_size=120,
    context_length=12,
    embed_dim=16,
)


@pytest.fixture(scope="module")
def saved_model(tmp_path_factory: pytest.TempPathFactory) -> tuple[ReferenceModel, Path]:
    torch.manual_seed(0)
    model = ReferenceModel.create(SMALL, train_wordpiece(list(REPORTS.values()) * 3, 120))
    path = tmp_path_factory.mktemp("ref") / "model"
    model.save_pretrained(path)
    return model.eval(), path


def test_tokenizer_vocabulary_is_deterministic_and_keeps_negation_words() -> None:
    texts = list(REPORTS.values()) * 3
    assert build_vocabulary(texts, 80) == build_vocabulary(list(reversed(texts)), 80)
    tokenizer = train_wordpiece(texts, 80)
    assert {"no", "left", "right", "effusion"} <= set(tokenizer.get_vocab())
    assert tokenizer("No effusion")["input_ids"][0] == tokenizer.cls_token_id


def test_save_and_load_round_trip(saved_model: tuple[ReferenceModel, Path]) -> None:
    model, path = saved_model
    assert {p.name for p in path.iterdir()} >= {
        "model.safetensors",
        "reference_config.json",
        "text",
        "tokenizer",
    }
    loaded = ReferenceModel.from_pretrained(path).eval()
    enc = model.tokenizer(["small left pleural effusion"], return_tensors="pt")
    pixels = torch.randn(1, 1, 32, 32)
    with torch.no_grad():
        for a, b in zip(
            model(pixels, enc["input_ids"], enc["attention_mask"]),
            loaded(pixels, enc["input_ids"], enc["attention_mask"]),
            strict=True,
        ):
            torch.testing.assert_close(a, b)


def test_reference_spec_implements_the_protocol(saved_model: tuple[ReferenceModel, Path]) -> None:
    from cxralign.models import load_model
    from cxralign.models.base import ImageTextModel

    model, path = saved_model
    adapter = load_model(f"reference:{path.parent}", device="cpu")  # a run directory resolves to its model/
    assert isinstance(adapter, ImageTextModel)
    assert adapter.card is None
    pixels = adapter.image_transform()(Image.fromarray(np.full((40, 50), 128, np.uint8)))
    assert pixels.shape == (1, 32, 32)
    images = adapter.encode_images(pixels[None])
    texts = adapter.encode_texts(["no pleural effusion", "small left pleural effusion " * 4])
    assert images.shape == (1, 16) and texts.shape == (2, 16) and texts.dtype == np.float32
    assert adapter.tokenize(["small left pleural effusion " * 4, "no"]).n_truncated == 1
    with torch.no_grad():
        direct = model.encode_image(pixels[None]).numpy()
    np.testing.assert_allclose(images, direct, atol=1e-5)
    assert adapter.logit_scale == pytest.approx(1 / 0.07, rel=1e-4)
    fingerprint = adapter.fingerprint()
    assert fingerprint == load_model(f"reference:{path}", device="cpu").fingerprint()
    with torch.no_grad():
        model.logit_scale.add_(0.0)
        next(model.image_projection.parameters()).mul_(1.01)
    changed = path.parent / "changed"
    model.save_pretrained(changed)
    assert load_model(f"reference:{changed}", device="cpu").fingerprint() != fingerprint


def test_missing_reference_dir_is_one_clear_error(tmp_path: Path) -> None:
    from cxralign.errors import CxrAlignError
    from cxralign.models import load_model

    with pytest.raises(CxrAlignError, match="does not exist"):
        load_model(f"reference:{tmp_path / 'nope'}", device="cpu")
    with pytest.raises(CxrAlignError, match="holds no reference model"):
        load_model(f"reference:{tmp_path}", device="cpu")


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ({"optim": {"lrr": 1}}, r"optim\.lrr: unknown key"),
        ({"train": {"batch_size": 1}}, r"train\.batch_size: Input should be greater than or equal to 2"),
        ({"losses": {"soft": {"text_weight": 0.7, "clinical_weight": 0.6}}}, r"losses\.soft: .*must be <= 1"),
        ({"losses": {"enabled": ["clip", "negation"]}}, r"unknown loss 'negation'"),
        ({"losses": {"negatives": {"ops": ["flip"]}}}, r"losses\.negatives: ops must be"),
        ({"model": {"text_hidden_size": 30, "text_heads": 4}}, r"not divisible"),
        ({"train": {"precision": "bf16", "device": "cpu"}}, r"needs a GPU"),
        ({"data": {"label_only": ["x.csv"]}}, r"needs the umcl loss"),
    ],
)
def test_bad_config_fails_naming_the_key(override: dict, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        validate_config(override)


def test_presets_overrides_and_files(tmp_path: Path) -> None:
    tiny = build_config(preset="tiny-cpu")
    assert tiny.train.device == "cpu" and tiny.losses.enabled == ["clip"]
    file = tmp_path / "c.yaml"
    file.write_text("train:\n  steps: 7\nlosses:\n  enabled: [soft, neg]\n")
    config = build_config(preset="tiny-cpu", config_file=file, overrides=[parse_override("optim.lr=0.01")])
    assert config.train.steps == 7 and config.optim.lr == 0.01 and config.model.image_size == 64
    assert config.losses.enabled == ["clip", "soft", "neg"]
    assert build_config(preset="base-gpu").model.image_tower == "timm:vit_base_patch16_224"
    with pytest.raises(ConfigError, match="unknown preset"):
        build_config(preset="huge")
    file.write_text("train: [1, 2")
    with pytest.raises(ConfigError, match="not valid YAML"):
        build_config(config_file=file)


def test_configurable_image_towers_build() -> None:
    from cxralign.train.towers import build_image_tower, infer_feature_dim

    tower = build_image_tower("timm:resnet10t", 1, 32, {})
    assert infer_feature_dim(tower, 1, 32) == 512
    with pytest.raises(ConfigError, match="image_tower"):
        build_image_tower("keras:resnet", 1, 32, {})


def test_validation_goes_through_the_task_registry(
    saved_model: tuple[ReferenceModel, Path], phantom_dataset: Path, tmp_path: Path
) -> None:
    from cxralign.train.validation import run_tasks

    model, _ = saved_model
    metrics = run_tasks(
        model,
        tmp_path / "val",
        benchmark=None,
        benchmark_split="test",
        labelled=str(phantom_dataset),
        labelled_split="test",
        tasks=("zeroshot",),
        bootstrap=20,
    )
    assert set(metrics) == {"zeroshot/auroc.mean"}
    assert 0.0 <= metrics["zeroshot/auroc.mean"] <= 1.0
    assert list((tmp_path / "val").rglob("test.json"))  # a real TaskResult file was written


def test_the_linear_probe_is_scored_on_test_whatever_split_the_others_use(
    saved_model: tuple[ReferenceModel, Path], phantom_dataset: Path, tmp_path: Path, monkeypatch
) -> None:
    """Regression: the ablation evaluates on an independent set's train split; the linear probe
    fits on that split, so it must be scored on test, not on the items it was fitted on."""
    from cxralign.tasks import runner
    from cxralign.train.validation import run_tasks

    seen: list[tuple[tuple[str, ...], list[str]]] = []

    class Recording:
        def __init__(self, model, specs, out, **kwargs):  # noqa: ANN001, ANN003
            self.splits = kwargs["task_options"]["splits"]

        def run(self, names):  # noqa: ANN001, ANN201
            seen.append((tuple(names), self.splits))
            return []

    monkeypatch.setattr(runner, "Evaluation", Recording)
    model, _ = saved_model
    run_tasks(model, tmp_path / "val", benchmark=None, benchmark_split="train", labelled=str(phantom_dataset),
              labelled_split="train", tasks=("zeroshot", "linear-probe"))  # fmt: skip
    assert seen == [(("zeroshot",), ["train"]), (("linear-probe",), ["test"])]
