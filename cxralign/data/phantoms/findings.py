"""The finding table: each phantom finding is one entry naming its sampler, its painter and its phrases.

Adding a finding means adding it to ``spec.FINDINGS`` and one entry here (with its sampler in
``sampling.py``, its painter in ``painting.py`` and its phrase writer in ``reports.py``);
``tests/test_phantoms_table.py`` checks that every table has exactly the finding set.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from cxralign.data.phantoms.chest import Chest
from cxralign.data.phantoms.painting import CM, PAINTERS, Painter, change_anatomy
from cxralign.data.phantoms.phrasing import POSITIVE_PHRASES, PhraseWriter
from cxralign.data.phantoms.sampling import (
    LOBES,
    PROFILES,
    SAMPLERS,
    SIDES,
    DifficultyProfile,
    Sampler,
    _Draw,
)
from cxralign.data.phantoms.spec import FINDINGS, Finding
from cxralign.utils.registry import Registry

__all__ = [
    "CM",
    "FINDING_TABLE",
    "LOBES",
    "PROFILES",
    "SIDES",
    "DifficultyProfile",
    "FindingEntry",
    "draw_findings",
    "sample_findings",
]


@dataclass(frozen=True)
class FindingEntry:
    """What makes one finding: how it is drawn from the RNG, painted on the film and written up."""

    name: str
    sampler: Sampler
    painter: Painter
    phrases: PhraseWriter
    group: str  # the report paragraph its sentence joins (heart, pleura, lungs, devices, bones)


FINDING_TABLE: Registry[FindingEntry] = Registry(
    "phantom finding",
    members={
        name: FindingEntry(name, SAMPLERS.get(name), PAINTERS.get(name), *POSITIVE_PHRASES[name])
        for name in FINDINGS
    },
)
"""In ``spec.FINDINGS`` order: the order samplers run and painters paint in (part of the output)."""


def sample_findings(
    rng: np.random.Generator, prevalence: dict[str, float], profile: DifficultyProfile
) -> tuple[Finding, ...]:
    """Draw one study's findings, each present independently with its prevalence."""
    present = {name for name in FINDINGS if rng.random() < prevalence[name]}
    state = _Draw(rng, profile)
    out: list[Finding] = []
    for name in FINDING_TABLE:
        if name in present:
            out += FINDING_TABLE.get(name).sampler(state)
    return tuple(out)


_DRAW_ORDER = {name: k for k, name in enumerate(FINDINGS)}


def draw_findings(
    chest: Chest, findings: tuple[Finding, ...], profile: DifficultyProfile, rng: np.random.Generator
) -> None:
    """Draw every finding into ``chest.image`` in anatomical order (outlines before contents)."""
    change_anatomy(chest, findings)
    for finding in sorted(findings, key=lambda f: _DRAW_ORDER[f.name]):
        FINDING_TABLE.get(finding.name).painter(chest, finding, profile, rng)
