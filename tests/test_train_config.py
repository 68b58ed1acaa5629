"""The training config flows one way: parsed once, passed down typed; its written form reads back equal."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from cxralign.errors import ConfigError
from cxralign.train.ablation import ablation_rows, row_config
from cxralign.train.config import PRESETS, TrainConfig, build_config, validate_config

NON_DEFAULT = {
    "seed": 7,
    "out": "runs/x",
    "data": {"source": "csv", "path": "reports.csv", "max_samples": 12, "label_only": ["labels.csv"]},
    "losses": {
        "enabled": ["clip", "soft", "neg", "graph", "umcl"],
        "soft": {"text_weight": 0.3, "schedule": "cosine"},
        "negatives": {"count": 3, "ops": ["negate", "omit"], "fraction": 0.5},
        "umcl": {"position": "end", "vocabulary": "cxr14"},
    },
    "optim": {"lr": 3e-4, "betas": [0.8, 0.9], "grad_clip": None},
    "train": {"steps": None, "epochs": 1.5, "threads": 2},
    "validation": {"benchmark": "build/x", "batch_size": 16},
}


def configs() -> list[TrainConfig]:
    return [
        *(build_config(preset=name) for name in PRESETS),
        validate_config({}),
        build_config(preset="tiny-cpu", overrides=[NON_DEFAULT]),
    ]


@pytest.mark.parametrize("config", configs(), ids=[*PRESETS, "defaults", "non-default"])
def test_dump_then_load_gives_an_equal_config(config: TrainConfig, tmp_path: Path) -> None:
    as_yaml = yaml.safe_load(yaml.safe_dump(config.record(), sort_keys=False))
    assert validate_config(as_yaml) == config
    assert validate_config(json.loads(json.dumps(config.record()))) == config
    path = tmp_path / "config.yaml"  # what the trainer writes beside a run, read as --config
    path.write_text(yaml.safe_dump(config.record(), sort_keys=False))
    assert build_config(config_file=path) == config


def test_derive_changes_only_what_it_names_and_validates() -> None:
    base = build_config(preset="tiny-cpu")
    derived = base.derive(seed=3, losses={"enabled": ["clip", "soft"], "soft": {"text_weight": 0.5}})
    assert derived.seed == 3
    assert derived.losses.enabled == ["clip", "soft"]
    assert derived.losses.soft.text_weight == 0.5
    assert derived.losses.soft.clinical_weight == base.losses.soft.clinical_weight
    assert derived.data == base.data and derived.optim == base.optim
    assert base.seed == 0 and base.losses.enabled == ["clip"]  # the base is not touched
    with pytest.raises(ConfigError, match=r"ablation row x: losses.soft: .*must be <= 1"):
        base.derive("ablation row x", losses={"soft": {"text_weight": 0.9, "clinical_weight": 0.9}})
    with pytest.raises(ConfigError, match="train.batch_size"):
        base.derive(train={"batch_size": 1})


def _row_config_through_a_dict(base: TrainConfig, row, seed: int, out: Path, cache_dir: Path) -> TrainConfig:
    """The former ablation path: dump, edit the dict, validate again."""
    data = base.model_dump(mode="json")
    data["seed"] = seed
    data["out"] = str(out)
    data["losses"]["enabled"] = list(row.losses)
    data["losses"]["soft"].update(row.soft)
    data["data"]["cache_dir"] = data["data"]["cache_dir"] or str(cache_dir)
    data["validation"] = {**data["validation"], "benchmark": None, "zero_shot": None}
    return validate_config(data)


def test_ablation_rows_are_the_configs_the_dict_detour_made(tmp_path: Path) -> None:
    base = build_config(preset="tiny-cpu", overrides=[{"validation": {"benchmark": "b"}}])
    for row in ablation_rows():
        typed = row_config(base, row, 2, tmp_path / "run", tmp_path / "cache")
        assert typed == _row_config_through_a_dict(base, row, 2, tmp_path / "run", tmp_path / "cache")
        assert typed.validation.benchmark is None


def test_the_reference_model_config_reads_back_equal() -> None:
    from cxralign.train.model import ReferenceModelConfig

    config = build_config(preset="tiny-cpu").model
    assert (
        ReferenceModelConfig.model_validate(json.loads(json.dumps(config.model_dump(mode="json")))) == config
    )
