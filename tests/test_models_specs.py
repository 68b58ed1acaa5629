"""The spec parser, the zoo, safety checks and the `cxralign models` commands."""

from __future__ import annotations

import textwrap

import numpy as np
import pytest
import torch
import yaml
from typer.testing import CliRunner

from cxralign.errors import ConfigError
from cxralign.models import (
    CheckpointError,
    HubUnavailableError,
    ModelSpecError,
    get_card,
    load_model,
    parse_spec,
)
from cxralign.models.specs import known_schemes
from cxralign.models.zoo import ModelCard, all_cards, load_card_file


def test_parse_spec_schemes_and_errors():
    assert parse_spec("open_clip:hf-hub:org/name").target == "hf-hub:org/name"
    assert parse_spec("open-clip:ViT-B-32@openai").scheme == "open_clip"
    assert parse_spec("chexzero").scheme == "zoo"  # a bare zoo name
    with pytest.raises(ModelSpecError, match="did you mean open_clip"):
        parse_spec("openclip:ViT-B-32")
    with pytest.raises(ModelSpecError, match="no scheme"):
        parse_spec("ViT-B-32")
    with pytest.raises(ModelSpecError, match="empty"):
        parse_spec("  ")
    with pytest.raises(ModelSpecError, match="names nothing"):
        parse_spec("hf:")


def test_unknown_names_suggest_close_matches():
    with pytest.raises(ModelSpecError, match="did you mean chexzero"):
        load_model("zoo:chexzer0")
    with pytest.raises(ModelSpecError, match="did you mean cxralign-tiny-vit"):
        load_model("open_clip:cxralign-tiny-vitt", device="cpu")


def test_every_card_validates_and_points_at_a_registered_loader():
    from cxralign.models.specs import BUILTIN_LOADERS

    cards = all_cards()
    required = {
        "openai-clip-vit-b-32",
        "openai-clip-vit-b-16",
        "biomedclip",
        "chexzero",
        "medclip-vit",
        "medclip-resnet",
        "cxr-clip-swint",
        "cxr-clip-resnet50",
        "biovil",
        "biovil-t",
        "gloria",
        "convirt",
        "mgca",
        "ntc",
        "reference-tiny-clip",
        "reference-tiny-negaware",
        "medklip",
        "kad",
        "carzero",
    }
    assert required <= set(cards)
    for card in cards.values():
        if card.supported and card.loader != "{weights}":
            assert parse_spec(card.loader.replace("{weights}", "x")).scheme in BUILTIN_LOADERS, card.name
        for number in card.reported:
            assert number.source  # reported figures always name their table
    assert get_card("chexzero").prompts.negative_templates == ["no {}"]
    assert get_card("chexzero").trained_on("mimic-cxr") and not get_card("chexzero").trained_on("chexpert")


def test_unsupported_and_weightless_cards_explain_themselves():
    with pytest.raises(ModelSpecError, match="not a dual encoder|cannot be scored"):
        load_model("zoo:medklip")
    with pytest.raises(ModelSpecError, match="github.com/rajpurkarlab/CheXzero"):
        load_model("zoo:chexzero", device="cpu")


def test_card_validation_rejects_sloppy_cards(tmp_path):
    card = {
        "name": "x",
        "title": "X",
        "loader": "open_clip:RN50",
        "architecture": "a",
        "license": "MIT",
        "citation": "c",
        "training_data": ["mimic"],
    }
    path = tmp_path / "x.yaml"
    path.write_text(yaml.safe_dump(card))
    with pytest.raises(ModelSpecError, match="unknown training dataset"):
        load_card_file(path)
    card.update(training_data=["mimic-cxr"], supported=False)
    path.write_text(yaml.safe_dump(card))
    with pytest.raises(ModelSpecError, match="must say why"):
        load_card_file(path)
    card.update(supported=True, prompts={"style": "pair", "templates": ["{}"]})
    path.write_text(yaml.safe_dump(card))
    with pytest.raises(ModelSpecError, match="negative_templates"):
        load_card_file(path)


def test_zoo_card_with_local_weights_and_sha256_check(tmp_path, monkeypatch):
    from cxralign.models.adapters.open_clip_adapter import load_open_clip
    from cxralign.utils.hashing import sha256_file

    weights = tmp_path / "w.pt"
    torch.save(load_open_clip("cxralign-tiny-vit@random", spec="x", device="cpu").module.state_dict(), weights)
    zoo = tmp_path / "zoo"
    zoo.mkdir()
    card = {
        "name": "my-tiny",
        "title": "t",
        "loader": "open_clip:cxralign-tiny-vit@{weights}",
        "architecture": "a",
        "license": "MIT",
        "citation": "c",
        "weights": {"sha256": sha256_file(weights)},
    }
    (zoo / "my-tiny.yaml").write_text(yaml.safe_dump(card))
    monkeypatch.setenv("CXRALIGN_ZOO_DIR", str(zoo))
    model = load_model(f"zoo:my-tiny@{weights}", device="cpu")
    assert isinstance(model.card, ModelCard) and model.card.name == "my-tiny"
    torch.save({"logit_scale": torch.tensor(1.0)}, weights)
    with pytest.raises(CheckpointError, match="sha256"):
        load_model(f"zoo:my-tiny@{weights}", device="cpu")


def test_hub_ids_without_network_fail_in_one_line(monkeypatch, tmp_path):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))
    for spec in (
        "open_clip:hf-hub:microsoft/BiomedCLIP-PubMedBERT_256-vit_base_patch16_224",
        "hf:openai/clip-vit-base-patch32",
        "open_clip:ViT-B-32@openai",
    ):
        with pytest.raises(HubUnavailableError, match="not in the local Hugging Face cache") as info:
            load_model(spec, device="cpu")
        assert "\n" not in str(info.value)


def test_python_factory_and_entry_point_plugins(tmp_path, monkeypatch):
    module = tmp_path / "my_cxr_plugin.py"
    module.write_text(
        textwrap.dedent("""
        from cxralign.models.adapters.open_clip_adapter import load_open_clip

        def build(argument, **kwargs):
            kwargs["spec"] = "plugin:" + argument
            return load_open_clip("cxralign-tiny-vit@random", **kwargs)
    """)
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    model = load_model("python:my_cxr_plugin:build@hello", device="cpu")
    assert model.spec == "plugin:hello"
    with pytest.raises(ModelSpecError, match="has no attribute"):
        load_model("python:my_cxr_plugin:missing")

    dist_info = tmp_path / "my_cxr_plugin-0.1.dist-info"  # an installed package's metadata, as pip writes it
    dist_info.mkdir()
    (dist_info / "METADATA").write_text("Metadata-Version: 2.1\nName: my-cxr-plugin\nVersion: 0.1\n")
    (dist_info / "entry_points.txt").write_text("[cxralign.models]\nmyzoo = my_cxr_plugin:build\n")
    assert "myzoo" in known_schemes()
    assert load_model("myzoo:abc", device="cpu").spec == "plugin:abc"


def test_random_init_is_reproducible_and_precision_changes_the_fingerprint():
    a = load_model("open_clip:cxralign-tiny-vit@random", device="cpu")
    b = load_model("open_clip:cxralign-tiny-vit@random", device="cpu")
    assert a.fingerprint() == b.fingerprint()
    half = load_model("open_clip:cxralign-tiny-vit@random", device="cpu", precision="bf16")
    assert half.fingerprint() != a.fingerprint()
    pixels = torch.randn(2, 3, 64, 64)
    full, reduced = a.encode_images(pixels), half.encode_images(pixels)
    assert reduced.dtype == np.float32
    cosine = (full * reduced).sum(1) / (np.linalg.norm(full, axis=1) * np.linalg.norm(reduced, axis=1))
    assert cosine.min() > 0.98
    with pytest.raises(ConfigError, match="precision"):
        load_model("open_clip:cxralign-tiny-vit@random", precision="fp8")


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the error on a machine without CUDA")
def test_unavailable_device_is_a_clear_error():
    with pytest.raises(ConfigError, match="CUDA is not available"):
        load_model("open_clip:cxralign-tiny-vit@random", device="cuda")


@pytest.fixture(scope="module")
def cli():
    from cxralign import cli as cli_module

    cli_module._register_commands()
    return cli_module


def test_cli_list_show_check(cli):
    runner = CliRunner()
    listed = runner.invoke(cli.app, ["models", "list", "--all"], env={"COLUMNS": "200"})
    assert listed.exit_code == 0, listed.output
    assert "chexzero" in listed.output and "medklip" in listed.output
    shown = runner.invoke(cli.app, ["models", "show", "chexzero"])
    assert shown.exit_code == 0 and "no {}" in shown.output and "mimic-cxr" in shown.output
    checked = runner.invoke(
        cli.app,
        ["models", "check", "open_clip:cxralign-tiny-vit@random", "--device", "cpu", "--batch-size", "2"],
        env={"COLUMNS": "200"},
    )
    assert checked.exit_code == 0, checked.output
    model = load_model("open_clip:cxralign-tiny-vit@random", device="cpu")
    assert model.fingerprint() in checked.output and "32 dims" in checked.output
    assert f"{model.parameter_count():,}" in checked.output


def test_cli_errors_are_one_red_line(cli, capsys):
    with pytest.raises(SystemExit) as done:
        cli.main(["models", "show", "chexzer0"])
    assert done.value.code == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error:") and "did you mean chexzero" in err and len(err.splitlines()) == 1
