"""Which findings a study has: one sampler per finding (the table in ``findings.py`` names them).

A sampler takes the study's sampling state (:class:`_Draw`: RNG, difficulty profile, lobes
already used, effusion sides) and returns the findings it drew. Samplers run in the order of
``spec.FINDINGS``; that order and every RNG call are part of the output (same seed, same bytes).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from cxralign.data.phantoms._fast import weighted_index
from cxralign.data.phantoms.spec import DEVICES, Finding
from cxralign.utils.registry import Registry

SIDES = ("right", "left")
LOBES = {
    "right": ("right upper lobe", "right middle lobe", "right lower lobe"),
    "left": ("left upper lobe", "lingula", "left lower lobe"),
}


@dataclass(frozen=True)
class DifficultyProfile:
    """How visible findings are: density, size, noise and how often reports hedge."""

    contrast: float
    size: float
    noise: float
    jitter: float
    severity_weights: tuple[float, float, float]
    uncertain_share: float
    normal_ctr: tuple[float, float]


PROFILES: dict[str, DifficultyProfile] = {
    "easy": DifficultyProfile(1.3, 1.25, 0.6, 0.7, (0.2, 0.4, 0.4), 0.08, (0.36, 0.45)),
    "standard": DifficultyProfile(1.0, 1.0, 1.0, 1.0, (0.45, 0.35, 0.2), 0.15, (0.38, 0.47)),
    "hard": DifficultyProfile(0.5, 0.7, 1.8, 1.3, (0.7, 0.25, 0.05), 0.25, (0.41, 0.495)),
}


# ---------------------------------------------------------------- sampling


def _grade(rng: np.random.Generator, profile: DifficultyProfile, names: tuple[str, str, str]) -> str:
    return names[weighted_index(rng, profile.severity_weights)]


def _hedge(rng: np.random.Generator, profile: DifficultyProfile, subtle: bool) -> bool:
    return bool(subtle and rng.random() < 2 * profile.uncertain_share)


class _Draw:
    """One study's sampling state: its RNG and profile, lobes already used, effusion sides."""

    def __init__(self, rng: np.random.Generator, profile: DifficultyProfile) -> None:
        self.rng = rng
        self.profile = profile
        self.used_lobes: set[str] = set()
        self.effusion_sides: set[str] = set()

    def lobe(self, side: str, choices: tuple[str, ...] | None = None) -> str:
        options = [lb for lb in (choices or LOBES[side]) if lb not in self.used_lobes] or list(
            choices or LOBES[side]
        )
        pick = str(options[int(self.rng.integers(len(options)))])
        self.used_lobes.add(pick)
        return pick

    def side(self) -> str:
        return SIDES[int(self.rng.integers(2))]

    def grade(self, names: tuple[str, str, str]) -> str:
        return _grade(self.rng, self.profile, names)

    def hedge(self, subtle: bool) -> bool:
        return _hedge(self.rng, self.profile, subtle)


def _cardiomegaly(d: _Draw) -> list[Finding]:
    grade = d.grade(("mild", "moderate", "severe"))
    low, high = {"mild": (0.52, 0.56), "moderate": (0.56, 0.61), "severe": (0.61, 0.67)}[grade]
    return [
        Finding(
            "cardiomegaly",
            severity=grade,
            location="heart",
            uncertain=d.hedge(grade == "mild"),
            extra={"ctr": round(float(d.rng.uniform(low, high)), 3)},
        )
    ]


def _mediastinum(d: _Draw) -> list[Finding]:
    grade = "mild" if d.rng.random() < 0.6 else "moderate"
    return [
        Finding(
            "enlarged_cardiomediastinum",
            severity=grade,
            location="superior mediastinum",
            uncertain=d.hedge(grade == "mild"),
        )
    ]


def _effusion(d: _Draw) -> list[Finding]:
    laterality = ("right", "left", "bilateral")[weighted_index(d.rng, (0.4, 0.35, 0.25))]
    grade = d.grade(("small", "moderate", "large"))
    d.effusion_sides = set(SIDES) if laterality == "bilateral" else {laterality}
    return [
        Finding(
            "pleural_effusion",
            laterality=laterality,
            severity=grade,
            location="base",
            uncertain=d.hedge(grade == "small" and laterality != "bilateral"),
        )
    ]


def _pneumothorax(d: _Draw) -> list[Finding]:
    laterality = d.side()
    grade = d.grade(("small", "moderate", "large"))
    location = "apical" if (laterality in d.effusion_sides or d.rng.random() < 0.5) else "lateral"
    return [
        Finding(
            "pneumothorax",
            laterality=laterality,
            severity=grade,
            location=location,
            uncertain=d.hedge(grade == "small"),
        )
    ]


def _consolidation(d: _Draw) -> list[Finding]:
    laterality = d.side()
    pattern = "lobar" if d.rng.random() < 0.55 else "patchy"
    return [
        Finding(
            "consolidation",
            laterality=laterality,
            location=d.lobe(laterality),
            subtype=pattern,
            uncertain=d.hedge(pattern == "patchy"),
            extra={"air_bronchograms": bool(pattern == "lobar" and d.rng.random() < 0.5)},
        )
    ]


def _opacity(d: _Draw) -> list[Finding]:
    laterality = d.side()
    return [
        Finding(
            "lung_opacity",
            laterality=laterality,
            location=d.lobe(laterality),
            subtype="patchy",
            uncertain=d.hedge(True),
        )
    ]


def _nodule(d: _Draw) -> list[Finding]:
    laterality = d.side()
    size = round(float(d.rng.uniform(1.0, 2.6) * d.profile.size), 1)
    return [
        Finding(
            "nodule",
            laterality=laterality,
            location=d.lobe(laterality),
            size_cm=size,
            uncertain=d.hedge(size < 1.1),
        )
    ]


def _mass(d: _Draw) -> list[Finding]:
    laterality = d.side()
    return [
        Finding(
            "mass",
            laterality=laterality,
            location=d.lobe(laterality, (LOBES[laterality][0], LOBES[laterality][2])),
            size_cm=round(float(d.rng.uniform(3.5, 6.5) * d.profile.size), 1),
        )
    ]


def _atelectasis(d: _Draw) -> list[Finding]:
    if d.rng.random() < 0.6:
        laterality = ("right", "left", "bilateral")[weighted_index(d.rng, (0.35, 0.35, 0.3))]
        return [
            Finding(
                "atelectasis",
                laterality=laterality,
                location="base",
                subtype="plate-like",
                uncertain=d.hedge(True),
            )
        ]
    laterality = d.side()
    return [
        Finding(
            "atelectasis",
            laterality=laterality,
            location=f"{laterality} lower lobe",
            subtype="lobar",
            extra={"volume_loss": True},
        )
    ]


def _edema(d: _Draw) -> list[Finding]:
    grade = d.grade(("mild", "moderate", "severe"))
    return [
        Finding(
            "edema",
            laterality="bilateral",
            severity=grade,
            location="perihilar",
            uncertain=d.hedge(grade == "mild"),
            extra={"kerley_lines": bool(grade != "mild" and d.rng.random() < 0.6)},
        )
    ]


def _devices(d: _Draw) -> list[Finding]:
    count = 1 if d.rng.random() < 0.7 else 2
    kinds = d.rng.choice(len(DEVICES), size=count, replace=False, p=[0.3, 0.35, 0.2, 0.15])
    return [_sample_device(d.rng, DEVICES[kind]) for kind in sorted(int(k) for k in kinds)]


def _fracture(d: _Draw) -> list[Finding]:
    laterality = d.side()
    rib = int(d.rng.integers(4, 9))
    displaced = d.rng.random() < 0.6
    return [
        Finding(
            "fracture",
            laterality=laterality,
            location=f"{laterality} rib {rib}",
            subtype="displaced" if displaced else "nondisplaced",
            uncertain=d.hedge(not displaced),
            extra={"rib": rib},
        )
    ]


DeviceSampler = Callable[[np.random.Generator, str], Finding]
DEVICE_SAMPLERS: Registry[DeviceSampler] = Registry("phantom device")
"""Support-device subtype -> its sampler ``(rng, subtype) -> Finding``."""


def _sample_device(rng: np.random.Generator, device: str) -> Finding:
    return DEVICE_SAMPLERS.get(device)(rng, device)


@DEVICE_SAMPLERS.register("endotracheal_tube")
def _endotracheal_tube(rng: np.random.Generator, device: str) -> Finding:
    tip = round(float(rng.uniform(3.0, 6.0)), 1)
    return Finding("support_devices", location="trachea", subtype=device, extra={"tip_above_carina_cm": tip})


@DEVICE_SAMPLERS.register("central_line")
def _central_line(rng: np.random.Generator, device: str) -> Finding:
    laterality = "right" if rng.random() < 0.65 else "left"
    route = "internal jugular" if rng.random() < 0.6 else "subclavian"
    tip = "superior vena cava" if rng.random() < 0.6 else "cavoatrial junction"
    return Finding(
        "support_devices", laterality=laterality, location=tip, subtype=device, extra={"route": route}
    )


@DEVICE_SAMPLERS.register("pacemaker")
def _pacemaker(rng: np.random.Generator, device: str) -> Finding:
    laterality = "left" if rng.random() < 0.8 else "right"
    leads = 2 if rng.random() < 0.7 else 1
    return Finding(
        "support_devices",
        laterality=laterality,
        location="chest wall",
        subtype=device,
        extra={"leads": leads},
    )


@DEVICE_SAMPLERS.register("chest_tube")
def _chest_tube(rng: np.random.Generator, device: str) -> Finding:
    laterality = SIDES[int(rng.integers(2))]
    return Finding("support_devices", laterality=laterality, location="pleural space", subtype=device)


Sampler = Callable[[_Draw], list[Finding]]

SAMPLERS: Registry[Sampler] = Registry(
    "phantom finding sampler",
    members={
        "cardiomegaly": _cardiomegaly,
        "enlarged_cardiomediastinum": _mediastinum,
        "pleural_effusion": _effusion,
        "pneumothorax": _pneumothorax,
        "consolidation": _consolidation,
        "lung_opacity": _opacity,
        "nodule": _nodule,
        "mass": _mass,
        "atelectasis": _atelectasis,
        "edema": _edema,
        "support_devices": _devices,
        "fracture": _fracture,
    },
)
