"""The training configuration: one pydantic schema, YAML files, presets and ``--set`` overrides.

Every section forbids unknown keys and checks its ranges, so a typo or an
impossible value fails before any data is read, with the dotted key in the message.

Config flows one way: preset, file and overrides are merged as plain mappings and parsed
once (:func:`build_config`); from then on the typed :class:`TrainConfig` and its sections
are passed down. A changed copy is made with :meth:`TrainConfig.derive` (typed, validated,
no dict detour); the one JSON form written to ``config.yaml``, checkpoints and manifests is
:meth:`TrainConfig.record`, and reading it back gives an equal config.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from cxralign.errors import ConfigError
from cxralign.train.model import ReferenceModelConfig
from cxralign.utils.yaml_files import read_yaml_mapping

LOSS_NAMES = ("clip", "soft", "neg", "graph", "umcl")
VARIANT_OPS = ("negate", "omit", "laterality", "severity", "affirm")
PRESETS = ("tiny-cpu", "base-gpu")


class _Section(BaseModel):
    # revalidate: a section given as an instance (derive's copies) is checked again, not trusted
    model_config = ConfigDict(extra="forbid", revalidate_instances="always")


class DataConfig(_Section):
    source: Literal["phantoms", "csv", "mimic"] = "phantoms"
    path: str | None = (
        None  # dataset directory (phantoms, mimic) or CSV/JSONL file; phantoms are generated if None
    )
    image_root: str | None = None  # base for relative image paths (csv, mimic)
    train_split: str = "train"
    phantom_count: int = Field(800, ge=8)  # when phantoms are generated
    phantom_seed: int = 0
    phantom_image_size: int = Field(128, ge=32)
    label_only: list[str] = Field(
        default_factory=list
    )  # CSV files with image_path + label columns, no report
    max_samples: int | None = Field(None, ge=2)
    cache_images: bool = True  # decode and resize every image once, keep uint8 in memory
    num_workers: int = Field(0, ge=0)
    cache_dir: str | None = None  # where report annotations are cached (default OUT/prepared)


class SoftLabelConfig(_Section):
    text_weight: float = Field(0.2, ge=0.0, le=1.0)
    clinical_weight: float = Field(0.2, ge=0.0, le=1.0)
    relational_weight: float = Field(0.1, ge=0.0, le=1.0)
    text_temperature: float = Field(0.1, gt=0.0)
    clinical_temperature: float = Field(0.1, gt=0.0)
    relational_temperature: float = Field(0.1, gt=0.0)
    schedule: Literal["constant", "linear", "cosine"] = "linear"
    warmup_fraction: float = Field(0.2, ge=0.0, le=1.0)
    uncertain_value: float = Field(0.5, ge=0.0, le=1.0)  # weight of an uncertain finding in the label vector

    @model_validator(mode="after")
    def _weights_sum(self) -> SoftLabelConfig:
        total = self.text_weight + self.clinical_weight + self.relational_weight
        if total > 1.0 + 1e-9:
            raise ValueError(f"text_weight + clinical_weight + relational_weight = {total:g} must be <= 1")
        return self


class NegativesConfig(_Section):
    count: int = Field(1, ge=1, le=32)  # variants per report (fewer when fewer verified variants exist)
    weight: float = Field(1.0, gt=0.0)  # beta: their share of the image-to-text normaliser
    fraction: float = Field(
        1.0, gt=0.0, le=1.0
    )  # share of reports given negatives in a batch (step-time knob)
    ops: list[str] = Field(default_factory=lambda: ["negate"])

    @model_validator(mode="after")
    def _known_ops(self) -> NegativesConfig:
        unknown = [op for op in self.ops if op not in VARIANT_OPS]
        if unknown or not self.ops:
            raise ValueError(f"ops must be a non-empty subset of {', '.join(VARIANT_OPS)}; got {self.ops}")
        return self


class GraphConfig(_Section):
    weight: float = Field(0.5, gt=0.0)
    temperature: float = Field(0.07, gt=0.0)
    hidden_dim: int = Field(128, ge=4)


class UMCLConfig(_Section):
    weight: float = Field(0.5, gt=0.0)
    context_length: int = Field(8, ge=1, le=64)
    position: Literal["front", "middle", "end"] = "front"
    vocabulary: Literal["chexpert", "cxr14"] = "chexpert"
    positive_threshold: float = Field(
        0.5, gt=0.0, le=1.0
    )  # label value counted as present (1 = certain only)


class LossConfig(_Section):
    enabled: list[str] = Field(default_factory=lambda: ["clip"])
    soft: SoftLabelConfig = Field(default_factory=SoftLabelConfig)
    negatives: NegativesConfig = Field(default_factory=NegativesConfig)
    graph: GraphConfig = Field(default_factory=GraphConfig)
    umcl: UMCLConfig = Field(default_factory=UMCLConfig)

    @model_validator(mode="after")
    def _known_losses(self) -> LossConfig:
        unknown = [name for name in self.enabled if name not in LOSS_NAMES]
        if unknown:
            raise ValueError(f"unknown loss {unknown[0]!r}; choose from {', '.join(LOSS_NAMES)}")
        if "clip" not in self.enabled:
            self.enabled.insert(0, "clip")  # the image-text term every other loss modifies
        return self

    def uses(self, name: str) -> bool:
        return name in self.enabled


class OptimConfig(_Section):
    lr: float = Field(1e-3, gt=0.0, lt=10.0)
    weight_decay: float = Field(0.1, ge=0.0)
    betas: tuple[float, float] = (0.9, 0.98)
    eps: float = Field(1e-6, gt=0.0)
    warmup_steps: int = Field(20, ge=0)
    min_lr_ratio: float = Field(0.0, ge=0.0, le=1.0)
    grad_clip: float | None = Field(1.0, gt=0.0)
    accumulation: int = Field(1, ge=1)

    @model_validator(mode="after")
    def _betas(self) -> OptimConfig:
        if not all(0.0 <= b < 1.0 for b in self.betas):
            raise ValueError(f"betas must lie in [0, 1); got {self.betas}")
        return self


class RunConfig(_Section):
    batch_size: int = Field(64, ge=2)  # per process, per micro-batch
    epochs: float | None = Field(None, gt=0.0)
    steps: int | None = Field(300, ge=1)  # optimizer steps; wins over epochs when both are set
    precision: Literal["fp32", "bf16", "fp16"] = "fp32"
    device: Literal["auto", "cpu", "cuda"] = "auto"
    threads: int | None = Field(None, ge=1)
    checkpoint_every: int = Field(100, ge=1)
    keep_checkpoints: int = Field(2, ge=1)
    log_every: int = Field(10, ge=1)
    validate_every: int | None = Field(None, ge=1)  # steps; validation also runs at the end when configured


class ValidationConfig(_Section):
    benchmark: str | None = None  # a `cxralign build` output directory (CXR-Align split)
    split: str = "validation"
    zero_shot: str | None = None  # a phantom/labelled dataset directory for zero-shot AUROC
    zero_shot_split: str = "test"
    batch_size: int = Field(128, ge=1)


class TrainConfig(_Section):
    seed: int = 0
    out: str = "runs/reference"
    data: DataConfig = Field(default_factory=DataConfig)
    model: ReferenceModelConfig = Field(default_factory=ReferenceModelConfig)
    losses: LossConfig = Field(default_factory=LossConfig)
    optim: OptimConfig = Field(default_factory=OptimConfig)
    train: RunConfig = Field(default_factory=RunConfig)
    validation: ValidationConfig = Field(default_factory=ValidationConfig)

    @model_validator(mode="after")
    def _consistent(self) -> TrainConfig:
        if self.train.steps is None and self.train.epochs is None:
            raise ValueError("train: set steps or epochs")
        if self.data.label_only and not self.losses.uses("umcl"):
            raise ValueError(
                "data.label_only needs the umcl loss (labels are rendered as text by its prompts)"
            )
        if self.train.precision != "fp32" and self.train.device == "cpu":
            raise ValueError(
                f"train.precision {self.train.precision} needs a GPU; use fp32 with train.device cpu"
            )
        return self

    def derive(self, origin: str = "derived config", **sections: Any) -> TrainConfig:
        """A validated copy with top-level fields replaced; a section may be given as a mapping of
        the keys to change in it (``losses={"enabled": [...]}``) or as a whole section instance."""
        update: dict[str, Any] = {}
        for name, value in sections.items():
            current = getattr(self, name)
            if isinstance(value, dict) and isinstance(current, BaseModel):
                value = _copy_section(current, value)
            update[name] = value
        try:
            return TrainConfig.model_validate(self.model_copy(update=update))
        except ValidationError as error:
            raise ConfigError(_format_error(error, origin)) from None

    def record(self) -> dict[str, Any]:
        """The JSON form written beside a run (``config.yaml``, checkpoints, ablation manifests)."""
        return self.model_dump(mode="json")


def _copy_section(section: BaseModel, changes: dict[str, Any]) -> BaseModel:
    """``section`` with ``changes`` applied, nested sections by their own changed keys."""
    update = {
        key: _copy_section(getattr(section, key), value)
        if isinstance(value, dict) and isinstance(getattr(section, key), BaseModel)
        else value
        for key, value in changes.items()
    }
    return section.model_copy(update=update)


def _format_error(error: ValidationError, origin: str) -> str:
    first = error.errors()[0]
    key = ".".join(str(part) for part in first["loc"]) or "(top level)"
    message = first["msg"].removeprefix("Value error, ")
    if first["type"] == "extra_forbidden":
        message = "unknown key"
    more = f" (and {error.error_count() - 1} more)" if error.error_count() > 1 else ""
    return f"{origin}: {key}: {message}{more}"


def _deep_merge(base: dict[str, Any], update: dict[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in update.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _deep_merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def preset_dict(name: str) -> dict[str, Any]:
    if name not in PRESETS:
        raise ConfigError(f"unknown preset {name!r}; choose one of {', '.join(PRESETS)}")
    text = resources.files("cxralign.train").joinpath("presets", f"{name}.yaml").read_text()
    return yaml.safe_load(text) or {}


def read_yaml(path: str | Path) -> dict[str, Any]:
    return read_yaml_mapping(path, "config")


def parse_override(text: str) -> dict[str, Any]:
    """``a.b.c=value`` (value parsed as YAML) -> {"a": {"b": {"c": value}}}."""
    key, sep, raw = text.partition("=")
    if not sep or not key.strip():
        raise ConfigError(f"override {text!r} must look like section.key=value")
    value = yaml.safe_load(raw) if raw.strip() else None
    nested: dict[str, Any] = value
    for part in reversed(key.strip().split(".")):
        nested = {part: nested}
    return nested


def build_config(
    *,
    preset: str | None = None,
    config_file: str | Path | None = None,
    overrides: list[dict[str, Any]] | None = None,
) -> TrainConfig:
    """Preset, then file, then overrides (later wins); validated once at the end."""
    merged: dict[str, Any] = {}
    origin = "defaults"
    if preset:
        merged = preset_dict(preset)
        origin = f"preset {preset}"
    if config_file:
        merged = _deep_merge(merged, read_yaml(config_file))
        origin = f"config {config_file}"
    for override in overrides or []:
        merged = _deep_merge(merged, override)
    return validate_config(merged, origin)


def validate_config(data: dict[str, Any], origin: str = "config") -> TrainConfig:
    try:
        return TrainConfig.model_validate(data)
    except ValidationError as error:
        raise ConfigError(_format_error(error, origin)) from None
