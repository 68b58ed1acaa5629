"""Patient-level split assignment: a patient's items always land in one split.

A source's own patient-disjoint split is kept. Otherwise patients are assigned by iterative
stratification (Sechidis et al., 2011) over (finding, op) cells: patients holding the rarest
cells first, each to the split furthest below its share of that patient's cells, so every
finding gets test items in proportion (a hash of the patient id breaks ties and orders equals).
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Iterable, Mapping

from cxralign.benchmark.schema import SPLITS
from cxralign.errors import ConfigError

DEFAULT_FRACTIONS: dict[str, float] = {"train": 0.7, "validation": 0.1, "test": 0.2}
_SOURCE_SPLIT_NAMES = {
    "train": "train",
    "training": "train",
    "validate": "validation",
    "validation": "validation",
    "valid": "validation",
    "val": "validation",
    "dev": "validation",
    "test": "test",
    "testing": "test",
}


def hash_split(key: str, fractions: dict[str, float] | None = None, salt: str = "cxralign-split-v1") -> str:
    """Split from a stable hash of the patient id (independent of order, platform and seed)."""
    fractions = fractions or DEFAULT_FRACTIONS
    total = sum(fractions.values())
    if total <= 0:
        raise ConfigError("split fractions must sum to a positive number")
    value = int.from_bytes(hashlib.sha256(f"{salt}:{key}".encode()).digest()[:8], "big") / 2**64
    cumulative = 0.0
    for name in SPLITS:
        cumulative += fractions.get(name, 0.0) / total
        if value < cumulative:
            return name
    return SPLITS[-1]


def normalise_split(name: object) -> str | None:
    """A source's own split name mapped onto train / validation / test (None when unknown)."""
    if name is None:
        return None
    return _SOURCE_SPLIT_NAMES.get(str(name).strip().lower())


class SplitAssigner:
    """Use the source's patient-disjoint split when it has one, else hash the patient id.

    A patient seen in two source splits is moved to its hashed split everywhere, so
    no patient ever crosses splits in our output.
    """

    def __init__(self, fractions: dict[str, float] | None = None) -> None:
        self.fractions = fractions or DEFAULT_FRACTIONS
        self._source: dict[str, str] = {}
        self.conflicts: set[str] = set()

    def observe(self, patient_key: str, source_split: object) -> None:
        split = normalise_split(source_split)
        if split is None:
            return
        known = self._source.setdefault(patient_key, split)
        if known != split:
            self.conflicts.add(patient_key)

    def observe_all(self, pairs: Iterable[tuple[str, object]]) -> None:
        for key, split in pairs:
            self.observe(key, split)

    def has_source_split(self, patient_key: str) -> bool:
        return patient_key in self._source and patient_key not in self.conflicts

    def assign(self, patient_key: str) -> str:
        if patient_key in self._source and patient_key not in self.conflicts:
            return self._source[patient_key]
        return hash_split(patient_key, self.fractions)


def _hash_unit(key: str, salt: str = "cxralign-stratify-v1") -> float:
    return int.from_bytes(hashlib.sha256(f"{salt}:{key}".encode()).digest()[:8], "big") / 2**64


def stratified_splits(
    cells_by_patient: Mapping[str, Counter], fractions: dict[str, float] | None = None
) -> dict[str, str]:
    """Patient -> split, so that each (finding, op) cell is split close to ``fractions``."""
    fractions = fractions or DEFAULT_FRACTIONS
    total = sum(fractions.values())
    shares = {name: fractions.get(name, 0.0) / total for name in SPLITS if fractions.get(name, 0.0) > 0}
    totals: Counter = Counter()
    for cells in cells_by_patient.values():
        totals.update(cells)
    have = {name: Counter() for name in shares}
    load = dict.fromkeys(shares, 0)
    n_items = max(1, sum(totals.values()))
    order = sorted(
        cells_by_patient,
        key=lambda key: (min((totals[c] for c in cells_by_patient[key]), default=0), _hash_unit(key)),
    )
    out: dict[str, str] = {}
    for key in order:
        cells = cells_by_patient[key]

        def deficit(name: str, cells=cells, key=key) -> tuple[float, float, float]:
            cell_gap = sum((shares[name] * totals[c] - have[name][c]) / totals[c] for c in cells)
            overall = shares[name] - load[name] / n_items
            return (cell_gap, overall, -_hash_unit(f"{key}:{name}"))

        chosen = max(shares, key=deficit)
        out[key] = chosen
        have[chosen].update(cells)
        load[chosen] += sum(cells.values())
    return out
