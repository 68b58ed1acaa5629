"""What a phantom can contain: finding names, ground-truth records and generator options.

Options are validated here, once, before any pixel is drawn: an impossible value
raises :class:`cxralign.errors.ConfigError` with one line that says what to change.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from cxralign.errors import ConfigError

GENERATOR_VERSION = "1.0.0"
"""Bumped whenever the same seed and options would give different pixels or reports."""

MIN_SIZE, MAX_SIZE = 64, 1024

FINDINGS: tuple[str, ...] = (
    "cardiomegaly",
    "enlarged_cardiomediastinum",
    "pleural_effusion",
    "pneumothorax",
    "consolidation",
    "lung_opacity",
    "nodule",
    "mass",
    "atelectasis",
    "edema",
    "support_devices",
    "fracture",
)
"""Findings the generator can draw; the keys of ``prevalence``."""

CHEXPERT_OF: dict[str, str] = {
    "cardiomegaly": "Cardiomegaly",
    "enlarged_cardiomediastinum": "Enlarged Cardiomediastinum",
    "pleural_effusion": "Pleural Effusion",
    "pneumothorax": "Pneumothorax",
    "consolidation": "Consolidation",
    "lung_opacity": "Lung Opacity",
    "nodule": "Lung Lesion",
    "mass": "Lung Lesion",
    "atelectasis": "Atelectasis",
    "edema": "Edema",
    "support_devices": "Support Devices",
    "fracture": "Fracture",
}
"""The CheXpert-14 observation a report of each finding is labelled with."""

DEVICES: tuple[str, ...] = ("endotracheal_tube", "central_line", "pacemaker", "chest_tube")

Difficulty = Literal["easy", "standard", "hard"]
DIFFICULTIES: tuple[str, ...] = ("easy", "standard", "hard")

DEFAULT_PREVALENCE: dict[str, float] = {
    "cardiomegaly": 0.18,
    "enlarged_cardiomediastinum": 0.08,
    "pleural_effusion": 0.18,
    "pneumothorax": 0.12,
    "consolidation": 0.12,
    "lung_opacity": 0.10,
    "nodule": 0.10,
    "mass": 0.06,
    "atelectasis": 0.12,
    "edema": 0.10,
    "support_devices": 0.18,
    "fracture": 0.06,
}
"""Independent per-study probabilities: findings co-occur by chance only, so no finding predicts another."""


@dataclass(frozen=True)
class Finding:
    """Ground truth of one finding drawn into one image.

    ``uncertain`` is True when the report hedges it ("possible ..."), so its
    CheXpert label is -1 although the finding is in the pixels.
    """

    name: str
    laterality: str | None = None  # "left" | "right" | "bilateral" (patient side)
    severity: str | None = None  # "mild" | "moderate" | "severe" | "small" | "large"
    location: str | None = None  # lobe or zone, e.g. "right lower lobe", "apical", "base"
    subtype: str | None = None  # pattern or device, e.g. "lobar", "plate-like", "pacemaker"
    size_cm: float | None = None
    uncertain: bool = False
    extra: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {key: value for key, value in asdict(self).items() if value not in (None, {}, False)}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Finding:
        return cls(**dict(data))


def _suggest(name: str, choices: tuple[str, ...]) -> str:
    close = difflib.get_close_matches(name, choices, n=3, cutoff=0.5)
    return f" (did you mean {', '.join(close)}?)" if close else f"; known: {', '.join(choices)}"


def normalise_finding_name(name: str) -> str:
    """Accept ``pleural_effusion``, ``Pleural Effusion`` or ``pleural-effusion``; reject unknown names."""
    key = name.strip().lower().replace("-", "_").replace(" ", "_")
    aliases = {"effusion": "pleural_effusion", "ptx": "pneumothorax", "devices": "support_devices"}
    key = aliases.get(key, key)
    if key not in FINDINGS:
        raise ConfigError(f"unknown finding {name!r}{_suggest(key, FINDINGS)}")
    return key


def parse_prevalence(spec: str | Mapping[str, float] | float | None) -> dict[str, float]:
    """Resolve a prevalence option into a probability for every finding.

    Accepts None (defaults), a number (every finding), a mapping, or text such as
    ``"pneumothorax=0.3,edema=0.2"`` / ``"0.1"``; unnamed findings keep their default.
    """
    resolved = dict(DEFAULT_PREVALENCE)
    if spec is None:
        return resolved
    items: dict[str, Any]
    if isinstance(spec, int | float):
        items = {name: spec for name in FINDINGS}
    elif isinstance(spec, str):
        text = spec.strip()
        if not text:
            return resolved
        if "=" not in text:
            items = {name: text for name in FINDINGS}
        else:
            items = {}
            for part in text.split(","):
                if not part.strip():
                    continue
                if "=" not in part:
                    raise ConfigError(f"prevalence entry {part.strip()!r} is not NAME=PROBABILITY")
                key, value = part.split("=", 1)
                items[key] = value
    else:
        items = dict(spec)
    for key, value in items.items():
        name = normalise_finding_name(str(key))
        try:
            probability = float(value)
        except (TypeError, ValueError):
            raise ConfigError(f"prevalence of {name} must be a number in [0, 1], got {value!r}") from None
        if not (0.0 <= probability <= 1.0) or math.isnan(probability):
            raise ConfigError(f"prevalence of {name} must be in [0, 1], got {probability}")
        resolved[name] = probability
    return resolved


@dataclass(frozen=True)
class PhantomOptions:
    """Validated generator options; ``as_dict`` is what the manifest records."""

    seed: int = 0
    size: int = 224
    difficulty: str = "standard"
    prevalence: dict[str, float] = field(default_factory=lambda: dict(DEFAULT_PREVALENCE))

    def as_dict(self) -> dict[str, Any]:
        return {
            "seed": self.seed,
            "size": self.size,
            "difficulty": self.difficulty,
            "prevalence": {name: self.prevalence[name] for name in FINDINGS},
        }


def resolve_options(
    *,
    n: int | None = None,
    seed: int = 0,
    size: int = 224,
    difficulty: str = "standard",
    prevalence: str | Mapping[str, float] | float | None = None,
) -> PhantomOptions:
    """Check every option at once and return them resolved, or raise one clear ConfigError."""
    if n is not None and (isinstance(n, bool) or not isinstance(n, int) or n < 0):
        raise ConfigError(f"number of samples must be a non-negative integer, got {n!r}")
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise ConfigError(f"seed must be a non-negative integer, got {seed!r}")
    if isinstance(size, bool) or not isinstance(size, int) or not (MIN_SIZE <= size <= MAX_SIZE):
        raise ConfigError(f"image size must be an integer from {MIN_SIZE} to {MAX_SIZE} pixels, got {size!r}")
    if difficulty not in DIFFICULTIES:
        raise ConfigError(f"unknown difficulty {difficulty!r}{_suggest(str(difficulty), DIFFICULTIES)}")
    return PhantomOptions(
        seed=seed, size=size, difficulty=difficulty, prevalence=parse_prevalence(prevalence)
    )
