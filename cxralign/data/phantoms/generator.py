"""Phantom studies: patients, their studies, images, reports and ground truth.

Determinism: every random draw comes from a generator seeded by
``(seed, stream, patient index[, study index])``, so sample *k* is the same
whether 10 or 10,000 samples are generated, on any machine, and patients can be
drawn in any order. Patients have one to three studies; all of a patient's
studies share the anatomy and land in the same split.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from cxralign.data.phantoms._fast import weighted_index
from cxralign.data.phantoms.anatomy import Anatomy, restudy, sample_anatomy
from cxralign.data.phantoms.banks import get_banks
from cxralign.data.phantoms.chest import render_chest
from cxralign.data.phantoms.film import develop, reference_counts, sample_exposure
from cxralign.data.phantoms.findings import PROFILES, draw_findings, sample_findings
from cxralign.data.phantoms.reports import Labels, write_report
from cxralign.data.phantoms.spec import Finding, PhantomOptions, resolve_options

SPLITS = ("train", "validation", "test")
_SPLIT_BLOCK = ("train",) * 8 + ("validation", "test")
_ANATOMY, _STUDY, _SPLIT = 1, 2, 3


@dataclass(frozen=True)
class PhantomSample:
    """One phantom study: an 8-bit image, its report and what is really in it."""

    sample_id: str
    patient_id: str
    split: str
    image: np.ndarray  # (size, size) uint8
    report: str
    labels: Labels  # CheXpert-14 name -> 1.0 / 0.0 / -1.0 / None, as the report gives them
    findings: tuple[Finding, ...]

    def findings_json(self) -> list[dict[str, Any]]:
        return [finding.to_dict() for finding in self.findings]


def _rng(seed: int, *key: int) -> np.random.Generator:
    return np.random.default_rng([seed, *key])


@functools.lru_cache(maxsize=64)
def _split_block(seed: int, block: int) -> tuple[str, ...]:
    order = _rng(seed, _SPLIT, block).permutation(len(_SPLIT_BLOCK))
    return tuple(_SPLIT_BLOCK[int(k)] for k in order)


def patient_split(seed: int, patient: int) -> str:
    """80/10/10 by patient, exact in every block of ten patients."""
    block, slot = divmod(patient, len(_SPLIT_BLOCK))
    return _split_block(seed, block)[slot]


def studies_of(seed: int, patient: int) -> int:
    return 1 + weighted_index(_rng(seed, _ANATOMY, patient, 1), (0.6, 0.28, 0.12))


@functools.lru_cache(maxsize=8)
def _patient_anatomy(seed: int, patient: int, difficulty: str) -> Anatomy:
    """A patient's body, shared by all of their studies (cached: studies come in patient order)."""
    profile = PROFILES[difficulty]
    return sample_anatomy(_rng(seed, _ANATOMY, patient), profile.jitter, profile.normal_ctr)


def render_study(
    options: PhantomOptions, patient: int, study: int, prior: tuple[Finding, ...] | None
) -> PhantomSample:
    """Draw study ``study`` of patient ``patient`` (pure: depends on nothing else)."""
    profile = PROFILES[options.difficulty]
    banks = get_banks(options.size)
    base = _patient_anatomy(options.seed, patient, options.difficulty)
    rng = _rng(options.seed, _STUDY, patient, study)
    anatomy = restudy(base, rng, profile.jitter) if study else base
    findings = sample_findings(rng, options.prevalence, profile)
    chest = render_chest(anatomy, banks, rng)
    reference = reference_counts(chest.image)
    draw_findings(chest, findings, profile, rng)
    image = develop(chest.image, reference, sample_exposure(rng, options.size, profile.noise), banks)
    report, labels = write_report(findings, rng, prior=None if prior is None else {f.name for f in prior})
    patient_id = f"phantom-{options.seed}-{patient:06d}"
    return PhantomSample(
        sample_id=f"{patient_id}-s{study + 1}",
        patient_id=patient_id,
        split=patient_split(options.seed, patient),
        image=image,
        report=report,
        labels=labels,
        findings=findings,
    )


def plan_patients(seed: int, n: int) -> list[tuple[int, int]]:
    """(patient, studies drawn) for the first ``n`` studies, in patient order (cheap: no drawing)."""
    plan, produced, patient = [], 0, 0
    while produced < n:
        take = min(studies_of(seed, patient), n - produced)
        plan.append((patient, take))
        produced += take
        patient += 1
    return plan


def render_patient(options: PhantomOptions, patient: int, studies: int) -> list[PhantomSample]:
    """The first ``studies`` studies of one patient, each knowing its prior (pure, so any process can draw it)."""
    samples: list[PhantomSample] = []
    prior: tuple[Finding, ...] | None = None
    for study in range(studies):
        sample = render_study(options, patient, study, prior)
        prior = sample.findings
        samples.append(sample)
    return samples


def iter_studies(options: PhantomOptions, n: int) -> Iterator[PhantomSample]:
    for patient, studies in plan_patients(options.seed, n):
        yield from render_patient(options, patient, studies)


def generate(
    n: int,
    *,
    seed: int = 0,
    size: int = 224,
    difficulty: str = "standard",
    prevalence: str | Mapping[str, float] | float | None = None,
) -> Iterator[PhantomSample]:
    """Yield ``n`` phantom studies; the options are checked before the first one is drawn.

    >>> sample = next(generate(1, size=64))
    >>> sample.image.shape, sample.image.dtype.name
    ((64, 64), 'uint8')
    """
    options = resolve_options(n=n, seed=seed, size=size, difficulty=difficulty, prevalence=prevalence)
    return iter_studies(options, n)
