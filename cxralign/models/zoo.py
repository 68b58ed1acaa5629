"""The model zoo: one validated card per known model, stored as YAML in ``model_zoo/``.

A card records everything needed to load, score and fairly compare a model:
its loader spec, where its weights come from, its preprocessing and prompts,
what it was trained on (to flag contamination against a benchmark's source),
and the numbers its authors report, always labelled as reported with the table
they come from. Cards are validated with pydantic: a typo in a card is an
error at load time, not a silent default.
"""

from __future__ import annotations

import difflib
import functools
import os
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from cxralign.models.errors import ModelSpecError

ZOO_ENV = "CXRALIGN_ZOO_DIR"
SOURCE_ZOO_DIR = Path(__file__).resolve().parents[2] / "model_zoo"
"""The repository's cards (a source checkout or an editable install)."""
PACKAGED_ZOO_DIR = Path(__file__).resolve().parents[1] / "model_zoo"
"""The same cards copied into an installed wheel by setup.py's build step."""
DEFAULT_ZOO_DIR = SOURCE_ZOO_DIR if SOURCE_ZOO_DIR.is_dir() else PACKAGED_ZOO_DIR
KNOWN_DATASETS = (
    "mimic-cxr",
    "chexpert",
    "chexpert-plus",
    "openi",
    "padchest",
    "chestx-ray14",
    "rsna-pneumonia",
    "siim-pneumothorax",
    "vindr-cxr",
    "brax",
    "pmc-15m",
    "roco",
    "medpix",
    "laion-2b",
    "webimagetext-400m",
    "synthetic",
)


URL_PATTERN = r"^https?://[^\s<>\"']+$"
"""Links on a card are shown on the leaderboard's model page: absolute http(s) only."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class WeightSource(_Strict):
    """Where the weights live; ``sha256`` only when it is known for the exact file."""

    hub_id: str | None = None
    url: str | None = Field(default=None, pattern=URL_PATTERN)
    file: str | None = None
    sha256: str | None = Field(default=None, pattern=r"^[0-9a-f]{64}$")
    notes: str | None = None


class Preprocessing(_Strict):
    size: int
    resize_mode: Literal["shortest", "longest", "pad", "squash"] = "shortest"
    crop: int | None = None
    mean: list[float] = Field(default_factory=list)
    std: list[float] = Field(default_factory=list)
    channels: Literal[1, 3] = 3
    notes: str | None = None


class TextEncoder(_Strict):
    name: str
    context_length: int = Field(gt=0)
    tokenizer: str | None = None


class PromptStyle(_Strict):
    """How the authors score zero-shot: one template, an ensemble, or a positive/negative pair."""

    style: Literal["single", "ensemble", "pair"]
    templates: list[str] = Field(min_length=1)
    negative_templates: list[str] = Field(default_factory=list)

    @model_validator(mode="after")
    def _pair_has_negatives(self) -> PromptStyle:
        if self.style == "pair" and not self.negative_templates:
            raise ValueError("a positive/negative pair style needs negative_templates")
        return self


class SourceLine(_Strict):
    """One line of the authors' code an adapter follows (repository-only models)."""

    what: str  # e.g. "normalisation", "pooling", "projection", "tokenizer"
    repository: str
    commit: str = Field(pattern=r"^[0-9a-f]{40}$")
    file: str
    line: int = Field(gt=0)
    value: str  # the constant or rule, as our adapter states it


class Parity(_Strict):
    """How far the adapter is proven: numerically against the upstream package, or by key layout only."""

    status: Literal["numerical", "layout-only"]
    package: str | None = None  # "medclip==0.0.3"
    date: str | None = Field(default=None, pattern=r"^\d{4}-\d{2}-\d{2}$")
    max_abs_diff: float | None = Field(default=None, ge=0)
    tolerance: float | None = Field(default=None, gt=0)
    compared: list[str] = Field(default_factory=list)
    reason: str | None = None
    sources: list[SourceLine] = Field(default_factory=list)

    @model_validator(mode="after")
    def _complete(self) -> Parity:
        if self.status == "numerical" and (self.package is None or self.max_abs_diff is None or not self.date):
            raise ValueError("numerical parity needs package, date and max_abs_diff")
        if self.status == "layout-only" and not self.reason:
            raise ValueError("layout-only parity must say why (reason)")
        return self

    def summary(self) -> str:
        """One short cell for `cxralign models list` and the leaderboard."""
        if self.status == "layout-only":
            return "layout-only" + (f" ({len(self.sources)} source lines)" if self.sources else "")
        return f"{self.package} max|diff| {self.max_abs_diff:.1e} ({self.date})"


class ReportedNumber(_Strict):
    """A figure quoted from the authors' paper, never one we measured; cited by paper, venue and table."""

    metric: str
    value: float
    dataset: str
    task: str
    paper: str = Field(min_length=1)  # the paper's title
    venue: str = Field(min_length=1)  # e.g. "Nature Biomedical Engineering 2022", "CVPR 2025"
    table: str = Field(min_length=1)  # e.g. "Table 2"
    notes: str | None = None

    @property
    def source(self) -> str:
        """The citation a reader can follow: title, venue, table."""
        return f"{self.paper}. {self.venue}, {self.table}"


class ModelCard(_Strict):
    name: str = Field(pattern=r"^[a-z0-9][a-z0-9._-]*$")
    title: str
    loader: str
    supported: bool = True
    unsupported_reason: str | None = None
    what_would_be_needed: str | None = None
    architecture: str
    weights: WeightSource = Field(default_factory=WeightSource)
    preprocessing: Preprocessing | None = None
    text_encoder: TextEncoder | None = None
    prompts: PromptStyle | None = None
    training_data: list[str] = Field(default_factory=list)
    license: str
    citation: str
    paper: str | None = Field(default=None, pattern=URL_PATTERN)
    code: str | None = Field(default=None, pattern=URL_PATTERN, description="Source code repository.")
    reported: list[ReportedNumber] = Field(default_factory=list)
    tags: list[str] = Field(default_factory=list)
    parity: Parity | None = None

    @model_validator(mode="after")
    def _consistent(self) -> ModelCard:
        if not self.supported and not self.unsupported_reason:
            raise ValueError("an unsupported card must say why (unsupported_reason)")
        unknown = [d for d in self.training_data if d not in KNOWN_DATASETS]
        if unknown:
            raise ValueError(f"unknown training dataset id(s) {unknown}; known: {', '.join(KNOWN_DATASETS)}")
        return self

    def resolve_loader(self, weights: str | None = None) -> str:
        """The loader spec with ``{weights}`` filled from ``weights``, the hub id or the file."""
        if "{weights}" not in self.loader:
            return self.loader
        source = weights or self.weights.hub_id or self.weights.file
        if not source:
            where = f" from {self.weights.url}" if self.weights.url else ""
            raise ModelSpecError(
                f"zoo model {self.name} needs its weights: download them{where} and use zoo:{self.name}@/path/to/weights"
            )
        return self.loader.replace("{weights}", os.path.expanduser(source))

    def trained_on(self, dataset: str) -> bool:
        """Contamination check: was ``dataset`` (a KNOWN_DATASETS id) in this model's training data?"""
        return dataset.lower() in self.training_data


def zoo_dirs() -> list[Path]:
    extra = [Path(p) for p in os.environ.get(ZOO_ENV, "").split(os.pathsep) if p]
    return [*extra, DEFAULT_ZOO_DIR]


def load_card_file(path: str | os.PathLike[str]) -> ModelCard:
    file = Path(path)
    try:
        data = yaml.safe_load(file.read_text(encoding="utf-8"))
        return ModelCard.model_validate(data)
    except yaml.YAMLError as error:
        raise ModelSpecError(f"model card {file} is not valid YAML: {str(error).splitlines()[0]}") from error
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "(card)"
        raise ModelSpecError(f"model card {file} is invalid at {where}: {first['msg']}") from error


@functools.lru_cache(maxsize=8)
def _cards(dirs: tuple[Path, ...]) -> dict[str, ModelCard]:
    cards: dict[str, ModelCard] = {}
    for directory in reversed(dirs):  # earlier directories override later ones
        if not directory.is_dir():
            continue
        for file in sorted(directory.glob("*.y*ml")):
            card = load_card_file(file)
            cards[card.name] = card
    return cards


def all_cards() -> dict[str, ModelCard]:
    return dict(_cards(tuple(zoo_dirs())))


def card_names() -> list[str]:
    return sorted(all_cards())


def get_card(name: str) -> ModelCard:
    """Card by name; an unknown name suggests close matches."""
    cards = all_cards()
    key = name.strip().lower()
    if key in cards:
        return cards[key]
    close = difflib.get_close_matches(key, list(cards), n=3, cutoff=0.5)
    hint = f"; did you mean {', '.join(close)}?" if close else "; see `cxralign models list`"
    raise ModelSpecError(f"unknown zoo model {name!r}{hint}")
